// Everything the Electron main process does to keep the window closed to the outside, written
// against small structural interfaces so tests can drive it with fakes (Electron cannot start here):
// no new windows, no navigation, every permission denied, a strict CSP on every response, no
// remote requests, and IPC calls only from our own page with arguments validated by the contract.
import { isMethodName, type Reply } from '../../app/contract';
import { toErrorData } from '../../app/errors';
import { CONTENT_SECURITY_POLICY } from '../server/static-files';
import { isAppUrl } from './app-protocol';

interface PreventableEvent {
  preventDefault(): void;
}

/** The part of Electron's WebContents this module uses. */
export interface ContentsLike {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (e: PreventableEvent) => void): unknown;
}

/** The part of Electron's Session this module uses. */
export interface SessionLike {
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void;
  webRequest: {
    onHeadersReceived(listener: (details: { responseHeaders?: Record<string, string[] | string> }, callback: (r: { responseHeaders: Record<string, string[] | string> }) => void) => void): void;
    onBeforeRequest(listener: (details: { url: string }, callback: (r: { cancel: boolean }) => void) => void): void;
  };
}

/** No pop-ups, no navigation away from the app, no <webview>. */
export function lockContents(wc: ContentsLike): void {
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (e) => e.preventDefault());
  wc.on('will-redirect', (e) => e.preventDefault());
  wc.on('will-attach-webview', (e) => e.preventDefault());
}

/**
 * Only the app's own origin (app://grainlab, its blobs) and the data: URLs the renderer makes may
 * load; file:// is not trusted (the renderer is not loaded from it), nor any remote or other local origin.
 */
export function isTrustedUrl(url: string): boolean {
  return isAppUrl(url) || url.startsWith('data:') || url.startsWith('devtools://');
}

/** Denies every permission, adds the CSP to every response and cancels every remote request. */
export function lockSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isTrustedUrl(details.url) }));
}

interface CallSender {
  sender: unknown;
  senderFrame?: { url: string } | null;
}

/**
 * The IPC handler of contract calls: refuses senders other than our window showing our page, and
 * unknown methods; the service validates the arguments against the contract's schema.
 */
export function callHandler(
  invoke: (method: string, args: unknown) => Promise<unknown>,
  ours: () => { contents: unknown; pageUrl: string } | null,
): (e: CallSender, method: unknown, args: unknown) => Promise<Reply<unknown>> {
  return async (e, method, args) => {
    const o = ours();
    const url = (e.senderFrame?.url ?? '').split('?')[0]!.split('#')[0]!;
    if (!o || e.sender !== o.contents || url !== o.pageUrl || !isAppUrl(url)) {
      return { ok: false, error: { code: 'invalid-argument', message: 'Refused: the request did not come from the GrainLab window.' } };
    }
    if (!isMethodName(method)) return { ok: false, error: { code: 'invalid-argument', message: `Unknown method '${String(method)}'.` } };
    try {
      return { ok: true, value: await invoke(method, args) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  };
}
