// Tools as explicit state machines, after tldraw's StateNode: a tool is the root node and owns
// named child states ('sam.idle', 'sam.pointing', 'sam.candidate'…). Only the active child gets
// input; a child keeps the data that exists only in it (the press point, the stroke, the SAM
// answer) and sets it up in onEnter and drops it in onExit. `tool.path` names where the tool is.
import type { KeyInput, PointerInput, PreviewShape, Tool, ToolContext, ToolId } from './types';

/** One state of a tool. Handlers it does not define do nothing there. */
export abstract class StateNode<T extends StateTool<string> = StateTool<string>> {
  abstract readonly id: string;
  constructor(protected readonly tool: T) {}
  /** Entered with the data the transition carries (the state's own fields are set here). */
  onEnter(_info: unknown): void {}
  /** Left: the state's data goes. */
  onExit(): void {}
  onPointerDown(_p: PointerInput, _ctx: ToolContext): void {}
  onPointerMove(_p: PointerInput, _ctx: ToolContext): void {}
  onPointerUp(_p: PointerInput, _ctx: ToolContext): void {}
  /** Returns true when the state used the key. */
  onKey(_k: KeyInput, _ctx: ToolContext): boolean {
    return false;
  }
  preview(): PreviewShape[] {
    return [];
  }
}

export abstract class StateTool<S extends string> implements Tool {
  abstract readonly id: ToolId;
  readonly usesRightButton: boolean = false;
  /** The state the tool rests in (and returns to on Escape or a cancel). */
  protected abstract readonly initial: S;
  private readonly children = new Map<S, StateNode>();
  private active: StateNode | null = null;

  /** Declares the child states (from the subclass constructor). */
  protected states(...nodes: (StateNode & { id: S })[]): void {
    for (const n of nodes) this.children.set(n.id, n);
  }

  /** The active child state. */
  protected get current(): StateNode & { id: S } {
    if (!this.active) {
      this.active = this.children.get(this.initial)!;
      this.active.onEnter(undefined);
    }
    return this.active as StateNode & { id: S };
  }

  /** Where the tool is, "<tool>.<state>". */
  get path(): string {
    return `${this.id}.${this.current.id}`;
  }

  /** The active child if it is `id` (for reading its data). */
  protected stateIf<N extends StateNode>(id: S): N | null {
    return this.current.id === id ? (this.current as unknown as N) : null;
  }

  /** Leaves the active state (its onExit) and enters `id` (its onEnter with `info`). */
  transition(id: S, info?: unknown): void {
    const next = this.children.get(id);
    if (!next) throw new Error(`Tool ${this.id} has no state ${id}`);
    this.current.onExit();
    this.active = next;
    next.onEnter(info);
  }

  /** A gesture is under way (the host keeps pointer capture, Escape cancels it). */
  get busy(): boolean {
    return this.current.id !== this.initial;
  }

  onPointerDown(p: PointerInput, ctx: ToolContext): void {
    this.current.onPointerDown(p, ctx);
  }

  onPointerMove(p: PointerInput, ctx: ToolContext): void {
    this.current.onPointerMove(p, ctx);
  }

  onPointerUp(p: PointerInput, ctx: ToolContext): void {
    this.current.onPointerUp(p, ctx);
  }

  onKey(k: KeyInput, ctx: ToolContext): boolean {
    if (this.current.onKey(k, ctx)) return true;
    if (k.key === 'Escape' && this.busy) {
      this.onCancel(ctx);
      return true;
    }
    return false;
  }

  /** Abandons the gesture in progress: back to the initial state. */
  onCancel(_ctx?: ToolContext): void {
    if (this.current.id !== this.initial) this.transition(this.initial);
  }

  preview(): PreviewShape[] {
    return this.current.preview();
  }

  abstract hint(): string;
}
