// The canvas tools as the workspace drives them: which is active and its options (brush radius,
// polygon subtract), the context a tool reads (document, selection) and what becomes of the
// intents it emits (edits, selections, SAM prompts, messages).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RasterImage } from '../../app/types';
import type { Selection } from '../editor/selection';
import type { EditSession } from '../editor/session';
import { createTools, isPromptTool, type ToolSet } from '../tools';
import type { Intent, ToolContext, ToolDocument, ToolId } from '../tools/types';
import type { Clusters } from './clusters';
import type { OpenImage } from './edit-session';
import type { SamPrompting } from './sam';

const emptyDoc = (width: number, height: number): ToolDocument => ({
  width,
  height,
  labels: { width, height, data: new Uint32Array(0) },
  labelAt: () => 0,
  segment: () => undefined,
  segments: new Map(),
});

/** The tools and their options; `changed()` re-renders after a tool's state changed outside React. */
export function useToolState() {
  const tools = useMemo<ToolSet>(() => createTools(), []);
  const [toolId, setToolId] = useState<ToolId>('select');
  const [brushRadius, setBrushRadius] = useState(8);
  const [polygonSubtract, setPolygonSubtract] = useState(false);
  const [, setTick] = useState(0);
  const toolRef = useRef(toolId);
  toolRef.current = toolId;
  const brushRef = useRef(brushRadius);
  brushRef.current = brushRadius;
  const changed = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    tools.polygon.subtract = polygonSubtract;
    changed();
  }, [tools, polygonSubtract, changed]);
  /** Drops the active tool's gesture (image switch). */
  const cancel = useCallback(() => tools[toolRef.current].onCancel({ doc: emptyDoc(0, 0), selection: [], brushRadius: brushRef.current, emit: () => {} }), [tools]);
  return { tools, toolId, setToolId, toolRef, tool: tools[toolId], brushRadius, setBrushRadius, brushRef, polygonSubtract, setPolygonSubtract, changed, cancel };
}

export type ToolState = ReturnType<typeof useToolState>;

interface ToolInputDeps {
  state: ToolState;
  image: OpenImage;
  selectedRef: { readonly current: number | null };
  selection: Selection;
  clusters: Clusters;
  sam: SamPrompting;
  notify(kind: 'info' | 'error', text: string): void;
  redraw(): void;
  /** Train-tool strokes and undo (renderer/workspace/learn.ts). */
  onScribble(i: Extract<Intent, { type: 'scribble' | 'scribbleUndo' }>): void;
}

/** The context tools read, the intent handler they emit to, and switching tools. */
export function useToolInput({ state, image, selectedRef, selection, clusters, sam, notify, redraw, onScribble }: ToolInputDeps) {
  const { tools, toolRef, brushRef, setToolId, changed } = state;
  const { sessionRef, runEdit } = image;
  const rasterRef = useRef<RasterImage | null>(image.raster);
  rasterRef.current = image.raster;
  // A large image has no session: tools read its labels from the fetched label tiles.
  const largeRef = useRef(image.large);
  largeRef.current = image.large;
  const docOf = useCallback((s: EditSession | null) => s?.doc ?? largeRef.current?.doc ?? emptyDoc(rasterRef.current?.width ?? 0, rasterRef.current?.height ?? 0), []);

  const handleIntent = useCallback(
    (i: Intent) => {
      if (i.type === 'select') {
        const doc = sessionRef.current?.doc;
        const large = !doc && largeRef.current !== null;
        const s = clusters.selectIds(i.ids, i.mode, (id) => selection.has(id), (id) => (large ? id > 0 : !!doc?.segments.has(id)));
        selection.apply(s.ids, s.mode);
      } else if (i.type === 'message') notify(i.kind, i.text);
      else if (i.type === 'prompt') {
        const tool = tools[toolRef.current];
        const imageId = selectedRef.current;
        if (!isPromptTool(tool) || imageId === null) return;
        void sam.prompt(i, tool, imageId, () => docOf(sessionRef.current)).then(redraw);
      } else if (i.type === 'scribble' || i.type === 'scribbleUndo') onScribble(i);
      else runEdit(i.ops, i.label, { ...(i.source ? { source: i.source } : {}), ...(i.classFrom !== undefined ? { classFrom: i.classFrom } : {}) }, i);
    },
    [sessionRef, clusters, selection, notify, tools, toolRef, selectedRef, sam, docOf, redraw, runEdit, onScribble],
  );

  const toolContext = useCallback(
    (): ToolContext => ({ doc: docOf(sessionRef.current), selection: selection.ids, brushRadius: brushRef.current, emit: handleIntent }),
    [docOf, sessionRef, selection, brushRef, handleIntent],
  );

  const switchTool = useCallback(
    (id: ToolId) => {
      if (id === toolRef.current) return;
      tools[toolRef.current].onCancel(toolContext());
      setToolId(id);
      if (id === 'sam' || id === 'carve') void sam.check();
      changed();
    },
    [tools, toolRef, toolContext, setToolId, sam, changed],
  );

  return { toolContext, switchTool };
}
