// The GrainLab window: project screen, or the workspace (image list, tool strip, canvas, side
// panel, toolbar, status bar). The workspace wires tools (intents), the actions registry
// (toolbar, context menu, keys) and the open image's edit session together.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { getClient } from './client';
import type { ClusterState } from '../app/contract/cluster';
import { ClusterPanel } from './components/cluster/ClusterPanel';
import type { ProgressEvent } from '../app/contract';
import type { SamStatus } from '../app/contract/sam';
import type { ClassRecord, ImageRecord, ProjectInfo, RasterImage, SegmentRecord } from '../app/types';
import type { EditOp } from '../app/edit';
import { percentileWindow, fullWindow, type DisplayWindow } from '../app/image/display';
import { ServiceError } from '../app/errors';
import type { Viewport } from '../app/view/viewport';
import { ProjectScreen } from './components/ProjectScreen';
import { ImageList } from './components/ImageList';
import { JobsPanel, Toasts, type Toast } from './components/Jobs';
import { Viewer, type HoverInfo, type ViewerHandle } from './components/Viewer';
import { ExportTools } from './components/export/ExportTools';
import { SidePanel, type SidePanelTab } from './components/SidePanel';
import { MenuButton } from './components/MenuButton';
import type { OverlaySettings } from './viewer/canvas-view';
import { ToolStrip } from './components/ToolStrip';
import { HelpOverlay } from './components/HelpOverlay';
import { ContextMenu } from './components/ContextMenu';
import { HoverText, ZoomText } from './components/HoverStatus';
import { EditSession } from './editor/session';
import { Selection } from './editor/selection';
import { Observable } from './editor/observable';
import { selectionAfterEdit } from './editor/after-edit';
import type { LocalEditOptions } from './editor/document';
import { createTools, isPromptTool } from './tools';
import { nextUnverified } from './tools/geometry';
import type { Intent, ToolContext, ToolDocument, ToolId } from './tools/types';
import { actionForKey, type ActionContext } from './actions/registry';
import { debugHooks, markInput, recordCommit } from './debug';
import { useQuestions } from './components/dialogs/useQuestions';
import { VersionsPanel } from './components/versions/VersionsPanel';
import { ClassManager } from './components/classes/ClassManager';

const ACCEPT = '.png,.jpg,.jpeg,.tif,.tiff,image/png,image/jpeg,image/tiff';

/** With cluster selection on, a clicked segment stands for every (still existing) segment of its cluster. */
function expandToClusters(ids: readonly number[], state: ClusterState | null, exists: (id: number) => boolean): number[] {
  if (!state || ids.length !== 1) return [...ids];
  const row = state.segmentIds.indexOf(ids[0]!);
  if (row < 0) return [...ids];
  const c = state.clusterIds[row];
  const out: number[] = [];
  state.segmentIds.forEach((id, i) => {
    if (state.clusterIds[i] === c && exists(id)) out.push(id);
  });
  return out;
}

/** Overlay colours by cluster: each member segment gets its cluster's colour. */
function clusterColours(state: ClusterState): NonNullable<OverlaySettings['groupColours']> {
  const of = new Map<number, number>();
  state.segmentIds.forEach((id, i) => of.set(id, state.clusterIds[i]!));
  return { colours: new Map(state.clusters.map((c) => [c.id, c.color])), groupOf: (id) => of.get(id) ?? null };
}

/** The "Only predicted" overlay filter: segments whose class the classifier gave. */
const onlyPredictedTest = (s: SegmentRecord) => s.classSource === 'classifier' && s.classId !== null;

function errorText(e: unknown): string {
  if (e instanceof ServiceError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

function imageFromHash(): number | null {
  const m = /image=(\d+)/.exec(window.location.hash);
  return m ? Number(m[1]) : null;
}

function typingIn(t: EventTarget | null): boolean {
  return t instanceof HTMLElement && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
}

const emptyDoc = (width: number, height: number): ToolDocument => ({
  width,
  height,
  labels: { width, height, data: new Uint32Array(0) },
  labelAt: () => 0,
  segment: () => undefined,
  segments: new Map(),
});

export function App() {
  const client = getClient();
  const [project, setProject] = useState<ProjectInfo | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [samStatus, setSamStatus] = useState<SamStatus | null>(null);
  const samStatusRef = useRef<SamStatus | null>(null);
  samStatusRef.current = samStatus;
  const [images, setImages] = useState<ImageRecord[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  /** Images chosen in the list: project-wide actions (segment, apply classes, export, stats) work on them. */
  const [chosen, setChosen] = useState<number[]>([]);
  const [onlyPredicted, setOnlyPredicted] = useState(false);
  const [classManager, setClassManager] = useState(false);
  const [raster, setRaster] = useState<RasterImage | null>(null);
  const [displayWindow, setDisplayWindow] = useState<DisplayWindow | null>(null);
  const [session, setSession] = useState<EditSession | null>(null);
  const [docVersion, setDocVersion] = useState(0);
  const [clusterState, setClusterState] = useState<ClusterState | null>(null);
  const [clusterSelect, setClusterSelect] = useState(false);
  const [colourByCluster, setColourByCluster] = useState(false);
  const [panelTab, setPanelTab] = useState<SidePanelTab>('edit');
  // The clustering of the open image (the state may still be another image's right after switching).
  const openClusters = clusterState && clusterState.imageId === selected ? clusterState : null;
  const clusterRef = useRef<{ state: ClusterState | null; on: boolean }>({ state: null, on: false });
  clusterRef.current = { state: openClusters, on: clusterSelect };
  const [overlayVisible, setOverlayVisible] = useState(true);
  const [opacity, setOpacity] = useState(0.45);
  const [outlinesOnly, setOutlinesOnly] = useState(false);
  const [colourByClass, setColourByClass] = useState(false);
  const [mode, setMode] = useState<'phase' | 'grain'>('phase');
  const [invert, setInvert] = useState(false);
  const [jobs, setJobs] = useState<ProgressEvent[]>([]);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [dragging, setDragging] = useState(false);
  const [importing, setImporting] = useState<string | null>(null);
  const [toolId, setToolId] = useState<ToolId>('select');
  const [brushRadius, setBrushRadius] = useState(8);
  const [classes, setClasses] = useState<ClassRecord[]>([]);
  const [selIds, setSelIds] = useState<number[]>([]);
  const [helpOpen, setHelpOpen] = useState(false);
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);
  const [minArea, setMinArea] = useState(50);
  const [toolTick, setToolTick] = useState(0);
  const [polygonSubtract, setPolygonSubtract] = useState(false);
  const viewer = useRef<ViewerHandle>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const toastId = useRef(1);
  const tools = useMemo(() => createTools(), []);
  const selection = useMemo(() => new Selection(), []);
  const hover = useMemo(() => new Observable<HoverInfo | null>(null), []);
  const viewport = useMemo(() => new Observable<Viewport | null>(null), []);
  const sessionRef = useRef<EditSession | null>(null);
  sessionRef.current = session;
  const selectedRef = useRef<number | null>(null);
  selectedRef.current = selected;
  const brushRef = useRef(brushRadius);
  brushRef.current = brushRadius;
  const toolRef = useRef(toolId);
  toolRef.current = toolId;
  const rasterRef = useRef<RasterImage | null>(raster);
  rasterRef.current = raster;
  const promptSeq = useRef(0);

  const questions = useQuestions(client);
  const toast = useCallback((kind: Toast['kind'], text: string) => {
    const id = toastId.current++;
    // The same message twice (several calls failing for one reason) is shown once.
    setToasts((t) => (t.some((x) => x.kind === kind && x.text === text) ? t : [...t.slice(-4), { id, kind, text }]));
    if (kind === 'info') setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 4000);
  }, []);
  const onError = useCallback((e: unknown) => toast('error', errorText(e)), [toast]);

  const refreshImages = useCallback(async () => {
    const list = await client.call('images.list', {});
    setImages(list);
    setChosen((c) => c.filter((id) => list.some((i) => i.id === id)));
    return list;
  }, [client]);

  const refreshClasses = useCallback(async () => {
    const list = await client.call('classes.list', {});
    setClasses(list);
    return list;
  }, [client]);

  useEffect(() => selection.onChange(() => setSelIds(selection.ids)), [selection]);

  // Startup: is a project already open in main (e.g. after a page reload)?
  useEffect(() => {
    client
      .call('project.current', {})
      .then((p) => setProject(p))
      .catch(onError)
      .finally(() => setLoaded(true));
  }, [client, onError]);

  useEffect(() => {
    if (!project) return;
    document.title = `${project.name} — GrainLab`;
    refreshImages()
      .then((list) => {
        const want = imageFromHash();
        if (want && list.some((i) => i.id === want)) setSelected(want);
      })
      .catch(onError);
    refreshClasses().catch(onError);
  }, [project, refreshImages, refreshClasses, onError]);

  const replaceSession = useCallback((s: EditSession | null) => {
    const old = sessionRef.current;
    if (old && old !== s) old.dispose();
    sessionRef.current = s;
    if (debugHooks) debugHooks.session = s;
    setSession(s);
  }, []);

  const openSession = useCallback(
    async (imageId: number, create = false): Promise<EditSession | null> => {
      const s = await EditSession.open(client, imageId, { onMessage: (kind, text) => toast(kind, text) }, create);
      if (selectedRef.current !== imageId) {
        s?.dispose();
        return null;
      }
      replaceSession(s);
      return s;
    },
    [client, toast, replaceSession],
  );

  // Open the selected image: raw pixels, display window, and its segmentation for editing.
  useEffect(() => {
    if (selected === null) return;
    window.history.replaceState(null, '', `#image=${selected}`);
    let live = true;
    tools[toolRef.current].onCancel({ doc: emptyDoc(0, 0), selection: [], brushRadius: brushRef.current, emit: () => {} });
    selection.clear();
    replaceSession(null);
    Promise.all([client.call('images.pixels', { id: selected }), EditSession.open(client, selected, { onMessage: (kind, text) => toast(kind, text) })])
      .then(([px, s]) => {
        if (!live) {
          s?.dispose();
          return;
        }
        setRaster(px);
        setDisplayWindow(percentileWindow(px));
        replaceSession(s);
      })
      .catch(onError);
    return () => {
      live = false;
    };
  }, [selected, client, onError, toast, tools, selection, replaceSession]);

  // The open document changed: panels re-read it.
  useEffect(() => {
    if (!session) return;
    return session.onChange(() => setDocVersion((v) => v + 1));
  }, [session]);

  useEffect(() => {
    const offProgress = client.on('onDidProgress', (e) => {
      setJobs((js) => [...js.filter((j) => j.jobId !== e.jobId), e]);
      if (e.state !== 'running') {
        if (e.state === 'failed') toast('error', e.error?.message ?? 'A job failed.');
        setTimeout(() => setJobs((js) => js.filter((j) => j.jobId !== e.jobId)), e.state === 'done' ? 1500 : 5000);
      }
    });
    const offChange = client.on('onDidChangeImage', (e) => {
      void refreshImages().catch(() => {});
      // A new segmentation may come with new classes (pixel k-means phases, imported labels); an
      // undo may bring a deleted class back, a merge or delete takes one away.
      void refreshClasses().catch(() => {});
      if (e.reason === 'removed' && e.imageId === selectedRef.current) {
        setSelected(null);
        replaceSession(null);
        setRaster(null);
        return;
      }
      if (e.imageId !== selectedRef.current) return;
      const s = sessionRef.current;
      if (e.reason === 'segmented') void openSession(e.imageId).catch(onError);
      else if (e.reason === 'updated') {
        if (s) void s.externalChange().catch(() => {});
        else void openSession(e.imageId).catch(() => {});
      }
    });
    return () => {
      offProgress();
      offChange();
    };
  }, [client, refreshImages, refreshClasses, toast, onError, openSession, replaceSession]);

  const importFiles = useCallback(
    async (files: File[]) => {
      if (files.length === 0) return;
      let ok = 0;
      let firstNew: number | null = null;
      const known: string[] = [];
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        setImporting(`Importing ${i + 1} of ${files.length}: ${f.name}`);
        try {
          const bytes = new Uint8Array(await f.arrayBuffer());
          const res = await client.call('images.importFiles', { files: [{ name: f.name, bytes }] });
          ok += res.imported.length;
          if (firstNew === null && res.imported[0]) firstNew = res.imported[0].id;
          for (const e of res.existing) known.push(`${e.name} is already in the project as #${e.image.id}${e.image.name !== e.name ? ` (${e.image.name})` : ''}.`);
          for (const fail of res.failed) toast('error', fail.message);
        } catch (e) {
          onError(e);
        }
      }
      setImporting(null);
      await refreshImages();
      if (ok > 0) toast('info', `Imported ${ok} image${ok === 1 ? '' : 's'}.`);
      for (const k of known.slice(0, 3)) toast('info', k);
      if (known.length > 3) toast('info', `${known.length - 3} more files were already in the project.`);
      if (selectedRef.current === null && firstNew !== null) setSelected(firstNew);
    },
    [client, refreshImages, toast, onError],
  );

  /**
   * Segments these images. Asks first when a person's corrections are at stake (and, for several
   * images, always says what will change); keeps the person's segments unless told otherwise.
   */
  const segment = useCallback(
    async (ids: number[], verb = ids.length === 1 ? 'Segment this image' : `Segment ${ids.length} images`) => {
      if (ids.length === 0) return;
      try {
        const keep = await questions.askSegmenting(ids, verb, ids.length > 1);
        if (!keep) return;
        await client.call('segment.auto', { imageIds: ids, engine: 'classic', classic: { mode, minArea: 16, invert }, keep });
      } catch (e) {
        onError(e);
      }
    },
    [client, mode, invert, onError, questions],
  );

  /** Pixel k-means phase map of the open image (default options); asks first when it holds corrections. */
  const pixelKMeans = async () => {
    const imageId = selectedRef.current;
    if (imageId === null) return;
    try {
      const keep = await questions.askSegmenting([imageId], 'Phase map');
      if (keep) await client.call('segment.pixelKMeans', { imageIds: [imageId], keep });
    } catch (e) {
      onError(e);
    }
  };

  const removeImages = async (ids: number[]) => {
    const chosenImages = images.filter((i) => ids.includes(i.id));
    if (chosenImages.length === 0 || !(await questions.askRemove(chosenImages))) return;
    try {
      const r = await client.call('images.remove', { ids });
      toast('info', `Removed ${r.removed} image${r.removed === 1 ? '' : 's'}.`);
      setChosen((c) => c.filter((id) => !ids.includes(id)));
      await refreshImages();
    } catch (e) {
      onError(e);
    }
  };

  const closeProject = async () => {
    await client.call('project.close', {}).catch(onError);
    setProject(null);
    setImages([]);
    setSelected(null);
    setRaster(null);
    replaceSession(null);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  };

  // ---- editing ----

  /** Applies edits now (locally, then saved by main) and redraws; returns the ids to select afterwards, if any. */
  const runEdit = useCallback(
    (ops: EditOp[], label: string, opts: LocalEditOptions = {}, intent?: Extract<Intent, { type: 'edit' }>) => {
      const s = sessionRef.current;
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
      if (s) apply(s);
      else {
        // No segmentation yet: start an empty one, then add to it.
        void openSession(imageId, true)
          .then((created) => created && apply(created))
          .catch(onError);
      }
    },
    [openSession, onError, selection],
  );

  const checkSam = useCallback(async () => {
    const t = [tools.sam, tools.carve];
    try {
      const st = await client.call('sam.status', {});
      setSamStatus(st);
      for (const tool of t) tool.setAvailability(st.active !== null, st.active !== null ? '' : `No SAM model installed. ${st.hint}`);
    } catch (e) {
      for (const tool of t) tool.setAvailability(false, `SAM is not available: ${errorText(e)}`);
    }
    setToolTick((x) => x + 1);
  }, [client, tools]);

  // Which model and execution provider SAM uses in this project (project models count).
  useEffect(() => {
    if (project) void checkSam();
  }, [project, checkSam]);

  const runPrompt = useCallback(
    async (i: Extract<Intent, { type: 'prompt' }>) => {
      const tool = tools[toolRef.current];
      const imageId = selectedRef.current;
      if (!isPromptTool(tool) || imageId === null) return;
      const seq = ++promptSeq.current;
      const doc = () => sessionRef.current?.doc ?? emptyDoc(rasterRef.current?.width ?? 0, rasterRef.current?.height ?? 0);
      try {
        const c = await client.call('sam.prompt', { imageId, points: i.points, ...(i.box ? { box: i.box } : {}), refine: i.refine });
        if (seq !== promptSeq.current) return;
        tool.setCandidate({ box: c.box, mask: c.mask, score: c.score }, doc());
        // The execution provider is known once the model has loaded: show it.
        if (samStatusRef.current?.provider == null) void checkSam();
      } catch (e) {
        if (seq !== promptSeq.current) return;
        tool.setCandidate(null, doc());
        toast('error', errorText(e));
      }
      viewer.current?.redrawInteraction();
      setToolTick((t) => t + 1);
    },
    [client, tools, toast, checkSam],
  );

  const handleIntent = useCallback(
    (i: Intent) => {
      if (i.type === 'select') {
        const doc = sessionRef.current?.doc;
        if (!clusterRef.current.on) selection.apply(i.ids, i.mode);
        else {
          // Shift-click on a cluster adds it whole, or removes it whole when the clicked segment was selected.
          const mode = i.mode === 'toggle' ? (selection.has(i.ids[0] ?? 0) ? 'remove' : 'add') : i.mode;
          selection.apply(expandToClusters(i.ids, clusterRef.current.state, (id) => !!doc?.segments.has(id)), mode);
        }
      }
      else if (i.type === 'message') toast(i.kind, i.text);
      else if (i.type === 'prompt') void runPrompt(i);
      else runEdit(i.ops, i.label, { ...(i.source ? { source: i.source } : {}), ...(i.classFrom !== undefined ? { classFrom: i.classFrom } : {}) }, i);
    },
    [selection, toast, runPrompt, runEdit],
  );

  const toolContext = useCallback(
    (): ToolContext => ({
      doc: sessionRef.current?.doc ?? emptyDoc(rasterRef.current?.width ?? 0, rasterRef.current?.height ?? 0),
      selection: selection.ids,
      brushRadius: brushRef.current,
      emit: handleIntent,
    }),
    [selection, handleIntent],
  );

  const switchTool = useCallback(
    (id: ToolId) => {
      if (id === toolRef.current) return;
      tools[toolRef.current].onCancel(toolContext());
      setToolId(id);
      if (id === 'sam' || id === 'carve') void checkSam();
    },
    [tools, toolContext, checkSam],
  );

  const currentImage = images.find((i) => i.id === selected) ?? null;

  const setClassKey = useCallback(
    async (n: number | null) => {
      const ids = selection.ids;
      if (ids.length === 0) return;
      if (n === null) {
        runEdit([{ kind: 'setClass', ids, classId: null }], 'Clear class');
        return;
      }
      let list = classes;
      if (list.length < n) {
        try {
          list = await client.call('classes.ensure', { count: n });
          setClasses(list);
        } catch (e) {
          onError(e);
          return;
        }
      }
      runEdit([{ kind: 'setClass', ids, classId: list[n - 1]!.id }], `Class ${n}`);
    },
    [selection, classes, client, runEdit, onError],
  );

  /** Undo/redo are main's: the canvas shows the step when main answers with its patch. */
  const stepHistory = (which: 'undo' | 'redo') => {
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
        void refreshImages().catch(() => {});
        void refreshClasses().catch(() => {});
      }
    });
  };

  const actionCtx: ActionContext = {
    hasImage: selected !== null && raster !== null,
    hasSegmentation: session !== null,
    selection: selIds,
    canUndo: (session?.doc.undoDepth ?? 0) > 0 || (session?.pending ?? 0) > 0,
    canRedo: (session?.doc.redoDepth ?? 0) > 0,
    tool: toolId,
    imageReviewed: currentImage?.status === 'verified',
    undo: () => stepHistory('undo'),
    redo: () => stepHistory('redo'),
    setTool: switchTool,
    mergeSelected: () => {
      const ids = selection.ids;
      if (ids.length < 2) return;
      const op: EditOp = { kind: 'merge', ids };
      runEdit([op], 'Merge', {}, { type: 'edit', ops: [op], label: 'Merge', select: 'target' });
    },
    deleteSelected: () => {
      const ids = selection.ids;
      if (ids.length === 0) return;
      runEdit([{ kind: 'delete', ids }], 'Delete');
      selection.clear();
    },
    deleteSmaller: () => {
      const before = sessionRef.current?.doc.segments.size ?? 0;
      runEdit([{ kind: 'deleteSmallerThan', minArea }], 'Delete small');
      const after = sessionRef.current?.doc.segments.size ?? 0;
      toast('info', `Deleted ${before - after} segment${before - after === 1 ? '' : 's'} smaller than ${minArea} px.`);
    },
    fillHoles: () => {
      const ids = selection.ids;
      if (ids.length === 0) return;
      runEdit(ids.slice(0, 64).map((id) => ({ kind: 'fillHoles', id }) as EditOp), 'Fill holes');
    },
    setClass: (n) => void setClassKey(n),
    toggleVerified: () => {
      const s = sessionRef.current;
      const ids = selection.ids;
      if (!s || ids.length === 0) return;
      const all = ids.every((id) => s.doc.segment(id)?.verified);
      runEdit([{ kind: 'setVerified', ids, verified: !all }], all ? 'Unverify' : 'Verify');
    },
    selectAll: () => {
      const s = sessionRef.current;
      if (s) selection.apply([...s.doc.segments.keys()], 'replace');
    },
    clearSelection: () => selection.clear(),
    nextUnverified: (backwards) => {
      const s = sessionRef.current;
      if (!s) return;
      const next = nextUnverified(s.doc.segments.values(), selection.single, backwards);
      if (!next) {
        toast('info', 'Every segment of this image is verified.');
        return;
      }
      selection.apply([next.id], 'replace');
      viewer.current?.centreOn(next.bbox);
    },
    toggleReviewed: () => {
      if (!currentImage) return;
      const status = currentImage.status === 'verified' ? 'in-review' : 'verified';
      client
        .call('images.setStatus', { imageId: currentImage.id, status })
        .then(() => refreshImages())
        .catch(onError);
    },
    nextImage: () => {
      const idx = images.findIndex((i) => i.id === selected);
      if (idx >= 0 && idx < images.length - 1) setSelected(images[idx + 1]!.id);
    },
    prevImage: () => {
      const idx = images.findIndex((i) => i.id === selected);
      if (idx > 0) setSelected(images[idx - 1]!.id);
    },
    segment: () => {
      if (selected !== null) void segment([selected]);
    },
    toggleOverlay: () => setOverlayVisible((v) => !v),
    toggleOutlines: () => setOutlinesOnly((v) => !v),
    brushSize: (f) => setBrushRadius((r) => Math.max(0.5, Math.min(500, Math.round(r * f * 2) / 2 || r))),
    fit: () => viewer.current?.fit(),
    actualSize: () => viewer.current?.actualSize(),
    zoom: (f) => viewer.current?.zoomBy(f),
    toggleHelp: () => setHelpOpen((h) => !h),
    togglePolygonMode: () => setPolygonSubtract((v) => !v),
    toggleClusterSelect: () => {
      if (!clusterSelect && !openClusters) {
        setPanelTab('clusters');
        toast('info', 'Cluster the segments first: Run in the Clusters tab.');
        return;
      }
      setClusterSelect((v) => !v);
    },
  };
  const ctxRef = useRef(actionCtx);
  ctxRef.current = actionCtx;

  useEffect(() => {
    tools.polygon.subtract = polygonSubtract;
    setToolTick((t) => t + 1);
  }, [tools, polygonSubtract]);

  // Keyboard: the active tool first (Enter, Escape, Backspace in a gesture), then the actions registry.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingIn(e.target)) return;
      if (helpOpen && (e.key === 'Escape' || e.key === '?')) {
        setHelpOpen(false);
        e.preventDefault();
        return;
      }
      markInput(e.timeStamp);
      const tool = tools[toolRef.current];
      if (tool.onKey({ key: e.key, shift: e.shiftKey, alt: e.altKey, ctrl: e.ctrlKey || e.metaKey }, toolContext())) {
        e.preventDefault();
        viewer.current?.redrawInteraction();
        setToolTick((t) => t + 1);
        return;
      }
      const action = actionForKey(e);
      if (!action) {
        markInput(0);
        return;
      }
      e.preventDefault();
      const ctx = ctxRef.current;
      if (action.enabled && !action.enabled(ctx)) {
        markInput(0);
        return;
      }
      action.run(ctx);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [tools, toolContext, helpOpen]);

  const overlaySettings = useMemo(
    () => ({
      visible: overlayVisible,
      opacity,
      outlinesOnly,
      classColours: colourByClass ? new Map(classes.map((c) => [c.id, c.color])) : null,
      groupColours: colourByCluster && openClusters ? clusterColours(openClusters) : null,
      showOnly: onlyPredicted ? onlyPredictedTest : null,
    }),
    [overlayVisible, opacity, outlinesOnly, colourByClass, classes, colourByCluster, openClusters, onlyPredicted],
  );

  if (!loaded) return <div className="start muted">Connecting…</div>;
  if (!project) {
    return (
      <>
        <ProjectScreen onOpened={setProject} onError={onError} />
        <Toasts toasts={toasts} onDismiss={(id) => setToasts((t) => t.filter((x) => x.id !== id))} />
      </>
    );
  }

  const current = currentImage;
  const bitMax = raster?.bitDepth === 16 ? 65535 : 255;
  const running = jobs.some((j) => j.state === 'running');
  const tool = tools[toolId];
  void toolTick;
  const doc = session?.doc ?? null;

  return (
    <div
      className="workspace"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void importFiles(Array.from(e.dataTransfer.files));
      }}
    >
      <header className="toolbar">
        <span className="brand">GrainLab</span>
        <span className="project-name" title={project.path} data-testid="project-name">
          {project.name}
        </span>
        {project.readOnly && (
          <span className="readonly-badge" data-testid="read-only" title="This project's disk or folder cannot be written. You can view, measure and export it to another folder; copy the project to a writable disk to edit it.">
            Read-only
          </span>
        )}
        <button disabled={project.readOnly} onClick={() => fileInput.current?.click()} data-testid="import-button" title="Import PNG, JPEG or TIFF files (or drop them on the window)">
          Import…
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          accept={ACCEPT}
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            void importFiles(files);
          }}
        />
        <span className="sep" />
        <label className="inline" title="Phase: threshold regions. Grain: grains split along boundaries.">
          Mode
          <select value={mode} onChange={(e) => setMode(e.target.value as 'phase' | 'grain')} data-testid="mode">
            <option value="phase">Phase</option>
            <option value="grain">Grain</option>
          </select>
        </label>
        <label className="inline" title="Foreground is the darker side of the threshold">
          <input type="checkbox" checked={invert} onChange={(e) => setInvert(e.target.checked)} /> Dark objects
        </label>
        <span className="split-button">
          <button className="primary" disabled={selected === null || running || project.readOnly} onClick={() => selected !== null && void segment([selected])} data-testid="segment-button" title="Auto-segment this image (S)">
            Segment
          </button>
          <MenuButton
            label="▾"
            title="More ways to segment"
            testId="segment-menu"
            disabled={images.length === 0}
            items={[
              {
                label: `Segment chosen images (${chosen.length})`,
                title: 'Auto-segment the images chosen in the list (Ctrl-click, Shift-click); says what will change first',
                disabled: running || chosen.length === 0,
                testId: 'segment-chosen',
                run: () => void segment(chosen, `Segment ${chosen.length} chosen image${chosen.length === 1 ? '' : 's'}`),
              },
              { label: `Segment all images (${images.length})`, title: 'Auto-segment every image in the project; says what will change first', disabled: running, testId: 'segment-all', run: () => void segment(images.map((i) => i.id), `Segment all ${images.length} images`) },
              { label: 'Phase map (pixel k-means)…', title: 'k-means on pixel intensities gives this image a phase map (options in the Clusters tab)', disabled: selected === null || running, testId: 'phase-map-menu', run: () => void pixelKMeans() },
              { label: 'Cluster segments…', title: 'Open the Clusters tab', disabled: selected === null, run: () => setPanelTab('clusters') },
            ]}
          />
        </span>
        <span className="sep" />
        <ExportTools images={images} selected={selected} chosen={chosen} onChanged={() => void refreshImages().catch(onError)} />
        <span className="spacer" />
        {samStatus && samStatus.active === null && (
          <span className="hint" title={samStatus.hint}>
            No SAM model
          </span>
        )}
        {samStatus?.active && (
          <span className="engine-badge" data-testid="sam-badge" title={samStatus.provider?.reason ?? 'The execution provider is chosen when the model first loads (npx grainlab doctor tells it now).'}>
            SAM {samStatus.active} · {samStatus.provider ? samStatus.provider.name.toUpperCase() : 'provider on first use'}
          </span>
        )}
        <button onClick={() => void closeProject()} title="Close this project (everything is already saved)">
          Close
        </button>
      </header>

      <aside className="sidebar">
        <div className="sidebar-head">
          Images <span className="muted">({images.length})</span>
        </div>
        <ImageList
          images={images}
          selected={selected}
          chosen={chosen}
          onOpen={(id) => {
            setSelected(id);
            setChosen([id]);
          }}
          onChoose={setChosen}
          onRemove={(ids) => void removeImages(ids)}
        />
      </aside>

      <main className="stage-area">
        {raster && displayWindow && current ? (
          <>
            <Viewer
              ref={viewer}
              raster={raster}
              window={displayWindow}
              session={session}
              tool={tool}
              toolContext={toolContext}
              selection={selection}
              overlay={overlaySettings}
              pixelSizeUm={current.pixelSizeUm}
              hover={hover}
              viewport={viewport}
              onContextMenu={(x, y) => setMenu({ x, y })}
              onToolInput={() => setToolTick((t) => t + 1)}
            />
            <ToolStrip tool={toolId} onTool={switchTool} polygonSubtract={polygonSubtract} onPolygonSubtract={setPolygonSubtract} brushRadius={brushRadius} onBrushRadius={setBrushRadius} disabled={false} actions={actionCtx} />
          </>
        ) : (
          <div className="placeholder-stage muted">{images.length ? 'Select an image on the left.' : 'Import micrographs to begin: Import… or drop files here.'}</div>
        )}
        {raster && displayWindow && (
          <div className="contrast" title="Display window: raw values between low and high are stretched to black..white. Analysis always uses raw values.">
            <span>Contrast</span>
            <input type="number" min={0} max={bitMax} value={displayWindow.low} onChange={(e) => setDisplayWindow({ ...displayWindow, low: Math.min(Number(e.target.value), displayWindow.high - 1) })} data-testid="window-low" />
            <input type="number" min={0} max={bitMax} value={displayWindow.high} onChange={(e) => setDisplayWindow({ ...displayWindow, high: Math.max(Number(e.target.value), displayWindow.low + 1) })} data-testid="window-high" />
            <button className="small" onClick={() => setDisplayWindow(percentileWindow(raster))} title="0.5–99.5 percentile stretch">
              Auto
            </button>
            <button className="small" onClick={() => setDisplayWindow(fullWindow(raster))} title="Full range of the bit depth">
              Full
            </button>
          </div>
        )}
        {dragging && <div className="drop-overlay">Drop PNG, JPEG or TIFF files to import</div>}
        {importing && <div className="importing">{importing}</div>}
        <JobsPanel jobs={jobs} />
      </main>

      <SidePanel
        doc={doc}
        docVersion={docVersion}
        selection={selIds}
        hover={hover}
        classes={classes}
        onAssignClass={(classId) => {
          const ids = selection.ids;
          if (ids.length) runEdit([{ kind: 'setClass', ids, classId }], 'Class');
        }}
        onCreateClass={() => void client.call('classes.create', {}).then(() => refreshClasses()).catch(onError)}
        onManageClasses={() => setClassManager(true)}
        onlyPredicted={onlyPredicted}
        onOnlyPredicted={setOnlyPredicted}
        versions={
          selected !== null && session ? (
            <VersionsPanel
              imageId={selected}
              revision={`${session.doc.revision}:${docVersion}`}
              raster={raster}
              window={displayWindow}
              onRestored={() => toast('info', 'Version restored; Ctrl+Z takes it back.')}
              onError={onError}
            />
          ) : null
        }
        onToggleVerified={() => actionCtx.toggleVerified()}
        minArea={minArea}
        onMinArea={setMinArea}
        onDeleteSmaller={() => actionCtx.deleteSmaller()}
        overlayVisible={overlayVisible}
        onOverlayVisible={setOverlayVisible}
        opacity={opacity}
        onOpacity={setOpacity}
        outlinesOnly={outlinesOnly}
        onOutlinesOnly={setOutlinesOnly}
        colourByClass={colourByClass}
        onColourByClass={(v) => {
          setColourByClass(v);
          if (v) setColourByCluster(false);
        }}
        imageStatus={current?.status ?? null}
        onToggleReviewed={() => actionCtx.toggleReviewed()}
        toolHint={tool.hint()}
        toolStatus={isPromptTool(tool) ? tool.status : ''}
        saving={session?.pending ?? 0}
        tab={panelTab}
        onTab={setPanelTab}
        clusters={
          selected !== null ? (
            <ClusterPanel
              imageId={selected}
              doc={doc}
              docVersion={docVersion}
              raster={raster}
              window={displayWindow}
              classes={classes}
              selection={selIds}
              samAvailable={!!samStatus?.active}
              state={openClusters}
              onState={setClusterState}
              clusterSelect={clusterSelect}
              onClusterSelect={setClusterSelect}
              colourByCluster={colourByCluster}
              onColourByCluster={(v) => {
                setColourByCluster(v);
                if (v) setColourByClass(false);
              }}
              chosenImageIds={chosen.filter((id) => images.some((i) => i.id === id && i.segmentCount > 0))}
              askSegmenting={(ids, verb) => questions.askSegmenting(ids, verb)}
              askClassifying={questions.askClassifying}
              askOverwrite={questions.askOverwrite}
              onSelect={(ids) => selection.apply(ids, 'replace')}
              applyEdit={async (call) => {
                const s = sessionRef.current;
                if (!s || s.imageId !== selected) return null;
                const ack = await s.applyRemote(call);
                viewer.current?.drawNow();
                return ack;
              }}
              onChanged={() => {
                void refreshClasses().catch(onError);
                void refreshImages().catch(onError);
              }}
              onError={onError}
            />
          ) : null
        }
      />

      <footer className="statusbar" data-testid="statusbar">
        {current ? (
          <>
            <span>{current.name}</span>
            <span>
              {current.width}×{current.height} px{current.pixelSizeUm ? ` · ${current.pixelSizeUm.toPrecision(3)} µm/px` : ' · uncalibrated'}
            </span>
            <HoverText hover={hover} pixelSizeUm={current.pixelSizeUm} />
            <span data-testid="segment-count">{doc ? `${doc.segments.size} segment${doc.segments.size === 1 ? '' : 's'} (${doc.engine})` : 'not segmented'}</span>
            <span className="spacer" />
            {clusterSelect && (
              <button className="small mode-badge" onClick={() => setClusterSelect(false)} title="Cluster select is on: a click selects every segment of its cluster. Click or Shift+C to turn it off." data-testid="cluster-select-badge">
                cluster select ✕
              </button>
            )}
            <span className="muted">{tool.hint().split(' · ')[0]}</span>
            <ZoomText viewport={viewport} />
            <button className="small" onClick={() => viewer.current?.fit()} title="Fit to window (F or Ctrl+0)" data-testid="fit">
              Fit
            </button>
            <button className="small" onClick={() => viewer.current?.actualSize()} title="Actual pixels (Ctrl+1)">
              1:1
            </button>
          </>
        ) : (
          <span className="muted">{project.path}</span>
        )}
      </footer>
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
      {classManager && <ClassManager classes={classes} onChanged={() => void refreshClasses().catch(onError)} onClose={() => setClassManager(false)} />}
      {questions.dialog}
      {menu && <ContextMenu x={menu.x} y={menu.y} ctx={actionCtx} onClose={() => setMenu(null)} />}
      <Toasts toasts={toasts} onDismiss={(id) => setToasts((t) => t.filter((x) => x.id !== id))} />
    </div>
  );
}
