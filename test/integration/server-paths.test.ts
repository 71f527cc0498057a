// Web mode confines the paths a client types to the served roots (--roots / GRAINLAB_ROOTS, the home
// folder by default), whichever call carries them: '..', links and not-yet-existing folders cannot
// lead out, nothing is created outside, and in-process callers (CLI, desktop) are not confined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebServer } from '../../main/server/web-server';
import { GrainLabService } from '../../main/service';
import { contract } from '../../app/contract';
import { declaresPath, serverPaths } from '../../app/contract/server-paths';
import { connectWs, type WireReply } from '../fixtures/ws-client';
import { pngGrey8 } from '../fixtures/images';

function refusedOutside(r: WireReply, what: string): void {
  assert.equal(r.ok, false, `${what} should be refused`);
  if (!r.ok) assert.match(r.error.message, /outside the folders this server may use/, what);
}

test('every path a web client types is checked against the roots', async () => {
  const base = mkdtempSync(join(tmpdir(), 'gl-srvpaths-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.png'), await pngGrey8(16, 16));
  symlinkSync(outside, join(root, 'link-out'));
  const svc = new GrainLabService({ userDataDir: join(base, 'user'), binding: 'web', browseRoots: [root] });
  const staticDir = mkdtempSync(join(tmpdir(), 'gl-srvpaths-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>GrainLab</title>');
  const server = await startWebServer({ service: svc, staticDir, port: 0 });
  const ws = await connectWs(server);
  try {
    refusedOutside(await ws.call('project.create', { path: join(outside, 'p') }), 'a project outside');
    refusedOutside(await ws.call('project.create', { path: join(root, '..', 'outside', 'p2') }), "a project reached by '..'");
    refusedOutside(await ws.call('project.create', { path: join(root, 'link-out', 'p3') }), 'a project through a link that leads out');
    refusedOutside(await ws.call('project.create', { path: join(outside, 'new', 'deeper', 'p4') }), 'a project in folders still to be made outside');
    assert.equal(existsSync(join(outside, 'p')) || existsSync(join(outside, 'p2')) || existsSync(join(outside, 'p3')) || existsSync(join(outside, 'new')), false, 'nothing is created outside');
    const rel = await ws.call('project.open', { path: 'root/p' });
    assert.equal(rel.ok, false);
    if (!rel.ok) assert.match(rel.error.message, /not absolute/);

    // Inside the roots, also in folders still to be made, everything works.
    const created = await ws.call('project.create', { path: join(root, 'new', 'p') });
    assert.equal(created.ok, true, JSON.stringify(created));
    refusedOutside(await ws.call('images.importPaths', { paths: [join(outside, 'secret.png')] }), 'an image outside');
    refusedOutside(await ws.call('images.importPaths', { paths: [join(root, 'link-out', 'secret.png')] }), 'an image through a link');
    writeFileSync(join(root, 'ok.png'), await pngGrey8(16, 16));
    const imp = await ws.call('images.importPaths', { paths: [join(root, 'ok.png')] });
    assert.equal(imp.ok, true, JSON.stringify(imp));
    const list = await ws.call('images.list', {});
    assert.equal(list.ok && (list.value as unknown[]).length, 1, 'only the image inside was imported');
    refusedOutside(await ws.call('export.dataset', { dest: join(outside, 'ds'), format: 'coco' }), 'an export folder outside');
    refusedOutside(await ws.call('learn.export', { path: join(outside, 'c.onnx') }), 'a classifier file outside');
    refusedOutside(await ws.call('labels.import', { kind: 'instance', paths: [join(outside, 'secret.png')] }), 'label files outside');
    assert.equal(existsSync(join(outside, 'ds')), false);
  } finally {
    ws.close();
    await server.close();
    await svc.dispose();
  }

  // The same service in-process (the CLI, the desktop's own dialogs) is not confined.
  const local = new GrainLabService({ userDataDir: join(base, 'user2'), binding: 'web', browseRoots: [root] });
  try {
    await local.call('project.create', { path: join(outside, 'local') });
    assert.equal(existsSync(join(outside, 'local', 'project.sqlite')), true);
  } finally {
    await local.dispose();
  }
});

test('the path finder sees paths nested in objects, arrays and optional fields, and every path-taking method', () => {
  const withPaths = Object.entries(contract).filter(([, m]) => declaresPath(m.args)).map(([name]) => name);
  for (const m of ['project.create', 'project.open', 'images.importPaths', 'export.dataset', 'labels.import', 'batch.merge', 'learn.export', 'stacks.export', 'channels.importPaths', 'sam.importCustom']) {
    assert.ok(withPaths.includes(m), `${m} declares a server path`);
  }
  assert.ok(!withPaths.includes('images.list'));
  const parsed = contract['sam.importCustom'].args.parse({ name: 'm', encoderPath: '/a/enc.onnx', decoderPath: '/a/dec.onnx', destination: 'user' });
  assert.deepEqual(serverPaths(contract['sam.importCustom'].args, parsed).sort(), ['/a/dec.onnx', '/a/enc.onnx']);
  const merge = contract['batch.merge'].args.parse({ shards: ['/s/0', '/s/1'] });
  assert.deepEqual(serverPaths(contract['batch.merge'].args, merge), ['/s/0', '/s/1']);
  const labels = contract['labels.import'].args.parse({ kind: 'instance', paths: ['/l/a.png'] });
  assert.deepEqual(serverPaths(contract['labels.import'].args, labels), ['/l/a.png']);
});
