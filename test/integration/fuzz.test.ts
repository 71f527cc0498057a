// Fuzzing everything that reads untrusted bytes. For every decoder the unmutated input must decode,
// and every mutated input must end in one of the errors that decoder is meant to throw (a
// ServiceError, or the decoder's own Error with a message) or in a correct result (checked against
// the decoder's invariants) — never a crash, a hang, a TypeError from an unguarded path, or an
// unbounded allocation. Inputs: RLE and COCO, edit patches, WebSocket messages and raw frames,
// image files (PNG, 16-bit and multi-page TIFF, pathological stacks), non-regular files, project
// databases, tampered checkpoints, model manifests and ONNX files. Tallies are printed; the time
// per case is printed as a figure, not asserted (a hang ends the test by its timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { DecodeError } from '@msgpack/msgpack';
import { rleCountsFromString, fromCocoRle, validateCoco, parseCoco, encodeMask, rleCountsToString, buildCocoDataset } from '../../app/export';
import { decodePatch, encodePatch, applyEdit } from '../../app/edit';
import { decodeMessage, encodeMessage } from '../../app/wire';
import { ServiceError } from '../../app/errors';
import { MAX_PAGES, MAX_PIXELS, MAX_SIDE } from '../../app/limits';
import { probeImage, decodeImage, decodePages } from '../../main/images/io';
import { readRegularFile } from '../../main/fs/read';
import { parseManifest, bundledManifest } from '../../main/sam/models';
import { createSession } from '../../main/sam/providers';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { ProjectStore } from '../../main/store/project-store';
import { GrainLabService } from '../../main/service';
import { startWebServer } from '../../main/server/web-server';
import { pngGrey8, tiffGrey16, tiffMultiPage, pngClaimingSize } from '../fixtures/images';
import { writeTiff } from '../fixtures/tiff-writer';
import { seededRandom as prng } from '../../app/random';

const HANG_GUARD = { timeout: 15 * 60_000 };

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

/** An error the decoder is meant to throw: a ServiceError, or a plain Error with a message. TypeError and the like mean an unguarded path. */
const plainOrService = (e: unknown) => e instanceof ServiceError || (e instanceof Error && e.constructor === Error);
const serviceOnly = (e: unknown) => e instanceof ServiceError;

/**
 * Runs `n` cases. Each must either return a result that `check` accepts (it throws when an
 * invariant does not hold) or throw an error that `typed` accepts, with a non-empty message.
 */
async function fuzz<I, R>(
  name: string,
  n: number,
  make: (rnd: () => number, i: number) => I,
  run: (input: I) => R | Promise<R>,
  check: (result: R, input: I) => void,
  typed: (e: unknown) => boolean,
): Promise<Tally> {
  const rnd = prng(0x9e3779b9 ^ name.length * 7919);
  const t: Tally = { cases: 0, rejected: 0, accepted: 0, slowest: 0 };
  for (let i = 0; i < n; i++) {
    const input = make(rnd, i);
    const t0 = performance.now();
    let result: R;
    try {
      result = await run(input);
    } catch (e) {
      assert.ok(typed(e), `${name} case ${i}: an unexpected ${(e as Error)?.constructor?.name ?? typeof e}: ${String((e as Error)?.message ?? e)}`);
      assert.ok((e as Error).message.length > 0, `${name} case ${i}: empty error message`);
      t.rejected++;
      t.cases++;
      t.slowest = Math.max(t.slowest, performance.now() - t0);
      continue;
    }
    check(result, input);
    t.accepted++;
    t.cases++;
    t.slowest = Math.max(t.slowest, performance.now() - t0);
  }
  assert.equal(t.cases, n);
  console.log(`fuzz ${name.padEnd(24)} ${t.cases} cases: ${t.rejected} typed errors, ${t.accepted} correct decodes; slowest ${t.slowest.toFixed(1)} ms`);
  return t;
}

const limits = { maxPixels: 4096 * 4096 };
const cocoLimits = { maxPixelsPerImage: 4096 * 4096, maxTotalPixels: 4096 * 4096 };
const rssStart = process.memoryUsage().rss;

test('RLE strings and COCO RLE objects', HANG_GUARD, async () => {
  const mask = { width: 40, height: 30, data: Uint8Array.from({ length: 1200 }, (_, i) => ((i * 7) % 13 < 5 ? 1 : 0)) };
  const rle = encodeMask(mask);
  const s = rleCountsToString(rle.counts);
  assert.deepEqual(rleCountsFromString(s, 30, 40).counts, rle.counts, 'the unmutated string decodes to the same counts');
  const covers = (counts: ArrayLike<number>, h: number, w: number) => {
    let sum = 0;
    for (let i = 0; i < counts.length; i++) sum += counts[i]!;
    assert.equal(sum, h * w, 'accepted counts cover the mask exactly');
  };
  await fuzz(
    'rle string',
    400,
    (rnd) => ({ s: rnd() < 0.1 ? s : new TextDecoder().decode(mutateBytes(new TextEncoder().encode(s), rnd)), h: rnd() < 0.1 ? 100000 : 30, w: rnd() < 0.1 ? 100000 : 40 }),
    ({ s: str, h, w }) => rleCountsFromString(str, h, w, limits),
    (r, { h, w }) => covers(r.counts, h, w),
    plainOrService,
  );
  assert.deepEqual(fromCocoRle({ size: [30, 40], counts: s }, limits).counts, rle.counts, 'the unmutated COCO object decodes');
  await fuzz(
    'coco rle object',
    300,
    (rnd) => mutateJson({ size: [30, 40], counts: rnd() < 0.5 ? s : rle.counts }, rnd) as { size: [number, number] },
    (x) => fromCocoRle(x as never, limits),
    (r) => covers(r.counts, r.height, r.width),
    plainOrService,
  );
});

test('COCO JSON datasets', HANG_GUARD, async () => {
  const labels = { width: 32, height: 24, data: Uint32Array.from({ length: 768 }, (_, i) => 1 + Math.floor((i % 32) / 8) + 4 * Math.floor(i / 32 / 12)) };
  const segments = [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ id, classId: 1 + (id % 2), source: 'auto' as const, verified: id < 3, clusterId: null, area: 96, bbox: { x: 0, y: 0, width: 8, height: 12 } }));
  const { dataset } = buildCocoDataset([{ id: 1, fileName: 'a.png', labels, segments }], [{ id: 1, name: 'ferrite', color: '#ff0000' }, { id: 2, name: 'pearlite', color: '#00ff00' }]);
  const coco = JSON.parse(JSON.stringify(dataset)) as unknown;
  const good = parseCoco(coco, cocoLimits);
  assert.equal(good.images.length, 1, 'the unmutated dataset parses');
  assert.equal(good.images[0]!.labels.data.length, 768);
  await fuzz(
    'coco json',
    300,
    (rnd) => mutateJson(coco, rnd),
    (x) => {
      validateCoco(x, cocoLimits);
      return parseCoco(x, cocoLimits);
    },
    (r) => {
      for (const im of r.images) assert.equal(im.labels.data.length, im.labels.width * im.labels.height, 'each label map has its image size');
    },
    plainOrService,
  );
});

test('edit-log patches and WebSocket messages', HANG_GUARD, async () => {
  const map = { width: 24, height: 16, data: Uint32Array.from({ length: 384 }, (_, i) => 1 + (i % 24 > 11 ? 1 : 0)) };
  const { patch } = applyEdit(map, { kind: 'merge', ids: [1, 2] }, { nextId: 3 });
  const bytes = encodePatch(patch);
  assert.deepEqual(decodePatch(bytes), patch, 'the unmutated patch decodes');
  await fuzz('edit patch', 400, (rnd) => mutateBytes(bytes, rnd), (x) => decodePatch(x), (p) => assert.deepEqual(decodePatch(encodePatch(p)), p, 'an accepted patch round-trips'), plainOrService);
  const message = { t: 'call', id: 1, method: 'images.list', args: { labels: new Uint32Array(50), name: 'x' } } as const;
  const frame = encodeMessage(message as never);
  assert.deepEqual(decodeMessage(frame), message, 'the unmutated message decodes');
  // msgpack's own errors: DecodeError for bad data, RangeError for truncated input and extra bytes.
  await fuzz('websocket message', 400, (rnd) => mutateBytes(frame, rnd), (x) => decodeMessage(x), (m) => assert.deepEqual(decodeMessage(encodeMessage(m as never)), m, 'an accepted message round-trips'), (e) => e instanceof DecodeError || e instanceof RangeError || plainOrService(e));
});

/** A masked client frame with the given header bits. */
function rawFrame(first: number, payload: Uint8Array, lengthField?: bigint): Buffer {
  const len = lengthField ?? BigInt(payload.length);
  const key = Buffer.from([9, 8, 7, 6]);
  const head = len < 126n ? Buffer.from([first, 0x80 | Number(len)]) : len < 65536n ? Buffer.from([first, 0x80 | 126, Number(len >> 8n), Number(len & 255n)]) : Buffer.concat([Buffer.from([first, 0x80 | 127]), Buffer.from(new BigUint64Array([len]).buffer).reverse()]);
  return Buffer.concat([head, key, Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))]);
}

test('WebSocket frames: random header bits, lengths and payloads never end the server; each connection ends in a reply or a close', HANG_GUARD, async () => {
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-fuzz-ws-')), binding: 'web', browseRoots: [tmpdir()] });
  const staticDir = mkdtempSync(join(tmpdir(), 'gl-fuzz-static-'));
  writeFileSync(join(staticDir, 'index.html'), 'x');
  const server = await startWebServer({ service: svc, staticDir, port: 0 });
  const call = encodeMessage({ t: 'call', id: 3, method: 'project.current', args: {} });
  const send = (bytes: Buffer) =>
    new Promise<'reply' | 'closed'>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: server.port });
      let buf = Buffer.alloc(0);
      let open = false;
      let got: 'reply' | 'closed' = 'closed';
      s.on('error', () => {});
      s.once('connect', () => s.write(`GET /ws?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (!open && buf.includes('\r\n\r\n')) {
          open = true;
          buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
          s.write(bytes);
        }
        // A binary frame from the server (0x82) holds a reply; close frames are 0x88.
        if (open && buf.length > 0 && buf[0] === 0x82) {
          got = 'reply';
          s.destroy();
        }
      });
      s.on('close', () => resolve(got));
      // A frame still waiting for more bytes: the client gives up, as a real one would.
      setTimeout(() => s.destroy(), 300).unref();
    });
  try {
    assert.equal(await send(rawFrame(0x82, call)), 'reply', 'the unmutated frame gets its reply');
    await fuzz(
      'websocket frame',
      80,
      (rnd) => {
        const kind = Math.floor(rnd() * 4);
        if (kind === 0) return rawFrame(Math.floor(rnd() * 256), call); // any FIN/RSV/opcode
        if (kind === 1) return rawFrame(0x82, call, [0n, 125n, 126n, 65535n, 2n ** 31n, 2n ** 40n, 2n ** 63n][Math.floor(rnd() * 7)]!);
        if (kind === 2) return rawFrame(0x82, mutateBytes(call, rnd));
        return Buffer.from(mutateBytes(rawFrame(0x82, call), rnd));
      },
      (bytes) => send(bytes),
      (outcome) => assert.ok(outcome === 'reply' || outcome === 'closed'),
      () => false,
    );
    // The server is still there and still serves a normal client.
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    await new Promise((r) => ws.once('open', r));
    const reply = await new Promise<unknown>((resolve) => {
      ws.once('message', (d: Buffer) => resolve(decodeMessage(new Uint8Array(d))));
      ws.send(call);
    });
    assert.deepEqual(reply, { t: 'reply', id: 3, reply: { ok: true, value: null } });
    ws.close();
  } finally {
    await server.close();
    await svc.dispose();
  }
});

/** Offsets of a TIFF's IFDs (little-endian files from the test writer), following the chain. */
function ifdOffsets(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let o = dv.getUint32(4, true); o !== 0 && out.length < 10_000; ) {
    out.push(o);
    o = dv.getUint32(o + 2 + dv.getUint16(o, true) * 12, true);
  }
  return out;
}

/** Checks a decoded raster against the policy and its own header. */
function checkRaster(r: { width: number; height: number; channels: number; data: ArrayLike<number> }): void {
  assert.ok(r.width >= 1 && r.height >= 1 && r.width <= MAX_SIDE && r.height <= MAX_SIDE && r.width * r.height <= MAX_PIXELS, `${r.width} x ${r.height} within the limit`);
  assert.equal(r.data.length, r.width * r.height * r.channels, 'the pixel data matches the size');
}

test('image files: PNG, 16-bit TIFF, multi-page stacks and pathological TIFFs', HANG_GUARD, async () => {
  const stack = (n: number) => writeTiff(Array.from({ length: n }, (_, i) => ({ width: 16, height: 12, channels: 1 as const, bitDepth: 8 as const, data: new Uint8Array(192).fill(i) })));
  const mixed = writeTiff([
    { width: 16, height: 12, channels: 1, bitDepth: 8, data: new Uint8Array(192).fill(1) },
    { width: 8, height: 8, channels: 1, bitDepth: 16, data: new Uint16Array(64).fill(1000) },
    { width: 10, height: 6, channels: 3, bitDepth: 8, data: new Uint8Array(180).fill(9) },
  ]);
  const seeds = [await pngGrey8(48, 32), tiffGrey16(40, 30), tiffMultiPage(), stack(40), mixed];
  for (const [i, s] of seeds.entries()) {
    const probed = await probeImage(s, `seed${i}`);
    let pages = 0;
    await decodePages(s, `seed${i}`, probed, (_p, r) => {
      checkRaster(r);
      pages++;
    });
    assert.equal(pages, probed.pages.length, `seed ${i}: every page of the unmutated file decodes`);
  }
  // A header claiming 100000 x 100000 px is refused from the header alone, before any allocation.
  const rss0 = process.memoryUsage().rss;
  await assert.rejects(probeImage(pngClaimingSize(seeds[0]!, 100000, 100000), 'claims.png'), (e: Error & { code?: string }) => e.code === 'too-large');
  await assert.rejects(decodeImage(pngClaimingSize(seeds[0]!, 100000, 100000), 'claims.png'), (e: Error & { code?: string }) => e.code === 'too-large');
  assert.ok(process.memoryUsage().rss - rss0 < 200 * 2 ** 20, 'no 40 GB allocation attempted');

  // Pathological stacks, made on purpose: an IFD chain that loops, a page claiming a huge size,
  // more pages than the limit.
  const loop = stack(6);
  const offs = ifdOffsets(loop);
  new DataView(loop.buffer).setUint32(offs[5]! + 2 + 12 * 12, offs[1]!, true);
  const huge = stack(3);
  new DataView(huge.buffer).setUint32(ifdOffsets(huge)[1]! + 2 + 8, 1_000_000, true); // page 2 width
  const pathological = [loop, huge, stack(MAX_PAGES + 1)];
  const decodeAll = async (x: Uint8Array) => {
    const probed = await probeImage(x, 'fuzz.tif');
    const pages: { width: number; height: number; channels: number; data: ArrayLike<number> }[] = [];
    await decodePages(x, 'fuzz.tif', probed, (_p, r) => void pages.push(r));
    assert.equal(pages.length, probed.pages.length);
    return pages;
  };
  await fuzz('pathological tiff', pathological.length, (_r, i) => pathological[i]!, decodeAll, (pages) => pages.forEach(checkRaster), serviceOnly);
  await fuzz('image bytes', 300, (rnd, i) => mutateBytes(seeds[i % seeds.length]!, rnd), decodeAll, (pages) => pages.forEach(checkRaster), serviceOnly);
});

test('non-regular files (devices, FIFOs, folders) are refused before a byte is read', HANG_GUARD, async (t) => {
  if (process.platform === 'win32') {
    t.skip('no devices or FIFOs');
    return;
  }
  const base = mkdtempSync(join(tmpdir(), 'gl-fuzz-files-'));
  const fifo = join(base, 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  mkdirSync(join(base, 'folder.png'));
  const paths = ['/dev/zero', '/dev/null', '/dev/urandom', fifo, join(base, 'folder.png'), join(base, 'missing.png')].filter((p) => p === join(base, 'missing.png') || existsSync(p));
  await fuzz(
    'non-regular file',
    paths.length,
    (_r, i) => paths[i]!,
    (p) => readRegularFile(p, { what: 'image file', maxBytes: 1 << 20 }),
    () => assert.fail('a non-regular or missing file was read'),
    (e) => e instanceof ServiceError && (e.code === 'invalid-argument' || e.code === 'not-found'),
  );
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-fuzz-user-')), binding: 'web', browseRoots: [tmpdir()] });
  await svc.call('project.create', { path: join(base, 'p') });
  const r = await svc.call('images.importPaths', { paths });
  assert.equal(r.imported.length, 0);
  assert.equal(r.failed.length, paths.length);
  await svc.dispose();
});

test('model manifests and ONNX model files', HANG_GUARD, async () => {
  const manifest = JSON.parse(JSON.stringify(bundledManifest())) as unknown;
  assert.ok(parseManifest(manifest).models.length > 0, 'the unmutated manifest parses');
  await fuzz('model manifest', 300, (rnd) => mutateJson(manifest, rnd), (x) => parseManifest(x), (m) => assert.ok(Array.isArray(m.models)), serviceOnly);
  const dir = mkdtempSync(join(tmpdir(), 'gl-fuzz-onnx-'));
  const models = await buildTinySamModels(dir);
  const decoder = new Uint8Array(readFileSync(models.decoder));
  const { session } = await createSession(decoder, 'decoder', { providers: ['cpu'] });
  await session.release();
  await fuzz(
    'onnx file',
    40,
    (rnd) => mutateBytes(decoder, rnd),
    async (x) => {
      const { session: s } = await createSession(x, 'decoder', { providers: ['cpu'] });
      await s.release();
      return true;
    },
    () => {},
    plainOrService,
  );
});

test('project databases damaged or from other versions', HANG_GUARD, async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-fuzz-db-'));
  const proj = join(base, 'good');
  ProjectStore.create(proj).close();
  const good = new Uint8Array(readFileSync(join(proj, 'project.sqlite')));
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-fuzz-user-')), binding: 'web', browseRoots: [tmpdir()] });
  await svc.call('project.open', { path: proj });
  assert.deepEqual(await svc.call('images.list', {}), [], 'the undamaged database opens');
  await svc.call('project.close', {});
  await fuzz(
    'project database',
    60,
    (rnd, i) => {
      const dir = join(base, `case${i}`);
      mkdirSync(join(dir, 'images'), { recursive: true });
      const b = rnd() < 0.3 ? new Uint8Array(good) : mutateBytes(good, rnd);
      if (rnd() < 0.3 && b.length > 64) new DataView(b.buffer, b.byteOffset).setUint32(60, Math.floor(rnd() * 1000)); // user_version
      writeFileSync(join(dir, 'project.sqlite'), b);
      return dir;
    },
    async (dir) => {
      await svc.call('project.open', { path: dir });
      try {
        return await svc.call('images.list', {});
      } finally {
        await svc.call('project.close', {});
      }
    },
    (images) => assert.ok(Array.isArray(images)),
    serviceOnly,
  );
  await svc.dispose();
});

test('tampered label-map checkpoints: wrong sizes, damaged blobs, runs that do not cover the image', HANG_GUARD, async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-fuzz-cp-'));
  const dir = join(base, 'p');
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-fuzz-user-')), binding: 'web', browseRoots: [tmpdir()] });
  await svc.call('project.create', { path: dir });
  const { imported } = await svc.call('images.importFiles', { files: [{ name: 'a.png', bytes: await pngGrey8(48, 32) }] });
  const imageId = imported[0]!.id;
  const store = (svc as unknown as { store: ProjectStore }).store;
  const { compressLabels } = await import('../../main/store/labels-codec');
  const labels = Uint32Array.from({ length: 48 * 32 }, (_, i) => 1 + ((i % 48) >> 4));
  store.saveSegmentation(imageId, { width: 48, height: 32, data: labels }, [1, 2, 3].map((id) => ({ id, area: 512, bbox: { x: (id - 1) * 16, y: 0, width: 16, height: 32 }, source: 'auto' as const })), 'classic', await compressLabels(labels));
  const seg = await svc.call('segmentation.get', { imageId });
  assert.deepEqual(seg!.labels, labels, 'the untampered checkpoint decodes');
  const blob = new Uint8Array((store.db.prepare('SELECT checkpoint FROM segmentations WHERE image_id = ?').get(imageId) as { checkpoint: Buffer }).checkpoint);
  await svc.call('project.close', {});
  const sizes: [number, number][] = [[48, 32], [48, 32], [49, 32], [48, 33], [20000, 20000], [0, 0], [-1, 5], [2 ** 31, 2]];
  await fuzz(
    'checkpoint',
    60,
    (rnd) => {
      const [w, h] = rnd() < 0.6 ? [48, 32] : sizes[Math.floor(rnd() * sizes.length)]!;
      return { w, h, blob: rnd() < 0.1 ? blob : mutateBytes(blob, rnd) };
    },
    async ({ w, h, blob: b }) => {
      const db = new Database(join(dir, 'project.sqlite'));
      db.prepare('UPDATE segmentations SET width = ?, height = ?, checkpoint = ? WHERE image_id = ?').run(w, h, Buffer.from(b), imageId);
      db.close();
      await svc.call('project.open', { path: dir });
      try {
        return await svc.call('segmentation.get', { imageId });
      } finally {
        await svc.call('project.close', {});
      }
    },
    (r) => assert.equal(r!.labels.length, 48 * 32, 'an accepted checkpoint has the image size'),
    serviceOnly,
  );
  await svc.dispose();
});

test('memory stayed bounded over all fuzz cases', () => {
  const grown = (process.memoryUsage().rss - rssStart) / 2 ** 20;
  assert.ok(grown < 1500, `RSS grew by ${grown.toFixed(0)} MiB`);
});
