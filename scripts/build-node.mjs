// Bundles the Node side (web server, CLI, workers, Electron main and preload) into dist/node with
// esbuild. Packages stay external (native modules must load from node_modules).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = {
  web: 'main/web.ts',
  cli: 'main/cli/main.ts',
  'segment.worker': 'main/jobs/segment.worker.ts',
  'cluster.worker': 'main/jobs/cluster.worker.ts',
  'learn.worker': 'main/learn/learn.worker.ts',
  'learn-tile.worker': 'main/learn/learn-tile.worker.ts',
  'export.worker': 'main/export/export.worker.ts',
  'electron-main': 'main/electron/main.ts',
};
for (const [name, file] of Object.entries({ 'sam.worker': 'main/sam/worker.ts' })) {
  if (existsSync(file)) entries[name] = file;
}

const common = { bundle: true, platform: 'node', target: 'node20', packages: 'external', sourcemap: true, logLevel: 'warning' };
await build({ ...common, entryPoints: entries, outdir: 'dist/node', format: 'esm', outExtension: { '.js': '.js' } });
// A sandboxed preload must be CommonJS and self-contained except for 'electron'.
await build({ ...common, packages: undefined, external: ['electron'], entryPoints: { preload: 'main/electron/preload.ts' }, outdir: 'dist/node', format: 'cjs', outExtension: { '.js': '.cjs' } });
