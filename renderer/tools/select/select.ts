// Select tool: click picks the segment under the cursor, Shift-click adds/removes it, a drag
// selects the segments whose box centre is inside the dragged box (Shift adds, Ctrl removes).
import { boxFromCorners, idsInBox } from '../geometry';
import type { PointerInput, PreviewShape, Tool, ToolContext } from '../types';
import { GestureTool } from '../stroke';

export class SelectTool extends GestureTool implements Tool {
  readonly id = 'select' as const;
  private down: PointerInput | null = null;
  private cur: PointerInput | null = null;
  private dragging = false;

  get busy(): boolean {
    return this.down !== null;
  }

  onPointerDown(p: PointerInput): void {
    if (p.button !== 0) return;
    this.down = p;
    this.cur = p;
    this.dragging = false;
  }

  onPointerMove(p: PointerInput): void {
    if (!this.down) return;
    this.cur = p;
    if (Math.hypot(p.x - this.down.x, p.y - this.down.y) > 4 * p.pixelSize) this.dragging = true;
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const d = this.down;
    if (!d) return;
    this.down = null;
    this.cur = null;
    if (this.dragging) {
      this.dragging = false;
      const ids = idsInBox(ctx.doc, boxFromCorners(d.x, d.y, p.x, p.y));
      ctx.emit({ type: 'select', ids, mode: d.shift ? 'add' : d.ctrl ? 'remove' : 'replace' });
      return;
    }
    const id = ctx.doc.labelAt(p.x, p.y);
    if (d.shift || d.ctrl) {
      if (id) ctx.emit({ type: 'select', ids: [id], mode: 'toggle' });
    } else ctx.emit({ type: 'select', ids: id ? [id] : [], mode: 'replace' });
  }

  onCancel(): void {
    this.down = null;
    this.cur = null;
    this.dragging = false;
  }

  preview(): PreviewShape[] {
    if (!this.dragging || !this.down || !this.cur) return [];
    return [{ kind: 'box', box: boxFromCorners(this.down.x, this.down.y, this.cur.x, this.cur.y), colour: '#4c9aff' }];
  }

  hint(): string {
    return 'Select: click a segment · Shift-click adds/removes · drag a box · Esc clears';
  }
}
