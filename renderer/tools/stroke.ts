// The drawing tools (brush, eraser, merge by line, split by line, grain boundary) collect a
// left-button stroke as a polyline: states '<tool>.idle' and '<tool>.stroking'. The stroke exists
// only while stroking; the tool says what a stroke means in strokeStart/strokeMove/strokeEnd.
import type { Point } from '../../app/edit';
import { StateNode, StateTool } from './state-node';
import type { PointerInput, PreviewShape, ToolContext } from './types';

type StrokeState = 'idle' | 'stroking';

class StrokeIdle extends StateNode<StrokeTool> {
  readonly id = 'idle' as const;
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button === 0) this.tool.transition('stroking', { p, ctx });
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover(p, ctx);
  }
  override preview(): PreviewShape[] {
    return this.tool.cursor();
  }
}

class Stroking extends StateNode<StrokeTool> {
  readonly id = 'stroking' as const;
  points: Point[] = [];
  override onEnter(info: unknown): void {
    const { p, ctx } = info as { p: PointerInput; ctx: ToolContext };
    this.points = [[p.x, p.y]];
    this.tool.strokeStart(p, ctx);
  }
  override onExit(): void {
    this.points = [];
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover(p, ctx);
    const pts = this.points;
    const last = pts[pts.length - 1]!;
    // Samples closer than minStep (or about a screen pixel when zoomed out) add nothing.
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(this.tool.minStep, p.pixelSize)) pts.push([p.x, p.y]);
    this.tool.strokeMove(pts, p, ctx);
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.points;
    const last = pts[pts.length - 1]!;
    if (last[0] !== p.x || last[1] !== p.y) pts.push([p.x, p.y]);
    this.tool.transition('idle');
    this.tool.strokeEnd(pts, p, ctx);
  }
  override preview(): PreviewShape[] {
    return [...this.tool.strokePreview(this.points), ...this.tool.cursor()];
  }
}

export abstract class StrokeTool extends StateTool<StrokeState> {
  protected readonly initial = 'idle' as const;
  /** Smallest step between stroke samples, image pixels. */
  readonly minStep: number = 0.5;

  constructor() {
    super();
    this.states(new StrokeIdle(this), new Stroking(this));
  }

  /** The stroke so far (empty unless stroking). */
  protected get stroke(): Point[] {
    return this.stateIf<Stroking>('stroking')?.points ?? [];
  }

  hover(_p: PointerInput, _ctx: ToolContext): void {}
  strokeStart(_p: PointerInput, _ctx: ToolContext): void {}
  strokeMove(_points: Point[], _p: PointerInput, _ctx: ToolContext): void {}
  abstract strokeEnd(points: Point[], p: PointerInput, ctx: ToolContext): void;
  abstract strokePreview(points: Point[]): PreviewShape[];
  /** The brush cursor, for tools that have one. */
  cursor(): PreviewShape[] {
    return [];
  }
}
