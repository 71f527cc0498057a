// SAM tools. Prompt: left clicks add positive points, right (or Alt) clicks negative ones, a drag
// draws a box; the candidate mask is shown live; Enter accepts it as a new segment (or replaces
// the selected one), Shift+Enter fills only empty pixels, Escape discards. Carve (split by SAM):
// clicks inside one segment carve the part SAM finds out of it as a new segment.
// States: 'sam.idle' (no answer shown) → (press) 'sam.pointing' → (drag) 'sam.boxing'; a release
// sends the prompt: 'sam.waiting' → (answer) 'sam.candidate'. The press point, the dragged box and
// the answer exist only in the states that have them; the points and box of the prompt itself
// stay until accepted or discarded.
import { maskToRle, type EditOp } from '../../../app/edit';
import type { Box } from '../../../app/types';
import { boxFromCorners } from '../geometry';
import { StateNode, StateTool } from '../state-node';
import type { KeyInput, PointerInput, PreviewShape, PromptPoint, Tool, ToolContext, ToolDocument } from '../types';

/** A SAM answer as the tools need it: a mask over its box (1 = inside). */
export interface Candidate {
  box: Box;
  mask: Uint8Array;
  score: number;
}

export interface PromptTool extends Tool {
  /** Whether a SAM model can answer prompts; `message` says why not. */
  setAvailability(available: boolean, message: string): void;
  /** The answer to the last prompt (null: the prompt failed or was cleared). */
  setCandidate(c: Candidate | null, doc: ToolDocument): void;
  readonly waiting: boolean;
  readonly status: string;
}

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] !== 0 ? 1 : 0;
  return n;
}

type PromptState = 'idle' | 'pointing' | 'boxing' | 'waiting' | 'candidate';

/** What a press or a pending prompt carries along: the answer shown until the next one arrives. */
interface Shown {
  shown: Candidate | null;
}

class Idle extends StateNode<PromptBase> {
  readonly id = 'idle' as const;
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    this.tool.press(p, ctx, null);
  }
}

class Pointing extends StateNode<PromptBase> {
  readonly id = 'pointing' as const;
  down!: PointerInput;
  shown: Candidate | null = null;
  override onEnter(info: unknown): void {
    ({ down: this.down, shown: this.shown } = info as Shown & { down: PointerInput });
  }
  override onPointerMove(p: PointerInput): void {
    const d = this.down;
    if (d.button === 0 && this.tool.allowsBox() && Math.hypot(p.x - d.x, p.y - d.y) > 4 * p.pixelSize) this.tool.transition('boxing', { down: d, to: p, shown: this.shown });
  }
  override onPointerUp(_p: PointerInput, ctx: ToolContext): void {
    if (this.tool.addPoint(this.down, ctx)) this.tool.request(ctx, this.shown);
    else this.tool.rest(this.shown);
  }
}

class Boxing extends StateNode<PromptBase> {
  readonly id = 'boxing' as const;
  down!: PointerInput;
  to!: PointerInput;
  shown: Candidate | null = null;
  override onEnter(info: unknown): void {
    ({ down: this.down, to: this.to, shown: this.shown } = info as Shown & { down: PointerInput; to: PointerInput });
  }
  override onPointerMove(p: PointerInput): void {
    this.to = p;
  }
  override onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const d = this.down;
    const b = boxFromCorners(d.x, d.y, p.x, p.y);
    const x = Math.max(0, b.x);
    const y = Math.max(0, b.y);
    this.tool.setBox({ x, y, width: Math.max(1, Math.min(ctx.doc.width, b.x + b.width) - x), height: Math.max(1, Math.min(ctx.doc.height, b.y + b.height) - y) });
    this.tool.request(ctx, this.shown);
  }
  override preview(): PreviewShape[] {
    return [{ kind: 'box', box: boxFromCorners(this.down.x, this.down.y, this.to.x, this.to.y), colour: '#ffd700' }];
  }
}

class Waiting extends StateNode<PromptBase> {
  readonly id = 'waiting' as const;
  shown: Candidate | null = null;
  override onEnter(info: unknown): void {
    this.shown = (info as Shown).shown;
  }
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    this.tool.press(p, ctx, this.shown);
  }
}

class Answered extends StateNode<PromptBase> {
  readonly id = 'candidate' as const;
  candidate!: Candidate;
  override onEnter(info: unknown): void {
    this.candidate = info as Candidate;
  }
  override onPointerDown(p: PointerInput, ctx: ToolContext): void {
    this.tool.press(p, ctx, this.candidate);
  }
}

abstract class PromptBase extends StateTool<PromptState> implements PromptTool {
  abstract override readonly id: 'sam' | 'carve';
  override readonly usesRightButton = true;
  protected readonly initial = 'idle' as const;
  /** The prompt: its points and box stay until accepted or discarded. */
  protected points: PromptPoint[] = [];
  protected box: Box | null = null;
  protected version = 0;
  private availability: 'checking' | 'available' | 'unavailable' = 'checking';
  private unavailable = 'Checking for a SAM model…';

  constructor() {
    super();
    this.states(new Idle(this), new Pointing(this), new Boxing(this), new Waiting(this), new Answered(this));
  }

  /** A press is under way (pointer down). */
  override get busy(): boolean {
    return this.current.id === 'pointing' || this.current.id === 'boxing';
  }

  get waiting(): boolean {
    return this.current.id === 'waiting';
  }

  /** The answer shown: the candidate, or the previous answer while a press or a refinement is under way. */
  protected get candidate(): Candidate | null {
    const s = this.current as StateNode & Partial<Shown> & { candidate?: Candidate };
    return s.candidate ?? s.shown ?? null;
  }

  get status(): string {
    if (this.availability === 'unavailable') return this.unavailable;
    if (this.waiting) return 'SAM is thinking…';
    const c = this.candidate;
    if (c) return `Candidate: ${countOnes(c.mask)} px, score ${c.score.toFixed(2)} · Enter accepts · Esc discards`;
    return '';
  }

  setAvailability(available: boolean, message: string): void {
    this.availability = available ? 'available' : 'unavailable';
    this.unavailable = message;
  }

  setCandidate(c: Candidate | null, doc: ToolDocument): void {
    const answer = c ? this.adapt(c, doc) : null;
    this.version++;
    const s = this.current;
    // A press under way keeps going; the answer is shown under it.
    if (s instanceof Pointing || s instanceof Boxing) s.shown = answer;
    else this.rest(answer);
  }

  /** With no press or prompt under way: the answer if there is one, else idle. */
  rest(answer: Candidate | null): void {
    if (answer) this.transition('candidate', answer);
    else this.transition('idle');
  }

  /** Lets a subclass restrict the candidate (carve keeps only the chosen segment's pixels). */
  protected adapt(c: Candidate, _doc: ToolDocument): Candidate {
    return c;
  }

  press(p: PointerInput, ctx: ToolContext, shown: Candidate | null): void {
    if (this.availability === 'unavailable') {
      ctx.emit({ type: 'message', kind: 'info', text: this.unavailable });
      return;
    }
    if (p.button !== 0 && p.button !== 2) return;
    this.transition('pointing', { down: p, shown });
  }

  allowsBox(): boolean {
    return true;
  }

  setBox(b: Box): void {
    this.box = b;
  }

  /** Adds a click as a prompt point; false when the click should not prompt. */
  addPoint(p: PointerInput, _ctx: ToolContext): boolean {
    this.points.push({ x: p.x, y: p.y, label: p.button === 2 || p.alt ? 0 : 1 });
    return true;
  }

  /** Sends the prompt (refining the answer shown, if any); with nothing to send, back to idle. */
  request(ctx: ToolContext, shown: Candidate | null): void {
    if (this.points.length === 0 && !this.box) {
      this.version++;
      this.transition('idle');
      return;
    }
    this.transition('waiting', { shown });
    ctx.emit({ type: 'prompt', points: this.points.map((q) => ({ ...q })), box: this.box ? { ...this.box } : null, refine: shown !== null });
  }

  protected abstract accept(ctx: ToolContext, candidate: Candidate, emptyOnly: boolean): void;

  override onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (k.key === 'Enter') {
      const c = this.candidate;
      if (!c) return false;
      this.accept(ctx, c, k.shift);
      this.clear();
      return true;
    }
    if (k.key === 'Escape') {
      const had = this.points.length > 0 || this.box !== null || this.candidate !== null || this.busy;
      this.onCancel();
      return had;
    }
    if (k.key === 'Backspace' && (this.points.length > 0 || this.box)) {
      if (this.points.length > 0) this.points.pop();
      else this.box = null;
      this.request(ctx, null);
      return true;
    }
    return false;
  }

  protected clear(): void {
    this.points = [];
    this.box = null;
    this.version++;
    this.transition('idle');
  }

  override onCancel(): void {
    this.clear();
  }

  override preview(): PreviewShape[] {
    const out: PreviewShape[] = [];
    const c = this.candidate;
    if (c) out.push({ kind: 'mask', box: c.box, mask: c.mask, colour: [255, 215, 0], version: this.version });
    if (this.box) out.push({ kind: 'box', box: this.box, colour: '#ffd700' });
    out.push(...this.current.preview());
    if (this.points.length) out.push({ kind: 'prompts', points: this.points });
    return out;
  }
}

export class SamPromptTool extends PromptBase {
  readonly id = 'sam' as const;

  protected accept(ctx: ToolContext, c: Candidate, emptyOnly: boolean): void {
    if (countOnes(c.mask) === 0) return;
    const mask = maskToRle(c.mask, c.box);
    const sel = ctx.selection.length === 1 ? ctx.selection[0]! : null;
    const ops: EditOp[] = sel !== null
      ? [{ kind: 'delete', ids: [sel] }, { kind: 'addFromMask', mask, target: sel, overwrite: true }]
      : [{ kind: 'addFromMask', mask, target: 'new', overwrite: !emptyOnly }];
    ctx.emit({ type: 'edit', ops, label: sel !== null ? 'Replace with SAM mask' : 'Add SAM segment', source: 'prompt', select: sel !== null ? 'target' : 'created' });
  }

  hint(): string {
    return 'SAM: click to add positive points · right-click (or Alt) negative · drag a box · Enter accepts (replaces the selected segment) · Shift+Enter fills empty pixels only · Esc discards';
  }
}

export class CarveTool extends PromptBase {
  readonly id = 'carve' as const;
  private segmentId = 0;

  override allowsBox(): boolean {
    return false;
  }

  override addPoint(p: PointerInput, ctx: ToolContext): boolean {
    if (this.segmentId === 0) {
      const sel = ctx.selection.length === 1 ? ctx.selection[0]! : 0;
      const here = ctx.doc.labelAt(p.x, p.y);
      const id = sel !== 0 && here === sel ? sel : here;
      if (id === 0 || p.button === 2 || p.alt) {
        ctx.emit({ type: 'message', kind: 'info', text: 'Click inside the segment you want to split.' });
        return false;
      }
      this.segmentId = id;
    }
    return super.addPoint(p, ctx);
  }

  protected override adapt(c: Candidate, doc: ToolDocument): Candidate {
    const { box } = c;
    const out = new Uint8Array(c.mask.length);
    const W = doc.labels.width;
    for (let y = 0; y < box.height; y++) {
      const row = (box.y + y) * W + box.x;
      for (let x = 0; x < box.width; x++) {
        const k = y * box.width + x;
        if (c.mask[k] && doc.labels.data[row + x] === this.segmentId) out[k] = 1;
      }
    }
    return { box: { ...box }, mask: out, score: c.score };
  }

  protected accept(ctx: ToolContext, c: Candidate): void {
    const n = countOnes(c.mask);
    const seg = ctx.doc.segment(this.segmentId);
    if (n === 0 || !seg || n >= seg.area) {
      ctx.emit({ type: 'message', kind: 'info', text: 'The SAM part covers none or all of the segment; add points to carve out a part.' });
      return;
    }
    ctx.emit({
      type: 'edit',
      ops: [{ kind: 'addFromMask', mask: maskToRle(c.mask, c.box), target: 'new', overwrite: true }],
      label: 'Split with SAM',
      source: 'prompt',
      classFrom: this.segmentId,
      select: 'created',
    });
  }

  protected override clear(): void {
    super.clear();
    this.segmentId = 0;
  }

  /** The segment being carved (0 before the first click). */
  get target(): number {
    return this.segmentId;
  }

  hint(): string {
    return 'Split with SAM: click inside a segment, add positive (left) / negative (right or Alt) points · Enter carves the part out as a new segment · Esc discards';
  }
}
