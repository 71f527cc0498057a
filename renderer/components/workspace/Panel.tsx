// The side panel wired to the workspace: the Edit tab (segment info, classes, clean-up, overlay,
// review, versions), the Clusters tab, which edits the open image through its session, and the
// Segment (settings, preview, presets), Measure (calibration, measurements) and Learn sections.
import type { RefObject } from 'react';
import type { Viewport } from '../../../app/view/viewport';
import type { GrainLabClient } from '../../../app/contract';
import { isPromptTool } from '../../tools';
import { runAction, actionByName, type ActionContext } from '../../actions/registry';
import type { Observable } from '../../editor/observable';
import type { Selection } from '../../editor/selection';
import type { Questions } from '../dialogs/useQuestions';
import { ClusterPanel } from '../cluster/ClusterPanel';
import { SidePanel } from '../SidePanel';
import { VersionsPanel } from '../versions/VersionsPanel';
import type { HoverInfo, ViewerHandle } from '../Viewer';
import type { Clusters } from '../../workspace/clusters';
import type { Contrast } from '../../workspace/contrast';
import type { OpenImage } from '../../workspace/edit-session';
import type { Images } from '../../workspace/images';
import type { SamPrompting } from '../../workspace/sam';
import type { Toasts } from '../../workspace/toasts';
import type { ToolState } from '../../workspace/tools';
import type { ViewSettings } from '../../workspace/view-settings';
import type { Learn } from '../../workspace/learn';
import { LearnPanel } from '../learn/LearnPanel';
import { MeasurePanel } from '../measure/MeasurePanel';
import { SegmentationPanel } from '../segmentation/SegmentationPanel';
import type { Jobs } from '../../workspace/jobs';
import { ChannelsPanel } from '../channels/ChannelsPanel';

interface Props {
  client: GrainLabClient;
  images: Images;
  image: OpenImage;
  contrast: Contrast;
  selection: Selection;
  selectionIds: number[];
  hover: Observable<HoverInfo | null>;
  view: ViewSettings;
  clusters: Clusters;
  tools: ToolState;
  sam: SamPrompting;
  questions: Questions;
  toasts: Toasts;
  actions: ActionContext;
  viewer: RefObject<ViewerHandle | null>;
  learn: Learn;
  jobs: Jobs;
  viewport: Observable<Viewport | null>;
  readOnly: boolean;
}

const run = (name: string, ctx: ActionContext) => runAction(actionByName(name)!, ctx);

export function Panel({ client, images, image, contrast, selection, selectionIds, hover, view, clusters, tools, sam, questions, toasts, actions, viewer, learn, jobs, viewport, readOnly }: Props) {
  const { selected, classes } = images;
  const { session, docVersion } = image;
  const { toast, onError } = toasts;
  const doc = session?.doc ?? null;
  const tool = tools.tool;
  return (
    <SidePanel
      doc={doc}
      largeSelected={image.large?.selected ?? null}
      docVersion={docVersion}
      selection={selectionIds}
      hover={hover}
      classes={classes}
      onAssignClass={(classId) => {
        const ids = selection.ids;
        if (ids.length) image.runEdit([{ kind: 'setClass', ids, classId }], 'Class');
      }}
      onCreateClass={() => void client.call('classes.create', {}).then(() => images.refreshClasses()).catch(onError)}
      onManageClasses={() => view.setClassManager(true)}
      channels={selected !== null ? <ChannelsPanel client={client} imageId={selected} viewer={viewer} hover={hover} readOnly={readOnly} onError={onError} /> : null}
      learn={
        <LearnPanel
          learn={learn}
          classes={classes}
          hasImage={selected !== null}
          chosenCount={images.chosen.length}
          imageCount={images.images.length}
          trainActive={tool.id === 'train'}
          overSegments={view.overlayVisible && doc !== null}
          onTrainTool={() => actions.setTool('train')}
        />
      }
      onlyPredicted={view.onlyPredicted}
      onOnlyPredicted={view.setOnlyPredicted}
      versions={
        selected !== null && session ? (
          <VersionsPanel imageId={selected} revision={`${session.doc.revision}:${docVersion}`} raster={image.raster} window={contrast.window} onRestored={() => toast('info', 'Version restored; Ctrl+Z takes it back.')} onError={onError} />
        ) : null
      }
      onToggleVerified={() => run('review.verify', actions)}
      minArea={view.minArea}
      onMinArea={view.setMinArea}
      onDeleteSmaller={() => run('edit.deleteSmaller', actions)}
      overlayVisible={view.overlayVisible}
      onOverlayVisible={view.setOverlayVisible}
      opacity={view.opacity}
      onOpacity={view.setOpacity}
      outlinesOnly={view.outlinesOnly}
      onOutlinesOnly={view.setOutlinesOnly}
      colourByClass={view.colourByClass}
      onColourByClass={(v) => {
        view.setColourByClass(v);
        if (v) clusters.setColour(false);
      }}
      imageStatus={images.current?.status ?? null}
      onToggleReviewed={() => run('review.image', actions)}
      toolHint={tool.hint()}
      toolStatus={isPromptTool(tool) ? tool.status : ''}
      saving={session?.pending ?? 0}
      tab={view.panelTab}
      onTab={view.setPanelTab}
      segment={
        <SegmentationPanel
          client={client}
          images={images}
          jobs={jobs}
          imageSize={image.raster ? { width: image.raster.width, height: image.raster.height } : null}
          viewport={viewport}
          screenSize={() => ({ width: viewer.current?.canvas.screenW ?? 0, height: viewer.current?.canvas.screenH ?? 0 })}
          readOnly={readOnly}
          onError={onError}
          notify={toast}
        />
      }
      measure={
        <MeasurePanel
          client={client}
          images={images}
          readOnly={readOnly}
          onError={onError}
          notify={toast}
          doc={doc}
          docVersion={docVersion}
          pixelSizeUm={images.current?.pixelSizeUm ?? null}
          classes={classes}
          selection={selectionIds}
          onPick={(id, box) => {
            selection.apply([id], 'replace');
            viewer.current?.centreOn(box);
          }}
        />
      }
      clusters={
        selected !== null ? (
          <ClusterPanel
            imageId={selected}
            doc={doc}
            docVersion={docVersion}
            raster={image.raster}
            window={contrast.window}
            classes={classes}
            selection={selectionIds}
            samAvailable={!!sam.status?.active}
            state={clusters.open}
            onState={clusters.setState}
            clusterSelect={clusters.select}
            onClusterSelect={clusters.setSelect}
            colourByCluster={clusters.colour}
            onColourByCluster={(v) => {
              clusters.setColour(v);
              if (v) view.setColourByClass(false);
            }}
            chosenImageIds={images.chosen.filter((id) => images.images.some((i) => i.id === id && i.segmentCount > 0))}
            askSegmenting={(ids, verb) => questions.askSegmenting(ids, verb)}
            askClassifying={questions.askClassifying}
            askOverwrite={questions.askOverwrite}
            onSelect={(ids) => selection.apply(ids, 'replace')}
            applyEdit={async (call) => {
              const s = image.sessionRef.current;
              if (!s || s.imageId !== selected) return null;
              const ack = await s.applyRemote(call);
              viewer.current?.drawNow();
              return ack;
            }}
            onChanged={() => {
              void images.refreshClasses().catch(onError);
              void images.refresh().catch(onError);
            }}
            onError={onError}
          />
        ) : null
      }
    />
  );
}
