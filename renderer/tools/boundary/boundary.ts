// Grain-boundary mode: click on the boundary between two grains to merge them; drag from inside a
// grain into its neighbour to move their shared boundary (paints the grain only over that
// neighbour, so both stay gap-free).
import type { Point } from '../../../app/edit';
import { boundaryPair } from '../geometry';
import type { PointerInput, PreviewShape, Tool, ToolContext } from '../types';
import { StrokeTool } from '../stroke';

export class BoundaryTool extends StrokeTool implements Tool {
  readonly id = 'boundary' as const;
  private source = 0;
  private into = 0;
  private moved = false;
  private hover: Point | null = null;
  private radius = 8;

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (!this.beginStroke(p)) return;
    this.source = ctx.doc.labelAt(p.x, p.y);
    this.into = 0;
    this.moved = false;
    this.radius = ctx.brushRadius;
  }

  onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.hover = [p.x, p.y];
    this.radius = ctx.brushRadius;
    const pts = this.extendStroke(p, 0.25);
    if (!pts) return;
    const first = pts[0]!;
    if (!this.moved && Math.hypot(p.x - first[0], p.y - first[1]) > 3 * p.pixelSize) this.moved = true;
    if (this.into === 0 && this.source !== 0) {
      const id = ctx.doc.labelAt(p.x, p.y);
      if (id !== 0 && id !== this.source) this.into = id;
    }
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.endStroke(p);
    if (!pts) return;
    if (!this.moved) {
      const pair = boundaryPair(ctx.doc, p.x, p.y, Math.max(2, 4 * p.pixelSize));
      if (!pair) {
        ctx.emit({ type: 'message', kind: 'info', text: 'Click on the boundary between two grains to merge them.' });
        return;
      }
      ctx.emit({ type: 'edit', ops: [{ kind: 'merge', ids: pair, target: pair[0] }], label: 'Remove boundary', select: 'target' });
      return;
    }
    if (this.source === 0 || this.into === 0) {
      ctx.emit({ type: 'message', kind: 'info', text: 'Start inside a grain and drag into its neighbour to move their boundary.' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'brush', mode: 'paint', points: pts, radius: ctx.brushRadius, target: this.source, onlyInto: this.into }], label: 'Move boundary' });
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
