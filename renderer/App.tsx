// The GrainLab window: the project screen, or the workspace for the open project. The workspace
// is a composition of hooks (renderer/workspace/), one per concern — images, the open image's
// edit session, jobs, SAM prompting, contrast, clusters, tools, view settings, keyboard — and
// the components that show them; commands live in the actions registry (renderer/actions/).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { GrainLabClient } from '../app/contract';
import type { ProjectInfo } from '../app/types';
import type { Viewport } from '../app/view/viewport';
import { getClient } from './client';
import { ContextMenu } from './components/ContextMenu';
import { ClassManager } from './components/classes/ClassManager';
import { useQuestions } from './components/dialogs/useQuestions';
import { HelpOverlay } from './components/HelpOverlay';
import { Toasts } from './components/Jobs';
import { ModelTools } from './components/models/ModelTools';
import { ProjectScreen } from './components/ProjectScreen';
import type { HoverInfo, ViewerHandle } from './components/Viewer';
import { ImageSidebar } from './components/workspace/ImageSidebar';
import { Panel } from './components/workspace/Panel';
import { Stage } from './components/workspace/Stage';
import { StackBar } from './components/workspace/StackBar';
import { StackImport } from './components/workspace/StackImport';
import { StatusBar } from './components/workspace/StatusBar';
import { Toolbar } from './components/workspace/Toolbar';
import { Observable } from './editor/observable';
import { Selection } from './editor/selection';
import { buildActionContext } from './workspace/action-context';
import { useClusters } from './workspace/clusters';
import { useContrast } from './workspace/contrast';
import { useOpenImage } from './workspace/edit-session';
import { useImages } from './workspace/images';
import { useJobs } from './workspace/jobs';
import { useKeyboard } from './workspace/keyboard';
import { useModelDialogs } from './workspace/model-dialogs';
import { useLearn } from './workspace/learn';
import { useImports, useProject } from './workspace/project';
import { useSamPrompting } from './workspace/sam';
import { useStack } from './workspace/stack';
import { useToasts, type Toasts as ToastState } from './workspace/toasts';
import { useToolInput, useToolState } from './workspace/tools';
import { useOverlaySettings, useViewSettings } from './workspace/view-settings';
import { ShortcutsDialog } from './components/shortcuts/ShortcutsDialog';
import { installKeymap } from './workspace/shortcuts';

// The platform's keys and this person's rebinds, before anything reads them.
installKeymap();

export function App() {
  const client = getClient();
  const toasts = useToasts();
  const project = useProject(client, toasts.onError);
  const toastList = <Toasts toasts={toasts.toasts} onDismiss={toasts.dismiss} />;
  if (!project.loaded) return <div className="start muted">Connecting…</div>;
  if (!project.project) {
    return (
      <>
        <ProjectScreen onOpened={project.opened} onError={toasts.onError} />
        {toastList}
      </>
    );
  }
  // Closing the project unmounts the workspace, and with it every open image and session.
  return (
    <>
      <Workspace key={project.project.path} client={client} project={project.project} onClose={() => void project.close()} toasts={toasts} />
      {toastList}
    </>
  );
}

function Workspace({ client, project, onClose, toasts }: { client: GrainLabClient; project: ProjectInfo; onClose(): void; toasts: ToastState }) {
  const { toast, onError } = toasts;
  const viewer = useRef<ViewerHandle>(null);
  const selection = useMemo(() => new Selection(), []);
  const [selectionIds, setSelectionIds] = useState<number[]>([]);
  useEffect(() => selection.onChange(() => setSelectionIds(selection.ids)), [selection]);
  const hover = useMemo(() => new Observable<HoverInfo | null>(null), []);
  const viewport = useMemo(() => new Observable<Viewport | null>(null), []);
  const [dragging, setDragging] = useState(false);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);

  const questions = useQuestions(client);
  const images = useImages(client, toasts, questions, project.path);
  const imports = useImports(client, toasts, images.refresh, (id) => images.selectedRef.current === null && images.open(id));
  const jobs = useJobs(client, toasts, questions);
  const view = useViewSettings();
  const clusters = useClusters(images.selected);
  const tools = useToolState();
  const { refresh, refreshClasses } = images;
  const image = useOpenImage({
    client,
    toasts,
    selected: images.selected,
    selectedRef: images.selectedRef,
    selection,
    viewer,
    onSwitch: tools.cancel,
    onWholeMapChanged: useCallback(() => {
      void refresh().catch(() => {});
      void refreshClasses().catch(() => {});
    }, [refresh, refreshClasses]),
  });
  const contrast = useContrast(image.raster);
  const promptTools = useMemo(() => [tools.tools.sam, tools.tools.carve], [tools.tools]);
  const sam = useSamPrompting(client, toasts, promptTools, tools.changed);
  const redraw = useCallback(() => viewer.current?.redrawInteraction(), []);
  const learn = useLearn({
    client,
    toasts,
    questions,
    imageId: images.selected,
    imageIds: useMemo(() => images.images.map((i) => i.id), [images.images]),
    chosen: images.chosen,
    classes: images.classes,
    ensureClasses: images.ensureClasses,
    tool: tools.tools.train,
    viewer,
    viewport,
    redraw,
  });
  const onScribble = learn.onIntent;
  const { toolContext, switchTool } = useToolInput({ state: tools, image, selectedRef: images.selectedRef, selection, clusters, sam, notify: toast, redraw, onScribble: (i) => void onScribble(i) });
  const overlay = useOverlaySettings(view, images.classes, clusters);
  const modelDialogs = useModelDialogs();
  const stack = useStack(client, images.selected, onError);
  const actions = buildActionContext({
    images,
    image,
    selection,
    selectionIds,
    tools,
    switchTool,
    view,
    clusters,
    jobs,
    modelDialogs,
    viewer,
    learn,
    notify: toast,
    onError,
    setImageStatus: (imageId, status) => client.call('images.setStatus', { imageId, status }).then(() => images.refresh()),
    stack: stack.stack,
  });
  useKeyboard({
    tool: () => tools.tools[tools.toolRef.current],
    toolContext,
    actions,
    helpOpen: view.helpOpen,
    closeHelp: () => view.setHelpOpen(false),
    toolChanged: () => {
      redraw();
      tools.changed();
    },
  });

  const current = images.current;
  return (
    <div
      className="workspace"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={(e) => e.currentTarget === e.target && setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        void imports.importFiles(Array.from(e.dataTransfer.files));
      }}
    >
      <Toolbar project={project} images={images} jobs={jobs} sam={sam} actions={actions} onImport={(f) => void imports.importFiles(f)} onImportPaths={(p) => void imports.importPaths(p)} onClose={onClose} onError={onError}
        extra={<StackImport client={client} disabled={project.readOnly} onImported={(id) => void images.refresh().then(() => images.open(id), onError)} onError={onError} />}
      />
      <ImageSidebar images={images} />
      <Stage images={images} image={image} contrast={contrast} viewer={viewer} tools={tools} toolContext={toolContext} selection={selection} overlay={overlay} hover={hover} viewport={viewport} view={view} actions={actions} jobs={jobs}
        notes={
          <>
            {dragging && <div className="drop-overlay">Drop PNG, JPEG or TIFF files to import</div>}
            {imports.importing && <div className="importing">{imports.importing}</div>}
            {stack.stack && image.raster && stack.index >= 0 && <StackBar client={client} stack={stack.stack} index={stack.index} current={current} classes={images.classes} readOnly={project.readOnly} open={images.open} onChanged={stack.refresh} onError={onError} />}
          </>
        }
      />
      <Panel client={client} images={images} image={image} contrast={contrast} selection={selection} selectionIds={selectionIds} hover={hover} view={view} clusters={clusters} tools={tools} sam={sam} questions={questions} toasts={toasts} actions={actions} viewer={viewer} learn={learn} jobs={jobs} viewport={viewport} readOnly={project.readOnly} />
      <StatusBar current={current} projectPath={project.path} doc={image.session?.doc ?? null} hover={hover} viewport={viewport} viewer={viewer} toolHint={tools.tool.hint()} clusterSelect={clusters.select} onClusterSelectOff={() => clusters.setSelect(false)} />
      {view.helpOpen && <HelpOverlay onClose={() => view.setHelpOpen(false)} onEdit={() => { view.setHelpOpen(false); setShortcutsOpen(true); }} />}
      {shortcutsOpen && <ShortcutsDialog onClose={() => setShortcutsOpen(false)} />}
      {view.classManager && <ClassManager classes={images.classes} onChanged={() => void images.refreshClasses().catch(onError)} onClose={() => view.setClassManager(false)} />}
      <ModelTools dialogs={modelDialogs} readOnly={project.readOnly} onModelsChanged={sam.check} />
      {questions.dialog}
      {view.menu && <ContextMenu x={view.menu.x} y={view.menu.y} ctx={actions} onClose={() => view.setMenu(null)} />}
    </div>
  );
}
