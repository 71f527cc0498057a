// Hooks the end-to-end tests and the canvas benchmark read through the page (window.__grainlab):
// the open session's request log, the canvas, and input-to-redraw latencies of edits. Off unless
// the page is opened with ?debug=1 (or a test sets window.__grainlabDebug before the app loads);
// then `debugHooks` is null and every recording call below does nothing.
import type { Viewport } from '../app/view/viewport';
import type { EditSession } from './editor/session';
import type { CanvasView } from './viewer/canvas-view';

interface CommitTiming {
  label: string;
  /** From the input event (pointer-up or key) to the redrawn overlay, ms. */
  ms: number;
}

interface DebugHooks {
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

declare global {
  interface Window {
    __grainlab?: DebugHooks;
    __grainlabDebug?: boolean;
  }
}

function debugRequested(): boolean {
  if (typeof window === 'undefined') return false;
  return window.__grainlabDebug === true || new URLSearchParams(window.location.search).get('debug') === '1';
}

/** The hooks, or null when debugging is off (the default). */
export const debugHooks: DebugHooks | null = debugRequested() ? { inputStart: 0, commits: [], frames: [], session: null } : null;

if (debugHooks) window.__grainlab = debugHooks;

/** Notes the time stamp of an input that may start an edit (0 forgets it). */
export function markInput(timeStamp: number): void {
  if (debugHooks) debugHooks.inputStart = timeStamp;
}

/** Records how long one frame took to draw (kept bounded). */
export function recordFrame(ms: number): void {
  if (!debugHooks) return;
  debugHooks.frames.push(ms);
  if (debugHooks.frames.length > 2000) debugHooks.frames.splice(0, 1000);
}

/** Records the latency of an edit whose input started at debugHooks.inputStart. */
export function recordCommit(label: string): void {
  if (!debugHooks?.inputStart) return;
  debugHooks.commits.push({ label, ms: performance.now() - debugHooks.inputStart });
  if (debugHooks.commits.length > 1000) debugHooks.commits.splice(0, 500);
  debugHooks.inputStart = 0;
}
