// Brush and eraser: one stroke (pointer down to up) is one edit with the whole polyline, painted
// into the selected segment or a new one; the eraser clears pixels (only the selected segment's
// when one is selected). Alt while painting protects other segments (paints empty pixels only).
import type { Point } from '../../../app/edit';
import type { BrushOp } from '../../../app/edit';
import type { PointerInput, PreviewShape, Tool, ToolContext } from '../types';
import { StrokeTool } from '../stroke';

export class BrushTool extends StrokeTool implements Tool {
  readonly id: 'brush' | 'eraser';
  private hover: Point | null = null;
  private protect = false;
  private radius = 8;

  constructor(readonly mode: 'paint' | 'erase') {
    super();
    this.id = mode === 'paint' ? 'brush' : 'eraser';
  }

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (!this.beginStroke(p)) return;
    this.protect = p.alt;
    this.radius = ctx.brushRadius;
  }

  onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.hover = [p.x, p.y];
    this.radius = ctx.brushRadius;
    // Samples closer than about a screen pixel add nothing: the stroke sweeps discs between samples.
    this.extendStroke(p, 0.25);
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.endStroke(p);
    if (!pts) return;
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    let op: BrushOp;
    if (this.mode === 'erase') {
      op = { kind: 'brush', mode: 'erase', points: pts, radius: ctx.brushRadius, ...(sel !== null ? { onlyInto: sel } : {}) };
    } else {
      op = { kind: 'brush', mode: 'paint', points: pts, radius: ctx.brushRadius, target: sel ?? 'new', ...(this.protect ? { protect: true } : {}) };
    }
    ctx.emit({ type: 'edit', ops: [op], label: this.mode === 'paint' ? 'Brush' : 'Erase', source: 'brush', ...(this.mode === 'paint' && sel === null ? { select: 'created' as const } : {}) });
  }

  preview(): PreviewShape[] {
    const out: PreviewShape[] = [];
    if (this.points) out.push({ kind: 'stroke', points: this.points, radius: this.radius, erase: this.mode === 'erase' });
    if (this.hover) out.push({ kind: 'cursor', x: this.hover[0], y: this.hover[1], radius: this.radius, erase: this.mode === 'erase' });
    return out;
  }

  hint(): string {
    return this.mode === 'paint'
      ? 'Brush: paint into the selected segment (or a new one) · Alt paints empty pixels only · [ ] size'
      : 'Eraser: clear pixels (only the selected segment\u2019s when one is selected) · [ ] size';
  }
}
