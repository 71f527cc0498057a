// Electron main process: one window, the contract over IPC, and nothing else let in.
import { app, BrowserWindow, ipcMain, session, dialog } from 'electron';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GrainLabService } from '../service';
import { eventNames } from '../../app/contract';
import { CALL_CHANNEL, EVENT_CHANNEL_PREFIX } from './preload-api';
import { mainWindowOptions } from './window-options';
import { callHandler, lockContents, lockSession, type ContentsLike, type SessionLike } from './security';
import { appRoot } from '../paths';

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(appRoot(), 'dist', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;

let window: BrowserWindow | null = null;

async function createWindow(service: GrainLabService) {
  window = new BrowserWindow(mainWindowOptions(join(here, 'preload.cjs')));
  lockContents(window.webContents as unknown as ContentsLike);
  window.once('ready-to-show', () => window?.show());
  await window.loadFile(rendererIndex);
  return service;
}

app.whenReady().then(async () => {
  const service = new GrainLabService({ userDataDir: app.getPath('userData'), binding: 'electron', version: app.getVersion() });

  lockSession(session.defaultSession as unknown as SessionLike);
  const handle = callHandler(
    (method, args) => service.invoke(method as Parameters<GrainLabService['invoke']>[0], args),
    () => (window ? { contents: window.webContents, pageUrl: rendererUrl } : null),
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
