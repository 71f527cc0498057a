// Calibration read from SEM metadata on import (TIFF fixtures with each vendor's tags, written here),
// sidecar files, the project default, typed and scale-bar values, and ASTM G wherever one exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTiff, asciiTag, type TiffPage } from '../fixtures/tiff-writer';
import { discsPattern, pngGrey8 } from '../fixtures/images';
import { newService, runToEnd, tempDir } from './export-kit';
import { readTiffTags } from '../../main/calibration/tiff-tags';

function page(extra: Partial<TiffPage> = {}): TiffPage {
  return { width: 96, height: 64, channels: 1, bitDepth: 8, data: discsPattern(96, 64), ...extra };
}

const FEI = '[User]\r\nDate=12/01/2021\r\n\r\n[Scan]\r\nPixelWidth=1.5625e-008\r\nPixelHeight=1.5625e-008\r\n';
const ZEISS = '\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 2.345 nm\r\nAP_WD\r\nWD = 8.5 mm\r\n';

function tescanTag(): Uint8Array {
  const body = 'Device=MIRA3\r\nPixelSizeX=2.0e-008\r\nPixelSizeY=2.0e-008\r\n';
  const b = new Uint8Array(6 + body.length + 6);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, body.length + 2, true);
  dv.setUint16(4, 2, true);
  for (let i = 0; i < body.length; i++) b[6 + i] = body.charCodeAt(i);
  dv.setUint32(6 + body.length, 2, true);
  return b;
}

const close = (a: number | null | undefined, b: number) => assert.ok(a != null && Math.abs(a - b) <= 1e-9 * b, `${a} vs ${b}`);

test('import reads the pixel size from each vendor\'s metadata and says where it came from', async () => {
  const svc = newService();
  try {
    await svc.call('project.create', { path: join(tempDir(), 'p') });
    const files = [
      { name: 'fei.tif', bytes: writeTiff([page({ extraTags: [{ tag: 34682, type: 2, bytes: asciiTag(FEI) }] })]) },
      { name: 'zeiss.tif', bytes: writeTiff([page({ data: discsPattern(96, 64, 2), extraTags: [{ tag: 34118, type: 2, bytes: asciiTag(ZEISS) }] })]) },
      { name: 'tescan.tif', bytes: writeTiff([page({ data: discsPattern(96, 64, 3), extraTags: [{ tag: 50431, type: 1, bytes: tescanTag() }] })]) },
      { name: 'fiji.tif', bytes: writeTiff([page({ data: discsPattern(96, 64, 4), pixelsPerUnit: 8, extraTags: [{ tag: 270, type: 2, bytes: asciiTag('ImageJ=1.53t\nunit=micron\n') }] })]) },
      { name: 'dpi.tif', bytes: writeTiff([page({ data: discsPattern(96, 64, 5), pixelsPerCm: 1000 })]) },
      { name: 'plain.png', bytes: await pngGrey8(96, 64) },
    ];
    const res = await svc.call('images.importFiles', { files });
    assert.deepEqual(res.failed, []);
    const cal = await svc.call('calibration.list', {});
    const by = Object.fromEntries(cal.images.map((c) => [c.name, c]));
    close(by['fei.tif']!.umPerPx, 0.015625);
    assert.equal(by['fei.tif']!.source, 'metadata');
    assert.equal(by['fei.tif']!.vendor, 'FEI/Thermo Fisher');
    assert.match(by['fei.tif']!.where!, /34682/);
    close(by['zeiss.tif']!.umPerPx, 0.002345);
    assert.equal(by['zeiss.tif']!.vendor, 'Zeiss');
    close(by['tescan.tif']!.umPerPx, 0.02);
    assert.equal(by['tescan.tif']!.vendor, 'TESCAN');
    close(by['fiji.tif']!.umPerPx, 0.125);
    assert.equal(by['fiji.tif']!.vendor, 'ImageJ');
    close(by['dpi.tif']!.umPerPx, 10);
    assert.equal(by['dpi.tif']!.source, 'resolution-tag');
    assert.equal(by['plain.png']!.umPerPx, null);
    // The image list (what the canvas and measurements read) has the same values.
    const images = await svc.call('images.list', {});
    close(images.find((i) => i.name === 'zeiss.tif')!.pixelSizeUm, 0.002345);

    // Project default: given to the uncalibrated image only; clearing it takes it back.
    const d = await svc.call('calibration.setDefault', { umPerPx: 0.5 });
    assert.equal(d.applied, 1);
    const after = (await svc.call('calibration.list', {})).images.find((c) => c.name === 'plain.png')!;
    assert.equal(after.umPerPx, 0.5);
    assert.equal(after.source, 'project-default');
    close((await svc.call('calibration.list', {})).images.find((c) => c.name === 'fei.tif')!.umPerPx, 0.015625);
    // Typed, then a scale bar: each recorded as such.
    const plainId = after.imageId;
    const [typed] = await svc.call('calibration.set', { imageIds: [plainId], umPerPx: 0.2 });
    assert.equal(typed!.source, 'typed');
    const [bar] = await svc.call('calibration.set', { imageIds: [plainId], scaleBar: { x0: 10, y0: 50, x1: 60, y1: 50, lengthUm: 20 } });
    assert.equal(bar!.source, 'scale-bar');
    close(bar!.umPerPx, 0.4);
    assert.match(bar!.raw!, /20 µm over 50\.0 px/);
    // The default changes nothing a person set.
    assert.equal((await svc.call('calibration.setDefault', { umPerPx: 0.7 })).applied, 0);
    assert.equal((await svc.call('calibration.setDefault', { umPerPx: null })).applied, 0);
    // A typed value cleared falls back to nothing (no default now).
    const [cleared] = await svc.call('calibration.set', { imageIds: [plainId], umPerPx: null });
    assert.equal(cleared!.umPerPx, null);
    // images.setPixelSize (the existing panel field) records 'typed' too.
    await svc.call('images.setPixelSize', { id: plainId, umPerPx: 0.3 });
    assert.equal((await svc.call('calibration.list', {})).images.find((c) => c.imageId === plainId)!.source, 'typed');

    // Detect from the stored files: reports without applying, applies where asked.
    const feiId = by['fei.tif']!.imageId;
    await svc.call('calibration.set', { imageIds: [feiId], umPerPx: 1 });
    const rep = await svc.call('calibration.detect', { imageIds: [feiId] });
    close(rep[0]!.detected!.umPerPx, 0.015625);
    assert.equal(rep[0]!.applied, false);
    assert.equal((await svc.call('calibration.detect', { imageIds: [feiId], apply: 'uncalibrated' }))[0]!.applied, false, 'a typed value is not replaced');
    assert.equal((await svc.call('calibration.detect', { imageIds: [feiId], apply: 'all' }))[0]!.applied, true);
    close((await svc.call('images.list', {})).find((i) => i.id === feiId)!.pixelSizeUm, 0.015625);
    await assert.rejects(svc.call('calibration.set', { imageIds: [feiId], scaleBar: { x0: 1, y0: 1, x1: 1, y1: 1, lengthUm: 5 } }), /no length in pixels/);

    // ASTM G wherever a calibration exists.
    await runToEnd(svc, () => svc.call('segment.auto', { imageIds: images.map((i) => i.id) }));
    const stats = await svc.call('stats.compute', {});
    for (const s of stats.images) assert.equal(s.planimetric !== null, s.pixelSizeUm !== null, s.name);
  } finally {
    await svc.dispose();
  }
});

test('sidecar files beside the imported file: JEOL .txt, Hitachi .txt, TESCAN .hdr; a project default for the rest', async () => {
  const src = mkdtempSync(join(tmpdir(), 'gl-side-'));
  writeFileSync(join(src, 'jeol.tif'), writeTiff([page({ data: discsPattern(96, 64, 6) })]));
  writeFileSync(join(src, 'jeol.txt'), '$CM_FORMAT JEOL/SEM\r\n$CM_FULL_SIZE 192 128\r\n$$SM_MICRON_BAR 160\r\n$$SM_MICRON_MARKER 5um\r\n');
  writeFileSync(join(src, 'hitachi.tif'), writeTiff([page({ data: discsPattern(96, 64, 7) })]));
  writeFileSync(join(src, 'hitachi.txt'), '[SemImageFile]\r\nPixelSize=24.8\r\n');
  writeFileSync(join(src, 'lyra.png'), await pngGrey8(90, 60));
  writeFileSync(join(src, 'lyra-png.hdr'), '[MAIN]\r\nPixelSizeX=5e-9\r\nPixelSizeY=5e-9\r\n');
  writeFileSync(join(src, 'other.tif'), writeTiff([page({ data: discsPattern(96, 64, 8) })]));
  const svc = newService();
  try {
    await svc.call('project.create', { path: join(tempDir(), 'p') });
    await svc.call('calibration.setDefault', { umPerPx: 0.25 });
    const res = await svc.call('images.importPaths', { paths: ['jeol.tif', 'hitachi.tif', 'lyra.png', 'other.tif'].map((f) => join(src, f)) });
    assert.deepEqual(res.failed, []);
    const by = Object.fromEntries((await svc.call('calibration.list', {})).images.map((c) => [c.name, c]));
    // The JEOL bar refers to a 192 px wide image; this copy is 96 px wide.
    close(by['jeol.tif']!.umPerPx, (5 / 160) * 2);
    assert.equal(by['jeol.tif']!.vendor, 'JEOL');
    close(by['hitachi.tif']!.umPerPx, 0.0248);
    close(by['lyra.png']!.umPerPx, 0.005);
    assert.equal(by['lyra.png']!.vendor, 'TESCAN');
    close(by['other.tif']!.umPerPx, 0.25);
    assert.equal(by['other.tif']!.source, 'project-default');
  } finally {
    await svc.dispose();
  }
});

test('the tag reader survives damaged files: truncated, looping and oversized IFDs give no tags', () => {
  const good = writeTiff([page({ extraTags: [{ tag: 34682, type: 2, bytes: asciiTag(FEI) }] })]);
  assert.ok(readTiffTags(good, 0, new Set([34682]))!.tags.has(34682));
  assert.equal(readTiffTags(good, 1, new Set([34682])), null, 'no second page');
  for (let cut = 0; cut < good.length; cut += 97) readTiffTags(good.subarray(0, cut), 0, new Set([34682, 270]));
  const loop = good.slice();
  new DataView(loop.buffer).setUint32(4, 8, true); // IFD offset pointing at the header
  readTiffTags(loop, 3, new Set([34682]));
  assert.equal(readTiffTags(new Uint8Array([0x49, 0x49, 42, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]), 0, new Set([270])), null);
});

test('grainlab import --pixel-size and grainlab calibrate: set, list, default; stats in µm with G', async () => {
  const BIN = join(import.meta.dirname, '..', '..', 'bin', 'grainlab.mjs');
  const env = { ...process.env, GRAINLAB_USER_DATA: mkdtempSync(join(tmpdir(), 'gl-user-')) };
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const tmp = mkdtempSync(join(tmpdir(), 'gl-calcli-'));
  const dir = join(tmp, 'p');
  writeFileSync(join(tmp, 'a.png'), await pngGrey8(120, 80));
  writeFileSync(join(tmp, 'fei.tif'), writeTiff([page({ extraTags: [{ tag: 34682, type: 2, bytes: asciiTag(FEI) }] })]));
  assert.equal(run('init', dir).code, 0);
  const imp = run('import', dir, join(tmp, 'a.png'), join(tmp, 'fei.tif'), '--pixel-size', '250nm');
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /a\.png .*0\.2500 um\/px \(typed\)/);
  assert.match(imp.out, /fei\.tif .*0\.01563 um\/px \(FEI\/Thermo Fisher/, 'metadata wins over --pixel-size unless --override');
  const list = run('calibrate', dir);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /FEI_HELIOS/);
  assert.equal(run('calibrate', dir, '--image', '1', '--um-per-px', '0.5').code, 0);
  assert.equal(run('calibrate', dir, '--image', '2', '--scale-bar', '50px=10um').code, 0);
  const json = JSON.parse(run('calibrate', dir, '--json').out) as { images: { umPerPx: number; source: string }[] };
  assert.deepEqual(json.images.map((i) => [i.umPerPx, i.source]), [[0.5, 'typed'], [0.2, 'scale-bar']]);
  const bad = run('calibrate', dir, '--image', '1', '--um-per-px', 'wide');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /not a length/);
  assert.equal(run('segment', dir, '--all', '-q').code, 0);
  const stats = run('stats', dir, '--json');
  assert.equal(stats.code, 0, stats.err);
  const s = JSON.parse(stats.out) as { unit: string; images: { planimetric: { G: number } | null }[] };
  assert.equal(s.unit, 'um');
  assert.ok(s.images.every((i) => i.planimetric !== null && Number.isFinite(i.planimetric.G)));
});
