// Starts a worker_thread from TypeScript sources (under tsx) or from the built bundle, so the same code
// path works in tests, `tsx` scripts and the packaged app. Reusable for any worker, not only SAM.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when this module runs from its .ts source (tsx), false inside the built JavaScript bundle. */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts');
}

/**
 * @param source   URL of the worker's .ts file, e.g. new URL('./worker.ts', import.meta.url)
 * @param bundled  file name of the built worker next to the bundle, e.g. 'sam.worker.js'
 *
 * From sources, a worker does not inherit tsx's loader, so it starts from a bootstrap that registers
 * tsx (resolved from here) and then imports the .ts file. In the bundle, the worker is a .js file
 * beside the bundle (the build emits it under that name).
 */
export function spawnWorker(source: URL, bundled: string, options: WorkerOptions = {}): Worker {
  if (runningFromSource()) {
    const api = import.meta.resolve('tsx/esm/api');
    const code =
      `import(${JSON.stringify(api)})` +
      `.then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); })`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(new URL(`./${bundled}`, import.meta.url), options);
}
