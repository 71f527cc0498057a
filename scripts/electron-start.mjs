// `npm start`: launches GrainLab in Electron on a user's machine.
// npm ci deliberately skips Electron's download (install scripts are denied so installs work
// offline); this script fetches the Electron binary on first start, builds better-sqlite3 for
// Electron's ABI into .electron-native/ (the copy in node_modules stays built for Node, so
// `npm test` and the CLI keep working), builds the app and starts it.
import { spawnSync } from 'node:child_process';
import { existsSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, shell: process.platform === 'win32', ...opts });
  if (r.status !== 0) {
    console.error(`grainlab start: '${cmd} ${args.join(' ')}' failed (exit ${r.status}).`);
    process.exit(r.status ?? 1);
  }
};

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
if (!existsSync(join(electronDir, 'path.txt'))) {
  console.log(`Downloading Electron ${electronVersion} (first start only)…`);
  run(process.execPath, [join(electronDir, 'install.js')]);
}

const nativeRoot = join(root, '.electron-native');
const sqliteCopy = join(nativeRoot, 'better-sqlite3');
const stamp = join(nativeRoot, 'electron-version.txt');
const binding = join(sqliteCopy, 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(binding) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== electronVersion) {
  console.log(`Building better-sqlite3 for Electron ${electronVersion}…`);
  mkdirSync(nativeRoot, { recursive: true });
  cpSync(dirname(require.resolve('better-sqlite3/package.json')), sqliteCopy, { recursive: true });
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  run(process.execPath, [gyp, 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers', `--arch=${process.arch}`], { cwd: sqliteCopy });
  writeFileSync(stamp, electronVersion);
}

if (!existsSync(join(root, 'dist', 'node', 'electron-main.js')) || process.argv.includes('--build')) run('npm', ['run', 'build']);
const electronBin = readFileSync(join(electronDir, 'path.txt'), 'utf8').trim();
const r = spawnSync(join(electronDir, 'dist', electronBin), [root, ...process.argv.slice(2).filter((a) => a !== '--build')], {
  stdio: 'inherit',
  env: { ...process.env, GRAINLAB_SQLITE_BINDING: binding },
});
process.exit(r.status ?? 0);
