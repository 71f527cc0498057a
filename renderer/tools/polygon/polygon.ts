// Polygon and lasso: click vertices (close on the first vertex, double-click or Enter) or drag a
// freehand outline. Adds the region to the selected segment or as a new one; in subtract mode
// (or with Alt when closing) clears it from the selected segment, or from every segment.
// States: 'polygon.idle' → (press) 'polygon.drawing' (clicking vertices) → (a drag from the
// first vertex) 'polygon.lasso' (freehand, finished on release).
import type { Point, PolygonOp } from '../../../app/edit';
import { dist2 } from '../geometry';
import { StateNode, StateTool } from '../state-node';
import type { KeyInput, PointerInput, PreviewShape, ToolContext } from '../types';

type PolygonState = 'idle' | 'drawing' | 'lasso';

class Idle extends StateNode<PolygonTool> {
  readonly id = 'idle' as const;
  override onPointerDown(p: PointerInput): void {
    if (p.button === 0) this.tool.transition('drawing', [p.x, p.y] satisfies Point);
  }
  override onPointerMove(p: PointerInput): void {
    this.tool.hover = [p.x, p.y];
  }
}

class Drawing extends StateNode<PolygonTool> {
  readonly id = 'drawing' as const;
  vertices: Point[] = [];
  /** Where the button went down, while it is held. */
  private held: Point | null = null;
  override onEnter(info: unknown): void {
    const first = info as Point;
    this.vertices = [first];
    this.held = first;
  }
  override onExit(): void {
    this.vertices = [];
    this.held = null;
  }
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button !== 0) return;
    const pt: Point = [p.x, p.y];
    const closeR = 8 * p.pixelSize;
    if (p.double || (this.vertices.length >= 3 && dist2(pt, this.vertices[0]!) <= closeR * closeR)) {
      this.tool.finish(this.vertices, ctx, p.alt);
      return;
    }
    this.held = pt;
    this.vertices.push(pt);
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover = [p.x, p.y];
    const d = this.held;
    if (d && this.vertices.length === 1 && Math.hypot(p.x - d[0], p.y - d[1]) > 4 * p.pixelSize) {
      this.tool.transition('lasso', this.vertices);
      this.tool.onPointerMove(p, ctx);
    }
  }
  override onPointerUp(): void {
    this.held = null;
  }
  override onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (k.key === 'Enter') {
      this.tool.finish(this.vertices, ctx, k.alt);
      return true;
    }
    if (k.key === 'Backspace') {
      this.vertices.pop();
      if (this.vertices.length === 0) this.tool.transition('idle');
      return true;
    }
    return false;
  }
  override preview(): PreviewShape[] {
    const h = this.tool.hover;
    return this.tool.outline(h ? [...this.vertices, h] : this.vertices, this.vertices);
  }
}

class Lasso extends StateNode<PolygonTool> {
  readonly id = 'lasso' as const;
  private points: Point[] = [];
  override onEnter(info: unknown): void {
    this.points = info as Point[];
  }
  override onExit(): void {
    this.points = [];
  }
  override onPointerMove(p: PointerInput): void {
    this.tool.hover = [p.x, p.y];
    const last = this.points[this.points.length - 1]!;
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.5, p.pixelSize)) this.points.push([p.x, p.y]);
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    this.tool.finish(this.points, ctx, p.alt);
  }
  override onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (k.key === 'Enter') this.tool.finish(this.points, ctx, k.alt);
    else if (k.key === 'Backspace') {
      this.points.pop();
      if (this.points.length === 0) this.tool.transition('idle');
    } else return false;
    return true;
  }
  override preview(): PreviewShape[] {
    return this.tool.outline(this.points, null);
  }
}

export class PolygonTool extends StateTool<PolygonState> {
  readonly id = 'polygon' as const;
  protected readonly initial = 'idle' as const;
  /** Subtract instead of add (a tool option in the toolbar). */
  subtract = false;
  hover: Point | null = null;

  constructor() {
    super();
    this.states(new Idle(this), new Drawing(this), new Lasso(this));
  }

  /** Closes the outline: back to idle, and the region is added or subtracted (3 points at least). */
  finish(points: Point[], ctx: ToolContext, alt: boolean): void {
    const pts = [...points];
    this.transition('idle');
    if (pts.length < 3) return;
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    const subtract = this.subtract !== alt;
    const op: PolygonOp = subtract
      ? { kind: 'polygon', mode: 'subtract', points: pts, ...(sel !== null ? { target: sel } : {}) }
      : { kind: 'polygon', mode: 'add', points: pts, target: sel ?? 'new', overwrite: true };
    ctx.emit({ type: 'edit', ops: [op], label: subtract ? 'Subtract region' : 'Add region', source: 'brush', ...(!subtract && sel === null ? { select: 'created' as const } : {}) });
  }

  /** The outline (closed, filled) and, for clicked polygons, its vertex handles. */
  outline(points: Point[], handles: Point[] | null): PreviewShape[] {
    const colour = this.subtract ? '#ff6b6b' : '#4c9aff';
    return [
      { kind: 'line', points, colour, closed: true, fill: this.subtract ? 'rgba(255,107,107,0.18)' : 'rgba(76,154,255,0.18)' },
      ...(handles ? [{ kind: 'handles' as const, points: handles, colour }] : []),
    ];
  }

  hint(): string {
    return `Polygon (${this.subtract ? 'subtract' : 'add'}): click vertices, close on the first one, double-click or Enter · drag for a lasso · Alt inverts · Backspace removes a vertex`;
  }
}
