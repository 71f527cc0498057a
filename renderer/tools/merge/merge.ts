// Merge by line: draw across segments and all of them become one (the first one crossed keeps its
// id). A click toggles a segment in the selection; M merges the selection.
// States: 'merge.idle', 'merge.stroking'.
import type { Point } from '../../../app/edit';
import { idsAlong } from '../geometry';
import type { PointerInput, PreviewShape, ToolContext } from '../types';
import { StrokeTool } from '../stroke';

export class MergeTool extends StrokeTool {
  readonly id = 'merge' as const;

  strokeEnd(pts: Point[], p: PointerInput, ctx: ToolContext): void {
    const ids = idsAlong(ctx.doc, pts);
    if (ids.length < 2) {
      const id = ctx.doc.labelAt(p.x, p.y);
      if (id) ctx.emit({ type: 'select', ids: [id], mode: 'toggle' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'merge', ids, target: ids[0]! }], label: 'Merge', select: 'target' });
  }

  strokePreview(points: Point[]): PreviewShape[] {
    return [{ kind: 'line', points, colour: '#4cc38a' }];
  }

  hint(): string {
    return 'Merge: draw a line across segments to join them · click toggles selection · M merges the selection';
  }
}
