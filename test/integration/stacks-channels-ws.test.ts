// A misbehaving web client: invalid arguments to stacks.* and channels.* over the WebSocket are
// refused one by one as invalid arguments (or a clear not-found), nothing is written, and the
// connection goes on serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebServer } from '../../main/server/web-server';
import { GrainLabService } from '../../main/service';
import { decodeMessage, encodeMessage } from '../../app/wire';
import { pngGrey8 } from '../fixtures/images';

type Reply = { t: 'reply'; id: number; reply: { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } } };

test('invalid stacks.* and channels.* calls over the WebSocket are refused cleanly and change nothing', async () => {
  const svc = new GrainLabService({ userDataDir: mkdtempSync(join(tmpdir(), 'gl-ws-attack-user-')), binding: 'web', browseRoots: [tmpdir()] });
  const staticDir = mkdtempSync(join(tmpdir(), 'gl-ws-attack-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>GrainLab</title>');
  const server = await startWebServer({ service: svc, staticDir, port: 0 });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  const replies = new Map<number, (r: Reply) => void>();
  ws.on('message', (data: Buffer) => {
    const m = decodeMessage(new Uint8Array(data)) as Reply;
    if (m.t === 'reply') replies.get(m.id)?.(m);
  });
  let nextId = 1;
  const call = (method: string, args: unknown): Promise<Reply['reply']> =>
    new Promise((resolve) => {
      const id = nextId++;
      replies.set(id, (r) => resolve(r.reply));
      ws.send(encodeMessage({ t: 'call', id, method, args } as never));
    });
  try {
    await new Promise((r) => ws.once('open', r));
    const dir = join(mkdtempSync(join(tmpdir(), 'gl-ws-attack-')), 'p');
    assert.equal((await call('project.create', { path: dir })).ok, true);
    const png = await pngGrey8(32, 32);
    const imp = await call('images.importFiles', { files: [{ name: 'a.png', bytes: png }, { name: 'b.png', bytes: await pngGrey8(40, 32) }] });
    assert.equal(imp.ok, true);
    const bad: [string, unknown][] = [
      ['stacks.create', { name: 'x', imageIds: 'all' }],
      ['stacks.create', { name: '', imageIds: [1, 2] }],
      ['stacks.create', { name: 'x', imageIds: [1, 2], spacingUm: -1 }],
      ['stacks.create', { name: 'x', imageIds: [1, 2], spacingUm: Number.NaN }],
      ['stacks.create', { name: 'x', imageIds: [1.5] }],
      ['stacks.create', { name: 'x', imageIds: [1, 1] }],
      ['stacks.setSpacing', { stackId: -3, spacingUm: 1 }],
      ['stacks.propagate', { imageId: 1, count: 1e12, engine: 'classic' }],
      ['stacks.propagate', { imageId: 1, count: 1, direction: 'sideways' }],
      ['stacks.importPaths', { paths: [] }],
      ['stacks.importPaths', { paths: [42] }],
      ['stacks.stats', { stackId: 1, minOverlap: 7 }],
      ['stacks.export', { stackId: 1 }],
      ['stacks.remove', null],
      ['channels.list', { imageId: 'one' }],
      ['channels.importFiles', { imageId: 1, files: [{ name: 'Fe.png', bytes: 'not bytes' }] }],
      ['channels.importFiles', { imageId: 1, files: [] }],
      ['channels.importPaths', { imageId: 1, paths: ['relative/../../etc/passwd'] }],
      ['channels.update', { id: 1, opacity: 5 }],
      ['channels.update', { id: 1, color: 'red' }],
      ['channels.register', { imageId: 1 }],
      ['channels.register', { imageId: 1, estimate: true, registration: { sx: 1, sy: 1, tx: 0, ty: 0 } }],
      ['channels.register', { imageId: 1, registration: { sx: 0, sy: 1, tx: 0, ty: 0 } }],
      ['channels.register', { imageId: 1, pairs: [{ image: { x: 0, y: 0 }, map: { x: 0, y: 0 } }, { image: { x: Number.NaN, y: 1 }, map: { x: 1, y: 1 } }] }],
      ['channels.remove', { ids: 'everything' }],
      ['channels.display', {}],
    ];
    for (const [method, args] of bad) {
      const r = await call(method, args);
      assert.equal(r.ok, false, `${method} ${JSON.stringify(args)} was accepted`);
      if (!r.ok) {
        assert.ok(['invalid-argument', 'not-found'].includes(r.error.code), `${method}: ${r.error.code} ${r.error.message}`);
        assert.ok(r.error.message.length > 0 && r.error.message.length < 2000);
      }
    }
    // Calls that are well formed but name what is not there: not found, by name.
    const missing = await call('channels.register', { imageId: 99, estimate: true });
    assert.ok(!missing.ok && missing.error.code === 'not-found', JSON.stringify(missing));
    // Nothing was made, and the connection still serves.
    const stacks = await call('stacks.list', {});
    assert.deepEqual(stacks, { ok: true, value: [] });
    const chans = await call('channels.list', { imageId: 1 });
    assert.deepEqual(chans, { ok: true, value: [] });
  } finally {
    ws.close();
    await server.close();
    await svc.dispose();
  }
});
