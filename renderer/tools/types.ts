// What a canvas tool is: a small state machine (named child states, state-node.ts) fed with
// pointer and key input in image coordinates, emitting intents (edits, selections, SAM prompts) and describing its preview.
// Tools never touch the DOM, Konva or storage, so they run headless in tests.
import type { EditOp, Point } from '../../app/edit';
import type { Box, LabelMap, SegmentRecord, SegmentSource } from '../../app/types';
import type { SelectMode } from '../editor/selection';

export type ToolId = 'select' | 'brush' | 'eraser' | 'split' | 'merge' | 'polygon' | 'sam' | 'carve' | 'boundary' | 'train';

export interface PointerInput {
  /** Image coordinates (pixel (i, j) covers [i, i+1) x [j, j+1)). */
  x: number;
  y: number;
  /** 0 left, 1 middle, 2 right. */
  button: number;
  shift: boolean;
  alt: boolean;
  ctrl: boolean;
  /** Image pixels per screen pixel at the current zoom (for tolerances that feel the same at any zoom). */
  pixelSize: number;
  /** Two clicks in quick succession. */
  double?: boolean;
}

export interface KeyInput {
  key: string;
  shift: boolean;
  alt: boolean;
  ctrl: boolean;
}

export interface PromptPoint {
  x: number;
  y: number;
  label: 0 | 1;
}

export type Intent =
  | { type: 'edit'; ops: EditOp[]; label: string; source?: SegmentSource; classFrom?: number; select?: 'created' | 'target' }
  | { type: 'select'; ids: number[]; mode: SelectMode }
  | { type: 'prompt'; points: PromptPoint[]; box: Box | null; refine: boolean }
  | { type: 'message'; kind: 'info' | 'error'; text: string }
  /** A Train-tool stroke: a training label of the `classIndex`-th class (1-based), or an erase; points are x,y pairs. */
  | { type: 'scribble'; mode: 'paint' | 'erase'; classIndex: number; radius: number; points: number[] }
  /** Takes back the open image's last scribble stroke. */
  | { type: 'scribbleUndo' };

/** Read-only view of the open image's segmentation. */
export interface ToolDocument {
  readonly width: number;
  readonly height: number;
  readonly labels: LabelMap;
  labelAt(x: number, y: number): number;
  segment(id: number): SegmentRecord | undefined;
  readonly segments: ReadonlyMap<number, SegmentRecord>;
}

export interface ToolContext {
  doc: ToolDocument;
  selection: readonly number[];
  /** Brush radius in image pixels. */
  brushRadius: number;
  emit(intent: Intent): void;
}

/** Shapes a tool asks the interaction layer to draw, in image coordinates. */
export type PreviewShape =
  | { kind: 'stroke'; points: Point[]; radius: number; erase: boolean; colour?: string }
  /** Scribble strokes replayed in order (an erase stroke, colour null, clears what is under it), drawn semi-transparent. */
  | { kind: 'scribbles'; strokes: { points: Point[]; radius: number; colour: string | null }[]; opacity: number }
  /** An RGBA raster over an image box (the live prediction); `version` changes when the pixels do. */
  | { kind: 'raster'; box: Box; rgba: Uint8ClampedArray; version: number }
  | { kind: 'cursor'; x: number; y: number; radius: number; erase: boolean }
  | { kind: 'line'; points: Point[]; colour: string; closed?: boolean; fill?: string; dashed?: boolean }
  | { kind: 'handles'; points: Point[]; colour: string }
  | { kind: 'box'; box: Box; colour: string }
  | { kind: 'prompts'; points: PromptPoint[] }
  | { kind: 'mask'; box: Box; mask: Uint8Array; colour: [number, number, number]; version: number };

export interface Tool {
  readonly id: ToolId;
  /** The tool's active state, "<tool>.<state>" (e.g. "sam.candidate"); see state-node.ts. */
  readonly path: string;
  /** True while a gesture is under way (the host keeps pointer capture, Escape cancels it). */
  readonly busy: boolean;
  onPointerDown(p: PointerInput, ctx: ToolContext): void;
  onPointerMove(p: PointerInput, ctx: ToolContext): void;
  onPointerUp(p: PointerInput, ctx: ToolContext): void;
  /** Returns true when the tool used the key (then no action runs for it). */
  onKey(k: KeyInput, ctx: ToolContext): boolean;
  /** Abandons the gesture in progress (Escape, tool switch, image switch). */
  onCancel(ctx: ToolContext): void;
  preview(): PreviewShape[];
  /** One line for the status bar: what the tool does and which modifiers change it. */
  hint(): string;
  /** Right-click opens the context menu unless the tool uses the right button itself. */
  readonly usesRightButton: boolean;
}
