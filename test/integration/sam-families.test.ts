// The SAM families through the service, on the tiny signature models (scripts/build-tiny-sam-families.ts):
// each family listed with its family, selected, prompted and used for MatSAM "segment everything"; a
// manifest entry whose files are another family is refused; and a person's own model imported through
// the contract (sam.importCustom), verified, used and removed, while a file of no known signature is
// refused naming its missing inputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ProgressEvent } from '../../app/contract';
import { ServiceError } from '../../app/errors';
import type { Box } from '../../app/types';
import { GrainLabService } from '../../main/service';
import { buildTinySamModels, tinyManifestFile, tinyManifestModel } from '../../scripts/build-tiny-sam';
import { buildTinyFamilyModels, type TinyFamilyModelPaths } from '../../scripts/build-tiny-sam-families';

const userModels = mkdtempSync(join(tmpdir(), 'gl-user-models-'));
process.env.GRAINLAB_MODELS_DIR = userModels;

const W = 256;
const H = 192;
const COLOURS = [
  [220, 30, 30],
  [30, 220, 30],
  [30, 30, 220],
  [220, 220, 30],
  [30, 220, 220],
  [220, 30, 220],
];
const SQUARES: Box[] = COLOURS.map((_, k) => ({ x: 16 + (k % 3) * 80, y: 16 + Math.floor(k / 3) * 90, width: 60, height: 60 }));
const TINY_FILTERS = { stabilityScoreOffset: 0.25, stabilityScoreThresh: 0.85 };

async function squaresPng(): Promise<Uint8Array> {
  const rgb = new Uint8Array(W * H * 3);
  SQUARES.forEach((b, k) => {
    for (let y = b.y; y < b.y + b.height; y++) for (let x = b.x; x < b.x + b.width; x++) rgb.set(COLOURS[k]!, (y * W + x) * 3);
  });
  return new Uint8Array(await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());
}

function maskIoU(box: Box, mask: Uint8Array, region: Box): number {
  let inter = 0;
  let area = 0;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      if (!mask[y * box.width + x]) continue;
      area++;
      const gx = box.x + x;
      const gy = box.y + y;
      if (gx >= region.x && gx < region.x + region.width && gy >= region.y && gy < region.y + region.height) inter++;
    }
  }
  return inter / (area + region.width * region.height - inter);
}

function bestSegmentIoU(labels: Uint32Array, width: number, region: Box): number {
  let max = 0;
  for (const v of labels) if (v > max) max = v;
  const total = new Uint32Array(max + 1);
  const inside = new Uint32Array(max + 1);
  labels.forEach((v, i) => {
    total[v]!++;
    const x = i % width;
    const y = Math.floor(i / width);
    if (x >= region.x && x < region.x + region.width && y >= region.y && y < region.y + region.height) inside[v]!++;
  });
  let best = 0;
  for (let id = 1; id <= max; id++) if (inside[id]! > 0) best = Math.max(best, inside[id]! / (total[id]! + region.width * region.height - inside[id]!));
  return best;
}

function waitJob(svc: GrainLabService, jobId: string, messages: string[] = []): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = svc.on('onDidProgress', (e) => {
      if (e.jobId === jobId && e.message) messages.push(e.message);
      if (e.jobId === jobId && e.state !== 'running') {
        off();
        resolve(e);
      }
    });
  });
}

let root = '';
let dir = '';
let svc: GrainLabService;
let imageId = 0;
let fam: TinyFamilyModelPaths;
let foreignDecoder = '';
let server: Server;

const FAMILY_MODELS = [
  { id: 'tiny-sam2', family: 'sam2' },
  { id: 'tiny-sam2-orig-size', family: 'sam2' },
  { id: 'tiny-efficientsam', family: 'efficientsam' },
  { id: 'tiny-edgesam', family: 'edgesam' },
] as const;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gl-sam-families-'));
  dir = join(root, 'proj');
  svc = new GrainLabService({ userDataDir: join(root, 'user'), binding: 'web' });
  await svc.call('project.create', { path: dir });
  const models = join(dir, 'models');
  fam = buildTinyFamilyModels(models);
  const file = tinyManifestFile;
  const manifest = {
    version: 1,
    models: [
      tinyManifestModel('tiny-sam2', file('encoder', fam.sam2Encoder), file('decoder', fam.sam2Decoder), 'sam2'),
      tinyManifestModel('tiny-sam2-orig-size', file('encoder', fam.sam2Encoder), file('decoder', fam.sam2DecoderOrigSize), 'sam2'),
      tinyManifestModel('tiny-efficientsam', file('encoder', fam.efficientSamEncoder), file('decoder', fam.efficientSamDecoder), 'efficientsam'),
      tinyManifestModel('tiny-edgesam', file('encoder', fam.edgeSamEncoder), file('decoder', fam.edgeSamDecoder), 'edgesam'),
      // Declared SAM 2, but the files are EdgeSAM's.
      tinyManifestModel('tiny-mislabelled', file('encoder', fam.edgeSamEncoder), file('decoder', fam.edgeSamDecoder), 'sam2'),
    ],
  };
  // A downloadable EdgeSAM model with no published checksum, served from this machine.
  server = createServer((req, res) => {
    const files: Record<string, string> = { '/e.onnx': fam.edgeSamEncoder, '/d.onnx': fam.edgeSamDecoder, '/wrong.onnx': fam.sam2Decoder };
    const f = files[req.url ?? ''];
    if (f === undefined) return void res.writeHead(404).end();
    const body = readFileSync(f);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const remote = (id: string, dec: string) => ({
    id,
    name: id,
    family: 'edgesam',
    files: [
      { role: 'encoder', file: `${id}.encoder.onnx`, url: `${base}/e.onnx`, checksum: 'unpublished' },
      { role: 'decoder', file: `${id}.decoder.onnx`, url: `${base}/${dec}`, checksum: 'unpublished' },
    ],
  });
  manifest.models.push(remote('remote-edgesam', 'd.onnx') as never, remote('remote-wrong', 'wrong.onnx') as never);
  writeFileSync(join(models, 'manifest.json'), JSON.stringify(manifest, null, 2));
  foreignDecoder = buildTinySamModels(join(root, 'stick')).foreignDecoder;
  imageId = (await svc.call('images.importFiles', { files: [{ name: 'squares.png', bytes: await squaresPng() }] })).imported[0]!.id;
});
after(async () => {
  await new Promise((r) => server?.close(r));
  await svc?.dispose();
  rmSync(root, { recursive: true, force: true });
  rmSync(userModels, { recursive: true, force: true });
});

test('sam.status lists each family model with its family; the bundled SAM 2.1, EfficientSAM and EdgeSAM entries too', async () => {
  const s = await svc.call('sam.status', {});
  for (const m of FAMILY_MODELS) {
    const row = s.models.find((x) => x.id === m.id)!;
    assert.equal(row.family, m.family, m.id);
    assert.equal(row.installed, true, m.id);
    assert.equal(row.custom, null);
    assert.ok(row.bytes! > 0);
  }
  assert.equal(s.models.find((x) => x.id === 'sam2.1-hiera-tiny')!.family, 'sam2');
  assert.equal(s.models.find((x) => x.id === 'sam2.1-hiera-tiny')!.downloadable, true);
  assert.equal(s.models.find((x) => x.id === 'edge-sam')!.family, 'edgesam');
  assert.equal(s.models.find((x) => x.id === 'efficientsam-vitt')!.family, 'efficientsam');
});

for (const m of FAMILY_MODELS) {
  test(`${m.id}: selected, a click finds the square, MatSAM auto-segmentation finds all six`, async () => {
    const status = await svc.call('sam.select', { modelId: m.id });
    assert.equal(status.active, m.id);
    for (const [k, click] of [[0, { x: 40, y: 40 }], [5, { x: 200, y: 140 }]] as const) {
      const c = await svc.call('sam.prompt', { imageId, points: [{ ...click, label: 1 }] });
      assert.equal(c.model, m.id);
      assert.ok(maskIoU(c.box, c.mask, SQUARES[k]!) > 0.85, `${m.id}: IoU ${maskIoU(c.box, c.mask, SQUARES[k]!)}`);
    }
    const { jobId } = await svc.call('segment.auto', { imageIds: [imageId], engine: 'sam', sam: { prompts: 'matsam', ...TINY_FILTERS } });
    const messages: string[] = [];
    const end = await waitJob(svc, jobId, messages);
    assert.equal(end.state, 'done', end.message);
    const stats = (await svc.call('sam.runStats', { jobId }))![0]!;
    assert.equal(stats.model, m.id);
    assert.ok(stats.decoderCalls > 0);
    const seg = (await svc.call('segmentation.get', { imageId }))!;
    // A result equal to the current segmentation is no new step, so the engine on record stays
    // the one that made it first (tiny-sam2-orig-size has tiny-sam2's weights); the job says so.
    if (seg.engine !== `sam:${m.id}:matsam`) assert.ok(messages.some((x) => x.includes('nothing changed')), `${m.id}: ${seg.engine}; ${messages.join(' | ')}`);
    for (const sq of SQUARES) assert.ok(bestSegmentIoU(seg.labels, W, sq) > 0.85, `${m.id}: square at ${sq.x},${sq.y}`);
  });
}

test("SAM 2's three-part embedding persists in the project database across reopening", async () => {
  await svc.call('sam.select', { modelId: 'tiny-sam2' });
  await svc.call('sam.prompt', { imageId, points: [{ x: 40, y: 40, label: 1 }] });
  await svc.call('project.close', {});
  await svc.call('project.open', { path: dir });
  const again = await svc.call('sam.prompt', { imageId, points: [{ x: 40, y: 40, label: 1 }] });
  assert.equal(again.model, 'tiny-sam2');
  assert.equal(again.embedding, 'store');
  assert.ok(maskIoU(again.box, again.mask, SQUARES[0]!) > 0.85);
});

test('a manifest entry whose files are another family is refused, naming both', async () => {
  await assert.rejects(svc.call('sam.select', { modelId: 'tiny-mislabelled' }), (e: unknown) => {
    assert.ok(e instanceof ServiceError && e.code === 'model');
    assert.match(e.message, /"tiny-mislabelled" are a EdgeSAM model, but its manifest entry says SAM 2 \/ 2\.1/);
    return true;
  });
});

test('import your own model: accepted under a new name with family, sha256, size and "derived from"; used, verified, removed', async () => {
  const r = await svc.call('sam.importCustom', {
    name: 'Ferrite SAM 2 (lab, 2025)',
    encoderPath: fam.sam2Encoder,
    decoderPath: fam.sam2Decoder,
    derivedFrom: 'sam2.1-hiera-tiny',
    destination: 'user',
  });
  assert.equal(r.modelId, 'ferrite-sam-2-lab-2025');
  const row = r.status.models.find((x) => x.id === r.modelId)!;
  assert.equal(row.name, 'Ferrite SAM 2 (lab, 2025)');
  assert.equal(row.family, 'sam2');
  assert.equal(row.installed, true);
  assert.equal(row.location, userModels);
  assert.equal(row.verified, true, 'checked when it was imported');
  assert.equal(row.custom!.derivedFrom, 'sam2.1-hiera-tiny');
  assert.equal(row.removable, true);
  assert.equal(row.downloadable, false);
  const manifest = JSON.parse(readFileSync(join(userModels, 'manifest.json'), 'utf8')) as { models: { id: string; family: string; files: { file: string; sha256: string; size: number }[] }[] };
  const entry = manifest.models.find((x) => x.id === r.modelId)!;
  assert.equal(entry.family, 'sam2');
  assert.deepEqual(entry.files.map((f) => f.file), ['ferrite-sam-2-lab-2025.encoder.onnx', 'ferrite-sam-2-lab-2025.decoder.onnx']);
  assert.ok(entry.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.size > 0));

  await svc.call('sam.select', { modelId: r.modelId });
  const c = await svc.call('sam.prompt', { imageId, points: [{ x: 120, y: 40, label: 1 }] });
  assert.equal(c.model, r.modelId);
  assert.ok(maskIoU(c.box, c.mask, SQUARES[1]!) > 0.85);
  const checks = await svc.call('sam.verify', { modelId: r.modelId });
  assert.deepEqual(checks.map((x) => [x.modelId, x.ok, x.files.map((f) => f.method)]), [[r.modelId, true, ['sha256', 'sha256']]]);

  // The same name again is refused; so is one file given twice.
  await assert.rejects(
    svc.call('sam.importCustom', { name: 'ferrite sam 2 lab 2025', encoderPath: fam.sam2Encoder, decoderPath: fam.sam2Decoder, destination: 'user' }),
    /already a model "ferrite-sam-2-lab-2025"/,
  );
  await assert.rejects(svc.call('sam.importCustom', { name: 'Twice', encoderPath: fam.sam2Encoder, decoderPath: fam.sam2Encoder, destination: 'user' }), /two different files/);

  const after = await svc.call('sam.remove', { modelId: r.modelId, destination: 'user' });
  assert.equal(after.models.some((x) => x.id === r.modelId), false);
  assert.notEqual(after.active, r.modelId);
  assert.deepEqual(readdirSync(userModels).sort(), ['manifest.json']);
});

test('import your own model: a pair of no recognised signature is refused naming the missing inputs, and nothing is left', async () => {
  await assert.rejects(
    svc.call('sam.importCustom', { name: 'Broken', encoderPath: fam.edgeSamEncoder, decoderPath: foreignDecoder, destination: 'project' }),
    (e: unknown) => {
      assert.ok(e instanceof ServiceError && e.code === 'model');
      assert.equal(e.file, foreignDecoder);
      assert.match(e.message, /The decoder model "tiny-ort-sam2\.decoder\.onnx" is not a SAM decoder GrainLab recognises/);
      assert.match(e.message, /missing inputs mask_input, has_mask_input, orig_im_size/);
      assert.match(e.message, /Nothing was imported/);
      return true;
    },
  );
  // An encoder of one family with the decoder of another is refused too.
  await assert.rejects(
    svc.call('sam.importCustom', { name: 'Mixed', encoderPath: fam.sam2Encoder, decoderPath: fam.edgeSamDecoder, destination: 'project' }),
    /"tiny-sam2\.encoder\.onnx" is a SAM 2 encoder .* needs a SAM-style encoder/,
  );
  const left = readdirSync(join(dir, 'models'));
  assert.ok(!left.some((f) => f.startsWith('broken') || f.startsWith('mixed') || f.endsWith('.part')), left.join(', '));
  assert.equal(existsSync(join(userModels, 'broken.encoder.onnx')), false);
});

test('sam.fetch downloads as a job, loads the pair to check its family (nothing is published for it), and installs it verified', async () => {
  const { jobId } = await svc.call('sam.fetch', { modelId: 'remote-edgesam', destination: 'user' });
  const end = await waitJob(svc, jobId);
  assert.equal(end.state, 'done', end.message);
  const row = (await svc.call('sam.status', {})).models.find((x) => x.id === 'remote-edgesam')!;
  assert.deepEqual([row.installed, row.location, row.verified, row.family], [true, userModels, true, 'edgesam']);
  assert.ok(existsSync(join(userModels, 'remote-edgesam.encoder.onnx.sha256')), 'a sha256 is recorded for later checks');
  const checks = await svc.call('sam.verify', { modelId: 'remote-edgesam' });
  assert.deepEqual(checks[0]!.files.map((f) => f.method), ['recorded-sha256', 'recorded-sha256']);

  // A download whose decoder turns out to be SAM 2's is refused by the pair check; nothing is installed.
  const wrong = await svc.call('sam.fetch', { modelId: 'remote-wrong', destination: 'user' });
  const failed = await waitJob(svc, wrong.jobId);
  assert.equal(failed.state, 'failed');
  assert.match(failed.message ?? '', /"e\.onnx" is a SAM-style encoder .*but the decoder "wrong\.onnx" \(SAM 2 \/ 2\.1\)/);
  assert.ok(!readdirSync(userModels).some((f) => f.startsWith('remote-wrong') || f.endsWith('.part')));

  // Removing a listed model deletes its files; it stays listed, not installed.
  const after = await svc.call('sam.remove', { modelId: 'remote-edgesam', destination: 'user' });
  const gone = after.models.find((x) => x.id === 'remote-edgesam')!;
  assert.equal(gone.installed, false);
  assert.ok(!existsSync(join(userModels, 'remote-edgesam.encoder.onnx')));
  assert.ok(!existsSync(join(userModels, 'remote-edgesam.encoder.onnx.sha256')));
});
