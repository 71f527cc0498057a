// The actions' view of the workspace (ActionContext), built each render from the hooks.
import type { RefObject } from 'react';
import type { ActionContext } from '../actions/types';
import type { ViewerHandle } from '../components/Viewer';
import type { Selection } from '../editor/selection';
import type { Clusters } from './clusters';
import type { OpenImage } from './edit-session';
import type { Images } from './images';
import type { Jobs } from './jobs';
import type { ModelDialogs } from './model-dialogs';
import type { Learn } from './learn';
import type { ToolState } from './tools';
import type { ViewSettings } from './view-settings';
import type { ToolId } from '../tools/types';

interface ActionContextDeps {
  images: Images;
  image: OpenImage;
  selection: Selection;
  selectionIds: readonly number[];
  tools: ToolState;
  switchTool(id: ToolId): void;
  view: ViewSettings;
  clusters: Clusters;
  jobs: Jobs;
  modelDialogs: ModelDialogs;
  viewer: RefObject<ViewerHandle | null>;
  learn: Learn;
  notify(kind: 'info' | 'error', text: string): void;
  onError(e: unknown): void;
  setImageStatus(imageId: number, status: 'in-review' | 'verified' | 'new' | 'auto-segmented'): Promise<unknown>;
  /** The open image's slice stack (renderer/workspace/stack.ts). */
  stack?: { imageIds: readonly number[] } | null;
}

export function buildActionContext(d: ActionContextDeps): ActionContext {
  const { images, image, selection, view, clusters, viewer } = d;
  const session = image.session;
  return {
    hasImage: images.selected !== null && image.raster !== null,
    doc: session?.doc ?? (image.large ? { segments: image.large.doc.segments, undoDepth: image.large.undoDepth, redoDepth: image.large.redoDepth } : null),
    // Read at the key press, not at the last render: the session's requests in flight change
    // without a render (a Ctrl+Shift+Z typed right after Ctrl+Z must see the undo on its way).
    get pending() {
      return session?.pending ?? 0;
    },
    selection: {
      ids: d.selectionIds,
      get single() {
        return selection.single;
      },
      apply: (ids, mode) => selection.apply(ids, mode),
      clear: () => selection.clear(),
    },
    tool: d.tools.toolId,
    image: images.current,
    images: images.images,
    stack: d.stack ?? null,
    chosen: images.chosen,
    running: d.jobs.running,
    classes: images.classes,
    minArea: view.minArea,
    clusterSelect: clusters.select,
    hasClusters: clusters.open !== null,
    edit: (ops, label, intent) => image.runEdit(ops, label, {}, intent),
    undo: image.undo,
    redo: image.redo,
    setTool: d.switchTool,
    ensureClasses: images.ensureClasses,
    learn: {
      canTrain: (d.learn.labels?.byClass.filter((c) => c.scribble + c.segment + c.cluster > 0).length ?? 0) >= 2,
      training: d.learn.training,
      trained: d.learn.status !== null,
      train: () => void d.learn.train(),
      nextUncertain: () => void d.learn.nextUncertain(),
    },
    setImageStatus: (imageId, status) => void d.setImageStatus(imageId, status).catch(d.onError),
    openImage: images.open,
    segment: (ids, verb) => void d.jobs.segment(ids, verb),
    phaseMap: (imageId) => void d.jobs.pixelKMeans(imageId),
    notify: d.notify,
    view: {
      fit: () => viewer.current?.fit(),
      actualSize: () => viewer.current?.actualSize(),
      zoomBy: (f) => viewer.current?.zoomBy(f),
      centreOn: (b) => viewer.current?.centreOn(b),
    },
    toggle: (what) => {
      if (what === 'overlay') view.setOverlayVisible((v) => !v);
      else if (what === 'outlines') view.setOutlinesOnly((v) => !v);
      else if (what === 'help') view.setHelpOpen((h) => !h);
      else if (what === 'polygonSubtract') d.tools.setPolygonSubtract((v) => !v);
      else if (what === 'models' || what === 'engineFit') d.modelDialogs.toggle(what);
      else clusters.setSelect((v) => !v);
    },
    setBrushRadius: (next) => d.tools.setBrushRadius(next),
    showClustersTab: () => view.setPanelTab('clusters'),
  };
}
