// The open image: its raw pixels and its edit session (the local document main's edits are
// applied to at once). Opens both when the image changes, follows changes main announces, runs
// edits (starting an empty segmentation when the image has none) and asks main to undo/redo.
import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { GrainLabClient } from '../../app/contract';
import type { EditOp } from '../../app/edit';
import type { RasterImage } from '../../app/types';
import type { ViewerHandle } from '../components/Viewer';
import type { LargeSegment } from '../components/SidePanel';
import { debugHooks, recordCommit } from '../debug';
import { selectionAfterEdit } from '../editor/after-edit';
import type { LocalEditOptions } from '../editor/document';
import type { Selection } from '../editor/selection';
import { EditSession } from '../editor/session';
import type { Intent, ToolDocument } from '../tools/types';
import type { Toasts } from './toasts';
import { isLargeImage } from '../../app/view/large-image';
import { remoteRaster, remoteSourceOf } from '../viewer/remote-tiles';
import type { LargeEditOp, LargeEditResult } from '../../app/contract';

/** What edits a large image takes (applied in main, tiles.edit); the rest say so. */
function largeOps(ops: EditOp[]): LargeEditOp[] | string {
  for (const op of ops) {
    if (op.kind !== 'brush' && op.kind !== 'delete' && op.kind !== 'merge') {
      return `This edit (${op.kind}) is not available on large images (64 MP or more) yet: use the brush, the eraser, delete or merge.`;
    }
  }
  return ops as LargeEditOp[];
}

export interface OpenImage {
  raster: RasterImage | null;
  session: EditSession | null;
  /** Always the current session (for callbacks that outlive a render). */
  sessionRef: { readonly current: EditSession | null };
  /** Bumped whenever the document changes, so panels re-read it. */
  docVersion: number;
  /** Applies edits now (locally, then saved by main) and redraws; selects what the intent asks for. */
  runEdit(ops: EditOp[], label: string, opts?: LocalEditOptions, intent?: Extract<Intent, { type: 'edit' }>): void;
  undo(): void;
  redo(): void;
  /**
   * A large image (edited in main, tiles.*): what tools read (labels from the fetched label
   * tiles) and its history; null for an image held whole.
   */
  large: { doc: ToolDocument; undoDepth: number; redoDepth: number; selected: readonly LargeSegment[] } | null;
}

interface OpenImageDeps {
  client: GrainLabClient;
  toasts: Toasts;
  selected: number | null;
  selectedRef: { readonly current: number | null };
  selection: Selection;
  viewer: RefObject<ViewerHandle | null>;
  /** Called before another image opens (the tool drops its gesture). */
  onSwitch(): void;
  /** After an undo/redo of a whole re-segmentation: the lists change too. */
  onWholeMapChanged(): void;
}

export function useOpenImage({ client, toasts, selected, selectedRef, selection, viewer, onSwitch, onWholeMapChanged }: OpenImageDeps): OpenImage {
  const { toast, onError } = toasts;
  const [raster, setRaster] = useState<RasterImage | null>(null);
  const rasterRef = useRef<RasterImage | null>(null);
  rasterRef.current = raster;
  const [largeHistory, setLargeHistory] = useState({ undoDepth: 0, redoDepth: 0 });
  const [largeSelected, setLargeSelected] = useState<readonly LargeSegment[]>([]);
  const [session, setSession] = useState<EditSession | null>(null);
  const [docVersion, setDocVersion] = useState(0);
  const sessionRef = useRef<EditSession | null>(null);
  const onSwitchRef = useRef(onSwitch);
  onSwitchRef.current = onSwitch;
  const handlers = useRef({ onMessage: (kind: 'info' | 'error', text: string) => toast(kind, text) }).current;

  const replaceSession = useCallback((s: EditSession | null) => {
    const old = sessionRef.current;
    if (old && old !== s) old.dispose();
    sessionRef.current = s;
    if (debugHooks) debugHooks.session = s;
    setSession(s);
  }, []);
  useEffect(() => () => replaceSession(null), [replaceSession]);

  const openSession = useCallback(
    async (imageId: number, create = false): Promise<EditSession | null> => {
      const s = await EditSession.open(client, imageId, handlers, create);
      if (selectedRef.current !== imageId) {
        s?.dispose();
        return null;
      }
      replaceSession(s);
      return s;
    },
    [client, handlers, selectedRef, replaceSession],
  );

  // Open the selected image: raw pixels and its segmentation for editing.
  useEffect(() => {
    if (selected === null) {
      replaceSession(null);
      setRaster(null);
      return;
    }
    let live = true;
    onSwitchRef.current();
    selection.clear();
    replaceSession(null);
    // A large image is viewed and edited through main's tiles: no whole pixels or label map here.
    client
      .call('images.list', { afterId: selected - 1, limit: 1 })
      .then((recs) => {
        const rec = recs[0];
        if (!live) return;
        if (rec && rec.id === selected && isLargeImage(rec.width, rec.height)) {
          setRaster(remoteRaster(client, rec));
          setLargeHistory({ undoDepth: 0, redoDepth: 0 });
          // A mosaic over 16384² keeps its undo steps in the project: undo goes on after reopening.
          void client
            .call('tiles.history', { imageId: rec.id })
            .then((h) => live && setLargeHistory({ undoDepth: h.canUndo ? 1 : 0, redoDepth: h.canRedo ? 1 : 0 }))
            .catch(() => {});
          toast('info', `${rec.name} is a large image (${Math.round((rec.width * rec.height) / 1e6)} MP): it is shown tile by tile. Brush, eraser, delete, merge and undo work on it; other tools are off for large images for now.`);
          return;
        }
        return openWhole();
      })
      .catch(onError);
    const openWhole = () =>
      Promise.all([client.call('images.pixels', { id: selected }), EditSession.open(client, selected, handlers)]).then(([px, s]) => {
        if (!live) {
          s?.dispose();
          return;
        }
        setRaster(px);
        replaceSession(s);
      });
    return () => {
      live = false;
    };
  }, [selected, client, handlers, onError, selection, replaceSession, toast]);

  useEffect(() => {
    if (!session) return;
    return session.onChange(() => setDocVersion((v) => v + 1));
  }, [session]);

  // Main changed the open image: a new segmentation reopens it, an edit from elsewhere is followed.
  useEffect(
    () =>
      client.on('onDidChangeImage', (e) => {
        if (e.imageId !== selectedRef.current || e.reason === 'removed') return;
        const s = sessionRef.current;
        if (e.reason === 'segmented') void openSession(e.imageId).catch(onError);
        else if (e.reason === 'updated') {
          if (s) void s.externalChange().catch(() => {});
          else void openSession(e.imageId).catch(() => {});
        }
      }),
    [client, selectedRef, openSession, onError],
  );

  /** A large image's edit or undo came back: refetch the tiles it changed. */
  const afterLargeEdit = useCallback(
    (r: LargeEditResult) => {
      setLargeHistory((h) => ({ undoDepth: r.canUndo ? Math.max(1, h.undoDepth) : 0, redoDepth: r.canRedo ? 1 : 0 }));
      const v = viewer.current;
      if (!v || !r.box) return;
      v.canvas.invalidate(r.box);
      v.drawNow();
    },
    [viewer],
  );

  const runEdit = useCallback(
    (ops: EditOp[], label: string, opts: LocalEditOptions = {}, intent?: Extract<Intent, { type: 'edit' }>) => {
      const imageId = selectedRef.current;
      if (imageId === null) return;
      if (remoteSourceOf(rasterRef.current)?.imageId === imageId) {
        const large = largeOps(ops);
        if (typeof large === 'string') {
          toast('error', large);
          return;
        }
        void client
          .call('tiles.edit', { imageId, ops: large })
          .then((r) => {
            afterLargeEdit(r);
            recordCommit(label);
            if (r.created !== null && intent?.select === 'created') selection.apply([r.created], 'replace');
            if (ops.some((o) => o.kind === 'delete')) selection.clear();
          })
          .catch(onError);
        return;
      }
      const apply = (sess: EditSession) => {
        let local;
        try {
          local = sess.edit(ops, opts);
        } catch (e) {
          onError(e);
          return;
        }
        viewer.current?.drawNow();
        recordCommit(label);
        if (!local) return;
        if (intent) {
          const after = selectionAfterEdit(intent, local);
          if (after) selection.apply(after, 'replace');
        }
        selection.retain((id) => sess.doc.segments.has(id));
      };
      const s = sessionRef.current;
      if (s) apply(s);
      else {
        // No segmentation yet: start an empty one, then add to it.
        void openSession(imageId, true)
          .then((created) => created && apply(created))
          .catch(onError);
      }
    },
    [selectedRef, openSession, onError, selection, viewer, client, toast, afterLargeEdit],
  );

  /** Undo/redo are main's: the canvas shows the step when main answers with its patch. */
  const step = useCallback(
    (which: 'undo' | 'redo') => {
      const imageId = selectedRef.current;
      if (imageId !== null && remoteSourceOf(rasterRef.current)?.imageId === imageId) {
        void client
          .call(which === 'undo' ? 'tiles.undo' : 'tiles.redo', { imageId })
          .then((r) => {
            afterLargeEdit(r);
            if (r.box) recordCommit(which);
          })
          .catch(onError);
        return;
      }
      const s = sessionRef.current;
      if (!s) return;
      void (which === 'undo' ? s.undo() : s.redo()).then((did) => {
        if (!did) return;
        viewer.current?.drawNow();
        recordCommit(which);
        // Undoing (or redoing) a re-segmentation changes the whole map, engine and classes: reload.
        // The step just taken is now the newest of the other stack (read after it: a step typed
        // while another was on its way saw stale kinds).
        if ((which === 'undo' ? s.doc.redoKind : s.doc.undoKind) === 'resegment') {
          void s.reload().then(() => viewer.current?.drawNow(), onError);
          onWholeMapChanged();
        }
      });
    },
    [viewer, onError, onWholeMapChanged, selectedRef, client, afterLargeEdit],
  );

  const large = useMemo(() => {
    const src = remoteSourceOf(raster);
    if (!src) return null;
    const doc: ToolDocument = {
      width: src.width,
      height: src.height,
      labels: { width: src.width, height: src.height, data: new Uint32Array(0) },
      labelAt: (x, y) => viewer.current?.canvas.remoteLabelAt(Math.floor(x), Math.floor(y)) ?? 0,
      segment: () => undefined,
      segments: new Map(),
    };
    return { doc, ...largeHistory, selected: largeSelected };
  }, [raster, viewer, largeHistory, largeSelected]);

  // A large image's selected segments (up to 64): area and box counted in main from the label
  // tiles, again after every edit, undo or redo (largeHistory is renewed by each).
  useEffect(() => {
    const src = remoteSourceOf(raster);
    setLargeSelected([]);
    if (!src) return;
    let gen = 0;
    const refresh = () => {
      const mine = ++gen;
      const ids = selection.ids.slice(0, 64);
      if (ids.length === 0) {
        setLargeSelected([]);
        return;
      }
      void client
        .call('tiles.segments', { imageId: src.imageId, ids })
        .then((rs) => {
          if (mine === gen) setLargeSelected(rs);
        })
        .catch(() => {});
    };
    refresh();
    const off = selection.onChange(refresh);
    return () => {
      gen++;
      off();
    };
  }, [raster, client, selection, largeHistory]);

  return { large, raster, session, sessionRef, docVersion, runEdit, undo: useCallback(() => step('undo'), [step]), redo: useCallback(() => step('redo'), [step]) };
}
