// Headless editor harness: drives a tool with pointer and key sequences against a real
// EditorDocument and Selection, records the intents it emits and (optionally) applies edits the
// way the workspace does. Used by tests; no DOM, no Konva, no main process.
import { segmentStats } from '../../app/labelmap';
import type { EditOp } from '../../app/edit';
import type { LabelMap, SegmentRecord } from '../../app/types';
import { EditorDocument, type LocalEdit } from '../../renderer/editor/document';
import { Selection } from '../../renderer/editor/selection';
import { selectionAfterEdit } from '../../renderer/editor/after-edit';
import type { Intent, KeyInput, PointerInput, Tool, ToolContext } from '../../renderer/tools/types';

export interface HarnessOptions {
  /** Apply edit intents to the document and select-intents to the selection (default true). */
  apply?: boolean;
  brushRadius?: number;
  /** Image pixels per screen pixel (default 1). */
  pixelSize?: number;
}

type Mods = Partial<Pick<PointerInput, 'button' | 'shift' | 'alt' | 'ctrl' | 'double'>>;

function documentFor(map: LabelMap, imageId = 1): EditorDocument {
  const segments: SegmentRecord[] = segmentStats(map).map((s) => ({ id: s.id, classId: null, source: 'auto', verified: false, clusterId: null, area: s.area, bbox: s.bbox }));
  const nextId = segments.reduce((m, s) => Math.max(m, s.id), 0) + 1;
  return new EditorDocument({
    imageId,
    revision: 'r/0',
    seq: 0,
    nextId,
    undoDepth: 0,
    redoDepth: 0,
    undoKind: null,
    redoKind: null,
    width: map.width,
    height: map.height,
    labels: map.data.slice(),
    segments,
    engine: 'test',
    updatedAt: 'r',
  });
}

export class ToolHarness {
  readonly doc: EditorDocument;
  readonly selection = new Selection();
  readonly intents: Intent[] = [];
  readonly edits: { ops: EditOp[]; result: LocalEdit | null }[] = [];
  brushRadius: number;
  pixelSize: number;
  private readonly apply: boolean;

  constructor(
    public tool: Tool,
    map: LabelMap,
    options: HarnessOptions = {},
  ) {
    this.doc = documentFor(map);
    this.apply = options.apply ?? true;
    this.brushRadius = options.brushRadius ?? 4;
    this.pixelSize = options.pixelSize ?? 1;
  }

  get ctx(): ToolContext {
    return {
      doc: this.doc,
      selection: this.selection.ids,
      brushRadius: this.brushRadius,
      emit: (i) => this.handle(i),
    };
  }

  /** Edit intents emitted so far, flattened to their ops. */
  get ops(): EditOp[] {
    return this.intents.flatMap((i) => (i.type === 'edit' ? i.ops : []));
  }

  private handle(i: Intent): void {
    this.intents.push(i);
    if (!this.apply) return;
    if (i.type === 'select') this.selection.apply(i.ids, i.mode);
    else if (i.type === 'edit') {
      const result = this.doc.applyLocal(i.ops, { ...(i.source ? { source: i.source } : {}), ...(i.classFrom !== undefined ? { classFrom: i.classFrom } : {}) });
      this.edits.push({ ops: i.ops, result });
      const after = selectionAfterEdit(i, result);
      if (after) this.selection.apply(after, 'replace');
      this.selection.retain((id) => this.doc.segments.has(id));
    }
  }

  private input(x: number, y: number, m: Mods = {}): PointerInput {
    return { x, y, button: m.button ?? 0, shift: m.shift ?? false, alt: m.alt ?? false, ctrl: m.ctrl ?? false, pixelSize: this.pixelSize, ...(m.double ? { double: true } : {}) };
  }

  down(x: number, y: number, m?: Mods): this {
    this.tool.onPointerDown(this.input(x, y, m), this.ctx);
    return this;
  }
  move(x: number, y: number, m?: Mods): this {
    this.tool.onPointerMove(this.input(x, y, m), this.ctx);
    return this;
  }
  up(x: number, y: number, m?: Mods): this {
    this.tool.onPointerUp(this.input(x, y, m), this.ctx);
    return this;
  }
  click(x: number, y: number, m?: Mods): this {
    return this.down(x, y, m).up(x, y, m);
  }
  /** Pointer down at the first point, moves through the rest, up at the last. */
  drag(points: readonly (readonly [number, number])[], m?: Mods): this {
    const [first, ...rest] = points;
    this.down(first![0], first![1], m);
    for (const p of rest) this.move(p[0], p[1], m);
    const last = points[points.length - 1]!;
    return this.up(last[0], last[1], m);
  }
  key(key: string, m: Partial<Omit<KeyInput, 'key'>> = {}): boolean {
    return this.tool.onKey({ key, shift: m.shift ?? false, alt: m.alt ?? false, ctrl: m.ctrl ?? false }, this.ctx);
  }
}
