// `npm run web`: the GrainLab UI for a browser, served on 127.0.0.1 with a per-run token.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { GrainLabService } from './service';
import { startWebServer } from './server/web-server';
import { rendererDir, userDataDir } from './paths';
import { parseRoots } from './fs/browse';

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.GRAINLAB_PORT ?? '5178' },
      project: { type: 'string' },
      roots: { type: 'string', default: process.env.GRAINLAB_ROOTS },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npm run web -- [--port N] [--project DIR] [--roots DIR,DIR]\nServes the GrainLab UI at http://127.0.0.1:N (N=0 picks a free port).\n--roots (or GRAINLAB_ROOTS): the folders the folder browser may show (default: your home folder).');
    return;
  }
  const service = new GrainLabService({ userDataDir: userDataDir(), binding: 'web', browseRoots: parseRoots(values.roots) });
  if (values.project) await service.call('project.open', { path: resolve(values.project) });
  const port = Number(values.port);
  let server;
  try {
    server = await startWebServer({ service, staticDir: rendererDir(), port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    console.error(`Port ${port} is in use; picking a free one.`);
    server = await startWebServer({ service, staticDir: rendererDir(), port: 0 });
  }
  console.log(`GrainLab is running. Open this address in a browser (the token is required):\n  ${server.url}`);
  const stop = async () => {
    await server.close();
    await service.dispose();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(`grainlab web: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
