// Polygon and lasso: click vertices (close on the first vertex, double-click or Enter) or drag a
// freehand outline. Adds the region to the selected segment or as a new one; in subtract mode
// (or with Alt when closing) clears it from the selected segment, or from every segment.
import type { Point } from '../../../app/edit';
import type { PolygonOp } from '../../../app/edit';
import { dist2 } from '../geometry';
import type { KeyInput, PointerInput, PreviewShape, Tool, ToolContext } from '../types';

export class PolygonTool implements Tool {
  readonly id = 'polygon' as const;
  readonly usesRightButton = false;
  /** Subtract instead of add (a tool option in the toolbar). */
  subtract = false;
  private vertices: Point[] | null = null;
  private held = false;
  private freehand = false;
  private downAt: Point | null = null;
  private hover: Point | null = null;

  get busy(): boolean {
    return this.vertices !== null;
  }

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button !== 0) return;
    const pt: Point = [p.x, p.y];
    this.held = true;
    this.downAt = pt;
    if (!this.vertices) {
      this.vertices = [pt];
      this.freehand = false;
      return;
    }
    const closeR = 8 * p.pixelSize;
    if (p.double || (this.vertices.length >= 3 && dist2(pt, this.vertices[0]!) <= closeR * closeR)) {
      this.held = false;
      this.finish(ctx, p.alt);
      return;
    }
    this.vertices.push(pt);
  }

  onPointerMove(p: PointerInput): void {
    this.hover = [p.x, p.y];
    const v = this.vertices;
    if (!v || !this.held || !this.downAt) return;
    if (!this.freehand && v.length === 1 && Math.hypot(p.x - this.downAt[0], p.y - this.downAt[1]) > 4 * p.pixelSize) this.freehand = true;
    if (this.freehand) {
      const last = v[v.length - 1]!;
      if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.5, p.pixelSize)) v.push([p.x, p.y]);
    }
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    if (!this.held) return;
    this.held = false;
    if (this.freehand && this.vertices) this.finish(ctx, p.alt);
  }

  private finish(ctx: ToolContext, alt: boolean): void {
    const pts = this.vertices;
    this.reset();
    if (!pts || pts.length < 3) return;
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    const subtract = this.subtract !== alt;
    const op: PolygonOp = subtract
      ? { kind: 'polygon', mode: 'subtract', points: pts, ...(sel !== null ? { target: sel } : {}) }
      : { kind: 'polygon', mode: 'add', points: pts, target: sel ?? 'new', overwrite: true };
    ctx.emit({ type: 'edit', ops: [op], label: subtract ? 'Subtract region' : 'Add region', source: 'brush', ...(!subtract && sel === null ? { select: 'created' as const } : {}) });
  }

  private reset(): void {
    this.vertices = null;
    this.held = false;
    this.freehand = false;
    this.downAt = null;
  }

  onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (!this.vertices) return false;
    if (k.key === 'Enter') {
      this.finish(ctx, k.alt);
      return true;
    }
    if (k.key === 'Backspace') {
      this.vertices.pop();
      if (this.vertices.length === 0) this.reset();
      return true;
    }
    if (k.key === 'Escape') {
      this.onCancel();
      return true;
    }
    return false;
  }

  onCancel(): void {
    this.reset();
  }

  preview(): PreviewShape[] {
    if (!this.vertices) return [];
    const pts = this.freehand || !this.hover ? this.vertices : [...this.vertices, this.hover];
    const colour = this.subtract ? '#ff6b6b' : '#4c9aff';
    return [
      { kind: 'line', points: pts, colour, closed: true, fill: this.subtract ? 'rgba(255,107,107,0.18)' : 'rgba(76,154,255,0.18)' },
      ...(this.freehand ? [] : [{ kind: 'handles' as const, points: this.vertices, colour }]),
    ];
  }

  hint(): string {
    return `Polygon (${this.subtract ? 'subtract' : 'add'}): click vertices, close on the first one, double-click or Enter · drag for a lasso · Alt inverts · Backspace removes a vertex`;
  }
}
