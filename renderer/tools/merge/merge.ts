// Merge by line: draw across segments and all of them become one (the first one crossed keeps its
// id). A click toggles a segment in the selection; M merges the selection.
import type { Point } from '../../../app/edit';
import { idsAlong } from '../geometry';
import type { KeyInput, PointerInput, PreviewShape, Tool, ToolContext } from '../types';

export class MergeTool implements Tool {
  readonly id = 'merge' as const;
  readonly usesRightButton = false;
  private points: Point[] | null = null;

  get busy(): boolean {
    return this.points !== null;
  }

  onPointerDown(p: PointerInput): void {
    if (p.button !== 0) return;
    this.points = [[p.x, p.y]];
  }

  onPointerMove(p: PointerInput): void {
    const pts = this.points;
    if (!pts) return;
    const last = pts[pts.length - 1]!;
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.5, p.pixelSize)) pts.push([p.x, p.y]);
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.points;
    if (!pts) return;
    this.points = null;
    pts.push([p.x, p.y]);
    const ids = idsAlong(ctx.doc, pts);
    if (ids.length < 2) {
      const id = ctx.doc.labelAt(p.x, p.y);
      if (id) ctx.emit({ type: 'select', ids: [id], mode: 'toggle' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'merge', ids, target: ids[0]! }], label: 'Merge', select: 'target' });
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
    return this.points ? [{ kind: 'line', points: this.points, colour: '#4cc38a' }] : [];
  }

  hint(): string {
    return 'Merge: draw a line across segments to join them · click toggles selection · M merges the selection';
  }
}
