// One registry of one-shot commands (merge, delete, undo, classes, review, navigation...) shared
// by the toolbar, the canvas context menu, keyboard shortcuts and the help overlay, so a command
// and its key are declared once. DOM-free: the workspace implements ActionContext.
import { TOOLS } from '../tools';
import type { ToolId } from '../tools/types';

export interface ActionContext {
  readonly hasImage: boolean;
  readonly hasSegmentation: boolean;
  readonly selection: readonly number[];
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly tool: ToolId;
  readonly imageReviewed: boolean;
  undo(): void;
  redo(): void;
  setTool(id: ToolId): void;
  mergeSelected(): void;
  deleteSelected(): void;
  deleteSmaller(): void;
  fillHoles(): void;
  /** Class key 1-9 (the n-th class, created on demand) or null to clear. */
  setClass(n: number | null): void;
  toggleVerified(): void;
  selectAll(): void;
  clearSelection(): void;
  nextUnverified(backwards: boolean): void;
  /** Click-to-select-cluster mode on or off. */
  toggleClusterSelect(): void;
  toggleReviewed(): void;
  nextImage(): void;
  prevImage(): void;
  segment(): void;
  toggleOverlay(): void;
  toggleOutlines(): void;
  brushSize(factor: number): void;
  fit(): void;
  actualSize(): void;
  zoom(factor: number): void;
  toggleHelp(): void;
  togglePolygonMode(): void;
}

export type ActionGroup = 'Tools' | 'Edit' | 'Selection' | 'Classes and review' | 'View' | 'Images';

export interface Action {
  id: string;
  label: string;
  group: ActionGroup;
  /** Key combos as keyCombo() writes them ("Ctrl+Z", "Shift+Delete", "M", "?", "1"). */
  keys: string[];
  run(ctx: ActionContext): void;
  enabled?(ctx: ActionContext): boolean;
  /** Shown as a toolbar button (label shortened to `short`, drawn as `glyph` in the tool strip). */
  toolbar?: boolean;
  short?: string;
  glyph?: string;
  /** Shown in the canvas context menu. */
  context?: boolean;
}

const hasSel = (c: ActionContext) => c.hasSegmentation && c.selection.length > 0;
const seg = (c: ActionContext) => c.hasSegmentation;

const toolActions: Action[] = TOOLS.map((t) => ({
  id: `tool.${t.id}`,
  label: `${t.label} tool`,
  group: 'Tools' as const,
  keys: [t.key],
  run: (c: ActionContext) => c.setTool(t.id),
  enabled: (c: ActionContext) => c.hasImage,
}));

const classActions: Action[] = Array.from({ length: 9 }, (_, k) => ({
  id: `class.${k + 1}`,
  label: `Assign class ${k + 1} to the selection`,
  group: 'Classes and review' as const,
  keys: [String(k + 1)],
  run: (c: ActionContext) => c.setClass(k + 1),
  enabled: hasSel,
}));

export const ACTIONS: Action[] = [
  ...toolActions,
  { id: 'edit.undo', label: 'Undo', short: 'Undo', glyph: '↶', group: 'Edit', keys: ['Ctrl+Z'], run: (c) => c.undo(), enabled: (c) => c.canUndo, toolbar: true },
  { id: 'edit.redo', label: 'Redo', short: 'Redo', glyph: '↷', group: 'Edit', keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], run: (c) => c.redo(), enabled: (c) => c.canRedo, toolbar: true },
  { id: 'edit.merge', label: 'Merge selected segments', short: 'Merge', glyph: '⊕', group: 'Edit', keys: ['M'], run: (c) => c.mergeSelected(), enabled: (c) => seg(c) && c.selection.length > 1, toolbar: true, context: true },
  { id: 'edit.delete', label: 'Delete selected segments', short: 'Delete', glyph: '✕', group: 'Edit', keys: ['Delete', 'Backspace'], run: (c) => c.deleteSelected(), enabled: hasSel, toolbar: true, context: true },
  { id: 'edit.fillHoles', label: 'Fill holes in selected segments', short: 'Fill holes', glyph: '◉', group: 'Edit', keys: ['H'], run: (c) => c.fillHoles(), enabled: hasSel, context: true, toolbar: true },
  { id: 'edit.deleteSmaller', label: 'Delete all segments smaller than N px', group: 'Edit', keys: ['Shift+Delete'], run: (c) => c.deleteSmaller(), enabled: seg, context: true },
  { id: 'edit.polygonMode', label: 'Polygon tool: switch add / subtract', group: 'Edit', keys: ['Shift+P'], run: (c) => c.togglePolygonMode(), enabled: (c) => c.hasImage },
  { id: 'sel.all', label: 'Select all segments', group: 'Selection', keys: ['Ctrl+A'], run: (c) => c.selectAll(), enabled: seg, context: true },
  { id: 'sel.clear', label: 'Clear the selection', group: 'Selection', keys: ['Escape'], run: (c) => c.clearSelection(), enabled: (c) => c.selection.length > 0 },
  { id: 'sel.nextUnverified', label: 'Next segment to review, least confident predicted class first (centres the view)', group: 'Selection', keys: ['N'], run: (c) => c.nextUnverified(false), enabled: seg },
  { id: 'sel.prevUnverified', label: 'Previous unverified segment', group: 'Selection', keys: ['Shift+N'], run: (c) => c.nextUnverified(true), enabled: seg },
  { id: 'sel.byCluster', label: 'Cluster select: a click selects its whole cluster (on/off)', group: 'Selection', keys: ['Shift+C'], run: (c) => c.toggleClusterSelect(), enabled: seg, context: true },
  ...classActions,
  { id: 'class.clear', label: 'Clear the class of the selection', group: 'Classes and review', keys: ['0'], run: (c) => c.setClass(null), enabled: hasSel },
  { id: 'review.verify', label: 'Mark selected segments verified (again: unverified)', short: 'Verified', glyph: '✓', group: 'Classes and review', keys: ['V'], run: (c) => c.toggleVerified(), enabled: hasSel, toolbar: true, context: true },
  { id: 'review.image', label: 'Mark this image reviewed (again: back to in review)', short: 'Image reviewed', group: 'Classes and review', keys: ['R'], run: (c) => c.toggleReviewed(), enabled: (c) => c.hasImage },
  { id: 'view.overlay', label: 'Show or hide the overlay', group: 'View', keys: ['O'], run: (c) => c.toggleOverlay(), enabled: (c) => c.hasImage },
  { id: 'view.outlines', label: 'Outline-only view', group: 'View', keys: ['Shift+O'], run: (c) => c.toggleOutlines(), enabled: (c) => c.hasImage },
  { id: 'view.brushSmaller', label: 'Smaller brush', group: 'View', keys: ['['], run: (c) => c.brushSize(1 / 1.25), enabled: (c) => c.hasImage },
  { id: 'view.brushLarger', label: 'Larger brush', group: 'View', keys: [']'], run: (c) => c.brushSize(1.25), enabled: (c) => c.hasImage },
  { id: 'view.fit', label: 'Fit image to window', group: 'View', keys: ['F', 'Ctrl+0'], run: (c) => c.fit(), enabled: (c) => c.hasImage },
  { id: 'view.actual', label: 'Actual pixels (1:1)', group: 'View', keys: ['Ctrl+1'], run: (c) => c.actualSize(), enabled: (c) => c.hasImage },
  { id: 'view.zoomIn', label: 'Zoom in', group: 'View', keys: ['+', '='], run: (c) => c.zoom(1.25), enabled: (c) => c.hasImage },
  { id: 'view.zoomOut', label: 'Zoom out', group: 'View', keys: ['-'], run: (c) => c.zoom(0.8), enabled: (c) => c.hasImage },
  { id: 'view.help', label: 'Show this list of shortcuts', short: 'Shortcuts', glyph: '?', group: 'View', keys: ['?'], run: (c) => c.toggleHelp(), toolbar: true },
  { id: 'image.next', label: 'Next image', group: 'Images', keys: ['PageDown'], run: (c) => c.nextImage() },
  { id: 'image.prev', label: 'Previous image', group: 'Images', keys: ['PageUp'], run: (c) => c.prevImage() },
  { id: 'image.segment', label: 'Auto-segment this image', group: 'Images', keys: ['S'], run: (c) => c.segment(), enabled: (c) => c.hasImage },
];

export interface KeyLike {
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

const byKey = new Map<string, Action>();
for (const a of ACTIONS) {
  for (const k of a.keys) {
    if (byKey.has(k)) throw new Error(`Shortcut ${k} is declared twice (${byKey.get(k)!.id} and ${a.id})`);
    byKey.set(k, a);
  }
}

export function actionForKey(e: KeyLike): Action | undefined {
  return byKey.get(keyCombo(e));
}

export function actionById(id: string): Action | undefined {
  return ACTIONS.find((a) => a.id === id);
}

/** Actions by group, in declaration order, for the help overlay. */
export function actionsByGroup(): [ActionGroup, Action[]][] {
  const groups = new Map<ActionGroup, Action[]>();
  for (const a of ACTIONS) {
    const list = groups.get(a.group) ?? [];
    list.push(a);
    groups.set(a.group, list);
  }
  return [...groups.entries()];
}
