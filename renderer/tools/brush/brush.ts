// Brush and eraser: one stroke (pointer down to up) is one edit with the whole polyline, painted
// into the selected segment or a new one; the eraser clears pixels (only the selected segment's
// when one is selected). Alt while painting protects other segments (paints empty pixels only).
import type { Point } from '../../../app/edit';
import type { BrushOp } from '../../../app/edit';
import type { KeyInput, PointerInput, PreviewShape, Tool, ToolContext } from '../types';

export class BrushTool implements Tool {
  readonly id: 'brush' | 'eraser';
  readonly usesRightButton = false;
  private points: Point[] | null = null;
  private hover: Point | null = null;
  private protect = false;
  private radius = 8;

  constructor(readonly mode: 'paint' | 'erase') {
    this.id = mode === 'paint' ? 'brush' : 'eraser';
  }

  get busy(): boolean {
    return this.points !== null;
  }

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button !== 0) return;
    this.points = [[p.x, p.y]];
    this.protect = p.alt;
    this.radius = ctx.brushRadius;
  }

  onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.hover = [p.x, p.y];
    this.radius = ctx.brushRadius;
    const pts = this.points;
    if (!pts) return;
    const last = pts[pts.length - 1]!;
    // Samples closer than about a screen pixel add nothing: the stroke sweeps discs between samples.
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.25, p.pixelSize)) pts.push([p.x, p.y]);
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.points;
    if (!pts) return;
    this.points = null;
    const last = pts[pts.length - 1]!;
    if (last[0] !== p.x || last[1] !== p.y) pts.push([p.x, p.y]);
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    let op: BrushOp;
    if (this.mode === 'erase') {
      op = { kind: 'brush', mode: 'erase', points: pts, radius: ctx.brushRadius, ...(sel !== null ? { onlyInto: sel } : {}) };
    } else {
      op = { kind: 'brush', mode: 'paint', points: pts, radius: ctx.brushRadius, target: sel ?? 'new', ...(this.protect ? { protect: true } : {}) };
    }
    ctx.emit({ type: 'edit', ops: [op], label: this.mode === 'paint' ? 'Brush' : 'Erase', source: 'brush', ...(this.mode === 'paint' && sel === null ? { select: 'created' as const } : {}) });
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
