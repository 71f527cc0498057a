// Types of the correction-effort simulator: the public options and result (re-exported by
// simulator.ts), and the internal pieces its parts share (regions, candidates, contingency deltas).
import type { EditOp, LabelPatch, MaskRle } from '../edit';
import type { LabelMap } from '../types';

/** What a person does in one gesture. setClassCluster / deleteCluster act on a whole k-means cluster. */
export type Gesture = 'merge' | 'split' | 'brush' | 'polygon' | 'delete' | 'deleteCluster' | 'setClass' | 'setClassCluster' | 'samClick';
export const GESTURES: readonly Gesture[] = ['merge', 'split', 'brush', 'polygon', 'delete', 'deleteCluster', 'setClass', 'setClassCluster', 'samClick'];

interface SimulationStep {
  /** Number of operations done so far (after this step). */
  operations: number;
  gesture: Gesture;
  ops: EditOp[];
  score: number;
}

export interface SimulationOptions {
  kind: 'grains' | 'phases';
  /** Phases: truth class of every pixel (0 = matrix); required in phase mode. */
  truthClasses?: Uint8Array;
  /** Score to reach: ARI for grains (default 0.95), the lowest per-phase IoU for phases (default 0.90). */
  target?: number;
  /** Most operations to spend (default 3 x the truth's object count, at least 10). */
  maxOps?: number;
  /** Grains: truth value whose pixels are not scored (boundary lines, unlabelled); default 0, null = score all. */
  ignoreTruth?: number | null;
  /** Phases: class of each start segment (default: none assigned). */
  startClasses?: (id: number) => number | null;
  /** Phases: k-means cluster of each start segment (undefined = in no cluster). */
  clusters?: (id: number) => number | undefined;
  /**
   * Phases: 'cluster' lets one gesture give a class to (or delete) every segment of a cluster, as
   * the UI's select-cluster does; 'segment' assigns classes one segment at a time. Default 'cluster'.
   */
  classAssign?: 'cluster' | 'segment';
  /**
   * A SAM click at image point (x, y) giving the decoded mask, when a model is installed; null when
   * it gives nothing. Without it no SAM gestures are simulated.
   */
  samClick?: (x: number, y: number) => MaskRle | null;
  /** Smallest wrong region (px) the operator bothers to fix with a stroke or outline (default 6). */
  minRegion?: number;
  /**
   * Candidates whose exact effect is tried per step, best estimates first (default 8); when none
   * of them helps the next batch is tried, so 'stuck' means no candidate helps at all.
   */
  tries?: number;
  onStep?: (step: SimulationStep) => void;
}

export interface SimulationResult {
  /** The operations in order; replayed with applyEdit on the start they give `map`. */
  ops: EditOp[];
  /** The gesture each operation belongs to (same length as ops). */
  gestures: Gesture[];
  opsByType: Record<Gesture, number>;
  operations: number;
  startScore: number;
  finalScore: number;
  /** Score at the start, then after each operation. */
  scoreTrace: number[];
  reachedTarget: boolean;
  /** target reached; the operation cap hit; or no candidate edit improves the score any more. */
  stoppedBy: 'target' | 'cap' | 'stuck';
  /**
   * Objects in the truth (grains, or phase instances) of at least minRegion pixels: the "per 100
   * grains" base (specks of a few pixels in hand-made labels are not objects anyone draws).
   */
  grains: number;
  /** The corrected map. */
  map: LabelMap;
  /** Phases: the class of each segment at the end. */
  classes: Map<number, number | null>;
}

/** A connected region of wrongly labelled pixels of one truth row (grain or class) in one segment. */
export interface Region {
  row: number;
  col: number;
  area: number;
  /** Indices of its row runs. */
  runs: number[];
  pixels?: Int32Array;
}

export const KEY = 0x100000000; // cell key = row * KEY + column, exact while rows stay below 2^21
export const MAX_ROW = 1 << 20;
export const EPS = 1e-9;

export interface Candidate {
  gesture: Gesture;
  /** Estimated objective gain of the ideal version of the edit. */
  est: number;
  /** Operations it takes (2 for draw-new-then-set-class). */
  cost: number;
  /** Tie-break towards lighter gestures (a click over an outline). */
  pref: number;
  build: () => Built | null;
}

export interface Built {
  ops: EditOp[];
  gesture: Gesture;
  /** Class the first op's new id will have (phases, draw-new-then-set-class). */
  newClass?: number;
}

export const pairs = (n: number) => (n * (n - 1)) / 2;

/** Calls fn(start, length, old, new) for each row-run of changed pixels in a patch. */
export function forEachPatchRun(patch: LabelPatch, W: number, fn: (start: number, len: number, oldId: number, newId: number) => void): void {
  const { box, runs } = patch;
  const bw = box.width;
  let pos = 0;
  for (let r = 0; r < runs.length; r += 4) {
    pos += runs[r]!;
    let len = runs[r + 1]!;
    while (len > 0) {
      const row = Math.floor(pos / bw);
      const col = pos - row * bw;
      const n = Math.min(len, bw - col);
      fn((box.y + row) * W + box.x + col, n, runs[r + 2]!, runs[r + 3]!);
      pos += n;
      len -= n;
    }
  }
}

/** Changes to contingency cells: (row, column) += d. */
export class Delta {
  readonly cells = new Map<number, number>();
  add(row: number, col: number, d: number): void {
    if (d === 0) return;
    const k = row * KEY + col;
    this.cells.set(k, (this.cells.get(k) ?? 0) + d);
  }
}

