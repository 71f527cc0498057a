// The Electron shell without Electron: window security options and the preload's exposed surface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mainWindowOptions } from '../../main/electron/window-options';
import { buildPreloadApi, CALL_CHANNEL, type IpcLike } from '../../main/electron/preload-api';
import { methodNames } from '../../app/contract';
import { callHandler, isLocalUrl, lockContents, lockSession } from '../../main/electron/security';
import { GrainLabService } from '../../main/service';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('the window is isolated: contextIsolation and sandbox on, no Node in the page', () => {
  const wp = mainWindowOptions('/x/preload.cjs').webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.preload, '/x/preload.cjs');
});

test('the preload exposes exactly the contract methods and forwards each to one channel', async () => {
  const calls: unknown[][] = [];
  const ipc: IpcLike = {
    invoke: async (...args) => {
      calls.push(args);
      return { ok: true, value: null };
    },
    on: () => {},
    removeListener: () => {},
  };
  const api = buildPreloadApi(ipc);
  assert.deepEqual(Object.keys(api).sort(), ['methods', 'on']);
  assert.deepEqual(Object.keys(api.methods).sort(), [...methodNames].sort());
  assert.ok(Object.isFrozen(api.methods));
  await api.methods['images.list']({});
  assert.deepEqual(calls[0], [CALL_CHANNEL, 'images.list', {}]);
  assert.throws(() => api.on('onSomethingElse' as 'onDidProgress', () => {}), /Unknown event/);
});

test('contents: new windows denied; navigation, redirects and webviews prevented', () => {
  let opener: ((d: { url: string }) => { action: string }) | null = null;
  const listeners = new Map<string, (e: { preventDefault(): void }) => void>();
  lockContents({ setWindowOpenHandler: (h) => (opener = h), on: (ev, l) => listeners.set(ev, l) });
  assert.deepEqual(opener!({ url: 'https://example.com' }), { action: 'deny' });
  for (const ev of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    let prevented = false;
    listeners.get(ev)!({ preventDefault: () => (prevented = true) });
    assert.ok(prevented, `${ev} is prevented`);
  }
});

test('session: permissions denied, a strict CSP on every response, remote requests cancelled', () => {
  let request: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
  let check: ((...a: unknown[]) => boolean) | null = null;
  let headers: ((d: { responseHeaders?: Record<string, string[] | string> }, cb: (r: { responseHeaders: Record<string, string[] | string> }) => void) => void) | null = null;
  let before: ((d: { url: string }, cb: (r: { cancel: boolean }) => void) => void) | null = null;
  lockSession({
    setPermissionRequestHandler: (h) => (request = h),
    setPermissionCheckHandler: (h) => (check = h),
    webRequest: { onHeadersReceived: (l) => (headers = l), onBeforeRequest: (l) => (before = l) },
  });
  for (const p of ['media', 'geolocation', 'notifications', 'openExternal']) {
    let granted: boolean | null = null;
    request!(null, p, (g) => (granted = g));
    assert.equal(granted, false, p);
  }
  assert.equal(check!(null, 'media'), false);
  let csp: string[] | string | undefined;
  headers!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (csp = r.responseHeaders['Content-Security-Policy']));
  const policy = String(csp);
  assert.match(policy, /default-src 'self'/);
  assert.match(policy, /script-src 'self'/);
  assert.doesNotMatch(policy, /script-src[^;]*unsafe-(inline|eval)/);
  const cancelled = (url: string) => {
    let c: boolean | null = null;
    before!({ url }, (r) => (c = r.cancel));
    return c;
  };
  assert.equal(cancelled('https://example.com/x.js'), true);
  assert.equal(cancelled('http://127.0.0.1:8080/'), true);
  assert.equal(cancelled('file:///app/dist/renderer/index.html'), false);
  assert.equal(isLocalUrl('blob:file:///abc'), true);
});

test('IPC: only our window and page may call; unknown methods and invalid arguments are refused', async () => {
  const ours = { id: 'main-window' };
  const invoked: string[] = [];
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-ipc-')), binding: 'electron' });
  const handle = callHandler(
    (m, a) => {
      invoked.push(m);
      return svc.invoke(m as 'app.info', a);
    },
    () => ({ contents: ours, pageUrl: 'file:///app/index.html' }),
  );
  const fromOther = await handle({ sender: { id: 'other' }, senderFrame: { url: 'file:///app/index.html' } }, 'app.info', {});
  assert.ok(!fromOther.ok && /did not come from the GrainLab window/.test(fromOther.error.message));
  const otherPage = await handle({ sender: ours, senderFrame: { url: 'https://evil.example/index.html' } }, 'app.info', {});
  assert.ok(!otherPage.ok);
  const unknown = await handle({ sender: ours, senderFrame: { url: 'file:///app/index.html#x' } }, 'fs.readFile', {});
  assert.ok(!unknown.ok && /Unknown method/.test(unknown.error.message));
  const bad = await handle({ sender: ours, senderFrame: { url: 'file:///app/index.html' } }, 'project.open', { path: 42 });
  assert.ok(!bad.ok && bad.error.code === 'invalid-argument' && /Invalid arguments for project\.open/.test(bad.error.message));
  const good = await handle({ sender: ours, senderFrame: { url: 'file:///app/index.html?x=1' } }, 'app.info', {});
  assert.ok(good.ok);
  assert.deepEqual(invoked, ['project.open', 'app.info'], 'refused calls never reach the service');
  await svc.dispose();
});
