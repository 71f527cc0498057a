// The Train tool: paints per-class scribbles, the labels the pixel classifier learns from (issue
// 12). Strokes are labels, not segments: each finished stroke is a `scribble` intent that the
// workspace sends with learn.scribbles.add (paint) or learn.scribbles.erase (erase).
// States: 'train.idle' (a cursor follows the pointer) and 'train.painting' (a stroke under way).
// Keys while active: 1-9 pick the class to paint, X flips paint/erase, Ctrl+Z takes back the
// image's last stroke. Alt or the right button erase for one stroke.
import type { Point } from '../../../app/edit';
import { StateNode, StateTool } from '../state-node';
import type { KeyInput, PointerInput, PreviewShape, ToolContext } from '../types';

type TrainState = 'idle' | 'painting';

/** What the workspace draws under the tool: the image's strokes and the live prediction. */
export interface TrainLayer {
  scribbles: PreviewShape | null;
  prediction: PreviewShape | null;
  /** The square Next uncertain (U) went to, outlined until the next stroke or image. */
  target?: PreviewShape[] | null;
}

class TrainIdle extends StateNode<TrainTool> {
  readonly id = 'idle' as const;
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (p.button === 0 || p.button === 2) this.tool.transition('painting', { p, ctx });
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover(p, ctx);
  }
}

class Painting extends StateNode<TrainTool> {
  readonly id = 'painting' as const;
  points: Point[] = [];
  erase = false;
  radius = 8;
  override onEnter(info: unknown): void {
    const { p, ctx } = info as { p: PointerInput; ctx: ToolContext };
    this.points = [[p.x, p.y]];
    this.erase = this.tool.erasing || p.alt || p.button === 2;
    this.radius = ctx.brushRadius;
  }
  override onExit(): void {
    this.points = [];
  }
  override onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.tool.hover(p, ctx);
    const last = this.points[this.points.length - 1]!;
    if (Math.hypot(p.x - last[0], p.y - last[1]) >= Math.max(0.5, p.pixelSize)) this.points.push([p.x, p.y]);
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const pts = this.points;
    const last = pts[pts.length - 1]!;
    if (last[0] !== p.x || last[1] !== p.y) pts.push([p.x, p.y]);
    const erase = this.erase;
    const radius = this.radius;
    this.tool.transition('idle');
    ctx.emit({ type: 'scribble', mode: erase ? 'erase' : 'paint', classIndex: this.tool.classIndex, radius, points: pts.flatMap((q) => [q[0], q[1]]) });
  }
  override preview(): PreviewShape[] {
    return [{ kind: 'stroke', points: this.points, radius: this.radius, erase: this.erase, ...(this.erase ? {} : { colour: this.tool.colour }) }];
  }
}

export class TrainTool extends StateTool<TrainState> {
  readonly id = 'train' as const;
  override readonly usesRightButton = true;
  protected readonly initial = 'idle' as const;
  /** The class painted: the n-th class of the project (1-based), picked with keys 1-9. */
  classIndex = 1;
  /** Erase mode (X); Alt or the right button erase for one stroke. */
  erasing = false;
  /** The active class's colour (the workspace sets it from the project's classes). */
  colour = '#4c9aff';
  /** The strokes and prediction drawn under the tool (set by the workspace). */
  layer: TrainLayer = { scribbles: null, prediction: null };
  private at: Point | null = null;
  private radius = 8;

  constructor() {
    super();
    this.states(new TrainIdle(this), new Painting(this));
  }

  hover(p: PointerInput, ctx: ToolContext): void {
    this.at = [p.x, p.y];
    this.radius = ctx.brushRadius;
  }

  override onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (super.onKey(k, ctx)) return true;
    if (!k.ctrl && !k.alt && /^[1-9]$/.test(k.key)) {
      this.classIndex = Number(k.key);
      this.erasing = false;
      return true;
    }
    if (!k.ctrl && !k.alt && k.key.toLowerCase() === 'x') {
      this.erasing = !this.erasing;
      return true;
    }
    if (k.ctrl && !k.alt && k.key.toLowerCase() === 'z' && !k.shift) {
      if (this.busy) this.onCancel(ctx);
      ctx.emit({ type: 'scribbleUndo' });
      return true;
    }
    return false;
  }

  override preview(): PreviewShape[] {
    const cursor: PreviewShape[] = this.at ? [{ kind: 'cursor', x: this.at[0], y: this.at[1], radius: this.radius, erase: this.erasing }] : [];
    const { prediction, scribbles, target } = this.layer;
    return [...(prediction ? [prediction] : []), ...(scribbles ? [scribbles] : []), ...(target ?? []), ...super.preview(), ...cursor];
  }

  hint(): string {
    return `Train: paint class ${this.classIndex} (1-9 pick the class) · ${this.erasing ? 'erasing (X paints)' : 'X, Alt or right-drag erase'} · Ctrl+Z undoes a stroke · [ ] size`;
  }
}
