// The bottom bar: the open image's name, size and calibration, what is under the cursor, the
// segment count, the cluster-select badge, the tool's hint, zoom, Fit and 1:1.
import type { RefObject } from 'react';
import type { ImageRecord } from '../../../app/types';
import type { Viewport } from '../../../app/view/viewport';
import type { EditorDocument } from '../../editor/document';
import type { Observable } from '../../editor/observable';
import { HoverText, ZoomText } from '../HoverStatus';
import type { HoverInfo, ViewerHandle } from '../Viewer';

interface Props {
  current: ImageRecord | null;
  projectPath: string;
  doc: EditorDocument | null;
  hover: Observable<HoverInfo | null>;
  viewport: Observable<Viewport | null>;
  viewer: RefObject<ViewerHandle | null>;
  toolHint: string;
  clusterSelect: boolean;
  onClusterSelectOff(): void;
}

export function StatusBar({ current, projectPath, doc, hover, viewport, viewer, toolHint, clusterSelect, onClusterSelectOff }: Props) {
  return (
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
            <button className="small mode-badge" onClick={onClusterSelectOff} title="Cluster select is on: a click selects every segment of its cluster. Click or Shift+C to turn it off." data-testid="cluster-select-badge">
              cluster select ✕
            </button>
          )}
          <span className="muted">{toolHint.split(' · ')[0]}</span>
          <ZoomText viewport={viewport} />
          <button className="small" onClick={() => viewer.current?.fit()} title="Fit to window (F or Ctrl+0)" data-testid="fit">
            Fit
          </button>
          <button className="small" onClick={() => viewer.current?.actualSize()} title="Actual pixels (Ctrl+1)">
            1:1
          </button>
        </>
      ) : (
        <span className="muted">{projectPath}</span>
      )}
    </footer>
  );
}
