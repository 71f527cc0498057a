// Tests for the model registry: manifest, list, fetch (from a local HTTP server), import, verify.
// Never touches the network: manifests here point at 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../../app/errors';
import { probeModel, tinyDecoder, tinyEncoderNchw } from '../../scripts/build-tiny-sam';
import { fetchModel, importModel, type FetchProgress } from './install';
import { bundledManifest, defaultUserModelsDir, listModels, parseManifest, resolveModelPaths, verifyInstalled, verifyModel, type ModelManifest } from './models';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const encBytes = tinyEncoderNchw();
const decBytes = tinyDecoder();
const otherBytes = probeModel();

let server: Server;
let base = '';
const hits = new Map<string, number>();
const root = mkdtempSync(join(tmpdir(), 'grainlab-models-'));

before(async () => {
  const files: Record<string, Uint8Array> = { '/enc.onnx': encBytes, '/dec.onnx': decBytes, '/other.onnx': otherBytes };
  server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const body = files[url];
    if (url === '/stall.onnx') {
      // Sends part of the body, then nothing: only an abort ends the download.
      res.writeHead(200, { 'content-length': 1_000_000 });
      res.write(Buffer.from(encBytes.subarray(0, 100)));
      return;
    }
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(Buffer.from(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

function manifest(): ModelManifest {
  return parseManifest({
    version: 1,
    models: [
      {
        id: 'tiny',
        name: 'Tiny',
        convention: { encoder: 'nchw-normalized', decoder: 'meta' },
        files: [
          { role: 'encoder', file: 'tiny.encoder.onnx', url: `${base}/enc.onnx`, sha256: sha(encBytes) },
          { role: 'decoder', file: 'tiny.decoder.onnx', url: `${base}/dec.onnx`, sha256: sha(decBytes), size: decBytes.length },
        ],
      },
      {
        id: 'loose',
        name: 'Only an approximate size is published',
        convention: { encoder: 'hwc-0-255', decoder: 'meta' },
        files: [
          { role: 'encoder', file: 'loose.encoder.onnx', url: `${base}/enc.onnx`, approxSize: encBytes.length * 1.03 },
          { role: 'decoder', file: 'tiny.decoder.onnx', url: `${base}/dec.onnx`, sha256: sha(decBytes) },
        ],
      },
      {
        id: 'bad-hash',
        name: 'Server sends other bytes',
        convention: { encoder: 'nchw-normalized', decoder: 'meta' },
        files: [
          { role: 'encoder', file: 'bad.encoder.onnx', url: `${base}/other.onnx`, sha256: sha(encBytes) },
          { role: 'decoder', file: 'bad.decoder.onnx', url: `${base}/missing.onnx`, sha256: sha(decBytes) },
        ],
      },
    ],
  });
}

function dir(name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

test('the bundled manifest lists the SAM, SAM 2.1, EfficientSAM and EdgeSAM models, with MobileSAM sharing the ViT-H decoder', () => {
  const m = bundledManifest();
  assert.deepEqual(
    m.models.map((x) => [x.id, x.family]),
    [
      ['sam-vit-b-quant', 'sam'],
      ['sam-vit-h-quant', 'sam'],
      ['mobile-sam', 'sam'],
      ['sam-vit-b', 'sam'],
      ['sam2.1-hiera-tiny', 'sam2'],
      ['sam2.1-hiera-small', 'sam2'],
      ['sam2.1-hiera-base-plus', 'sam2'],
      ['sam2.1-hiera-large', 'sam2'],
      ['efficientsam-vitt', 'efficientsam'],
      ['edge-sam', 'edgesam'],
      ['edge-sam-3x', 'edgesam'],
    ],
  );
  for (const x of m.models) assert.ok(x.files.every((f) => f.url?.startsWith('https://')), x.id);
  // Only what the sources publish: sizes for X-AnyLabeling's SAM 2.1, git blob ids for EfficientSAM, nothing for EdgeSAM.
  for (const x of m.models.filter((x) => x.family === 'sam2')) assert.ok(x.files.every((f) => f.approxSize !== undefined && f.sha256 === undefined), x.id);
  for (const f of m.models.find((x) => x.id === 'efficientsam-vitt')!.files) assert.match(f.gitBlobSha1 ?? '', /^[0-9a-f]{40}$/);
  for (const x of m.models.filter((x) => x.family === 'edgesam')) assert.ok(x.files.every((f) => f.checksum === 'unpublished' && f.sha256 === undefined && f.size === undefined));
  const dec = (id: string) => m.models.find((x) => x.id === id)!.files.find((f) => f.role === 'decoder')!;
  assert.equal(dec('mobile-sam').file, dec('sam-vit-h-quant').file);
  assert.equal(dec('mobile-sam').sha256, '020b385a45ffe51097e1acd10cd791075a86171153505f789a793bc382eef210');
  for (const x of m.models.filter((x) => x.id.endsWith('-quant'))) assert.ok(x.files.every((f) => f.sha256?.length === 64));
});

test('invalid manifests are refused with the problem', () => {
  const good = { role: 'encoder', file: 'e.onnx', url: 'https://x/e.onnx', size: 10 };
  const model = (files: unknown[], id = 'm') => ({ id, name: 'M', convention: { encoder: 'hwc-0-255', decoder: 'meta' }, files });
  const dec = { ...good, role: 'decoder', file: 'd.onnx' };
  assert.doesNotThrow(() => parseManifest({ version: 1, models: [model([good, dec])] }));
  assert.throws(() => parseManifest({ version: 1, models: [model([good, dec]), model([good, dec])] }), /unique/);
  assert.throws(() => parseManifest({ version: 1, models: [model([{ ...good, file: '../evil.onnx' }, dec])] }), /plain file name/);
  assert.throws(() => parseManifest({ version: 1, models: [model([{ role: 'encoder', file: 'e.onnx', url: 'https://x' }, dec])] }), /sha256, gitBlobSha1, size or approxSize, or "checksum": "unpublished"/);
  assert.throws(() => parseManifest({ version: 1, models: [model([good])] }), (e: unknown) => e instanceof ServiceError && /one encoder and one decoder/.test(e.message));
});

test('fetch downloads through a temp file, checks, reports progress, and skips valid files next time', async () => {
  const dest = dir('fetch-ok');
  const progress: FetchProgress[] = [];
  const files = await fetchModel(manifest(), 'tiny', { destDir: dest, onProgress: (p) => progress.push(p) });
  assert.deepEqual(files.map((f) => [f.role, f.copied]), [['encoder', true], ['decoder', true]]);
  assert.deepEqual(new Uint8Array(readFileSync(join(dest, 'tiny.encoder.onnx'))), encBytes);
  assert.deepEqual(readdirSync(dest).sort(), ['tiny.decoder.onnx', 'tiny.encoder.onnx'], 'no temp files left');
  const last = progress.filter((p) => p.file === 'tiny.encoder.onnx').at(-1)!;
  assert.equal(last.received, encBytes.length);
  assert.equal(last.total, encBytes.length);
  const before = hits.get('/enc.onnx');
  const again = await fetchModel(manifest(), 'tiny', { destDir: dest });
  assert.ok(again.every((f) => !f.copied));
  assert.equal(hits.get('/enc.onnx'), before, 'not downloaded again');
  // A model sharing the decoder reuses it; a file with only an approximate size gets a recorded checksum.
  const loose = await fetchModel(manifest(), 'loose', { destDir: dest });
  assert.deepEqual(loose.map((f) => f.copied), [true, false]);
  assert.equal(readFileSync(join(dest, 'loose.encoder.onnx.sha256'), 'utf8').trim(), sha(encBytes));
  assert.deepEqual(resolveModelPaths(manifest(), 'loose', [dest]), {
    id: 'loose',
    family: 'sam',
    encoder: join(dest, 'loose.encoder.onnx'),
    decoder: join(dest, 'tiny.decoder.onnx'),
    encoderSha256: sha(encBytes),
  });
});

test('fetch refuses a download whose checksum differs, naming the file, and installs nothing', async () => {
  const dest = dir('fetch-bad');
  await assert.rejects(fetchModel(manifest(), 'bad-hash', { destDir: dest }), (e: unknown) => {
    assert.ok(e instanceof ServiceError);
    assert.equal(e.code, 'model');
    assert.match(e.message, /bad\.encoder\.onnx/);
    assert.match(e.message, /sha256 is [0-9a-f]{64}, expected/);
    return true;
  });
  assert.deepEqual(readdirSync(dest), []);
});

test('a file published only by its git blob id is checked against it', async () => {
  const blob = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
  const m = (id: string) =>
    parseManifest({
      version: 1,
      models: [
        {
          id,
          name: id,
          files: [
            { role: 'encoder', file: `${id}.encoder.onnx`, url: `${base}/enc.onnx`, gitBlobSha1: blob(id === 'git-ok' ? encBytes : otherBytes) },
            { role: 'decoder', file: `${id}.decoder.onnx`, url: `${base}/dec.onnx`, gitBlobSha1: blob(decBytes) },
          ],
        },
      ],
    });
  const dest = dir('fetch-git');
  await fetchModel(m('git-ok'), 'git-ok', { destDir: dest });
  const v = await verifyModel(m('git-ok'), 'git-ok', [dest]);
  assert.deepEqual(v.files.map((f) => [f.ok, f.method]), [[true, 'git-blob-sha1'], [true, 'git-blob-sha1']]);
  await assert.rejects(fetchModel(m('git-bad'), 'git-bad', { destDir: dest }), /git blob id is [0-9a-f]{40}, expected [0-9a-f]{40}/);
  assert.ok(!existsSync(join(dest, 'git-bad.encoder.onnx')));
});

test('files without a published checksum install only when the pair loads as the manifest family', async () => {
  const m = parseManifest({
    version: 1,
    models: [
      {
        id: 'edge',
        name: 'Unpublished',
        family: 'edgesam',
        files: [
          { role: 'encoder', file: 'edge.encoder.onnx', url: `${base}/enc.onnx`, checksum: 'unpublished' },
          { role: 'decoder', file: 'edge.decoder.onnx', url: `${base}/dec.onnx`, checksum: 'unpublished' },
        ],
      },
    ],
  });
  const calls: string[][] = [];
  const dest = dir('fetch-unpublished');
  // The pair turns out to be a SAM (Meta) model: refused, nothing installed.
  await assert.rejects(
    fetchModel(m, 'edge', { destDir: dest, inspect: async (e, d) => (calls.push([e, d]), 'sam') }),
    /load as a SAM \(Meta decoder\) model, but the manifest says EdgeSAM/,
  );
  assert.deepEqual(readdirSync(dest), []);
  assert.match(calls[0]![0]!, /\.edge\.encoder\.onnx\..*\.part$/, 'the staged copies are inspected before they are renamed');
  // Inspector errors (the signature message) name the download, not the temp copy.
  await assert.rejects(
    fetchModel(m, 'edge', { destDir: dest, inspect: async (e) => Promise.reject(new ServiceError('model', `The encoder model "${e.split('/').pop()}" is not …`, e)) }),
    (e: unknown) => e instanceof ServiceError && e.file === `${base}/enc.onnx` && /"enc\.onnx" is not …/.test(e.message) && /Nothing was installed/.test(e.message),
  );
  const files = await fetchModel(m, 'edge', { destDir: dest, inspect: async () => 'edgesam' });
  assert.deepEqual(files.map((f) => f.copied), [true, true]);
  // Later checks use the sha256 recorded at install.
  const v = await verifyModel(m, 'edge', [dest]);
  assert.deepEqual(v.files.map((f) => [f.ok, f.method]), [[true, 'recorded-sha256'], [true, 'recorded-sha256']]);
});

test('fetch reports HTTP errors', async () => {
  const dest = dir('fetch-404');
  // Encoder present (so it is skipped), decoder URL answers 404.
  writeFileSync(join(dest, 'bad.encoder.onnx'), encBytes);
  await assert.rejects(fetchModel(manifest(), 'bad-hash', { destDir: dest }), /HTTP 404/);
});

test('an aborted download is reported as cancelled and leaves no temp file', async () => {
  const dest = dir('fetch-abort');
  const m = parseManifest({
    version: 1,
    models: [
      {
        id: 'slow',
        name: 'Slow',
        convention: { encoder: 'nchw-normalized', decoder: 'meta' },
        files: [
          { role: 'encoder', file: 'slow.encoder.onnx', url: `${base}/stall.onnx`, size: 1_000_000 },
          { role: 'decoder', file: 'slow.decoder.onnx', url: `${base}/dec.onnx`, size: decBytes.length },
        ],
      },
    ],
  });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(fetchModel(m, 'slow', { destDir: dest, signal: ac.signal }), (e: unknown) => e instanceof ServiceError && e.code === 'cancelled');
  assert.deepEqual(readdirSync(dest), []);
});

test('import copies files from a stick by name or by checksum, and names a mismatching file', async () => {
  const usb = dir('usb');
  writeFileSync(join(usb, 'tiny.encoder.onnx'), encBytes);
  writeFileSync(join(usb, 'renamed-decoder.onnx'), decBytes);
  const dest = dir('import-ok');
  const files = await importModel(manifest(), 'tiny', [join(usb, 'tiny.encoder.onnx'), join(usb, 'renamed-decoder.onnx')], { destDir: dest });
  assert.deepEqual(files.map((f) => f.file), ['tiny.encoder.onnx', 'tiny.decoder.onnx']);
  assert.deepEqual(new Uint8Array(readFileSync(join(dest, 'tiny.decoder.onnx'))), decBytes);

  const bad = dir('usb-bad');
  writeFileSync(join(bad, 'tiny.encoder.onnx'), encBytes.subarray(0, encBytes.length - 100)); // truncated copy
  copyFileSync(join(usb, 'renamed-decoder.onnx'), join(bad, 'tiny.decoder.onnx'));
  const dest2 = dir('import-bad');
  await assert.rejects(
    importModel(manifest(), 'tiny', [join(bad, 'tiny.encoder.onnx'), join(bad, 'tiny.decoder.onnx')], { destDir: dest2 }),
    (e: unknown) => e instanceof ServiceError && e.file === join(bad, 'tiny.encoder.onnx') && e.message.includes(join(bad, 'tiny.encoder.onnx')),
  );
  assert.deepEqual(readdirSync(dest2), [], 'a bad stick installs nothing');
  await assert.rejects(importModel(manifest(), 'tiny', [join(usb, 'tiny.encoder.onnx')], { destDir: dir('import-missing') }), /No file given for the decoder/);
  writeFileSync(join(usb, 'stray.onnx'), otherBytes);
  await assert.rejects(
    importModel(manifest(), 'tiny', [join(usb, 'tiny.encoder.onnx'), join(usb, 'renamed-decoder.onnx'), join(usb, 'stray.onnx')], { destDir: dir('import-stray') }),
    /stray\.onnx" is not part of the SAM model "tiny"/,
  );
});

test('list finds files in any folder; verify detects damage; resolve explains how to install', async () => {
  const project = dir('list-project');
  const user = dir('list-user');
  writeFileSync(join(project, 'tiny.decoder.onnx'), decBytes);
  writeFileSync(join(user, 'tiny.encoder.onnx'), encBytes);
  const tiny = listModels(manifest(), [project, user]).find((m) => m.id === 'tiny')!;
  assert.equal(tiny.installed, true);
  assert.deepEqual(tiny.files.map((f) => f.path), [join(user, 'tiny.encoder.onnx'), join(project, 'tiny.decoder.onnx')]);
  assert.equal(listModels(manifest(), [project]).find((m) => m.id === 'tiny')!.installed, false);

  assert.equal((await verifyModel(manifest(), 'tiny', [project, user])).ok, true);
  const damaged = new Uint8Array(encBytes);
  damaged[damaged.length - 1]! ^= 0xff;
  writeFileSync(join(user, 'tiny.encoder.onnx'), damaged);
  const v = await verifyModel(manifest(), 'tiny', [project, user]);
  assert.equal(v.ok, false);
  assert.equal(v.files[0]!.method, 'sha256');
  assert.match(v.files[0]!.problem, /sha256/);
  assert.equal(v.files[1]!.ok, true);
  const all = await verifyInstalled(manifest(), [project, user]);
  assert.deepEqual(all.map((x) => [x.id, x.ok]), [['tiny', false], ['loose', false]]);

  assert.throws(() => resolveModelPaths(manifest(), 'tiny', [project]), /grainlab models fetch tiny/);
  assert.throws(() => resolveModelPaths(manifest(), 'nope', [project]), /Known models: tiny, loose, bad-hash/);
  assert.ok(existsSync(join(user, 'tiny.encoder.onnx')));
});

test('user model folder: env override, XDG and platform defaults', () => {
  assert.equal(defaultUserModelsDir({ GRAINLAB_MODELS_DIR: '/data/m' }, 'linux', '/home/u'), '/data/m');
  assert.equal(defaultUserModelsDir({}, 'linux', '/home/u'), '/home/u/.local/share/grainlab/models');
  assert.equal(defaultUserModelsDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u'), '/xdg/grainlab/models');
  assert.equal(defaultUserModelsDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/grainlab/models');
});
