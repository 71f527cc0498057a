// Starts a worker_thread from a module next to the caller, both when running the built bundle
// (.js next to it) and when running TypeScript sources under tsx (tests, benchmarks).
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * `callerUrl` is the caller's import.meta.url; `stem` the worker module's name without extension
 * (e.g. 'segment.worker'). Under tsx the .ts file is loaded through tsx's ESM API, because a
 * worker does not inherit the parent's loader hooks. `bundledStem` names the built file when it
 * differs from the source's name (main/sam/worker.ts is built as sam.worker.js).
 */
export function spawnWorker(callerUrl: string, stem: string, options: WorkerOptions = {}, bundledStem = stem): Worker {
  if (callerUrl.endsWith('.ts')) {
    const target = new URL(`./${stem}.ts`, callerUrl).href;
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(target)}); })`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(new URL(`./${bundledStem}.js`, callerUrl), options);
}
