// Fuzzing the decoders that read untrusted bytes: each mutated input must end in a clear Error
// (or a valid result), never a crash, a hang or an unbounded allocation. Counts are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rleCountsFromString, fromCocoRle, validateCoco, parseCoco, encodeMask, rleCountsToString, buildCocoDataset } from '../../app/export';
import { decodePatch, encodePatch, applyEdit } from '../../app/edit';
import { decodeMessage, encodeMessage } from '../../app/wire';
import { probeImage, decodeImage } from '../../main/images/io';
import { parseManifest, bundledManifest } from '../../main/sam/models';
import { createSession } from '../../main/sam/providers';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { ProjectStore } from '../../main/store/project-store';
import { pngGrey8, tiffGrey16, tiffMultiPage, pngClaimingSize } from '../fixtures/images';
import { seededRandom as prng } from '../../app/random';

const CASE_LIMIT_MS = 3000;

/** Bit flips, byte overwrites with edge values, truncation, duplication of a chunk, random bytes. */
function mutateBytes(src: Uint8Array, rnd: () => number): Uint8Array {
  const b = new Uint8Array(src);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      for (let k = 0; k < 1 + rnd() * 8; k++) b[Math.floor(rnd() * b.length)]! ^= 1 << Math.floor(rnd() * 8);
      return b;
    case 1:
      for (let k = 0; k < 1 + rnd() * 4; k++) b[Math.floor(rnd() * Math.min(b.length, 64))] = [0, 0xff, 0x7f, 0x80][Math.floor(rnd() * 4)]!;
      return b;
    case 2:
      return b.subarray(0, Math.floor(rnd() * b.length));
    case 3: {
      const at = Math.floor(rnd() * b.length);
      const len = Math.floor(rnd() * 64);
      const out = new Uint8Array(b.length + len);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at, at + len), at);
      out.set(b.subarray(at), at + len);
      return out;
    }
    default:
      return Uint8Array.from({ length: Math.floor(rnd() * 256) }, () => Math.floor(rnd() * 256));
  }
}

function mutateJson(value: unknown, rnd: () => number, depth = 0): unknown {
  const pick = rnd();
  if (depth > 0 && pick < 0.08) return [null, -1, 1e12, 'x', [], {}, true, NaN, 2 ** 53][Math.floor(rnd() * 9)];
  if (Array.isArray(value)) {
    if (pick < 0.15) return value.slice(0, Math.floor(rnd() * value.length));
    return value.map((v) => (rnd() < 0.3 ? mutateJson(v, rnd, depth + 1) : v));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (rnd() < 0.1) continue;
      out[k] = rnd() < 0.35 ? mutateJson(v, rnd, depth + 1) : v;
    }
    return out;
  }
  if (typeof value === 'number') return [0, -value, value * 1e6, value + 0.5, 100000][Math.floor(rnd() * 5)];
  if (typeof value === 'string') return rnd() < 0.5 ? value.slice(0, Math.floor(rnd() * value.length)) : value + '\u0000~`!';
  return value;
}

interface Tally {
  cases: number;
  rejected: number;
  accepted: number;
  slowest: number;
}

async function fuzz(name: string, n: number, make: (rnd: () => number, i: number) => unknown, run: (input: unknown) => unknown | Promise<unknown>): Promise<Tally> {
  const rnd = prng(0x9e3779b9 ^ name.length * 7919);
  const t: Tally = { cases: 0, rejected: 0, accepted: 0, slowest: 0 };
  for (let i = 0; i < n; i++) {
    const input = make(rnd, i);
    const t0 = performance.now();
    try {
      await run(input);
      t.accepted++;
    } catch (e) {
      assert.ok(e instanceof Error, `${name} case ${i}: threw a non-Error ${String(e)}`);
      assert.ok(e.message.length > 0, `${name} case ${i}: empty error message`);
      t.rejected++;
    }
    const ms = performance.now() - t0;
    t.slowest = Math.max(t.slowest, ms);
    assert.ok(ms < CASE_LIMIT_MS, `${name} case ${i} took ${ms.toFixed(0)} ms`);
    t.cases++;
  }
  console.log(`fuzz ${name.padEnd(22)} ${t.cases} cases: ${t.rejected} rejected with an error, ${t.accepted} accepted, none crashed; slowest ${t.slowest.toFixed(1)} ms`);
  return t;
}

const limits = { maxPixels: 4096 * 4096 };
const cocoLimits = { maxPixelsPerImage: 4096 * 4096, maxTotalPixels: 4096 * 4096 };
const rssStart = process.memoryUsage().rss;

test('RLE strings and COCO RLE objects', async () => {
  const mask = { width: 40, height: 30, data: Uint8Array.from({ length: 1200 }, (_, i) => ((i * 7) % 13 < 5 ? 1 : 0)) };
  const rle = encodeMask(mask);
  const s = rleCountsToString(rle.counts);
  assert.equal(rleCountsFromString(s, 30, 40).counts.length, rle.counts.length, 'the unmutated string decodes');
  await fuzz('rle string', 400, (rnd) => ({ s: new TextDecoder().decode(mutateBytes(new TextEncoder().encode(s), rnd)), h: rnd() < 0.1 ? 100000 : 30, w: rnd() < 0.1 ? 100000 : 40 }), (x) => {
    const { s: str, h, w } = x as { s: string; h: number; w: number };
    return rleCountsFromString(str, h, w, limits);
  });
  await fuzz('coco rle object', 300, (rnd) => mutateJson({ size: [30, 40], counts: rnd() < 0.5 ? s : rle.counts }, rnd), (x) => fromCocoRle(x as never, limits));
});

test('COCO JSON datasets', async () => {
  const labels = { width: 32, height: 24, data: Uint32Array.from({ length: 768 }, (_, i) => 1 + Math.floor((i % 32) / 8) + 4 * Math.floor(i / 32 / 12)) };
  const segments = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ id, classId: 1 + (id % 2), source: 'auto' as const, verified: id < 3, clusterId: null, area: 96, bbox: { x: 0, y: 0, width: 8, height: 12 } }));
  const { dataset } = buildCocoDataset([{ id: 1, fileName: 'a.png', labels, segments }], [{ id: 1, name: 'ferrite', color: '#ff0000' }, { id: 2, name: 'pearlite', color: '#00ff00' }]);
  const coco = JSON.parse(JSON.stringify(dataset)) as unknown;
  assert.ok(parseCoco(coco, cocoLimits), 'the unmutated dataset parses');
  await fuzz('coco json', 300, (rnd) => mutateJson(coco, rnd), (x) => {
    validateCoco(x, cocoLimits);
    return parseCoco(x, cocoLimits);
  });
});

test('edit-log patches and WebSocket frames', async () => {
  const map = { width: 24, height: 16, data: Uint32Array.from({ length: 384 }, (_, i) => 1 + (i % 24 > 11 ? 1 : 0)) };
  const { patch } = applyEdit(map, { kind: 'merge', ids: [1, 2] }, { nextId: 3 });
  const bytes = encodePatch(patch);
  await fuzz('edit patch', 400, (rnd) => mutateBytes(bytes, rnd), (x) => decodePatch(x as Uint8Array));
  const frame = encodeMessage({ t: 'call', id: 1, method: 'images.list', args: { labels: new Uint32Array(50), name: 'x' } });
  await fuzz('websocket frame', 400, (rnd) => mutateBytes(frame, rnd), (x) => decodeMessage(x as Uint8Array));
});

test('image files: PNG, 16-bit TIFF, multi-page TIFF headers and pixels', async () => {
  const seeds = [await pngGrey8(48, 32), tiffGrey16(40, 30), tiffMultiPage()];
  // A header claiming 100000 x 100000 px is refused from the header alone, before any allocation.
  const rss0 = process.memoryUsage().rss;
  await assert.rejects(probeImage(pngClaimingSize(seeds[0]!, 100000, 100000), 'claims.png'), (e: Error & { code?: string }) => e.code === 'too-large');
  await assert.rejects(decodeImage(pngClaimingSize(seeds[0]!, 100000, 100000), 'claims.png'));
  assert.ok(process.memoryUsage().rss - rss0 < 200 * 2 ** 20, 'no 40 GB allocation attempted');
  await fuzz('image bytes', 240, (rnd, i) => mutateBytes(seeds[i % seeds.length]!, rnd), async (x) => {
    const bytes = x as Uint8Array;
    const probed = await probeImage(bytes, 'fuzz.tif');
    for (const p of probed.pages) await decodeImage(bytes, 'fuzz.tif', p.page);
  });
});

test('model manifests and ONNX model files', async () => {
  const manifest = JSON.parse(JSON.stringify(bundledManifest())) as unknown;
  await fuzz('model manifest', 300, (rnd) => mutateJson(manifest, rnd), (x) => parseManifest(x));
  const dir = mkdtempSync(join(tmpdir(), 'gl-fuzz-onnx-'));
  const models = await buildTinySamModels(dir);
  const decoder = new Uint8Array(readFileSync(models.decoder));
  await fuzz('onnx file', 40, (rnd) => mutateBytes(decoder, rnd), async (x) => {
    const { session } = await createSession(x as Uint8Array, 'decoder', { providers: ['cpu'] });
    await session.release();
  });
});

test('project databases damaged or from other versions', async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-fuzz-db-'));
  const proj = join(base, 'good');
  ProjectStore.create(proj).close();
  const good = new Uint8Array(readFileSync(join(proj, 'project.sqlite')));
  await fuzz('project database', 60, (rnd, i) => {
    const dir = join(base, `case${i}`);
    mkdirSync(join(dir, 'images'), { recursive: true });
    const b = rnd() < 0.3 ? new Uint8Array(good) : mutateBytes(good, rnd);
    if (rnd() < 0.3 && b.length > 64) new DataView(b.buffer, b.byteOffset).setUint32(60, Math.floor(rnd() * 1000)); // user_version
    writeFileSync(join(dir, 'project.sqlite'), b);
    return dir;
  }, (dir) => {
    const store = ProjectStore.open(dir as string);
    try {
      store.listImages();
    } finally {
      store.close();
    }
  });
  copyFileSync(join(proj, 'project.sqlite'), join(base, 'check.sqlite'));
});

test('memory stayed bounded over all fuzz cases', () => {
  const grown = (process.memoryUsage().rss - rssStart) / 2 ** 20;
  assert.ok(grown < 1500, `RSS grew by ${grown.toFixed(0)} MiB`);
});
