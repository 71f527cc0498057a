// Select tool: click picks the segment under the cursor, Shift-click adds/removes it, a drag
// selects the segments whose box centre is inside the dragged box (Shift adds, Ctrl removes).
// States: 'select.idle' → (press) 'select.pointing' → (moved 4 screen px) 'select.brushing'.
import { boxFromCorners, idsInBox } from '../geometry';
import { StateNode, StateTool } from '../state-node';
import type { PointerInput, PreviewShape, ToolContext } from '../types';

type SelectState = 'idle' | 'pointing' | 'brushing';

class Idle extends StateNode<SelectTool> {
  readonly id = 'idle' as const;
  override onPointerDown(p: PointerInput): void {
    if (p.button === 0) this.tool.transition('pointing', p);
  }
}

class Pointing extends StateNode<SelectTool> {
  readonly id = 'pointing' as const;
  private down!: PointerInput;
  override onEnter(info: unknown): void {
    this.down = info as PointerInput;
  }
  override onPointerMove(p: PointerInput): void {
    if (Math.hypot(p.x - this.down.x, p.y - this.down.y) > 4 * p.pixelSize) this.tool.transition('brushing', { down: this.down, to: p });
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const d = this.down;
    this.tool.transition('idle');
    const id = ctx.doc.labelAt(p.x, p.y);
    if (d.shift || d.ctrl) {
      if (id) ctx.emit({ type: 'select', ids: [id], mode: 'toggle' });
    } else ctx.emit({ type: 'select', ids: id ? [id] : [], mode: 'replace' });
  }
}

class Brushing extends StateNode<SelectTool> {
  readonly id = 'brushing' as const;
  private down!: PointerInput;
  private to!: PointerInput;
  override onEnter(info: unknown): void {
    ({ down: this.down, to: this.to } = info as { down: PointerInput; to: PointerInput });
  }
  override onPointerMove(p: PointerInput): void {
    this.to = p;
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const d = this.down;
    this.tool.transition('idle');
    const ids = idsInBox(ctx.doc, boxFromCorners(d.x, d.y, p.x, p.y));
    ctx.emit({ type: 'select', ids, mode: d.shift ? 'add' : d.ctrl ? 'remove' : 'replace' });
  }
  override preview(): PreviewShape[] {
    return [{ kind: 'box', box: boxFromCorners(this.down.x, this.down.y, this.to.x, this.to.y), colour: '#4c9aff' }];
  }
}

export class SelectTool extends StateTool<SelectState> {
  readonly id = 'select' as const;
  protected readonly initial = 'idle' as const;

  constructor() {
    super();
    this.states(new Idle(this), new Pointing(this), new Brushing(this));
  }

  hint(): string {
    return 'Select: click a segment · Shift-click adds/removes · drag a box · Esc clears';
  }
}
