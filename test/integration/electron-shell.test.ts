// The Electron shell without Electron: window security options and the preload's exposed surface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mainWindowOptions } from '../../main/electron/window-options';
import { buildPreloadApi, CALL_CHANNEL, type IpcLike } from '../../main/electron/preload-api';
import { contract, methodNames } from '../../app/contract';
import { callHandler, isTrustedUrl, lockContents, lockSession } from '../../main/electron/security';
import { APP_INDEX_URL, APP_ORIGIN, appFilePath, appProtocolHandler } from '../../main/electron/app-protocol';
import { GrainLabService } from '../../main/service';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CONTENT_SECURITY_POLICY } from '../../main/server/web-server';

test('the window is isolated: contextIsolation and sandbox on, no Node in the page', () => {
  const wp = mainWindowOptions('/x/preload.cjs').webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.nodeIntegrationInSubFrames, false);
  assert.equal(wp.allowRunningInsecureContent, false);
  assert.equal(wp.navigateOnDragDrop, false, 'a dropped file does not replace the page');
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
  assert.equal(cancelled(APP_INDEX_URL), false);
  assert.equal(cancelled(`${APP_ORIGIN}/assets/index.js`), false);
  assert.equal(cancelled('file:///app/dist/renderer/index.html'), true, 'file:// is not our origin');
  assert.equal(cancelled('file:///etc/passwd'), true);
  assert.equal(cancelled('app://other/index.html'), true, 'only our host of the app scheme');
  assert.equal(isTrustedUrl(`blob:${APP_ORIGIN}/0b1c`), true);
  assert.equal(isTrustedUrl('blob:file:///abc'), false);
  assert.equal(isTrustedUrl('blob:https://evil.example/abc'), false);
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
    () => ({ contents: ours, pageUrl: APP_INDEX_URL }),
  );
  const fromOther = await handle({ sender: { id: 'other' }, senderFrame: { url: APP_INDEX_URL } }, 'app.info', {});
  assert.ok(!fromOther.ok && /did not come from the GrainLab window/.test(fromOther.error.message));
  const otherPage = await handle({ sender: ours, senderFrame: { url: 'https://evil.example/index.html' } }, 'app.info', {});
  assert.ok(!otherPage.ok);
  const fileOrigin = await handle({ sender: ours, senderFrame: { url: 'file:///app/index.html' } }, 'app.info', {});
  assert.ok(!fileOrigin.ok, 'a file:// page is not our page');
  const unknown = await handle({ sender: ours, senderFrame: { url: `${APP_INDEX_URL}#x` } }, 'fs.readFile', {});
  assert.ok(!unknown.ok && /Unknown method/.test(unknown.error.message));
  const bad = await handle({ sender: ours, senderFrame: { url: APP_INDEX_URL } }, 'project.open', { path: 42 });
  assert.ok(!bad.ok && bad.error.code === 'invalid-argument' && /Invalid arguments for project\.open/.test(bad.error.message));
  const good = await handle({ sender: ours, senderFrame: { url: `${APP_INDEX_URL}?x=1` } }, 'app.info', {});
  assert.ok(good.ok);
  assert.deepEqual(invoked, ['project.open', 'app.info'], 'refused calls never reach the service');
  await svc.dispose();
});

test('IPC: every contract method validates its arguments before its handler runs', async () => {
  const ours = { id: 'main-window' };
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-ipc-')), binding: 'electron' });
  const handle = callHandler((m, a) => svc.invoke(m as 'app.info', a), () => ({ contents: ours, pageUrl: APP_INDEX_URL }));
  const from = { sender: ours, senderFrame: { url: APP_INDEX_URL } };
  const accepted: string[] = [];
  const refusedBySchema = async (m: string, bad: unknown) => {
    const r = await handle(from, m, bad);
    // Only the schema check words its refusal like this; a handler that ran would fail otherwise ('no-project', ...).
    return !r.ok && r.error.code === 'invalid-argument' && r.error.message.startsWith(`Invalid arguments for ${m}`);
  };
  const wrongFields = { imageId: 'x', id: -1, path: 7, jobId: 5, unknownKey: 'dropped' };
  for (const m of methodNames) {
    for (const bad of ['a string', [1, 2], 42, true]) if (!(await refusedBySchema(m, bad))) accepted.push(`${m} ${JSON.stringify(bad)}`);
    // An object: a declared field of the wrong type is refused; undeclared fields never reach the handler.
    const parsed = contract[m].args.safeParse(wrongFields);
    if (parsed.success) {
      const kept = Object.keys(parsed.data as object).filter((k) => k in wrongFields);
      if (kept.length > 0) accepted.push(`${m} kept ${kept.join(', ')}`);
    } else if (!(await refusedBySchema(m, wrongFields))) accepted.push(`${m} ${JSON.stringify(wrongFields)}`);
  }
  assert.deepEqual(accepted, [], 'no method takes arguments its schema does not describe');
  await svc.dispose();
});

test('CSP: the page itself carries the same strict policy as the headers of app:// and the web binding', () => {
  const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  assert.ok(meta, 'renderer/index.html has a CSP meta tag');
  const directives = (policy: string) => new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map((d) => [d[0]!, d.slice(1).join(' ')]));
  const page = directives(meta[1]!);
  const header = directives(CONTENT_SECURITY_POLICY);
  for (const [name, value] of page) assert.equal(value, header.get(name), `${name} is the same in the page and the header`);
  assert.equal(page.get('default-src'), "'self'");
  assert.equal(page.get('script-src'), "'self'", 'no inline or eval scripts, no remote scripts');
  assert.equal(page.get('object-src'), "'none'");
  assert.doesNotMatch(meta[1]!, /https?:\/\/|\*\.|'unsafe-eval'/, 'no remote origin is allowed anywhere');
});

test('the Electron main process wires every lock: app:// origin, window options, session, all contents, one IPC channel', () => {
  const src = readFileSync(new URL('../../main/electron/main.ts', import.meta.url), 'utf8');
  assert.match(src, /protocol\.registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES \}\]\)/);
  assert.match(src, /protocol\.handle\(APP_SCHEME, appProtocolHandler\(rendererDir/);
  assert.match(src, /new BrowserWindow\(mainWindowOptions\(/);
  assert.match(src, /lockSession\(session\.defaultSession/);
  assert.match(src, /app\.on\('web-contents-created',[^\n]*lockContents\(contents/);
  assert.match(src, /ipcMain\.handle\(CALL_CHANNEL, [^\n]*handle\(e, method, args\)\)/);
  assert.equal(src.match(/ipcMain\.(handle|on|once)\(/g)?.length, 1, 'exactly one IPC entry point');
  assert.deepEqual(src.match(/loadURL\([^)]*\)/g), ['loadURL(APP_INDEX_URL)'], 'the window loads only our app:// page');
  assert.match(src, /pageUrl: APP_INDEX_URL/, 'IPC is accepted from that page only');
  assert.doesNotMatch(src, /openExternal|loadFile\(|file:\/\/|nodeIntegration|enableRemoteModule/, 'no file:// page, no remote page, no way out to the shell');
  const preload = readFileSync(new URL('../../main/electron/preload.ts', import.meta.url), 'utf8');
  assert.equal(preload.match(/exposeInMainWorld\(/g)?.length, 1);
  assert.match(preload, /exposeInMainWorld\('grainlab', buildPreloadApi\(ipcRenderer\)\)/);
});

test('app:// serves the renderer folder only: the page and its assets with the CSP; escapes, other hosts and other methods refused', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'gl-app-')), 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(root, '..', 'outside.txt'), 'secret');
  const reads: string[] = [];
  const handler = appProtocolHandler(root, async (f) => {
    reads.push(f);
    return new Uint8Array(readFileSync(f));
  });
  const page = await handler({ url: APP_INDEX_URL, method: 'GET' });
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(await page.text(), '<!doctype html>');
  assert.equal((await handler({ url: `${APP_ORIGIN}/`, method: 'GET' })).status, 200, '/ is the page');
  const js = await handler({ url: `${APP_ORIGIN}/assets/index.js?v=1`, method: 'GET' });
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  reads.length = 0;
  for (const url of [`${APP_ORIGIN}/../outside.txt`, `${APP_ORIGIN}/..%2foutside.txt`, `${APP_ORIGIN}/%2e%2e/outside.txt`, `${APP_ORIGIN}/%`, `${APP_ORIGIN}/a%00.js`, 'app://evil/index.html', 'file:///etc/passwd', `${APP_ORIGIN}/missing.js`]) {
    assert.equal((await handler({ url, method: 'GET' })).status, 404, url);
  }
  assert.ok(reads.every((f) => f.startsWith(root)), 'nothing outside the renderer folder was read');
  assert.equal((await handler({ url: APP_INDEX_URL, method: 'POST' })).status, 405);
  assert.equal(appFilePath(root, `${APP_ORIGIN}/assets/index.js`), join(root, 'assets', 'index.js'));
});

test('fuses (electron-builder.yml): no run-as-node, no NODE_OPTIONS or --inspect, app only from an integrity-checked asar, cookies encrypted, no file:// privileges; the config validates', async () => {
  const yml = readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8');
  const block = /^electronFuses:\n((?:[ ]{2}\w+: \w+\n)+)/m.exec(yml);
  assert.ok(block, 'electron-builder.yml has an electronFuses block');
  const fuses = Object.fromEntries(block[1]!.trim().split('\n').map((l) => l.trim().split(': ')).map(([k, v]) => [k, v === 'true']));
  assert.deepEqual(fuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
    loadBrowserProcessSpecificV8Snapshot: false,
  });
  // electron-builder's own schema check, as `npm run dist` runs it.
  const req = createRequire(import.meta.url);
  const { validateConfiguration } = req('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
  const { DebugLogger } = req('builder-util') as { DebugLogger: new (on: boolean) => unknown };
  const { load } = req('js-yaml') as { load(t: string): unknown };
  await validateConfiguration(load(yml), new DebugLogger(false));
});

test('Electron is the current supported major, and its install script stays denied', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string>; allowScripts: Record<string, boolean> };
  const installed = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('electron/package.json'), 'utf8')) as { version: string };
  assert.ok(Number(installed.version.split('.')[0]) >= 45, `Electron ${installed.version}`);
  assert.match(pkg.devDependencies.electron!, /^\^45\./);
  assert.equal(pkg.allowScripts.electron, false, "npm ci never runs Electron's download");
});
