// The Models dialog's and the "Which engine fits" panel's pure parts: model rows (family in words,
// size, verified state, custom origin, what each row may do, the active model first) and the ranked
// engine table (failed engines last, numbers formatted), the import form's refusal naming what is
// missing, and the two actions' menu placement and predicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SamModelInfo, SamStatus } from '../../app/contract/sam';
import type { EvalEngineScore, ProjectEvalReport } from '../../app/contract/eval';
import type { ImageRecord } from '../../app/types';
import { engineRows, formatBytes, missingImportInputs, modelRows, noActiveModelText } from '../../renderer/components/models/format';
import { evaluableImages, openEngineFit, openModels } from '../../renderer/actions/models';
import { isEnabled, menuActions, runAction, type ActionContext } from '../../renderer/actions/registry';

const model = (id: string, over: Partial<SamModelInfo> = {}): SamModelInfo => ({
  id,
  name: id,
  description: null,
  family: 'sam',
  installed: false,
  location: null,
  bytes: null,
  verified: null,
  custom: null,
  removable: false,
  downloadable: false,
  ...over,
});

test('formatBytes: units of 1000, one decimal below 100, a dash when unknown', () => {
  assert.equal(formatBytes(null), '—');
  assert.equal(formatBytes(812), '812 B');
  assert.equal(formatBytes(4_200_000), '4.2 MB');
  assert.equal(formatBytes(375_000_000), '375 MB');
  assert.equal(formatBytes(1_300_000_000), '1.3 GB');
});

test('model rows: active first, then installed, then the rest by name; family, verified state and origin in words', () => {
  const status: SamStatus = {
    active: 'mine',
    provider: null,
    hint: '',
    searchDirs: [],
    models: [
      model('zeta-listed', { family: 'sam2', downloadable: true }),
      model('beta', { family: 'efficientsam', installed: true, bytes: 41_000_000, verified: false, removable: true }),
      model('alpha', { family: 'edgesam', installed: true, bytes: 9_000_000, verified: null }),
      model('mine', { installed: true, bytes: 12_500_000, verified: true, removable: true, custom: { derivedFrom: 'vit_b', importedAt: '2026-01-01' } }),
    ],
  };
  const rows = modelRows(status);
  assert.deepEqual(rows.map((r) => r.id), ['mine', 'alpha', 'beta', 'zeta-listed']);
  assert.deepEqual(rows.map((r) => r.family), ['SAM', 'EdgeSAM', 'EfficientSAM', 'SAM 2']);
  assert.deepEqual(rows.map((r) => r.verified), ['yes', 'not checked', 'failed', '—']);
  assert.deepEqual(rows.map((r) => r.size), ['12.5 MB', '9.0 MB', '41.0 MB', '—']);
  assert.deepEqual(rows.map((r) => r.origin), ['custom, from vit_b', '', '', '']);
  assert.deepEqual(rows.map((r) => r.active), [true, false, false, false]);
  // The active one is not offered again; only installed ones can be selected or verified; only a listed, absent one downloads.
  assert.deepEqual(rows.map((r) => r.canSelect), [false, true, true, false]);
  assert.deepEqual(rows.map((r) => r.canVerify), [true, true, true, false]);
  assert.deepEqual(rows.map((r) => r.canDownload), [false, false, false, true]);
  assert.deepEqual(rows.map((r) => r.canRemove), [true, false, true, false]);
  const noDerived = modelRows({ ...status, models: [model('x', { custom: { derivedFrom: null, importedAt: '' } })] });
  assert.equal(noDerived[0]!.origin, 'custom');
});

test('import form: names every missing input, nothing when complete', () => {
  assert.equal(missingImportInputs({ name: ' ', encoderPath: '', decoderPath: '' }), 'Give a name, the encoder file and the decoder file to import a model.');
  assert.equal(missingImportInputs({ name: 'm', encoderPath: '/e.onnx', decoderPath: '' }), 'Give the decoder file to import a model.');
  assert.equal(missingImportInputs({ name: 'm', encoderPath: '', decoderPath: '/d.onnx' }), 'Give the encoder file to import a model.');
  assert.equal(missingImportInputs({ name: 'm', encoderPath: '/e.onnx', decoderPath: '/d.onnx' }), null);
});

const score = (engine: string, rank: number | null, over: Partial<EvalEngineScore> = {}): EvalEngineScore => ({
  engine,
  label: engine.toUpperCase(),
  kind: 'x',
  rank,
  images: 1,
  ari: 0,
  recall50: 0,
  precision50: 0,
  perClass: [],
  meanClassIoU: null,
  effort: null,
  msPerImage: 0,
  ...over,
});

test('engine rows: by rank with failed engines last; ARI, recall, class IoU, effort and time formatted; best and default marked', () => {
  const report: ProjectEvalReport = {
    images: [],
    engines: [
      score('sam:tiny:grid', null, { failed: 'the model did not load', ari: 0.9 }),
      score('classic', 2, { ari: 0.71234, recall50: 0.5, msPerImage: 12.4 }),
      score('sam:tiny:matsam', 1, {
        ari: 0.9,
        recall50: 0.875,
        msPerImage: 840.6,
        perClass: [
          { classId: 1, name: 'grain', iou: 0.812, support: 10 },
          { classId: 2, name: 'pore', iou: 0.4, support: 3 },
        ],
        effort: { operations: 6, per100: 12.4, reached: 2, images: 3 },
      }),
    ],
    best: 'sam:tiny:matsam',
    perImage: [],
    defaultEngine: 'classic',
    notes: [],
  };
  const rows = engineRows(report);
  assert.deepEqual(rows.map((r) => r.engine), ['sam:tiny:matsam', 'classic', 'sam:tiny:grid']);
  assert.deepEqual(rows.map((r) => r.rank), ['1', '2', '—']);
  assert.deepEqual(rows.map((r) => r.ari), ['0.900', '0.712', '—'], 'a failed engine shows no numbers');
  assert.deepEqual(rows.map((r) => r.recall50), ['88%', '50%', '—']);
  assert.deepEqual(rows.map((r) => r.classIoU), ['grain 0.81 · pore 0.40', '—', '—']);
  assert.deepEqual(rows.map((r) => r.effort), ['12 ops / 100 segments (2/3 reached)', '—', '—']);
  assert.deepEqual(rows.map((r) => r.msPerImage), ['841 ms', '12 ms', '—']);
  assert.deepEqual(rows.map((r) => r.failed), [null, null, 'the model did not load']);
  assert.deepEqual(rows.map((r) => r.best), [true, false, false]);
  assert.deepEqual(rows.map((r) => r.isDefault), [false, true, false]);
  // The default the dialog knows now (after "Use as default") wins over the report's.
  assert.deepEqual(engineRows(report, 'sam:tiny:matsam').map((r) => r.isDefault), [true, false, false]);
});

const image = (id: number, status: ImageRecord['status'], segmentCount: number) => ({ id, status, segmentCount }) as ImageRecord;

function ctx(images: ImageRecord[], calls: string[]): ActionContext {
  return { images, toggle: (w: string) => calls.push(w) } as unknown as ActionContext;
}

test('actions: Models… and Which engine fits… in the Models menu; the evaluation needs an image it can score', () => {
  assert.deepEqual(menuActions('models').map((a) => a.name), [openModels.name, openEngineFit.name]);
  const calls: string[] = [];
  const none = ctx([image(1, 'new', 0)], calls);
  assert.equal(evaluableImages(none), 0);
  assert.equal(isEnabled(openModels, none), true, 'models can be managed in any project');
  assert.equal(isEnabled(openEngineFit, none), false, 'nothing to score without segments or a verified image');
  assert.equal(runAction(openEngineFit, none), false);
  const some = ctx([image(1, 'new', 0), image(2, 'verified', 0), image(3, 'in-review', 14)], calls);
  assert.equal(evaluableImages(some), 2);
  assert.equal(isEnabled(openEngineFit, some), true);
  assert.ok(runAction(openModels, some));
  assert.ok(runAction(openEngineFit, some));
  assert.deepEqual(calls, ['models', 'engineFit']);
});

test('no active model: the hint is said once, never "No SAM model installed. No SAM model installed: …"', () => {
  const installHint = 'No SAM model installed: segmentation uses the classic engine. Add one with …';
  assert.equal(noActiveModelText(installHint), installHint);
  assert.equal(noActiveModelText(installHint).match(/No SAM model/g)!.length, 1);
  const pick = noActiveModelText('Pick the model used for prompts and SAM auto-segmentation.');
  assert.match(pick, /^No SAM model is active; .* Pick the model/);
});
