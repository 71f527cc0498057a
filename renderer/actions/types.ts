// What an action is and what it may touch. An action (one file each under renderer/actions/, as
// Excalidraw's actions are) has a name, a label, the keys that run it, a predicate saying when it
// can run, and `perform`, which does the work through ActionContext. The workspace builds the
// context from its hooks; tests build a fake one. DOM-free.
import type { EditOp } from '../../app/edit';
import type { Box, ClassRecord, ImageRecord, ImageStatus, SegmentRecord } from '../../app/types';
import type { Intent, ToolId } from '../tools/types';

export type ActionGroup = 'Tools' | 'Edit' | 'Selection' | 'Classes and review' | 'View' | 'Images';

/** The open image's segmentation as actions read it. */
interface ActionDocument {
  readonly segments: ReadonlyMap<number, SegmentRecord>;
  /** Entries main's history can undo / redo. */
  readonly undoDepth: number;
  readonly redoDepth: number;
}

interface ActionSelection {
  readonly ids: readonly number[];
  /** The one selected segment, or null. */
  readonly single: number | null;
  apply(ids: readonly number[], mode: 'replace'): void;
  clear(): void;
}

/** Workspace switches an action can flip. */
/** 'models' and 'engineFit' open (or close) the Models dialog and the "Which engine fits" panel. */
export type Toggle = 'overlay' | 'outlines' | 'help' | 'polygonSubtract' | 'clusterSelect' | 'models' | 'engineFit';

export interface ActionContext {
  /** An image is open and its pixels are shown. */
  readonly hasImage: boolean;
  /** The open image's segmentation; null when it has none. */
  readonly doc: ActionDocument | null;
  /** Edits sent to main and not answered yet (undo is possible while any are under way). */
  readonly pending: number;
  readonly selection: ActionSelection;
  readonly tool: ToolId;
  /** The open image's record and the project's images in list order. */
  readonly image: ImageRecord | null;
  readonly images: readonly ImageRecord[];
  /** The slice stack the open image belongs to (its image ids in z order); absent or null for a single image. */
  readonly stack?: { readonly imageIds: readonly number[] } | null;
  /** Images chosen in the list (project-wide commands work on them). */
  readonly chosen: readonly number[];
  /** A job (segmentation, phase map…) is running. */
  readonly running: boolean;
  readonly classes: readonly ClassRecord[];
  /** The side panel's "delete smaller than" area, px. */
  readonly minArea: number;
  readonly clusterSelect: boolean;
  /** The open image has a clustering (cluster select needs one). */
  readonly hasClusters: boolean;
  /** Applies edits at once and sends them to main; `intent` says what to select afterwards. */
  edit(ops: EditOp[], label: string, intent?: Extract<Intent, { type: 'edit' }>): void;
  /** Main's undo / redo (its history survives reloads). */
  undo(): void;
  redo(): void;
  setTool(id: ToolId): void;
  /** The project's classes, at least `count` of them (created on demand); null when that failed (already reported). */
  ensureClasses(count: number): Promise<readonly ClassRecord[] | null>;
  setImageStatus(imageId: number, status: ImageStatus): void;
  openImage(imageId: number): void;
  /** Auto-segments these images (asks first when corrections are at stake; `verb` names the command in the question). */
  segment(imageIds: number[], verb?: string): void;
  /** Pixel k-means phase map of one image (asks first when it holds corrections). */
  phaseMap(imageId: number): void;
  notify(kind: 'info' | 'error', text: string): void;
  readonly view: {
    fit(): void;
    actualSize(): void;
    zoomBy(factor: number): void;
    centreOn(box: Box): void;
  };
  toggle(what: Toggle): void;
  setBrushRadius(next: (radius: number) => number): void;
  showClustersTab(): void;
  /** The pixel classifier (renderer/workspace/learn.ts). */
  readonly learn: {
    /** Labels of at least two classes exist. */
    readonly canTrain: boolean;
    readonly training: boolean;
    /** A classifier has been trained. */
    readonly trained: boolean;
    train(): void;
    nextUncertain(): void;
  };
}

export interface Action {
  /** Stable id ("edit.undo"), also the toolbar button's test id suffix. */
  name: string;
  label: string;
  group: ActionGroup;
  /** Key combos as keyCombo() writes them ("Ctrl+Z", "Shift+Delete", "M", "?", "1"); the first is shown. */
  keys: string[];
  perform(ctx: ActionContext): void;
  /** When the action can run (no predicate: always). */
  predicate?(ctx: ActionContext): boolean;
  /** Shown as a tool-strip button (drawn as `glyph`, else `short`). */
  toolbar?: boolean;
  short?: string;
  glyph?: string;
  /** Shown in the canvas context menu. */
  context?: boolean;
  /** Shown in a toolbar menu ('segment': the arrow beside Segment; 'models': the Models menu), with this tooltip. */
  menu?: 'segment' | 'models';
  title?: string;
  /** The menu's text when it depends on the context (counts), else `label`. */
  caption?(ctx: ActionContext): string;
  testId?: string;
}

export const hasImage = (c: ActionContext): boolean => c.hasImage;
export const hasSegmentation = (c: ActionContext): boolean => c.doc !== null;
export const hasSelection = (c: ActionContext): boolean => c.doc !== null && c.selection.ids.length > 0;
