// The open image: its raw pixels and its edit session (the local document main's edits are
// applied to at once). Opens both when the image changes, follows changes main announces, runs
// edits (starting an empty segmentation when the image has none) and asks main to undo/redo.
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import type { GrainLabClient } from '../../app/contract';
import type { EditOp } from '../../app/edit';
import type { RasterImage } from '../../app/types';
import type { ViewerHandle } from '../components/Viewer';
import { debugHooks, recordCommit } from '../debug';
import { selectionAfterEdit } from '../editor/after-edit';
import type { LocalEditOptions } from '../editor/document';
import type { Selection } from '../editor/selection';
import { EditSession } from '../editor/session';
import type { Intent } from '../tools/types';
import type { Toasts } from './toasts';

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
    Promise.all([client.call('images.pixels', { id: selected }), EditSession.open(client, selected, handlers)])
      .then(([px, s]) => {
        if (!live) {
          s?.dispose();
          return;
        }
        setRaster(px);
        replaceSession(s);
      })
      .catch(onError);
    return () => {
      live = false;
    };
  }, [selected, client, handlers, onError, selection, replaceSession]);

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

  const runEdit = useCallback(
    (ops: EditOp[], label: string, opts: LocalEditOptions = {}, intent?: Extract<Intent, { type: 'edit' }>) => {
      const imageId = selectedRef.current;
      if (imageId === null) return;
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
    [selectedRef, openSession, onError, selection, viewer],
  );

  /** Undo/redo are main's: the canvas shows the step when main answers with its patch. */
  const step = useCallback(
    (which: 'undo' | 'redo') => {
      const s = sessionRef.current;
      if (!s) return;
      // Undoing (or redoing) a re-segmentation changes the whole map, engine and classes: reload.
      const whole = (which === 'undo' ? s.doc.undoKind : s.doc.redoKind) === 'resegment';
      void (which === 'undo' ? s.undo() : s.redo()).then((did) => {
        if (!did) return;
        viewer.current?.drawNow();
        recordCommit(which);
        if (whole) {
          void s.reload().then(() => viewer.current?.drawNow(), onError);
          onWholeMapChanged();
        }
      });
    },
    [viewer, onError, onWholeMapChanged],
  );

  return { raster, session, sessionRef, docVersion, runEdit, undo: useCallback(() => step('undo'), [step]), redo: useCallback(() => step('redo'), [step]) };
}
