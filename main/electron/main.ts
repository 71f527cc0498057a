// Electron main process: one window, the contract over IPC, and nothing else let in.
import { app, BrowserWindow, ipcMain, session, dialog, type IpcMainInvokeEvent } from 'electron';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GrainLabService } from '../service';
import { eventNames, isMethodName, type Reply } from '../../app/contract';
import { toErrorData } from '../../app/errors';
import { CALL_CHANNEL, EVENT_CHANNEL_PREFIX } from './preload-api';
import { mainWindowOptions } from './window-options';
import { CONTENT_SECURITY_POLICY } from '../server/web-server';
import { appRoot } from '../paths';

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(appRoot(), 'dist', 'renderer', 'index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;

let window: BrowserWindow | null = null;

function isOurRenderer(e: IpcMainInvokeEvent): boolean {
  const url = e.senderFrame?.url ?? '';
  return window !== null && e.sender === window.webContents && url.split('?')[0]!.split('#')[0] === rendererUrl;
}

async function createWindow(service: GrainLabService) {
  window = new BrowserWindow(mainWindowOptions(join(here, 'preload.cjs')));
  const wc = window.webContents;
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (e) => e.preventDefault());
  wc.on('will-redirect', (e) => e.preventDefault());
  wc.on('will-attach-webview', (e) => e.preventDefault());
  window.once('ready-to-show', () => window?.show());
  await window.loadFile(rendererIndex);
  return service;
}

app.whenReady().then(async () => {
  const service = new GrainLabService({ userDataDir: app.getPath('userData'), binding: 'electron', version: app.getVersion() });

  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // No remote content: only our own files may load.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const ok = details.url.startsWith('file://') || details.url.startsWith('devtools://') || details.url.startsWith('blob:') || details.url.startsWith('data:');
    callback({ cancel: !ok });
  });

  ipcMain.handle(CALL_CHANNEL, async (e, method: unknown, args: unknown): Promise<Reply<unknown>> => {
    if (!isOurRenderer(e)) return { ok: false, error: { code: 'invalid-argument', message: 'Refused: the request did not come from the GrainLab window.' } };
    if (!isMethodName(method)) return { ok: false, error: { code: 'invalid-argument', message: `Unknown method '${String(method)}'.` } };
    try {
      return { ok: true, value: await service.invoke(method, args) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  });
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

app.on('web-contents-created', (_e, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (ev) => ev.preventDefault());
});
