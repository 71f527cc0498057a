// Load on the web binding (`npm run web` as users run it, in its own process): 4 well-behaved
// clients make 10,000 calls each (pixels, thumbnails, lists, segmentations; 4 in flight per client)
// while a fifth client pipelines 12,000 pixel requests and never reads a reply. Figures: the
// server's peak memory, latency of the well-behaved clients, when the non-reader was dropped, and
// whether the server survived (crashes). Also: import time of multi-page TIFF stacks of growing
// length (linear in pages) and of the longest stack refused.
// Usage: node --import tsx test/bench/load.bench.ts [--calls N] [--clients N]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '../../app/wire';
import { MAX_PAGES } from '../../app/limits';
import type { MethodName } from '../../app/contract';
import { pngGrey8 } from '../fixtures/images';
import { writeTiff } from '../fixtures/tiff-writer';
import { newService, runToEnd } from '../integration/export-kit';
import { percentile, peakRssMiB, writeResult, type BenchRow } from './common';

const argv = process.argv.slice(2);
const opt = (name: string, d: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const CALLS = opt('--calls', 10_000);
const CLIENTS = opt('--clients', 4);
const NON_READER_CALLS = 12_000;
const WINDOW = 4;
const root = join(import.meta.dirname, '..', '..');

// ---- a project with a few segmented images
const tmp = mkdtempSync(join(tmpdir(), 'gl-load-bench-'));
const dir = join(tmp, 'proj');
const svc = newService();
await svc.call('project.create', { path: dir });
const ids: number[] = [];
for (let i = 0; i < 8; i++) ids.push(...(await svc.call('images.importFiles', { files: [{ name: `i${i}.png`, bytes: await pngGrey8(256, 256) }] })).imported.map((im) => im.id));
await runToEnd(svc, () => svc.call('segment.auto', { imageIds: ids }));
await svc.call('project.close', {});

// ---- the server, as `npm run web` starts it
const server = spawn(process.execPath, [join(root, 'dist', 'node', 'web.js'), '--port', '0', '--project', dir], {
  env: { ...process.env, GRAINLAB_USER_DATA: join(tmp, 'user') },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let exited: number | string | null = null;
server.on('exit', (code, signal) => (exited = signal ?? code));
server.stderr.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
const url = await new Promise<URL>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out);
    if (m) resolve(new URL(m[0]));
  });
  server.once('exit', () => reject(new Error(`the server exited before it printed its address: ${out}`)));
});
const wsUrl = `ws://${url.host}/ws?token=${url.searchParams.get('token')}`;

const status = (key: string) => {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};
let peakSampled = 0;
const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, status('VmRSS') || 0)), 100);

// ---- a client that never reads: pipelines pixel requests on a raw socket, then stays silent
function frame(payload: Uint8Array): Buffer {
  const key = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x82, 0x80 | len]) : Buffer.from([0x82, 0x80 | 126, len >> 8, len & 255]);
  return Buffer.concat([head, key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))]);
}
const t0 = performance.now();
let nonReaderDroppedAt: number | null = null;
const nonReader: Socket = connect({ host: '127.0.0.1', port: Number(url.port) });
nonReader.on('error', () => {});
nonReader.once('connect', () => {
  nonReader.write(`GET /ws?token=${url.searchParams.get('token')} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  nonReader.once('data', () => {
    nonReader.pause(); // never reads a reply
    const calls = Array.from({ length: NON_READER_CALLS }, (_, i) => frame(encodeMessage({ t: 'call', id: i + 1, method: 'images.pixels', args: { id: ids[i % ids.length]! } })));
    nonReader.write(Buffer.concat(calls));
  });
});

// When the server drops the non-reader: its own socket is paused (it reads nothing, not even the
// close), so the kernel's table of TCP connections tells: its end leaves ESTABLISHED (01) once the
// server has closed the connection. Watched from the start, alongside the other clients.
function linuxTcp(): string {
  return ['/proc/net/tcp', '/proc/net/tcp6'].map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  }).join('');
}
const dropWatch = setInterval(() => {
  const localPort = nonReader.localPort?.toString(16).toUpperCase().padStart(4, '0');
  if (nonReaderDroppedAt !== null || !localPort) return;
  const table = linuxTcp();
  if (table && !new RegExp(`:${localPort} [0-9A-F]+:[0-9A-F]{4} 01 `).test(table)) nonReaderDroppedAt = (performance.now() - t0) / 1000;
}, 250);

// ---- well-behaved clients
const plan: { method: MethodName; args: (k: number) => unknown }[] = [
  { method: 'images.pixels', args: (k) => ({ id: ids[k % ids.length]! }) },
  { method: 'images.thumbnail', args: (k) => ({ id: ids[k % ids.length]! }) },
  { method: 'images.list', args: () => ({}) },
  { method: 'segmentation.get', args: (k) => ({ imageId: ids[k % ids.length]! }) },
];

async function client(n: number): Promise<{ latencies: number[]; errors: number }> {
  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'nodebuffer';
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const latencies: number[] = [];
  let errors = 0;
  const pending = new Map<number, { t: number; done: () => void }>();
  ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as { t: string; id: number; reply: { ok: boolean } };
    if (m.t !== 'reply') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    latencies.push(performance.now() - p.t);
    if (!m.reply.ok) errors++;
    p.done();
  });
  let next = 0;
  const lane = async () => {
    while (next < CALLS) {
      const k = next++;
      const step = plan[(k + n) % plan.length]!;
      await new Promise<void>((done) => {
        const id = k + 1;
        pending.set(id, { t: performance.now(), done });
        ws.send(encodeMessage({ t: 'call', id, method: step.method, args: step.args(k) }));
      });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  ws.close();
  return { latencies, errors };
}

const results = await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
const seconds = (performance.now() - t0) / 1000;
// The non-reader: wait (up to the server's stall limit and a little) until the server has dropped it.
for (let i = 0; i < 900 && nonReaderDroppedAt === null && linuxTcp() !== ''; i++) await new Promise((r) => setTimeout(r, 100));
clearInterval(dropWatch);
// Still serving after all of it?
const after = new WebSocket(wsUrl);
const alive = await new Promise<boolean>((resolve) => {
  after.once('open', () => after.send(encodeMessage({ t: 'call', id: 1, method: 'images.list', args: {} })));
  after.once('message', () => resolve(true));
  after.once('error', () => resolve(false));
  setTimeout(() => resolve(false), 30_000).unref();
});
after.close();
clearInterval(sampler);
const peakHwm = status('VmHWM');
nonReader.destroy();
const crashed = exited !== null;
server.kill('SIGTERM');
await new Promise((r) => (exited === null ? server.once('exit', r) : r(null)));

const all = results.flatMap((r) => r.latencies);
const errors = results.reduce((s, r) => s + r.errors, 0);
const rows: BenchRow[] = [
  { metric: 'load: server peak memory (VmHWM)', value: Number.isFinite(peakHwm) ? peakHwm : peakSampled, unit: 'MiB', target: '< 1536', note: `${CLIENTS} clients x ${CALLS} calls + 1 client pipelining ${NON_READER_CALLS} pixel calls it never reads; 256² images (pixels 64 KiB, label maps 256 KiB a reply)` },
  { metric: 'load: well-behaved client latency p50', value: percentile(all, 50), unit: 'ms', note: `${WINDOW} calls in flight per client; pixels, thumbnails, list, segmentation in turn` },
  { metric: 'load: well-behaved client latency p99', value: percentile(all, 99), unit: 'ms' },
  { metric: 'load: calls answered / errors', value: `${all.length} / ${errors}`, unit: '', target: `${CLIENTS * CALLS} / 0` },
  { metric: 'load: throughput', value: all.length / seconds, unit: 'calls/s' },
  { metric: 'load: client that never reads dropped after', value: nonReaderDroppedAt ?? 'not dropped', unit: nonReaderDroppedAt === null ? '' : 's', note: 'the server stops starting its calls once 16 MiB of its replies wait, and drops it when they have not moved for 60 s' },
  { metric: 'load: crashes (server process ended) / still serving after', value: `${crashed ? 1 : 0} / ${alive ? 'yes' : 'no'}`, unit: '', target: '0 / yes' },
];

// ---- multi-page TIFF import: time against page count (linear), and a stack over the limit
const stackOf = (n: number) => writeTiff(Array.from({ length: n }, (_, i) => ({ width: 32, height: 32, channels: 1 as const, bitDepth: 8 as const, data: new Uint8Array(1024).fill(i % 256) })));
const importSvc = newService();
await importSvc.call('project.create', { path: join(tmp, 'stacks') });
const perPage: string[] = [];
for (const n of [250, 1000, 4000]) {
  const bytes = stackOf(n);
  const s0 = performance.now();
  const r = await importSvc.call('images.importFiles', { files: [{ name: `stack-${n}.tif`, bytes }] });
  const s = (performance.now() - s0) / 1000;
  if (r.imported.length !== n) throw new Error(`stack of ${n}: ${r.imported.length} pages imported (${r.failed[0]?.message})`);
  perPage.push(`${n}: ${s.toFixed(2)} s (${((s / n) * 1000).toFixed(2)} ms/page)`);
  rows.push({ metric: `import: ${n}-page TIFF stack (32² pages)`, value: s, unit: 's', note: `${((s / n) * 1000).toFixed(2)} ms per page` });
}
const over = stackOf(MAX_PAGES * 2 + 1808); // 10,000 pages
const o0 = performance.now();
const refused = await importSvc.call('images.importFiles', { files: [{ name: 'stack-10000.tif', bytes: over }] });
rows.push({ metric: `import: 10,000-page TIFF refused (limit ${MAX_PAGES} pages)`, value: (performance.now() - o0) / 1000, unit: 's', note: refused.failed[0]?.message.slice(0, 90) ?? 'not refused' });
await importSvc.dispose();
console.log(`multi-page import: ${perPage.join('; ')}`);
rows.push({ metric: 'bench process peak memory', value: peakRssMiB(), unit: 'MiB' });
writeResult('load', rows);
