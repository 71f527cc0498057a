// The web binding without a browser: it listens on 127.0.0.1 only, and a WebSocket connection
// without the per-run token (or from another site's page) is refused before any call is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebServer } from '../../main/server/web-server';
import { GrainLabService } from '../../main/service';
import { decodeMessage, encodeMessage } from '../../app/wire';
import { pngGrey8 } from '../fixtures/images';

function service(): GrainLabService {
  return new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-web-user-')), binding: 'web', browseRoots: [tmpdir()] });
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
    // The last character changed (to one it is not: a fixed 'x' was the right token 1 time in 64).
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('x') ? 'y' : 'x');
    assert.equal((await tryConnect(`${ws}?token=${wrong}`)).result, 401, 'wrong token of the right length');
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

// ---------------------------------------------------------------- hardening (issue 14)

interface Raw {
  socket: Socket;
  /** Everything received so far (after the handshake). */
  received(): Buffer;
  closed: Promise<void>;
}

/** A WebSocket opened by hand over TCP, so malformed frames can be sent and replies left unread. */
function rawWebSocket(port: number, token: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let open = false;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(`GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!open) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
        open = true;
        buf = buf.subarray(end + 4);
        resolve({ socket, received: () => buf, closed });
      }
    });
  });
}

/** One client frame: FIN + opcode, masked (clients must mask) unless `unmasked`; rsv1 optional. */
function frame(opcode: number, payload: Uint8Array, o: { unmasked?: boolean; rsv1?: boolean; claimLength?: bigint } = {}): Buffer {
  const head: number[] = [0x80 | (o.rsv1 ? 0x40 : 0) | opcode];
  const mask = o.unmasked ? 0 : 0x80;
  const len = o.claimLength ?? BigInt(payload.length);
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push(mask | Number(len));
  else if (len < 65536n) {
    head.push(mask | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(mask | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  const key = o.unmasked ? Buffer.alloc(0) : Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => (o.unmasked ? b : b ^ key[i % 4]!)));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

async function call(url: string, method: string, args: unknown = {}): Promise<unknown> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    return await new Promise<unknown>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const m = decodeMessage(new Uint8Array(data)) as { t: string; reply?: unknown };
        if (m.t === 'reply') resolve(m.reply);
      });
      ws.send(encodeMessage({ t: 'call', id: 1, method: method as 'app.info', args }));
    });
  } finally {
    ws.close();
  }
}

/** Waits (a bounded number of short sleeps) for a condition that follows asynchronously, such as a socket closing. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
}

function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    s.on('error', () => resolve(out));
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.once('connect', () => s.write(text));
  });
}

test('malformed URLs and requests get 400/404 and the server goes on (GET /% used to end it)', async () => {
  const svc = service();
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0 });
  try {
    for (const path of ['/%', '/%E0%A4%A', '/%00', '/..%2f..%2fpackage.json', '/a%2f..%2f..%2f..%2fetc%2fpasswd']) {
      const r = await httpGet(server.port, path);
      assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
    }
    assert.match(await rawHttp(server.port, 'GET /% HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 421/, 'a wrong port in Host is another server');
    assert.match(await rawHttp(server.port, 'NOT A REQUEST\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(await rawHttp(server.port, `GET /ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 400/, 'a bad handshake');
    assert.equal((await httpGet(server.port, '/')).status, 200, 'still serving');
  } finally {
    await server.close();
    await svc.dispose();
  }
});

test('Host allow-list: a DNS-rebinding page (another host name) gets neither the page nor the WebSocket', async () => {
  const svc = service();
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0 });
  try {
    const withHost = (host: string, path = '/') => rawHttp(server.port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.match(await withHost(`evil.example:${server.port}`), /^HTTP\/1\.1 421/);
    assert.match(await withHost(`127.0.0.1:${server.port + 1}`), /^HTTP\/1\.1 421/);
    assert.match(await withHost(`localhost:${server.port}`), /^HTTP\/1\.1 200/);
    assert.match(await withHost(`127.0.0.1:${server.port}`), /^HTTP\/1\.1 200/);
    const ws = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
    const rebound = await new Promise<number | 'open'>((resolve, reject) => {
      const w = new WebSocket(ws, { headers: { Host: `evil.example:${server.port}` } });
      w.once('open', () => resolve('open'));
      w.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      w.once('error', reject);
    });
    assert.equal(rebound, 401);
    assert.equal((await tryConnect(ws, `http://localhost:${server.port + 1}`)).result, 401, 'an origin on another port is another site');
  } finally {
    await server.close();
    await svc.dispose();
  }
});

test('the static server does not follow links out of the renderer folder', async () => {
  const svc = service();
  const dir = staticDir();
  const outside = mkdtempSync(join(tmpdir(), 'gl-web-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
  symlinkSync(outside, join(dir, 'assets'));
  const server = await startWebServer({ service: svc, staticDir: dir, port: 0 });
  try {
    assert.equal((await httpGet(server.port, '/leak.txt')).status, 404);
    assert.equal((await httpGet(server.port, '/assets/secret.txt')).status, 404);
    assert.equal((await httpGet(server.port, '/index.html')).status, 200);
  } finally {
    await server.close();
    await svc.dispose();
  }
});

test('malformed WebSocket frames (unmasked, invalid UTF-8, opcode 3, RSV1, a 2^40-byte length) close that connection only', async () => {
  const svc = service();
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0 });
  const url = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
  try {
    const call7 = encodeMessage({ t: 'call', id: 7, method: 'project.current', args: {} });
    const bad: [string, Buffer][] = [
      ['unmasked', frame(2, call7, { unmasked: true })],
      ['invalid UTF-8 text', frame(1, Uint8Array.from([0xc3, 0x28, 0xff]))],
      ['opcode 3', frame(3, call7)],
      ['RSV1 without an extension', frame(2, call7, { rsv1: true })],
      ['2^40-byte length', frame(2, new Uint8Array(0), { claimLength: 2n ** 40n })],
      ['a text frame', frame(1, Buffer.from('{"t":"call"}'))],
      ['not MessagePack', frame(2, Buffer.from([0xc1, 0xc1, 0xc1]))],
      ['not a call', frame(2, encodeMessage({ t: 'reply', id: 1, reply: { ok: true, value: 1 } }))],
    ];
    for (const [what, bytes] of bad) {
      const raw = await rawWebSocket(server.port, server.token);
      raw.socket.write(bytes);
      await raw.closed;
      assert.deepEqual(await call(url, 'project.current'), { ok: true, value: null }, `the server still answers after ${what}`);
    }
    await until(() => server.connections() === 0);
    assert.equal(server.connections(), 0, 'every connection that sent a bad frame is gone');
  } finally {
    await server.close();
    await svc.dispose();
  }
});

test('backpressure: a client that never reads gets only a bounded number of calls started, is dropped when it stalls, and others are served meanwhile', async () => {
  const svc = service();
  const dir = mkdtempSync(join(tmpdir(), 'gl-web-bp-'));
  await svc.call('project.create', { path: join(dir, 'p') });
  const { imported } = await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(256, 256) }] });
  let started = 0;
  const invoke = svc.invoke.bind(svc);
  svc.invoke = ((m: never, a: unknown, c?: never) => {
    started++;
    return invoke(m, a, c);
  }) as typeof svc.invoke;
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0, limits: { maxInFlight: 4, highWaterBytes: 1 << 20, stallMs: 1500 } });
  const url = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
  try {
    const raw = await rawWebSocket(server.port, server.token);
    raw.socket.pause(); // never read a reply
    const total = 3000;
    const frames = Buffer.concat(Array.from({ length: total }, (_, i) => frame(2, encodeMessage({ t: 'call', id: i, method: 'images.pixels', args: { id: imported[0]!.id } }))));
    raw.socket.write(frames);
    // A well-behaved client is served while the other one is stuck.
    assert.equal(((await call(url, 'images.list')) as { ok: boolean; value: unknown[] }).value.length, 1);
    // Dropped once its queue stopped moving (its own socket is paused, so it does not see the close).
    await until(() => server.connections() === 0);
    assert.equal(server.connections(), 0, 'the client that stopped reading was disconnected');
    const startedByStuckClient = started - 1;
    assert.ok(startedByStuckClient < total / 2, `only ${startedByStuckClient} of ${total} calls were started for a client that read nothing`);
    raw.socket.destroy();
  } finally {
    await server.close();
    await svc.dispose();
  }
});

test("a connection's jobs are cancelled when it closes", async () => {
  const svc = service();
  const dir = mkdtempSync(join(tmpdir(), 'gl-web-jobs-'));
  await svc.call('project.create', { path: join(dir, 'p') });
  const ids: number[] = [];
  for (let i = 0; i < 12; i++) ids.push(...(await svc.call('images.importFiles', { files: [{ name: `i${i}.png`, bytes: await pngGrey8(400 + i, 300) }] })).imported.map((im) => im.id));
  const server = await startWebServer({ service: svc, staticDir: staticDir(), port: 0 });
  try {
    const states = new Map<string, string>();
    const ended = new Promise<string>((resolve) => svc.on('onDidProgress', (e) => {
      states.set(e.jobId, e.state);
      if (e.state !== 'running') resolve(e.state);
    }));
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    await new Promise((r) => ws.once('open', r));
    const reply = await new Promise<{ ok: boolean; value: { jobId: string } }>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const m = decodeMessage(new Uint8Array(data)) as { t: string; reply?: { ok: boolean; value: { jobId: string } } };
        if (m.t === 'reply') resolve(m.reply!);
      });
      ws.send(encodeMessage({ t: 'call', id: 1, method: 'segment.auto', args: { imageIds: ids } }));
    });
    assert.ok(reply.ok);
    ws.terminate();
    assert.equal(await ended, 'cancelled');
    assert.equal(states.get(reply.value.jobId), 'cancelled');
    const done = (await svc.call('images.list', {})).filter((im) => im.status !== 'new').length;
    assert.ok(done < ids.length, `the job stopped early (${done} of ${ids.length} segmented)`);
  } finally {
    await server.close();
    await svc.dispose();
  }
});
