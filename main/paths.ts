// Where GrainLab keeps per-user state and finds its built renderer, for the web server and CLI.
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

export function userDataDir(): string {
  if (process.env.GRAINLAB_USER_DATA) return process.env.GRAINLAB_USER_DATA;
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'GrainLab');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'GrainLab');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'grainlab');
}

/** The repository/app root: two levels up from dist/node/*.js, or from main/*.ts under tsx. */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function rendererDir(): string {
  return join(appRoot(), 'dist', 'renderer');
}
