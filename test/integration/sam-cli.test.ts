// The built `grainlab` command with SAM: `models list`, `models verify`, `doctor`, `segment --engine sam`,
// and importing a model of one's own (`models import --custom`, `models remove`), on the tiny test models
// placed in a project's models/ folder or on a "stick" folder.
// Needs `npm run build` (bin/grainlab.mjs runs dist/node/cli.js).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { buildTinySamModels } from '../../scripts/build-tiny-sam';
import { buildTinyFamilyModels } from '../../scripts/build-tiny-sam-families';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
const env = {
  ...process.env,
  GRAINLAB_USER_DATA: mkdtempSync(join(tmpdir(), 'gl-user-')),
  GRAINLAB_MODELS_DIR: mkdtempSync(join(tmpdir(), 'gl-user-models-')),
};

function grainlab(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let tmp = '';
let dir = '';

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'gl-sam-cli-'));
  dir = join(tmp, 'proj');
  assert.equal(grainlab('init', dir).code, 0);
  const models = join(dir, 'models');
  const m = buildTinySamModels(models);
  const truncated = join(models, 'tiny-truncated.encoder.onnx');
  writeFileSync(truncated, readFileSync(m.encoderNchw).subarray(0, 300));
  const file = (role: string, p: string, size = statSync(p).size) => ({ role, file: basename(p), url: `https://example.invalid/${basename(p)}`, size });
  const conv = { encoder: 'nchw-normalized', decoder: 'meta' };
  writeFileSync(
    join(models, 'manifest.json'),
    JSON.stringify({
      version: 1,
      models: [
        { id: 'tiny-sam', name: 'Tiny SAM (test)', convention: conv, files: [file('encoder', m.encoderNchw), file('decoder', m.decoder)] },
        { id: 'tiny-truncated', name: 'Truncated (test)', convention: conv, files: [file('encoder', truncated, statSync(m.encoderNchw).size), file('decoder', m.decoder)] },
        { id: 'tiny-foreign', name: 'Unrecognised decoder (test)', convention: conv, files: [file('encoder', m.encoderNchw), file('decoder', m.foreignDecoder)] },
      ],
    }),
  );
  // Three coloured squares on black.
  const w = 160, h = 120;
  const rgb = new Uint8Array(w * h * 3);
  [[220, 30, 30], [30, 220, 30], [30, 30, 220]].forEach((c, k) => {
    for (let y = 30; y < 80; y++) for (let x = 5 + k * 52; x < 5 + k * 52 + 45; x++) rgb.set(c, (y * w + x) * 3);
  });
  writeFileSync(join(tmp, 'squares.png'), await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
  assert.equal(grainlab('import', dir, join(tmp, 'squares.png')).code, 0);
});

test('models list shows the project model as installed, the bundled ones as not installed', () => {
  const r = grainlab('models', 'list', '--project', dir);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`Model folders searched, in order: ${join(dir, 'models').replaceAll('/', '\\/')}`));
  assert.match(r.out, /tiny-sam\s+installed/);
  assert.match(r.out, /sam-vit-b-quant\s+not installed/);
  const j = grainlab('models', 'list', '--project', dir, '--json');
  const parsed = JSON.parse(j.out) as { models: { id: string; installed: boolean }[] };
  assert.equal(parsed.models.find((m) => m.id === 'tiny-sam')!.installed, true);
});

test('models verify fails on the truncated file and names it', () => {
  const r = grainlab('models', 'verify', '--project', dir);
  assert.equal(r.code, 1);
  assert.match(r.out, /tiny-sam: ok/);
  assert.match(r.out, /tiny-truncated: FAILED/);
  assert.match(r.out, /tiny-truncated\.encoder\.onnx\s+its size is 300 bytes/);
  assert.match(r.err, /^grainlab: tiny-truncated failed verification/);
});

test('doctor prints the provider in use and why, the models found and versions', () => {
  const r = grainlab('doctor', '--project', dir, '--load');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Execution provider: cpu \(/);
  assert.match(r.out, /Providers tried in order: .*cpu/);
  assert.match(r.out, /onnxruntime \d+\.\d+/);
  assert.match(r.out, /Active model: tiny-sam/);
  assert.match(r.out, /Models installed: tiny-sam \(SAM \(Meta decoder\)\)/);
  assert.match(r.out, /Loaded tiny-sam: SAM \(Meta decoder\), encoder convention nchw-normalized/);
});

test('segment --engine sam saves a SAM segmentation and reports decoder calls; a bad model fails in one line', () => {
  const seg = grainlab('segment', dir, '--all', '--engine', 'sam', '--prompts', 'matsam', '--stability', '0.85', '--stability-offset', '0.25', '-q');
  assert.equal(seg.code, 0, seg.err);
  assert.match(seg.out, /\[sam tiny-sam, matsam: \d+ decoder calls, 1 crop\(s\)/);
  const info = JSON.parse(grainlab('info', dir, '--json').out) as { images: { status: string; segmentCount: number }[] };
  assert.equal(info.images[0]!.status, 'auto-segmented');
  assert.ok(info.images[0]!.segmentCount >= 3, `${info.images[0]!.segmentCount} segments`);

  const bad = grainlab('segment', dir, '--all', '--engine', 'sam', '--model', 'tiny-foreign', '-q');
  assert.equal(bad.code, 1);
  assert.equal(bad.err.trim().split('\n').length, 1);
  assert.match(bad.err, /^grainlab: The decoder model "tiny-ort-sam2\.decoder\.onnx" is not a SAM decoder GrainLab recognises/);
  const after = JSON.parse(grainlab('info', dir, '--json').out) as { images: { segmentCount: number }[] };
  assert.equal(after.images[0]!.segmentCount, info.images[0]!.segmentCount, 'the failed run changed nothing');
});

test('models import --custom: an EdgeSAM pair under a new name, listed with its family, used by doctor --load; a wrong file refused; removed', () => {
  const stick = join(tmp, 'stick');
  const fam = buildTinyFamilyModels(stick);
  const foreign = buildTinySamModels(join(tmp, 'stick2')).foreignDecoder;
  const r = grainlab('models', 'import', '--custom', 'Lab EdgeSAM', fam.edgeSamEncoder, fam.edgeSamDecoder, '--derived-from', 'edge-sam');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^imported lab-edgesam \(EdgeSAM, derived from edge-sam\) into /);
  const list = grainlab('models', 'list');
  assert.match(list.out, /lab-edgesam\s+installed\s+EdgeSAM\s+Lab EdgeSAM — custom, derived from edge-sam, imported \d{4}-\d\d-\d\d/);
  assert.match(list.out, /sam2\.1-hiera-tiny\s+not installed\s+SAM 2 \/ 2\.1/);
  const d = grainlab('doctor', '--load');
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /Models installed: lab-edgesam \(EdgeSAM, custom\)/);
  assert.match(d.out, /Loaded lab-edgesam: EdgeSAM, encoder convention nchw-normalized/);
  const v = grainlab('models', 'verify', 'lab-edgesam');
  assert.equal(v.code, 0, v.err);
  assert.match(v.out, /lab-edgesam: ok\n\s+encoder lab-edgesam\.encoder\.onnx {2}ok \(sha256\)/);

  const bad = grainlab('models', 'import', '--custom', 'Broken', fam.edgeSamEncoder, foreign);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^grainlab: The decoder model "tiny-ort-sam2\.decoder\.onnx" is not a SAM decoder GrainLab recognises\. Closest: SAM \(Meta decoder\) \(missing inputs mask_input, has_mask_input, orig_im_size/);
  assert.doesNotMatch(grainlab('models', 'list').out, /broken/);
  assert.match(grainlab('models', 'import', '--custom', 'One', fam.edgeSamEncoder).err, /takes two files, the encoder and the decoder/);

  const rm = grainlab('models', 'remove', 'lab-edgesam');
  assert.equal(rm.code, 0, rm.err);
  assert.match(rm.out, /deleted .*lab-edgesam\.encoder\.onnx/);
  assert.match(rm.out, /removed lab-edgesam from .*manifest\.json/);
  assert.doesNotMatch(grainlab('models', 'list').out, /lab-edgesam/);
});
