// The keymap: web mode's browser-safe defaults, rebinding with conflicts refused, resets, and
// loading stored rebinds that may be stale or damaged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIONS, actionByName, actionForKey, currentKeymap, keyHint, setKeymap } from '../../renderer/actions/registry';
import { Keymap } from '../../renderer/actions/keymap';

const named = (n: string) => actionByName(n)!;
const key = (key: string, m: Partial<{ ctrl: boolean; shift: boolean }> = {}) => ({ key, ctrlKey: !!m.ctrl, metaKey: false, shiftKey: !!m.shift, altKey: false });

test('web mode swaps the keys the browser owns; Electron keeps its own', () => {
  const electron = new Keymap(ACTIONS, 'electron');
  const web = new Keymap(ACTIONS, 'web');
  for (const combo of ['Ctrl+0', 'Ctrl+1', 'Ctrl+Y']) {
    assert.ok(electron.lookup(combo), `${combo} runs something in Electron`);
    assert.equal(web.lookup(combo), undefined, `${combo} is left to the browser in web mode`);
  }
  assert.equal(web.lookup('Shift+F')?.name, 'view.actual');
  assert.equal(web.lookup('F')?.name, 'view.fit');
  assert.equal(web.lookup('Ctrl+Shift+Z')?.name, 'edit.redo');
  // Everything else is the same on both.
  for (const a of ACTIONS) if (!['view.fit', 'view.actual', 'edit.redo'].includes(a.name)) assert.deepEqual(web.keysOf(a), electron.keysOf(a), a.name);
  assert.equal(web.lookup('D')?.name, 'image.next');
  assert.equal(web.lookup('A')?.name, 'image.prev');
});

test('rebinding: the new key runs the action, the old one nothing; clashes are refused with a sentence', () => {
  const map = new Keymap(ACTIONS, 'web');
  const next = map.rebind('view.overlay', 'Y');
  assert.ok(next instanceof Keymap);
  assert.equal(next.lookup('Y')?.name, 'view.overlay');
  assert.equal(next.lookup('O'), undefined);
  assert.deepEqual(next.keysOf(named('view.overlay')), ['Y']);
  assert.equal(next.isDefault(named('view.overlay')), false);

  const clash = next.rebind('view.overlay', 'M');
  assert.equal(typeof clash, 'string');
  assert.match(clash as string, /already the key of "Merge selected segments"/);
  assert.match(next.rebind('view.overlay', 'Ctrl+W') as string, /belongs to the browser/);
  assert.match(next.rebind('view.overlay', 'Shift') as string, /modifier alone/);
  assert.match(next.rebind('view.overlay', 'Escape') as string, /Escape/);
  assert.match(next.rebind('no.such', 'X') as string, /no action/);
  // Electron may use Ctrl+W (no browser around it).
  assert.ok(new Keymap(ACTIONS, 'electron').rebind('view.overlay', 'Ctrl+W') instanceof Keymap);
  // Its own key again is no clash.
  assert.ok(next.rebind('view.overlay', 'Y') instanceof Keymap);
});

test('reset: one action or all; a default now taken elsewhere is refused', () => {
  const a = new Keymap(ACTIONS, 'web').rebind('view.overlay', 'Y') as Keymap;
  const back = a.reset('view.overlay') as Keymap;
  assert.equal(back.lookup('O')?.name, 'view.overlay');
  assert.deepEqual(back.overrides, {});
  const b = (a.rebind('edit.merge', 'X') as Keymap).rebind('view.fillHoles', 'Z');
  assert.equal(typeof b, 'string', 'unknown action refused');
  // M freed by merge's rebind, then given to the overlay: resetting merge would clash.
  const c = ((a.rebind('edit.merge', 'X') as Keymap).rebind('view.overlay', 'M') as Keymap);
  assert.match(c.reset('edit.merge') as string, /rebind that one first/);
  const all = c.reset(null) as Keymap;
  assert.equal(all.lookup('M')?.name, 'edit.merge');
  assert.equal(all.lookup('O')?.name, 'view.overlay');
});

test('stored rebinds: kept when valid, stale or clashing entries dropped, damaged input ignored', () => {
  const m = Keymap.load(ACTIONS, 'web', { 'view.overlay': ['Y'], 'edit.merge': ['Y'], 'gone.action': ['X'], 'view.fit': 'F', 'image.next': ['Ctrl+1'] });
  assert.equal(m.lookup('Y')?.name, 'view.overlay');
  assert.deepEqual(m.keysOf(named('edit.merge')), ['M'], 'the clashing second rebind is dropped');
  assert.deepEqual(m.keysOf(named('image.next')), ['D', 'PageDown'], 'a browser key stored for web mode is dropped');
  assert.deepEqual(Object.keys(m.overrides), ['view.overlay']);
  for (const junk of [null, 42, 'x', [1, 2]]) assert.deepEqual(Keymap.load(ACTIONS, 'web', junk).overrides, {});
});

test('the registry looks keys up in the installed keymap', () => {
  const before = currentKeymap();
  try {
    setKeymap(new Keymap(ACTIONS, 'web').rebind('image.next', 'L') as Keymap);
    assert.equal(actionForKey(key('l'))?.name, 'image.next');
    assert.equal(actionForKey(key('d')), undefined);
    assert.equal(actionForKey(key('1', { ctrl: true })), undefined);
  } finally {
    setKeymap(before);
  }
  assert.equal(actionForKey(key('d'))?.name, 'image.next');
});

test('tooltips name the key that runs an action now: after a rebind, the new key', () => {
  const before = currentKeymap();
  try {
    setKeymap(new Keymap(ACTIONS, 'electron'));
    assert.equal(keyHint('image.segment'), ' (S)');
    setKeymap(new Keymap(ACTIONS, 'electron').rebind('image.segment', 'Shift+G') as Keymap);
    assert.equal(keyHint('image.segment'), ' (Shift+G)');
    assert.equal(keyHint('no.such.action'), '');
  } finally {
    setKeymap(before);
  }
});
