// The web binding without a browser: it listens on 127.0.0.1 only, and a WebSocket connection
// without the per-run token (or from another site's page) is refused before any call is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebServer } from '../../main/server/web-server';
import { GrainLabService } from '../../main/service';
import { decodeMessage, encodeMessage } from '../../app/wire';

function service(): GrainLabService {
  return new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-web-user-')), binding: 'web' });
}

function staticDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gl-web-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>GrainLab</title>');
  return dir;
}

/** 'open', or the HTTP status the upgrade was refused with. */
function tryConnect(url: string, origin?: string): Promise<{ result: 'open' | number; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => resolve({ result: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ result: res.statusCode ?? 0, ws }));
    ws.once('error', (e) => reject(e));
  });
}

function httpGet(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.once('error', reject);
    req.end();
  });
}

test('web mode refuses to listen anywhere but the loopback address', async () => {
  const svc = service();
  for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
    await assert.rejects(startWebServer({ service: svc, staticDir: staticDir(), port: 0, host }), /listens on 127\.0\.0\.1 only/);
  }
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    // Reachable on 127.0.0.1, not on this machine's other addresses.
    const lan = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (lan) {
      const outcome = await new Promise<string>((resolve) => {
        const s = connect({ host: lan.address, port: server.port });
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      assert.equal(outcome, 'ECONNREFUSED', `port ${server.port} is closed on ${lan.address}`);
    } else {
      console.log('web-server test: no non-loopback IPv4 address here; only the refused hosts were checked');
    }
  } finally {
    await server.close();
    await svc.dispose();
  }
});

test('a WebSocket connection without the right token, or from another site, is refused; with it, calls work', async () => {
  const svc = service();
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0 });
  const ws = `ws://127.0.0.1:${server.port}/ws`;
  const opened: WebSocket[] = [];
  try {
    assert.equal((await tryConnect(ws)).result, 401, 'no token');
    assert.equal((await tryConnect(`${ws}?token=`)).result, 401, 'empty token');
    assert.equal((await tryConnect(`${ws}?token=${server.token.slice(0, -1)}x`)).result, 401, 'wrong token of the right length');
    assert.equal((await tryConnect(`${ws}?token=${server.token}`, 'https://evil.example')).result, 401, 'right token, page of another site');
    assert.equal((await tryConnect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`)).result, 401, 'right token, wrong path');
    const good = await tryConnect(`${ws}?token=${server.token}`, `http://127.0.0.1:${server.port}`);
    opened.push(good.ws);
    assert.equal(good.result, 'open');
    const reply = await new Promise<unknown>((resolve) => {
      good.ws.once('message', (data: Buffer) => resolve(decodeMessage(new Uint8Array(data))));
      good.ws.send(encodeMessage({ t: 'call', id: 7, method: 'project.current', args: {} }));
    });
    assert.deepEqual(reply, { t: 'reply', id: 7, reply: { ok: true, value: null } });
    // Static files: served with the CSP, and nothing outside the renderer folder.
    const page = await httpGet(server.port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await httpGet(server.port, '/..%2f..%2fpackage.json')).status, 404);
    assert.equal((await httpGet(server.port, '/../../etc/passwd')).status, 404);
  } finally {
    for (const w of opened) w.close();
    await server.close();
    await svc.dispose();
  }
});
