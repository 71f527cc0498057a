// Export, import and measurements through the service on synthetic projects with known answers:
// COCO checked against the format (schema, RLE decoded back to the masks), round trips export ->
// import for COCO, PNG masks and boundary maps, statistics with exact ASTM answers, options,
// cancellation and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { decodeMask, fromCocoRle, validateCoco, tileBoxes, type CocoRle } from '../../app/export';
import { astmGFromGrainsPerMm2, astmGFromMeanIntercept } from '../../app/stats';
import { ServiceError } from '../../app/errors';
import type { GrainLabService } from '../../main/service';
import type { ExportSummary, ImportLabelsSummary } from '../../app/contract/export';
import type { Args } from '../../app/contract';
import { decodePng, encodePng } from '../../main/export/png';
import { stagingPattern } from '../../main/export/staging';
import { discs, jobEnd, makeBareProject, makeProject, newService, runToEnd, squares, tempDir, voronoi, type KitImage } from './export-kit';

const W = 160;
const H = 120;

/** Five grain images; classes by id (every 7th unclassified), every 3rd grain verified, 0.5 µm/px. */
function grainImages(): KitImage[] {
  return [1, 2, 3, 4, 5].map((k) => ({
    name: `steel ${k}.png`,
    width: W,
    height: H,
    labels: voronoi(W, H, 24, k),
    classOf: (id: number) => (id % 7 === 0 ? null : id % 2 ? 'ferrite' : 'pearlite'),
    verified: (id: number) => id % 3 === 0,
    pixelSizeUm: 0.5,
  }));
}
const CLASSES = [
  { name: 'ferrite', color: '#ff0000' },
  { name: 'pearlite', color: '#00ff00' },
];

async function openProject(dir: string): Promise<GrainLabService> {
  const svc = newService();
  await svc.call('project.open', { path: dir });
  return svc;
}

async function exportTo(svc: GrainLabService, args: Args<'export.dataset'>): Promise<ExportSummary> {
  const jobId = await runToEnd(svc, () => svc.call('export.dataset', args));
  const res = await svc.call('export.result', { jobId });
  assert.ok(res, 'the summary of a finished export is kept');
  return res;
}

async function importInto(svc: GrainLabService, args: Args<'labels.import'>): Promise<ImportLabelsSummary> {
  const jobId = await runToEnd(svc, () => svc.call('labels.import', args));
  const res = await svc.call('labels.importResult', { jobId });
  assert.ok(res);
  return res;
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split('\\').join('/')).sort();
}

/** Project images by name with label maps and per-segment class names and verified flags. */
async function snapshot(svc: GrainLabService) {
  const classes = new Map((await svc.call('classes.list', {})).map((c) => [c.id, c]));
  const out = new Map<string, { labels: Uint32Array; classOf: Map<number, string | null>; verified: Map<number, boolean> }>();
  for (const im of await svc.call('images.list', {})) {
    const seg = await svc.call('segmentation.get', { imageId: im.id });
    if (!seg) continue;
    out.set(im.name, {
      labels: seg.labels,
      classOf: new Map(seg.segments.map((s) => [s.id, s.classId === null ? null : classes.get(s.classId)!.name])),
      verified: new Map(seg.segments.map((s) => [s.id, s.verified])),
    });
  }
  return { classes: [...classes.values()], images: out };
}

function noStagingLeft(dest: string): void {
  const re = stagingPattern(dest);
  const left = readdirSync(dirname(dest)).filter((e) => re.test(e));
  assert.deepEqual(left, [], 'no staging folders are left beside the dataset');
}

test('COCO export follows the format: schema valid, every RLE decodes to its segment, card counts', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  await makeProject(dir, grainImages(), CLASSES);
  const svc = await openProject(dir);
  try {
    const dest = join(tmp, 'out', 'coco-set');
    const sum = await exportTo(svc, { dest, format: 'coco', rle: 'uncompressed', seed: 7 });
    assert.equal(sum.dest, dest);
    assert.deepEqual([sum.perSplit.train.images, sum.perSplit.val.images, sum.perSplit.test.images], [3, 1, 1], '6:2:2 of five images');
    noStagingLeft(dest);
    const before = await snapshot(svc);
    const images = await svc.call('images.list', {});
    const seen = new Set<number>();
    let annotations = 0;
    let verifiedCount = 0;
    for (const split of ['train', 'val', 'test']) {
      const json = JSON.parse(readFileSync(join(dest, 'annotations', `instances_${split}.json`), 'utf8')) as {
        images: { id: number; file_name: string; width: number; height: number; grainlab: { sourceImageId: number; pixelSizeUm: number } }[];
        categories: { id: number; name: string }[];
        annotations: { image_id: number; category_id: number; segmentation: CocoRle; area: number; bbox: number[]; iscrowd: number; grainlab: { segmentId: number; verified: boolean; edge: boolean; source: string } }[];
      };
      const v = validateCoco(json);
      assert.equal(v.annotationCount, json.annotations.length);
      assert.deepEqual(json.categories.map((c) => c.name), ['ferrite', 'pearlite', 'unclassified']);
      const catName = new Map(json.categories.map((c) => [c.id, c.name]));
      for (const img of json.images) {
        seen.add(img.grainlab.sourceImageId);
        assert.equal(img.grainlab.pixelSizeUm, 0.5);
        assert.ok(existsSync(join(dest, 'images', split, img.file_name)), `image file ${img.file_name} is in images/${split}`);
        const name = images.find((i) => i.id === img.grainlab.sourceImageId)!.name;
        const orig = before.images.get(name)!;
        const anns = json.annotations.filter((a) => a.image_id === img.id);
        assert.equal(anns.length, orig.classOf.size, 'one annotation per segment');
        for (const a of anns) {
          assert.ok(Array.isArray(a.segmentation.counts), 'uncompressed RLE has a counts list');
          const mask = decodeMask(fromCocoRle(a.segmentation));
          const id = a.grainlab.segmentId;
          let area = 0;
          let x0 = W;
          let y0 = H;
          let x1 = -1;
          let y1 = -1;
          for (let i = 0; i < mask.data.length; i++) {
            const inside = orig.labels[i] === id;
            assert.equal(mask.data[i] === 1, inside, `annotation of segment ${id} decodes to exactly its pixels`);
            if (inside) {
              area++;
              const x = i % W;
              const y = Math.floor(i / W);
              x0 = Math.min(x0, x);
              x1 = Math.max(x1, x);
              y0 = Math.min(y0, y);
              y1 = Math.max(y1, y);
            }
          }
          assert.equal(a.area, area);
          assert.deepEqual(a.bbox, [x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
          assert.equal(a.grainlab.edge, x0 === 0 || y0 === 0 || x1 === W - 1 || y1 === H - 1);
          assert.equal(catName.get(a.category_id), orig.classOf.get(id) ?? 'unclassified');
          assert.equal(a.grainlab.verified, orig.verified.get(id));
          assert.equal(a.iscrowd, 0);
          if (a.grainlab.verified) verifiedCount++;
        }
        annotations += anns.length;
      }
    }
    assert.equal(seen.size, 5, 'every image is in exactly one split');
    const card = JSON.parse(readFileSync(join(dest, 'dataset-card.json'), 'utf8')) as ExportSummary['card'];
    assert.equal(card.totals.images, 5);
    assert.equal(card.totals.segments, annotations);
    assert.equal(card.totals.verifiedSegments, verifiedCount);
    assert.equal(card.pixelSizeUm, 0.5);
    assert.equal(card.generator.version, '0.1.0-test');
    assert.deepEqual(card.split.ratios, [6, 2, 2]);
    assert.equal(card.split.seed, 7);
    assert.match(card.notes.join(' '), /classic \(5 images\)/, 'the engine used is on the card');
    assert.match(readFileSync(join(dest, 'dataset-card.md'), 'utf8'), /verified by a person: \d+/);
    assert.equal(sum.segments, annotations);
  } finally {
    await svc.dispose();
  }
});

test('round trip COCO (compressed RLE and polygons): import gives back the same label maps, classes and verified flags', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  const imgs = grainImages().slice(0, 3);
  await makeProject(dir, imgs, CLASSES);
  const svc = await openProject(dir);
  let before: Awaited<ReturnType<typeof snapshot>>;
  try {
    before = await snapshot(svc);
    await exportTo(svc, { dest: join(tmp, 'rle'), format: 'coco', rle: 'compressed', ratios: [1, 1, 1] });
    await exportTo(svc, { dest: join(tmp, 'poly'), format: 'coco', rle: 'polygon', ratios: [1, 1, 1] });
  } finally {
    await svc.dispose();
  }
  for (const kind of ['rle', 'poly']) {
    const other = join(tmp, `other-${kind}`);
    await makeBareProject(other, imgs);
    const svc2 = await openProject(other);
    try {
      const ann = join(tmp, kind, 'annotations');
      const res = await importInto(svc2, { kind: 'coco', paths: readdirSync(ann).map((f) => join(ann, f)) });
      assert.deepEqual(res.failed, []);
      assert.equal(res.imported.length, 3);
      assert.deepEqual(res.classesCreated.sort(), ['ferrite', 'pearlite'], 'classes come back by name; "unclassified" is no class');
      const after = await snapshot(svc2);
      for (const [name, orig] of before.images) {
        const got = after.images.get(name);
        assert.ok(got, `${name} has a segmentation after import (${kind})`);
        assert.deepEqual(got.labels, orig.labels, `${name}: same label map (${kind})`);
        assert.deepEqual(got.classOf, orig.classOf, `${name}: same classes (${kind})`);
        assert.deepEqual(got.verified, orig.verified, `${name}: same verified flags (${kind})`);
      }
      assert.deepEqual(after.classes.map((c) => [c.name, c.color]), [['ferrite', '#ff0000'], ['pearlite', '#00ff00']]);
      const list = await svc2.call('images.list', {});
      assert.ok(list.every((i) => i.status === 'in-review'), 'imported segmentations are open for review');
    } finally {
      await svc2.dispose();
    }
  }
});

test('round trip PNG masks: 16-bit instance maps + indexed semantic maps give back label maps and classes; boundary maps give back the grains', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  const imgs = grainImages().slice(0, 3);
  await makeProject(dir, imgs, CLASSES);
  const svc = await openProject(dir);
  const dest = join(tmp, 'masks');
  let before: Awaited<ReturnType<typeof snapshot>>;
  try {
    before = await snapshot(svc);
    const sum = await exportTo(svc, { dest, format: 'png', ratios: [1, 1, 1] });
    assert.equal(sum.items, 3);
  } finally {
    await svc.dispose();
  }
  const files = filesUnder(dest);
  for (const d of ['instances', 'semantic', 'boundaries', 'previews', 'images']) assert.equal(files.filter((f) => f.startsWith(`${d}/`) && f.endsWith('.png')).length, 3, `three ${d} PNGs`);
  assert.ok(files.includes('classes.json') && files.includes('segments.csv'));
  const inst = files.find((f) => f.startsWith('instances/') && f.endsWith('.png'))!;
  const meta = await sharp(join(dest, inst)).metadata();
  assert.equal(meta.depth, 'ushort', 'instance maps are 16-bit');
  const semMeta = await sharp(join(dest, files.find((f) => f.startsWith('semantic/') && f.endsWith('.png'))!)).metadata();
  assert.ok(semMeta.isPalette, 'semantic maps are indexed PNGs with a palette');

  const other = join(tmp, 'other');
  await makeBareProject(other, imgs);
  const svc2 = await openProject(other);
  try {
    const pick = (d: string) => files.filter((f) => f.startsWith(`${d}/`) && f.endsWith('.png')).map((f) => join(dest, f));
    const a = await importInto(svc2, { kind: 'instance', paths: pick('instances') });
    assert.deepEqual(a.failed, []);
    const b = await importInto(svc2, { kind: 'semantic', paths: pick('semantic'), semanticMode: 'classes' });
    assert.deepEqual(b.failed, [], JSON.stringify(b.failed));
    assert.ok(b.imported.every((i) => i.action === 'classes'));
    const after = await snapshot(svc2);
    for (const [name, orig] of before.images) {
      const got = after.images.get(name)!;
      assert.deepEqual(got.labels, orig.labels, `${name}: same label map from the instance PNG`);
      assert.deepEqual(got.classOf, orig.classOf, `${name}: same classes from the semantic PNG (classes.json found beside the export)`);
    }
    assert.deepEqual(after.classes.map((c) => [c.name, c.color]).sort(), [['ferrite', '#ff0000'], ['pearlite', '#00ff00']]);
  } finally {
    await svc2.dispose();
  }

  // Semantic maps alone: regions of one class; every pixel keeps its class.
  const third = join(tmp, 'third');
  await makeBareProject(third, imgs);
  const svc3 = await openProject(third);
  try {
    const res = await importInto(svc3, { kind: 'semantic', paths: files.filter((f) => f.startsWith('semantic/') && f.endsWith('.png')).map((f) => join(dest, f)) });
    assert.deepEqual(res.failed, []);
    const after = await snapshot(svc3);
    for (const [name, orig] of before.images) {
      const got = after.images.get(name)!;
      for (let i = 0; i < got.labels.length; i++) {
        assert.equal(got.classOf.get(got.labels[i]!) ?? null, orig.classOf.get(orig.labels[i]!) ?? null, `${name}: pixel ${i} keeps its class`);
      }
    }
  } finally {
    await svc3.dispose();
  }

  // Boundary maps: grains are the regions between 1-px boundaries; boundary pixels go to a neighbour.
  const fourth = join(tmp, 'fourth');
  await makeBareProject(fourth, imgs);
  const svc4 = await openProject(fourth);
  try {
    const res = await importInto(svc4, { kind: 'boundary', paths: files.filter((f) => f.startsWith('boundaries/') && f.endsWith('.png')).map((f) => join(dest, f)) });
    assert.deepEqual(res.failed, []);
    const after = await snapshot(svc4);
    for (const [name, orig] of before.images) {
      const got = after.images.get(name)!;
      assert.equal(got.classOf.size, orig.classOf.size, `${name}: as many grains as before`);
      // Each imported grain is matched to the original grain it overlaps most.
      const votes = new Map<number, Map<number, number>>();
      for (let i = 0; i < got.labels.length; i++) {
        const m = votes.get(got.labels[i]!) ?? new Map<number, number>();
        m.set(orig.labels[i]!, (m.get(orig.labels[i]!) ?? 0) + 1);
        votes.set(got.labels[i]!, m);
      }
      const match = new Map([...votes].map(([g, m]) => [g, [...m].sort((x, y) => y[1] - x[1])[0]![0]]));
      assert.equal(new Set(match.values()).size, orig.classOf.size, 'one imported grain per original grain');
      let same = 0;
      for (let i = 0; i < got.labels.length; i++) if (match.get(got.labels[i]!) === orig.labels[i]) same++;
      assert.ok(same / got.labels.length > 0.99, `${name}: ${((100 * same) / got.labels.length).toFixed(2)}% of pixels in the same grain`);
    }
  } finally {
    await svc4.dispose();
  }
});

test('measurements with known answers: ASTM G of a square grid, ECD of discs, phase fractions, CSV files', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  const side = 20;
  // Half a square off the field's edges, as a micrograph cuts grains: test-line ends fall in half grains.
  const grid = squares(200, 200, side, side / 2);
  const disc = discs(240, 160, 40, 10);
  await makeProject(
    dir,
    [
      { name: 'grid.png', width: 200, height: 200, labels: grid, pixelSizeUm: 1 },
      { name: 'discs.png', width: 240, height: 160, labels: disc, pixelSizeUm: 0.5, classOf: (id) => (id % 2 ? 'alpha' : 'beta') },
      { name: 'uncalibrated.png', width: 200, height: 200, labels: grid },
    ],
    [],
  );
  const svc = await openProject(dir);
  try {
    const images = await svc.call('images.list', {});
    const id = (n: string) => images.find((i) => i.name === n)!.id;
    const s = await svc.call('stats.compute', { imageIds: [id('grid.png')] });
    const g = s.images[0]!;
    // 11 x 11 squares (whole ones inside, halves at the border): 81 inside, 40 cut by the border
    // (counted 1/2 each), field (200 µm)^2.
    assert.equal(g.summary.grainCount, 121);
    assert.equal(g.planimetric!.inside, 81);
    assert.equal(g.planimetric!.intercepted, 40);
    assert.ok(Math.abs(g.planimetric!.G - astmGFromGrainsPerMm2((81 + 20) / 0.04)) < 1e-9, `G planimetric ${g.planimetric!.G}`);
    // Each test line crosses 10 boundaries in 200 µm: mean intercept = one side = 20 µm.
    assert.ok(Math.abs(g.intercept!.meanInterceptMm - 0.02) < 1e-12);
    assert.ok(Math.abs(g.intercept!.G - astmGFromMeanIntercept(0.02)) < 1e-9);
    assert.equal(s.unit, 'um');
    assert.equal(g.summary.area.max, 400, 'area of a whole 20 µm square');

    const inner = await svc.call('stats.compute', { imageIds: [id('grid.png')], excludeEdge: true });
    assert.equal(inner.ecd.length, 81, 'edge grains left out of the size statistics');
    assert.ok(inner.ecd.every((v) => Math.abs(v - Math.sqrt((4 * 400) / Math.PI)) < 1e-9), 'inside grains: ECD of a 20 µm square');
    assert.equal(inner.images[0]!.summary.grainCount, 121, 'but still counted');

    const d = await svc.call('stats.compute', { imageIds: [id('discs.png')] });
    const ecdUm = 2 * 10 * 0.5;
    assert.equal(d.ecd.length, 24);
    for (const v of d.ecd) assert.ok(Math.abs(v - ecdUm) / ecdUm < 0.02, `disc ECD ${v} µm is near ${ecdUm}`);
    const classes = new Map(d.classes.map((c) => [c.name, c.id]));
    const px = new Map<number, number>();
    for (const v of disc) if (v) px.set(v % 2 ? classes.get('alpha')! : classes.get('beta')!, (px.get(v % 2 ? classes.get('alpha')! : classes.get('beta')!) ?? 0) + 1);
    for (const f of d.images[0]!.phases) {
      assert.equal(f.pixels, px.get(f.classId!));
      assert.ok(Math.abs(f.fractionOfImage - px.get(f.classId!)! / (240 * 160)) < 1e-12);
    }
    assert.ok(Math.abs(d.images[0]!.phases.reduce((a, f) => a + f.fractionOfSegmented, 0) - 1) < 1e-12);

    const all = await svc.call('stats.compute', {});
    assert.equal(all.unit, 'px', 'one uncalibrated image puts the project in pixels');
    assert.equal(all.images.find((i) => i.name === 'uncalibrated.png')!.planimetric, null);
    assert.deepEqual([all.project.planimetric!.inside, all.project.planimetric!.intercepted], [81 + 24, 40], 'project ASTM sums the calibrated images only');

    const csv = await svc.call('stats.csv', {});
    const byName = new Map(csv.files.map((f) => [f.name, f.text.trim().split('\n')]));
    assert.equal(byName.get('grains.csv')!.length, 1 + 121 + 24 + 121);
    assert.equal(byName.get('images.csv')!.length, 1 + 3 + 1);
    assert.match(byName.get('images.csv')![1]!, /^grid\.png,1,121,40,um,/);
    assert.ok(byName.get('phases.csv')!.some((l) => l.startsWith('discs.png,') && l.includes(',alpha,')));
  } finally {
    await svc.dispose();
  }
});

test('options: YOLO tiles, verified-only PNG masks, edge grains left out of COCO, fixed seed', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  await makeProject(dir, grainImages(), CLASSES);
  const svc = await openProject(dir);
  try {
    const yolo = await exportTo(svc, { dest: join(tmp, 'yolo'), format: 'yolo', tile: { size: 64, overlap: 16 } });
    const perImage = tileBoxes(W, H, 64, 16).length;
    assert.equal(yolo.items, 5 * perImage);
    const files = filesUnder(join(tmp, 'yolo'));
    assert.equal(files.filter((f) => f.startsWith('labels/') && f.endsWith('.txt')).length, 5 * perImage);
    assert.equal(files.filter((f) => f.startsWith('images/') && f.endsWith('.png')).length, 5 * perImage);
    const yaml = readFileSync(join(tmp, 'yolo', 'data.yaml'), 'utf8');
    assert.match(yaml, /nc: 2\nnames:\n {2}0: "ferrite"\n {2}1: "pearlite"/);
    const tileImg = files.find((f) => f.startsWith('images/train/'))!;
    const tm = await sharp(join(tmp, 'yolo', tileImg)).metadata();
    assert.deepEqual([tm.width, tm.height], [64, 64]);
    let lines = 0;
    for (const f of files.filter((x) => x.endsWith('.txt'))) {
      for (const line of readFileSync(join(tmp, 'yolo', f), 'utf8').trim().split('\n').filter(Boolean)) {
        const [cls, ...xy] = line.split(' ').map(Number);
        assert.ok(cls === 0 || cls === 1);
        assert.ok(xy.length >= 6 && xy.every((v) => v >= 0 && v <= 1));
        lines++;
      }
    }
    assert.equal(lines, yolo.segments);
    assert.ok(yolo.excluded.unclassified > 0 && yolo.warnings.some((w) => /without a class/.test(w)));

    const ver = await exportTo(svc, { dest: join(tmp, 'verified'), format: 'png', verifiedSegments: true });
    const csv = readFileSync(join(tmp, 'verified', 'segments.csv'), 'utf8').trim().split('\n').slice(1);
    assert.equal(csv.length, ver.segments);
    assert.ok(csv.length > 0 && csv.every((l) => l.split(',')[9] === 'true'), 'only verified segments listed');
    const instFile = filesUnder(join(tmp, 'verified')).find((f) => f.startsWith('instances/') && f.endsWith('.png'))!;
    const inst = await decodePng(readFileSync(join(tmp, 'verified', instFile)));
    assert.ok([...new Set(inst.data)].every((v) => v === 0 || v % 3 === 0), 'unverified segments are not in the instance map');

    const noEdge = await exportTo(svc, { dest: join(tmp, 'noedge'), format: 'coco', edge: 'exclude', ratios: [1, 0, 0] });
    const json = JSON.parse(readFileSync(join(tmp, 'noedge', 'annotations', 'instances_train.json'), 'utf8')) as { annotations: { bbox: number[] }[] };
    assert.equal(json.annotations.length, noEdge.segments);
    assert.ok(noEdge.excluded.edge > 0);
    for (const a of json.annotations) {
      const [x, y, w, h] = a.bbox as [number, number, number, number];
      assert.ok(x > 0 && y > 0 && x + w < W && y + h < H, 'no annotation touches the border');
    }

    const s1 = await exportTo(svc, { dest: join(tmp, 's1'), format: 'yolo', seed: 3, copyImages: false });
    const s2 = await exportTo(svc, { dest: join(tmp, 's2'), format: 'yolo', seed: 3, copyImages: false });
    assert.deepEqual(filesUnder(join(tmp, 's1')).filter((f) => f.endsWith('.txt')), filesUnder(join(tmp, 's2')).filter((f) => f.endsWith('.txt')), 'the same seed gives the same split');
    assert.equal(s1.segments, s2.segments);
  } finally {
    await svc.dispose();
  }
});

test('refusals and cancellation: existing folder, nothing to export, cancel leaves no dataset and no staging folder', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  const many = Array.from({ length: 12 }, (_, k) => ({ name: `g${k}.png`, width: 256, height: 256, labels: voronoi(256, 256, 16, k + 1) }));
  await makeProject(dir, many);
  const svc = await openProject(dir);
  try {
    const taken = join(tmp, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'keep.txt'), 'old');
    await assert.rejects(svc.call('export.dataset', { dest: taken, format: 'coco' }), (e: ServiceError) => e.code === 'invalid-argument' && /already exists/.test(e.message));
    await assert.rejects(svc.call('export.dataset', { dest: join(tmp, 'x'), format: 'coco', verifiedImages: true }), /Nothing to export: none of the 12 image\(s\) is marked verified/);
    // Replacing is for datasets: a folder of other files is never replaced, even when asked.
    await assert.rejects(exportTo(svc, { dest: taken, format: 'yolo', overwrite: true, copyImages: false }), /not a GrainLab dataset/);
    assert.ok(existsSync(join(taken, 'keep.txt')));
    const previous = join(tmp, 'previous');
    await exportTo(svc, { dest: previous, format: 'coco', copyImages: false });
    const replaced = await exportTo(svc, { dest: previous, format: 'yolo', overwrite: true, copyImages: false });
    assert.equal(replaced.images, 12);
    assert.ok(!existsSync(join(previous, 'annotations')) && existsSync(join(previous, 'data.yaml')), 'replaced only once the new dataset was complete');
    noStagingLeft(previous);

    const dest = join(tmp, 'cancelled');
    let cancelledAt = -1;
    const off = svc.on('onDidProgress', (e) => {
      if (e.state === 'running' && e.done >= 100 && cancelledAt < 0) {
        cancelledAt = e.done;
        void svc.call('jobs.cancel', { jobId: e.jobId });
      }
    });
    const { jobId } = await svc.call('export.dataset', { dest, format: 'png' });
    const end = await jobEnd(svc, jobId);
    off();
    assert.equal(end.state, 'cancelled');
    assert.ok(cancelledAt >= 100 && cancelledAt < 1200, 'cancelled mid-way (progress counts hundredths of an image)');
    assert.equal(existsSync(dest), false, 'a cancelled export leaves no dataset');
    noStagingLeft(dest);
    assert.equal(await svc.call('export.result', { jobId }), null);
  } finally {
    await svc.dispose();
  }
});

test('import of each format from fixtures, with clear failures for unmatched, mis-sized and broken files', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  const grid = squares(64, 48, 16);
  await makeBareProject(dir, [
    { name: 'a.tif', width: 64, height: 48, labels: grid },
    { name: 'b.png', width: 64, height: 48, labels: grid },
    { name: 'c.png', width: 64, height: 48, labels: grid },
    { name: 'd.png', width: 64, height: 48, labels: grid },
  ]);
  const fx = join(tmp, 'fixtures');
  mkdirSync(fx);
  // Instance map as an 8-bit grey PNG written by sharp (ids = grey values).
  writeFileSync(join(fx, 'a.png'), await sharp(Uint8Array.from(grid), { raw: { width: 64, height: 48, channels: 1 } }).png().toBuffer());
  // Colour-coded instance map (RGB): each colour one grain.
  const rgb = new Uint8Array(64 * 48 * 3);
  grid.forEach((v, i) => rgb.set([(v * 40) % 256, (v * 90) % 256, 200], i * 3));
  writeFileSync(join(fx, 'b.png'), await sharp(rgb, { raw: { width: 64, height: 48, channels: 3 } }).png().toBuffer());
  // Semantic map with a palette and a class table beside it: left half class 1, right half class 2.
  const sem = new Uint8Array(64 * 48);
  for (let i = 0; i < sem.length; i++) sem[i] = i % 64 < 32 ? 1 : 2;
  const palette = new Uint8Array(768);
  palette.set([10, 20, 30, 200, 100, 0], 3);
  writeFileSync(join(fx, 'c.png'), await encodePng({ width: 64, height: 48, channels: 1, bitDepth: 8, data: sem, palette }));
  writeFileSync(join(fx, 'classes.json'), JSON.stringify([{ value: 1, name: 'matrix' }, { value: 2, name: 'precipitate', color: '#0000ff' }]));
  // Boundary map as a 16-bit TIFF: lines every 16 px.
  const bnd = new Uint16Array(64 * 48);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) if (x % 16 === 15 || y % 16 === 15) bnd[y * 64 + x] = 65535;
  writeFileSync(join(fx, 'd.tif'), await sharp(bnd, { raw: { width: 64, height: 48, channels: 1 } }).toColourspace('grey16').tiff().toBuffer());
  // COCO with a polygon for 'a' under another name, and failures.
  writeFileSync(join(fx, 'nope.png'), await sharp(new Uint8Array(64 * 48), { raw: { width: 64, height: 48, channels: 1 } }).png().toBuffer());
  writeFileSync(join(fx, 'broken.json'), '{"images": [], "annotations": [{"id": 1}]');
  writeFileSync(
    join(fx, 'poly.json'),
    JSON.stringify({
      images: [{ id: 1, file_name: 'subdir/a.jpg', width: 64, height: 48 }, { id: 2, file_name: 'c.png', width: 32, height: 48 }],
      categories: [{ id: 5, name: 'pore' }],
      annotations: [{ id: 1, image_id: 1, category_id: 5, segmentation: [[4, 4, 20, 4, 20, 12, 4, 12]], iscrowd: 0 }],
    }),
  );

  const svc = await openProject(dir);
  try {
    const inst = await importInto(svc, { kind: 'instance', paths: [join(fx, 'a.png'), join(fx, 'b.png'), join(fx, 'nope.png')] });
    assert.equal(inst.imported.length, 2);
    assert.equal(inst.failed.length, 1);
    assert.match(inst.failed[0]!.message, /nope\.png: no project image is named 'nope'/);
    let snap = await snapshot(svc);
    assert.deepEqual(snap.images.get('a.tif')!.labels, grid, 'grey ids are the segment ids');
    assert.equal(snap.images.get('b.png')!.classOf.size, 12, 'twelve colours, twelve grains');

    const semRes = await importInto(svc, { kind: 'semantic', paths: [join(fx, 'c.png')] });
    assert.deepEqual(semRes.failed, []);
    assert.deepEqual(semRes.classesCreated, ['matrix', 'precipitate']);
    snap = await snapshot(svc);
    const c = snap.images.get('c.png')!;
    assert.deepEqual([...c.classOf.values()].sort(), ['matrix', 'precipitate']);
    assert.equal(snap.classes.find((k) => k.name === 'matrix')!.color, '#0a141e', 'colour from the palette when the table has none');
    assert.equal(snap.classes.find((k) => k.name === 'precipitate')!.color, '#0000ff');

    const b = await importInto(svc, { kind: 'boundary', paths: [join(fx, 'd.tif')] });
    assert.deepEqual(b.failed, [], JSON.stringify(b.failed));
    assert.equal((await snapshot(svc)).images.get('d.png')!.classOf.size, 12, 'grains between the lines (16-bit TIFF)');

    const skip = await importInto(svc, { kind: 'boundary', paths: [join(fx, 'd.tif')], ifSegmented: 'skip' });
    assert.equal(skip.skipped.length, 1);

    const coco = await importInto(svc, { kind: 'coco', paths: [join(fx, 'poly.json'), join(fx, 'broken.json')] });
    assert.equal(coco.imported.length, 1);
    assert.equal(coco.imported[0]!.imageName, 'a.tif');
    assert.equal(coco.failed.length, 2);
    assert.match(coco.failed.find((f) => f.file.includes('poly.json'))!.message, /is 32x48 px but the project image c\.png is 64x48/);
    assert.match(coco.failed.find((f) => f.file.includes('broken.json'))!.message, /broken\.json is not valid JSON \(parsing stopped at character \d+\)/);
    const a = (await snapshot(svc)).images.get('a.tif')!;
    assert.equal(a.labels.filter((v) => v === 1).length, 16 * 8, 'polygon rasterised to its 16 x 8 pixels');
    assert.deepEqual([...a.classOf.values()], ['pore']);

    const up = await importInto(svc, { kind: 'instance', files: [{ name: 'c.png', bytes: readFileSync(join(fx, 'a.png')) }] });
    assert.equal(up.imported[0]!.action, 'replaced', 'uploaded bytes (web mode) work too');
  } finally {
    await svc.dispose();
  }
});

test('exports and measurements follow hand edits (merge through the edit store), also after a cached measurement', async () => {
  const tmp = tempDir();
  const dir = join(tmp, 'proj');
  const labels = voronoi(W, H, 24, 9);
  await makeProject(dir, [{ name: 'edited.png', width: W, height: H, labels, classOf: () => 'ferrite' }], CLASSES);
  const svc = await openProject(dir);
  try {
    const [im] = await svc.call('images.list', {});
    const before = await svc.call('stats.compute', {});
    const n = before.images[0]!.summary.grainCount;
    const ack = await svc.call('edit.apply', { imageId: im!.id, op: { kind: 'merge', ids: [1, 2] } });
    assert.equal(ack.status, 'applied');
    const after = await svc.call('stats.compute', {});
    assert.equal(after.images[0]!.summary.grainCount, n - 1, 'the cached measurement is not reused after an edit');
    await exportTo(svc, { dest: join(tmp, 'edited'), format: 'coco', ratios: [1, 0, 0] });
    const json = JSON.parse(readFileSync(join(tmp, 'edited', 'annotations', 'instances_train.json'), 'utf8')) as { annotations: { area: number; grainlab: { segmentId: number } }[] };
    assert.equal(json.annotations.length, n - 1);
    const merged = json.annotations.find((a) => a.grainlab.segmentId === 1)!;
    assert.equal(merged.area, labels.filter((v) => v === 1 || v === 2).length, 'the merged segment is exported whole');
  } finally {
    await svc.dispose();
  }
});
