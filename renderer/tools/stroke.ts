// What the pointer tools share: Escape abandons the gesture under way (GestureTool); the drawing
// tools (brush, eraser, merge by line, split by line, grain boundary) also collect a left-button
// stroke as a polyline (StrokeTool).
import type { Point } from '../../app/edit';
import type { KeyInput, PointerInput } from './types';

export abstract class GestureTool {
  readonly usesRightButton: boolean = false;
  abstract get busy(): boolean;
  abstract onCancel(): void;

  onKey(k: KeyInput): boolean {
    if (k.key === 'Escape' && this.busy) {
      this.onCancel();
      return true;
    }
    return false;
  }
}

export abstract class StrokeTool extends GestureTool {
  protected points: Point[] | null = null;

  get busy(): boolean {
    return this.points !== null;
  }

  /** Starts a stroke at a left-button press; false (nothing started) for other buttons. */
  protected beginStroke(p: PointerInput): boolean {
    if (p.button !== 0) return false;
    this.points = [[p.x, p.y]];
    return true;
  }

  /**
   * Adds the pointer position to the stroke when it moved at least `minStep` image pixels (or about
   * one screen pixel when zoomed out); returns the stroke, or null when none is under way.
   */
  protected extendStroke(p: PointerInput, minStep: number): Point[] | null {
    const pts = this.points;
    if (!pts) return null;
    const last = pts[pts.length - 1]!;
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(minStep, p.pixelSize)) pts.push([p.x, p.y]);
    return pts;
  }

  /** Ends the stroke at the release point and returns its polyline, or null when none was under way. */
  protected endStroke(p: PointerInput): Point[] | null {
    const pts = this.points;
    if (!pts) return null;
    this.points = null;
    const last = pts[pts.length - 1]!;
    if (last[0] !== p.x || last[1] !== p.y) pts.push([p.x, p.y]);
    return pts;
  }

  onCancel(): void {
    this.points = null;
  }
}
