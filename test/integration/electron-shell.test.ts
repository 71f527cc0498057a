// The Electron shell without Electron: window security options and the preload's exposed surface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mainWindowOptions } from '../../main/electron/window-options';
import { buildPreloadApi, CALL_CHANNEL, type IpcLike } from '../../main/electron/preload-api';
import { methodNames } from '../../app/contract';

test('the window is isolated: contextIsolation and sandbox on, no Node in the page', () => {
  const wp = mainWindowOptions('/x/preload.cjs').webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.nodeIntegrationInWorker, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.webviewTag, false);
  assert.equal(wp.preload, '/x/preload.cjs');
});

test('the preload exposes exactly the contract methods and forwards each to one channel', async () => {
  const calls: unknown[][] = [];
  const ipc: IpcLike = {
    invoke: async (...args) => {
      calls.push(args);
      return { ok: true, value: null };
    },
    on: () => {},
    removeListener: () => {},
  };
  const api = buildPreloadApi(ipc);
  assert.deepEqual(Object.keys(api).sort(), ['methods', 'on']);
  assert.deepEqual(Object.keys(api.methods).sort(), [...methodNames].sort());
  assert.ok(Object.isFrozen(api.methods));
  await api.methods['images.list']({});
  assert.deepEqual(calls[0], [CALL_CHANNEL, 'images.list', {}]);
  assert.throws(() => api.on('onSomethingElse' as 'onDidProgress', () => {}), /Unknown event/);
});
