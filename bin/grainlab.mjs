#!/usr/bin/env node
// `npx grainlab ...`: runs the built CLI bundle (built by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/node/cli.js', import.meta.url));
if (!existsSync(bundle)) {
  console.error('grainlab: the CLI is not built. Run `npm run build` in the GrainLab folder first.');
  process.exit(1);
}
await import(pathToFileURL(bundle).href);
