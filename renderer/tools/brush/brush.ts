// Brush and eraser: one stroke (pointer down to up) is one edit with the whole polyline, painted
// into the selected segment or a new one; the eraser clears pixels (only the selected segment's
// when one is selected). Alt while painting protects other segments (paints empty pixels only).
// States: 'brush.idle' (a cursor follows the pointer) and 'brush.stroking'.
import type { BrushOp, Point } from '../../../app/edit';
import type { PointerInput, PreviewShape, ToolContext } from '../types';
import { StrokeTool } from '../stroke';

export class BrushTool extends StrokeTool {
  readonly id: 'brush' | 'eraser';
  override readonly minStep = 0.25;
  private at: Point | null = null;
  private protect = false;
  private radius = 8;

  constructor(readonly mode: 'paint' | 'erase') {
    super();
    this.id = mode === 'paint' ? 'brush' : 'eraser';
  }

  override hover(p: PointerInput, ctx: ToolContext): void {
    this.at = [p.x, p.y];
    this.radius = ctx.brushRadius;
  }

  override strokeStart(p: PointerInput, ctx: ToolContext): void {
    this.protect = p.alt;
    this.radius = ctx.brushRadius;
  }

  strokeEnd(pts: Point[], _p: PointerInput, ctx: ToolContext): void {
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    let op: BrushOp;
    if (this.mode === 'erase') {
      op = { kind: 'brush', mode: 'erase', points: pts, radius: ctx.brushRadius, ...(sel !== null ? { onlyInto: sel } : {}) };
    } else {
      op = { kind: 'brush', mode: 'paint', points: pts, radius: ctx.brushRadius, target: sel ?? 'new', ...(this.protect ? { protect: true } : {}) };
    }
    ctx.emit({ type: 'edit', ops: [op], label: this.mode === 'paint' ? 'Brush' : 'Erase', source: 'brush', ...(this.mode === 'paint' && sel === null ? { select: 'created' as const } : {}) });
  }

  strokePreview(points: Point[]): PreviewShape[] {
    return [{ kind: 'stroke', points, radius: this.radius, erase: this.mode === 'erase' }];
  }

  override cursor(): PreviewShape[] {
    return this.at ? [{ kind: 'cursor', x: this.at[0], y: this.at[1], radius: this.radius, erase: this.mode === 'erase' }] : [];
  }

  hint(): string {
    return this.mode === 'paint'
      ? 'Brush: paint into the selected segment (or a new one) · Alt paints empty pixels only · [ ] size'
      : 'Eraser: clear pixels (only the selected segment\u2019s when one is selected) · [ ] size';
  }
}
