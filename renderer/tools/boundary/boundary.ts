// Grain-boundary mode: click on the boundary between two grains to merge them; drag from inside a
// grain into its neighbour to move their shared boundary (paints the grain only over that
// neighbour, so both stay gap-free).
import type { Point } from '../../../app/edit';
import { boundaryPair } from '../geometry';
import type { KeyInput, PointerInput, PreviewShape, Tool, ToolContext } from '../types';

export class BoundaryTool implements Tool {
  readonly id = 'boundary' as const;
  readonly usesRightButton = false;
  private points: Point[] | null = null;
  private source = 0;
  private into = 0;
  private moved = false;
  private hover: Point | null = null;
  private radius = 8;

  get busy(): boolean {
    return this.points !== null;
  }

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button !== 0) return;
    this.points = [[p.x, p.y]];
    this.source = ctx.doc.labelAt(p.x, p.y);
    this.into = 0;
    this.moved = false;
    this.radius = ctx.brushRadius;
  }

  onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.hover = [p.x, p.y];
    this.radius = ctx.brushRadius;
    const pts = this.points;
    if (!pts) return;
    const first = pts[0]!;
    if (!this.moved && Math.hypot(p.x - first[0], p.y - first[1]) > 3 * p.pixelSize) this.moved = true;
    const last = pts[pts.length - 1]!;
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.25, p.pixelSize)) pts.push([p.x, p.y]);
    if (this.into === 0 && this.source !== 0) {
      const id = ctx.doc.labelAt(p.x, p.y);
      if (id !== 0 && id !== this.source) this.into = id;
    }
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.points;
    if (!pts) return;
    this.points = null;
    if (!this.moved) {
      const pair = boundaryPair(ctx.doc, p.x, p.y, Math.max(2, 4 * p.pixelSize));
      if (!pair) {
        ctx.emit({ type: 'message', kind: 'info', text: 'Click on the boundary between two grains to merge them.' });
        return;
      }
      ctx.emit({ type: 'edit', ops: [{ kind: 'merge', ids: pair, target: pair[0] }], label: 'Remove boundary', select: 'target' });
      return;
    }
    pts.push([p.x, p.y]);
    if (this.source === 0 || this.into === 0) {
      ctx.emit({ type: 'message', kind: 'info', text: 'Start inside a grain and drag into its neighbour to move their boundary.' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'brush', mode: 'paint', points: pts, radius: ctx.brushRadius, target: this.source, onlyInto: this.into }], label: 'Move boundary' });
  }

  onKey(k: KeyInput): boolean {
    if (k.key === 'Escape' && this.busy) {
      this.onCancel();
      return true;
    }
    return false;
  }

  onCancel(): void {
    this.points = null;
  }

  preview(): PreviewShape[] {
    const out: PreviewShape[] = [];
    if (this.points && this.moved) out.push({ kind: 'stroke', points: this.points, radius: this.radius, erase: false });
    if (this.hover) out.push({ kind: 'cursor', x: this.hover[0], y: this.hover[1], radius: this.radius, erase: false });
    return out;
  }

  hint(): string {
    return 'Grain boundary: click a boundary to merge the two grains · drag from a grain into its neighbour to move the boundary · [ ] size';
  }
}
