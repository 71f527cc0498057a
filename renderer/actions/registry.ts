// The actions registry: every one-shot command (one file each in this folder, or one file for a
// family such as the class keys) in the order the help overlay lists them, and the keyboard
// lookup. The tool strip, the Segment menu, the canvas context menu, the keyboard and the "?"
// help all read it, so a command and its keys are declared once. DOM-free.
import { brushLarger, brushSmaller } from './brush-size';
import { clearSelection } from './clear-selection';
import { clusterSelect } from './cluster-select';
import { deleteSelected } from './delete';
import { deleteSmaller } from './delete-smaller';
import { fillHoles } from './fill-holes';
import { help } from './help';
import { nextImage, previousImage } from './images';
import { learnNextUncertain, learnTrain } from './learn';
import { merge } from './merge';
import { openEngineFit, openModels } from './models';
import { nextToReview, previousToReview } from './next-unverified';
import { toggleOutlines, toggleOverlay } from './overlay';
import { polygonMode } from './polygon-mode';
import { redo } from './redo';
import { reviewImage } from './review-image';
import { segmentImage } from './segment';
import { openClusters, phaseMap, segmentAll, segmentChosen } from './segment-menu';
import { selectAll } from './select-all';
import { nextSlice, previousSlice } from './stack';
import { classActions, clearClass } from './set-class';
import { toolActions } from './tool';
import { Keymap } from './keymap';
import type { Action, ActionContext, ActionGroup } from './types';
import { undo } from './undo';
import { toggleVerified } from './verify';
import { actualSize, fit, zoomIn, zoomOut } from './zoom';

export type { Action, ActionContext, ActionGroup } from './types';

export const ACTIONS: readonly Action[] = [
  ...toolActions,
  undo,
  redo,
  merge,
  deleteSelected,
  fillHoles,
  deleteSmaller,
  polygonMode,
  selectAll,
  clearSelection,
  nextToReview,
  previousToReview,
  clusterSelect,
  ...classActions,
  clearClass,
  toggleVerified,
  reviewImage,
  learnTrain,
  learnNextUncertain,
  toggleOverlay,
  toggleOutlines,
  brushSmaller,
  brushLarger,
  fit,
  actualSize,
  zoomIn,
  zoomOut,
  help,
  nextImage,
  previousImage,
  nextSlice,
  previousSlice,
  segmentImage,
  segmentChosen,
  segmentAll,
  phaseMap,
  openClusters,
  openModels,
  openEngineFit,
];

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/**
 * A key event as a combo string. Letters are upper-cased and carry Shift explicitly; other printable
 * characters already say whether Shift was down ("?" not "Shift+/"), so Shift is left out for them.
 * Cmd on macOS counts as Ctrl.
 */
export function keyCombo(e: KeyLike): string {
  const k = e.key;
  const letter = k.length === 1 && /[a-z]/i.test(k);
  const printable = k.length === 1;
  const name = letter ? k.toUpperCase() : k === ' ' ? 'Space' : k;
  const mods: string[] = [];
  if (e.ctrlKey || e.metaKey) mods.push('Ctrl');
  if (e.altKey) mods.push('Alt');
  if (e.shiftKey && (letter || !printable)) mods.push('Shift');
  return [...mods, name].join('+');
}

// The keys in force: the declared ones until the workspace installs the platform's and the person's.
let keymap = new Keymap(ACTIONS);
const keymapListeners = new Set<() => void>();

export function currentKeymap(): Keymap {
  return keymap;
}

/** Installs a keymap (after a rebind, a reset, or at start for the platform and the stored rebinds). */
export function setKeymap(next: Keymap): void {
  keymap = next;
  for (const l of keymapListeners) l();
}

export function onKeymapChange(listener: () => void): () => void {
  keymapListeners.add(listener);
  return () => keymapListeners.delete(listener);
}

/** The keys that run an action now (the first is the one shown). */
export function keysOf(a: Action): readonly string[] {
  return keymap.keysOf(a);
}

/** The action a key event runs, if any (the key test of every action). */
export function actionForKey(e: KeyLike): Action | undefined {
  return keymap.lookup(keyCombo(e));
}

/** " (K)" with the key that runs the named action now (after any rebind), or "" when it has none: for tooltips. */
export function keyHint(name: string): string {
  const a = actionByName(name);
  const k = a ? keymap.keysOf(a)[0] : undefined;
  return k ? ` (${k})` : '';
}

export function actionByName(name: string): Action | undefined {
  return ACTIONS.find((a) => a.name === name);
}

/** Whether the action can run now. */
export function isEnabled(a: Action, ctx: ActionContext): boolean {
  return a.predicate ? a.predicate(ctx) : true;
}

/** Runs the action when its predicate allows; true when it ran. */
export function runAction(a: Action, ctx: ActionContext): boolean {
  if (!isEnabled(a, ctx)) return false;
  a.perform(ctx);
  return true;
}

/** The actions of a toolbar menu, in declaration order. */
export function menuActions(menu: NonNullable<Action['menu']>): Action[] {
  return ACTIONS.filter((a) => a.menu === menu);
}

/** Actions that have keys, by group, in declaration order, for the help overlay. */
export function actionsByGroup(): [ActionGroup, Action[]][] {
  const groups = new Map<ActionGroup, Action[]>();
  for (const a of ACTIONS) {
    if (keysOf(a).length === 0) continue;
    const list = groups.get(a.group) ?? [];
    list.push(a);
    groups.set(a.group, list);
  }
  return [...groups.entries()];
}
