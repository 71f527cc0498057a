// Electron main process: one window showing the renderer from the app:// origin, the contract
// over IPC, and nothing else let in.
import { app, BrowserWindow, ipcMain, protocol, session, dialog } from 'electron';
import { readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrainLabService } from '../service';
import { eventNames } from '../../app/contract';
import { CALL_CHANNEL, EVENT_CHANNEL_PREFIX } from './preload-api';
import { mainWindowOptions } from './window-options';
import { callHandler, lockContents, lockSession, type ContentsLike, type SessionLike } from './security';
import { APP_INDEX_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, appProtocolHandler } from './app-protocol';
import { appRoot } from '../paths';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(appRoot(), 'dist', 'renderer');

// Must happen before the app is ready: app:// becomes a standard, secure origin of its own.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);

let window: BrowserWindow | null = null;

async function createWindow(service: GrainLabService) {
  window = new BrowserWindow(mainWindowOptions(join(here, 'preload.cjs')));
  lockContents(window.webContents as unknown as ContentsLike);
  window.once('ready-to-show', () => window?.show());
  await window.loadURL(APP_INDEX_URL);
  return service;
}

app.whenReady().then(async () => {
  const service = new GrainLabService({ userDataDir: app.getPath('userData'), binding: 'electron', version: app.getVersion() });

  // readFile is Electron's asar-aware one: in a package the renderer lives inside app.asar.
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir, (file) => readFile(file)));
  lockSession(session.defaultSession as unknown as SessionLike);
  const handle = callHandler(
    (method, args) => service.invoke(method as Parameters<GrainLabService['invoke']>[0], args),
    () => (window ? { contents: window.webContents, pageUrl: APP_INDEX_URL } : null),
  );
  ipcMain.handle(CALL_CHANNEL, (e, method: unknown, args: unknown) => handle(e, method, args));
  for (const name of eventNames) {
    service.on(name, (payload) => window?.webContents.send(EVENT_CHANNEL_PREFIX + name, payload));
  }
  await createWindow(service);

  app.on('window-all-closed', () => {
    void service.dispose().then(() => app.quit());
  });
}).catch((e: unknown) => {
  dialog.showErrorBox('GrainLab could not start', e instanceof Error ? e.message : String(e));
  app.exit(1);
});

app.on('web-contents-created', (_e, contents) => lockContents(contents as unknown as ContentsLike));
