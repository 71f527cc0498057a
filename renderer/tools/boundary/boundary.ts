// Grain-boundary mode: click on the boundary between two grains to merge them; drag from inside a
// grain into its neighbour to move their shared boundary (paints the grain only over that
// neighbour, so both stay gap-free).
// States: 'boundary.idle' → (press) 'boundary.pressing' → (moved 3 screen px) 'boundary.dragging'.
// A release while pressing is a click on a boundary; a release while dragging moves it.
import type { Point } from '../../../app/edit';
import { boundaryPair } from '../geometry';
import { StateNode, StateTool } from '../state-node';
import type { PointerInput, PreviewShape, ToolContext } from '../types';

type BoundaryState = 'idle' | 'pressing' | 'dragging';

interface Press {
  points: Point[];
  /** The grain the press started in (0: none). */
  source: number;
  /** The neighbour the pointer entered first (0: none yet). */
  into: number;
}

/** Follows the pointer: the stroke and the first neighbour it enters. */
function track(press: Press, p: PointerInput, ctx: ToolContext): void {
  const last = press.points[press.points.length - 1]!;
  if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.25, p.pixelSize)) press.points.push([p.x, p.y]);
  if (press.into === 0 && press.source !== 0) {
    const id = ctx.doc.labelAt(p.x, p.y);
    if (id !== 0 && id !== press.source) press.into = id;
  }
}

class Idle extends StateNode<BoundaryTool> {
  readonly id = 'idle' as const;
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button === 0) this.tool.transition('pressing', { points: [[p.x, p.y]], source: ctx.doc.labelAt(p.x, p.y), into: 0 } satisfies Press);
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover(p, ctx);
  }
  override preview(): PreviewShape[] {
    return this.tool.cursor();
  }
}

/** A state with the button held: the press, followed as the pointer moves. */
abstract class Held extends StateNode<BoundaryTool> {
  protected press: Press = { points: [], source: 0, into: 0 };
  override onEnter(info: unknown): void {
    this.press = info as Press;
  }
  override onExit(): void {
    this.press = { points: [], source: 0, into: 0 };
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover(p, ctx);
    track(this.press, p, ctx);
  }
}

class Pressing extends Held {
  readonly id = 'pressing' as const;
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    super.onPointerMove(p, ctx);
    const first = this.press.points[0]!;
    if (Math.hypot(p.x - first[0], p.y - first[1]) > 3 * p.pixelSize) this.tool.transition('dragging', this.press);
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    this.tool.transition('idle');
    const pair = boundaryPair(ctx.doc, p.x, p.y, Math.max(2, 4 * p.pixelSize));
    if (!pair) {
      ctx.emit({ type: 'message', kind: 'info', text: 'Click on the boundary between two grains to merge them.' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'merge', ids: pair, target: pair[0] }], label: 'Remove boundary', select: 'target' });
  }
  override preview(): PreviewShape[] {
    return this.tool.cursor();
  }
}

class Dragging extends Held {
  readonly id = 'dragging' as const;
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const { points: pts, source, into } = this.press;
    const last = pts[pts.length - 1]!;
    if (last[0] !== p.x || last[1] !== p.y) pts.push([p.x, p.y]);
    this.tool.transition('idle');
    if (source === 0 || into === 0) {
      ctx.emit({ type: 'message', kind: 'info', text: 'Start inside a grain and drag into its neighbour to move their boundary.' });
      return;
    }
    ctx.emit({ type: 'edit', ops: [{ kind: 'brush', mode: 'paint', points: pts, radius: ctx.brushRadius, target: source, onlyInto: into }], label: 'Move boundary' });
  }
  override preview(): PreviewShape[] {
    return [{ kind: 'stroke', points: this.press.points, radius: this.tool.radius, erase: false }, ...this.tool.cursor()];
  }
}

export class BoundaryTool extends StateTool<BoundaryState> {
  readonly id = 'boundary' as const;
  protected readonly initial = 'idle' as const;
  private at: Point | null = null;
  radius = 8;

  constructor() {
    super();
    this.states(new Idle(this), new Pressing(this), new Dragging(this));
  }

  hover(p: PointerInput, ctx: ToolContext): void {
    this.at = [p.x, p.y];
    this.radius = ctx.brushRadius;
  }

  cursor(): PreviewShape[] {
    return this.at ? [{ kind: 'cursor', x: this.at[0], y: this.at[1], radius: this.radius, erase: false }] : [];
  }

  hint(): string {
    return 'Grain boundary: click a boundary to merge the two grains · drag from a grain into its neighbour to move the boundary · [ ] size';
  }
}
