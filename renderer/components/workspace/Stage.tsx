// The middle of the workspace: the canvas with its tool strip (or a placeholder when no image is
// open), the contrast box, the drop and import notes and the jobs card.
import type { ReactNode, RefObject } from 'react';
import type { Viewport } from '../../../app/view/viewport';
import type { ActionContext } from '../../actions/registry';
import type { Observable } from '../../editor/observable';
import type { Selection } from '../../editor/selection';
import type { ToolContext } from '../../tools/types';
import type { OverlaySettings } from '../../viewer/canvas-view';
import type { Contrast } from '../../workspace/contrast';
import type { OpenImage } from '../../workspace/edit-session';
import type { Images } from '../../workspace/images';
import type { Jobs } from '../../workspace/jobs';
import type { ToolState } from '../../workspace/tools';
import type { ViewSettings } from '../../workspace/view-settings';
import { JobsPanel } from '../Jobs';
import { ToolStrip } from '../ToolStrip';
import { Viewer, type HoverInfo, type ViewerHandle } from '../Viewer';
import { ContrastBox } from './ContrastBox';

interface Props {
  images: Images;
  image: OpenImage;
  contrast: Contrast;
  viewer: RefObject<ViewerHandle | null>;
  tools: ToolState;
  toolContext: () => ToolContext;
  selection: Selection;
  overlay: OverlaySettings;
  hover: Observable<HoverInfo | null>;
  viewport: Observable<Viewport | null>;
  view: ViewSettings;
  actions: ActionContext;
  jobs: Jobs;
  /** Notes over the stage (dropping files, importing). */
  notes: ReactNode;
}

export function Stage({ images, image, contrast, viewer, tools, toolContext, selection, overlay, hover, viewport, view, actions, jobs, notes }: Props) {
  const current = images.current;
  return (
    <main className="stage-area">
      {image.raster && contrast.window && current ? (
        <>
          <Viewer
            ref={viewer}
            raster={image.raster}
            window={contrast.window}
            session={image.session}
            tool={tools.tool}
            toolContext={toolContext}
            selection={selection}
            overlay={overlay}
            pixelSizeUm={current.pixelSizeUm}
            hover={hover}
            viewport={viewport}
            onContextMenu={(x, y) => view.setMenu({ x, y })}
            onToolInput={tools.changed}
          />
          <ToolStrip tool={tools.toolId} polygonSubtract={tools.polygonSubtract} onPolygonSubtract={tools.setPolygonSubtract} brushRadius={tools.brushRadius} onBrushRadius={tools.setBrushRadius} disabled={false} actions={actions} />
        </>
      ) : (
        <div className="placeholder-stage muted">{images.images.length ? 'Select an image on the left.' : 'Import micrographs to begin: Import… or drop files here.'}</div>
      )}
      {image.raster && <ContrastBox contrast={contrast} />}
      {notes}
      <JobsPanel jobs={jobs.jobs} />
    </main>
  );
}
