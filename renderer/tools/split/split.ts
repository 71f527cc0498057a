// Split by line: draw a cut across a segment; the pieces on either side become separate segments.
// The cut segment is the selected one when the line crosses it, else the one the line crosses most.
// Shift cuts along the straight line from start to end. A click without drawing selects.
// States: 'split.idle', 'split.stroking' (the line being drawn).
import type { Point } from '../../../app/edit';
import { countsAlong, mostCrossed } from '../geometry';
import type { PointerInput, PreviewShape, ToolContext } from '../types';
import { StrokeTool } from '../stroke';

export class SplitTool extends StrokeTool {
  readonly id = 'split' as const;
  private straight = false;

  override strokeStart(p: PointerInput): void {
    this.straight = p.shift;
  }

  override strokeMove(_pts: Point[], p: PointerInput): void {
    this.straight = this.straight || p.shift;
  }

  strokeEnd(pts: Point[], p: PointerInput, ctx: ToolContext): void {
    const first = pts[0]!;
    const line: Point[] = this.straight ? [first, [p.x, p.y]] : pts;
    const length = line.reduce((acc, q, i) => (i === 0 ? 0 : acc + Math.hypot(q[0] - line[i - 1]![0], q[1] - line[i - 1]![1])), 0);
    if (length < 3 * p.pixelSize) {
      const id = ctx.doc.labelAt(p.x, p.y);
      ctx.emit({ type: 'select', ids: id ? [id] : [], mode: 'replace' });
      return;
    }
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    const segmentId = sel !== null && countsAlong(ctx.doc, line).has(sel) ? sel : mostCrossed(ctx.doc, line);
    if (!segmentId) {
      ctx.emit({ type: 'message', kind: 'info', text: 'Draw the cut across a segment.' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'splitByLine', segmentId, points: line }], label: 'Split' });
  }

  strokePreview(points: Point[]): PreviewShape[] {
    const pts = this.straight && points.length > 1 ? [points[0]!, points[points.length - 1]!] : points;
    return [{ kind: 'line', points: pts, colour: '#ff6b6b', dashed: true }];
  }

  hint(): string {
    return 'Split: draw a line across a segment to cut it · Shift for a straight cut · click selects';
  }
}
