// Hooks the end-to-end tests and the canvas benchmark read through the page (window.__grainlab):
// the open session's request log, the canvas, and input-to-redraw latencies of edits.
import type { Viewport } from '../../app/view/viewport';
import type { EditSession } from '../editor/session';
import type { CanvasView } from './canvas-view';

export interface CommitTiming {
  label: string;
  /** From the input event (pointer-up or key) to the redrawn overlay, ms. */
  ms: number;
}

export interface DebugHooks {
  /** Time stamp (performance.now() base) of the input that started the current edit. */
  inputStart: number;
  commits: CommitTiming[];
  /** JavaScript time of each drawn frame (all layers), ms. */
  frames: number[];
  session: EditSession | null;
  viewer?: {
    canvas: CanvasView;
    setView(v: Viewport): void;
    drawAll(): void;
    drawNow(): void;
    size(): { width: number; height: number };
  };
}

export const debugHooks: DebugHooks = { inputStart: 0, commits: [], frames: [], session: null };

declare global {
  interface Window {
    __grainlab?: DebugHooks;
  }
}

if (typeof window !== 'undefined') window.__grainlab = debugHooks;

/** Records the latency of an edit whose input started at debugHooks.inputStart. */
export function recordCommit(label: string): void {
  if (!debugHooks.inputStart) return;
  debugHooks.commits.push({ label, ms: performance.now() - debugHooks.inputStart });
  if (debugHooks.commits.length > 1000) debugHooks.commits.splice(0, 500);
  debugHooks.inputStart = 0;
}
