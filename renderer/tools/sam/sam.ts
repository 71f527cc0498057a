// SAM tools. Prompt: left clicks add positive points, right (or Alt) clicks negative ones, a drag
// draws a box; the candidate mask is shown live; Enter accepts it as a new segment (or replaces
// the selected one), Shift+Enter fills only empty pixels, Escape discards. Carve (split by SAM):
// clicks inside one segment carve the part SAM finds out of it as a new segment.
import { maskToRle, type EditOp } from '../../../app/edit';
import type { Box } from '../../../app/types';
import { boxFromCorners } from '../geometry';
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

abstract class PromptBase implements PromptTool {
  abstract readonly id: 'sam' | 'carve';
  readonly usesRightButton = true;
  protected points: PromptPoint[] = [];
  protected box: Box | null = null;
  protected candidate: Candidate | null = null;
  protected version = 0;
  private down: PointerInput | null = null;
  private dragTo: PointerInput | null = null;
  private available: boolean | null = null;
  private unavailable = 'Checking for a SAM model…';
  waiting = false;

  get busy(): boolean {
    return this.down !== null;
  }

  get status(): string {
    if (this.available === false) return this.unavailable;
    if (this.waiting) return 'SAM is thinking…';
    if (this.candidate) return `Candidate: ${countOnes(this.candidate.mask)} px, score ${this.candidate.score.toFixed(2)} · Enter accepts · Esc discards`;
    return '';
  }

  setAvailability(available: boolean, message: string): void {
    this.available = available;
    this.unavailable = message;
  }

  setCandidate(c: Candidate | null, doc: ToolDocument): void {
    this.waiting = false;
    this.candidate = c ? this.adapt(c, doc) : null;
    this.version++;
  }

  /** Lets a subclass restrict the candidate (carve keeps only the chosen segment's pixels). */
  protected adapt(c: Candidate, _doc: ToolDocument): Candidate {
    return c;
  }

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    if (this.available === false) {
      ctx.emit({ type: 'message', kind: 'info', text: this.unavailable });
      return;
    }
    if (p.button !== 0 && p.button !== 2) return;
    this.down = p;
    this.dragTo = null;
  }

  onPointerMove(p: PointerInput): void {
    if (this.down && this.down.button === 0 && this.allowsBox() && Math.hypot(p.x - this.down.x, p.y - this.down.y) > 4 * p.pixelSize) this.dragTo = p;
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    const d = this.down;
    if (!d) return;
    this.down = null;
    if (this.dragTo) {
      this.dragTo = null;
      const b = boxFromCorners(d.x, d.y, p.x, p.y);
      const x = Math.max(0, b.x);
      const y = Math.max(0, b.y);
      this.box = { x, y, width: Math.max(1, Math.min(ctx.doc.width, b.x + b.width) - x), height: Math.max(1, Math.min(ctx.doc.height, b.y + b.height) - y) };
    } else {
      if (!this.addPoint(d, ctx)) return;
    }
    this.request(ctx);
  }

  protected allowsBox(): boolean {
    return true;
  }

  /** Adds a click as a prompt point; false when the click should not prompt. */
  protected addPoint(p: PointerInput, _ctx: ToolContext): boolean {
    this.points.push({ x: p.x, y: p.y, label: p.button === 2 || p.alt ? 0 : 1 });
    return true;
  }

  protected request(ctx: ToolContext): void {
    if (this.points.length === 0 && !this.box) {
      this.setCandidate(null, ctx.doc);
      return;
    }
    this.waiting = true;
    ctx.emit({ type: 'prompt', points: this.points.map((q) => ({ ...q })), box: this.box ? { ...this.box } : null, refine: this.candidate !== null });
  }

  protected abstract accept(ctx: ToolContext, emptyOnly: boolean): void;

  onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (k.key === 'Enter') {
      if (!this.candidate) return false;
      this.accept(ctx, k.shift);
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
      this.candidate = null;
      this.request(ctx);
      return true;
    }
    return false;
  }

  protected clear(): void {
    this.points = [];
    this.box = null;
    this.candidate = null;
    this.waiting = false;
    this.version++;
  }

  onCancel(): void {
    this.down = null;
    this.dragTo = null;
    this.clear();
  }

  preview(): PreviewShape[] {
    const out: PreviewShape[] = [];
    if (this.candidate) out.push({ kind: 'mask', box: this.candidate.box, mask: this.candidate.mask, colour: [255, 215, 0], version: this.version });
    if (this.box) out.push({ kind: 'box', box: this.box, colour: '#ffd700' });
    if (this.down && this.dragTo) out.push({ kind: 'box', box: boxFromCorners(this.down.x, this.down.y, this.dragTo.x, this.dragTo.y), colour: '#ffd700' });
    if (this.points.length) out.push({ kind: 'prompts', points: this.points });
    return out;
  }

  abstract hint(): string;
}

export class SamPromptTool extends PromptBase {
  readonly id = 'sam' as const;

  protected accept(ctx: ToolContext, emptyOnly: boolean): void {
    const c = this.candidate!;
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

  protected override allowsBox(): boolean {
    return false;
  }

  protected override addPoint(p: PointerInput, ctx: ToolContext): boolean {
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

  protected accept(ctx: ToolContext): void {
    const c = this.candidate!;
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
