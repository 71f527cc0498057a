// The panel beside the canvas, two tabs: Edit (the hovered or selected segment with its class
// source, the selection, the class legend with its 1-9 keys, clean-up, overlay, review state,
// versions) and Clusters.
import type { ReactNode } from 'react';
import type { ClassRecord, ImageStatus, SegmentRecord } from '../../app/types';
import { classSourceLabel, isPersonMade } from '../../app/provenance';
import { ClassLegend } from './classes/ClassLegend';
import type { EditorDocument } from '../editor/document';
import type { Observable } from '../editor/observable';
import type { HoverInfo } from './Viewer';
import { useHoveredSegment } from './HoverStatus';
import { keyHint } from '../actions/registry';

interface Props {
  doc: EditorDocument | null;
  /** A large image (no document here): its selected segments' area and box, counted in main. */
  largeSelected?: readonly LargeSegment[] | null;
  /** Bumped when the document changes, so the panel re-reads it. */
  docVersion: number;
  selection: readonly number[];
  hover: Observable<HoverInfo | null>;
  classes: ClassRecord[];
  onAssignClass(classId: number | null): void;
  onCreateClass(): void;
  onManageClasses(): void;
  onToggleVerified(): void;
  minArea: number;
  onMinArea(n: number): void;
  onDeleteSmaller(): void;
  overlayVisible: boolean;
  onOverlayVisible(v: boolean): void;
  opacity: number;
  onOpacity(v: number): void;
  outlinesOnly: boolean;
  onOutlinesOnly(v: boolean): void;
  colourByClass: boolean;
  onColourByClass(v: boolean): void;
  /** Overlay shows only segments whose class the classifier predicted. */
  onlyPredicted: boolean;
  onOnlyPredicted(v: boolean): void;
  /** The Versions section (segmentation history) of the open image. */
  versions?: ReactNode;
  /** The Learn section (Train tool, classifier, live prediction). */
  learn?: ReactNode;
  imageStatus: ImageStatus | null;
  onToggleReviewed(): void;
  toolHint: string;
  toolStatus: string;
  saving: number;
  /** The Clusters tab's content. */
  clusters?: ReactNode;
  tab: SidePanelTab;
  onTab(t: SidePanelTab): void;
  /** The Segment tab's content (settings, preview, presets). */
  segment?: ReactNode;
  /** The Measure tab's content (calibration, measurement table). */
  measure?: ReactNode;
  /** The Channels section (elemental maps as overlays), after Overlay. */
  channels?: ReactNode;
}

export type SidePanelTab = 'edit' | 'clusters' | 'segment' | 'measure';

/** A segment of a large image as main's label tiles give it (tiles.segments). */
export interface LargeSegment {
  id: number;
  area: number;
  bbox: { x: number; y: number; width: number; height: number };
}

function LargeSegmentInfo({ s }: { s: LargeSegment }) {
  return (
    <dl className="seg-info" data-testid="segment-info">
      <dt>Segment</dt>
      <dd>{s.id}</dd>
      <dt>Area</dt>
      <dd data-testid="segment-area">{s.area.toLocaleString()} px</dd>
      <dt>Box</dt>
      <dd>
        {s.bbox.width}×{s.bbox.height} at {s.bbox.x}, {s.bbox.y}
      </dd>
    </dl>
  );
}

function SegmentInfo({ s, classes }: { s: SegmentRecord; classes: ClassRecord[] }) {
  const cls = classes.find((c) => c.id === s.classId);
  return (
    <dl className="seg-info" data-testid="segment-info">
      <dt>Segment</dt>
      <dd>{s.id}</dd>
      <dt>Class</dt>
      <dd>
        {cls ? (
          <>
            <span className="swatch" style={{ background: cls.color }} /> {cls.name}
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </dd>
      <dt>Area</dt>
      <dd>{s.area.toLocaleString()} px</dd>
      <dt>Box</dt>
      <dd>
        {s.bbox.width}×{s.bbox.height} at {s.bbox.x}, {s.bbox.y}
      </dd>
      <dt>Source</dt>
      <dd>{s.source}</dd>
      {s.classId !== null && s.classSource && (
        <>
          <dt>Class from</dt>
          <dd data-testid="class-source">
            <span className={`badge source-${s.classSource}`} title={s.classSource === 'person' ? 'A training label: predictions never overwrite it' : s.classSource === 'import' ? 'From an imported label map: a training label' : 'Automatic: your key, the cluster menu or verifying makes it yours'}>
              {classSourceLabel(s.classSource)}
            </span>
            {s.classSource === 'classifier' && s.classConfidence != null && (
              <span className={s.classConfidence < 0.6 ? 'warn-text' : 'muted'} title="Classifier confidence: low ones come first with N">
                {' '}
                {s.classConfidence < 0.005 ? '<1' : (s.classConfidence * 100).toFixed(0)} % sure
              </span>
            )}
          </dd>
        </>
      )}
      {isPersonMade(s) && (
        <>
          <dt>Yours</dt>
          <dd className="ok" data-testid="segment-yours" title="Re-segmenting keeps this segment exactly unless you choose to replace everything">
            {[s.verified ? 'verified' : null, s.edited ? 'edited by hand' : null, s.classSource === 'person' && s.classId !== null ? 'your class' : null].filter(Boolean).join(', ')}
          </dd>
        </>
      )}
      <dt>Verified</dt>
      <dd className={s.verified ? 'ok' : 'muted'}>{s.verified ? 'yes' : 'no'}</dd>
    </dl>
  );
}

export function SidePanel(p: Props) {
  const hovered = useHoveredSegment(p.hover);
  const doc = p.doc;
  void p.docVersion;
  const sel = p.selection;
  const shown = doc ? (doc.segment(hovered) ?? (sel.length === 1 ? doc.segment(sel[0]!) : undefined)) : undefined;
  const selected = doc ? sel.map((id) => doc.segment(id)).filter((s): s is SegmentRecord => !!s) : [];
  const large = !doc && p.largeSelected ? p.largeSelected.filter((s) => sel.includes(s.id)) : null;
  const area = large ? large.reduce((a, s) => a + s.area, 0) : selected.reduce((a, s) => a + s.area, 0);
  const verified = selected.filter((s) => s.verified).length;
  return (
    <aside className="side-panel" data-testid="side-panel">
      <div className="panel-tabs" role="tablist">
        <button role="tab" aria-selected={p.tab === 'edit'} className={p.tab === 'edit' ? 'active' : ''} onClick={() => p.onTab('edit')} data-testid="tab-edit">
          Edit
        </button>
        <button role="tab" aria-selected={p.tab === 'clusters'} className={p.tab === 'clusters' ? 'active' : ''} onClick={() => p.onTab('clusters')} data-testid="tab-clusters" title="Cluster segments by appearance, give classes to whole clusters, propagate classes, phase maps">
          Clusters
        </button>
        <button role="tab" aria-selected={p.tab === 'segment'} className={p.tab === 'segment' ? 'active' : ''} onClick={() => p.onTab('segment')} data-testid="tab-segment" title="Segmentation settings with a live preview, presets">
          Segment
        </button>
        <button role="tab" aria-selected={p.tab === 'measure'} className={p.tab === 'measure' ? 'active' : ''} onClick={() => p.onTab('measure')} data-testid="tab-measure" title="Calibration (pixel size) and the measurement table">
          Measure
        </button>
      </div>
      {p.tab === 'segment' ? (
        p.segment
      ) : p.tab === 'measure' ? (
        p.measure
      ) : p.tab === 'clusters' ? (
        <>
          <section className="selection-brief">
            <p data-testid="selection-info">
              {selected.length === 0 ? <span className="muted">nothing selected</span> : `${selected.length} segment${selected.length === 1 ? '' : 's'} · ${area.toLocaleString()} px · ${verified} verified`}
            </p>
          </section>
          {p.clusters ?? <p className="muted">Open an image first.</p>}
        </>
      ) : (
        <>
          <section>
            <h3>Tool</h3>
            <p className="hint-text">{p.toolHint}</p>
            {p.toolStatus && (
              <p className="tool-status" data-testid="tool-status">
                {p.toolStatus}
              </p>
            )}
          </section>
          {p.learn}
          <section>
            <h3>{hovered && shown?.id === hovered ? 'Under the cursor' : 'Segment'}</h3>
            {shown ? (
              <SegmentInfo s={shown} classes={p.classes} />
            ) : large && large.length === 1 ? (
              <LargeSegmentInfo s={large[0]!} />
            ) : (
              <p className="muted">{doc ? 'Point at or select a segment.' : large ? 'Select a segment.' : 'Not segmented yet.'}</p>
            )}
          </section>
          <section>
            <h3>Selection</h3>
            <p data-testid="selection-info">
              {large ? (
                large.length === 0 ? (
                  <span className="muted">nothing selected</span>
                ) : (
                  `${large.length} segment${large.length === 1 ? '' : 's'} · ${area.toLocaleString()} px`
                )
              ) : selected.length === 0 ? (
                <span className="muted">nothing selected</span>
              ) : (
                `${selected.length} segment${selected.length === 1 ? '' : 's'} · ${area.toLocaleString()} px · ${verified} verified`
              )}
            </p>
            <div className="row">
              <button className="small" disabled={selected.length === 0} onClick={p.onToggleVerified} title={`Mark verified${keyHint('review.verify')}`}>
                {selected.length > 0 && verified === selected.length ? 'Unverify' : 'Verify'}
              </button>
              <button className="small" disabled={selected.length === 0} onClick={() => p.onAssignClass(null)} title={`Clear class${keyHint('class.clear')}`}>
                No class
              </button>
            </div>
          </section>
          <section>
            <h3>Classes</h3>
            <ClassLegend classes={p.classes} segments={doc ? doc.segments.values() : null} canAssign={selected.length > 0} onAssign={(id) => p.onAssignClass(id)} onCreate={p.onCreateClass} onManage={p.onManageClasses} />
          </section>
          <section>
            <h3>Clean up</h3>
            <div className="row">
              <label className="inline">
                Smaller than
                <input type="number" min={1} max={1_000_000} value={p.minArea} onChange={(e) => p.onMinArea(Math.max(1, Number(e.target.value) || 1))} data-testid="min-area" />
                px
              </label>
              <button className="small" disabled={!doc} onClick={p.onDeleteSmaller} data-testid="delete-smaller" title="Delete every segment smaller than this (Shift+Delete)">
                Delete
              </button>
            </div>
          </section>
          <section>
            <h3>Overlay</h3>
            <label className="inline" title="Show the segmentation overlay (O)">
              <input type="checkbox" checked={p.overlayVisible} onChange={(e) => p.onOverlayVisible(e.target.checked)} data-testid="overlay-toggle" /> Show overlay (O)
            </label>
            <label className="inline" title="Overlay fill opacity">
              Opacity
              <input type="range" min={0} max={1} step={0.05} value={p.opacity} onChange={(e) => p.onOpacity(Number(e.target.value))} data-testid="opacity" />
            </label>
            <label className="inline">
              <input type="checkbox" checked={p.outlinesOnly} onChange={(e) => p.onOutlinesOnly(e.target.checked)} data-testid="outlines-only" /> Outlines only (Shift+O)
            </label>
            <label className="inline">
              <input type="checkbox" checked={p.colourByClass} onChange={(e) => p.onColourByClass(e.target.checked)} /> Colour by class
            </label>
            <label className="inline" title="Show only segments whose class the classifier predicted (to review them); others are hidden">
              <input type="checkbox" checked={p.onlyPredicted} onChange={(e) => p.onOnlyPredicted(e.target.checked)} data-testid="only-predicted" /> Only predicted
            </label>
          </section>
          {p.channels}
          <section>
            <h3>Image</h3>
            <p>
              Status: <span className={`status status-${p.imageStatus ?? 'new'}`}>{p.imageStatus ?? '—'}</span>
            </p>
            <button className="small" disabled={!p.imageStatus} onClick={p.onToggleReviewed} data-testid="reviewed" title="Mark the image reviewed (R)">
              {p.imageStatus === 'verified' ? 'Back to review' : 'Mark reviewed'}
            </button>
            <p className="muted small-text" data-testid="history-info">
              {doc ? `${doc.undoDepth} to undo · ${doc.redoDepth} to redo${p.saving ? ' · saving…' : ''}` : ''}
            </p>
          </section>
          {p.versions}
        </>
      )}
    </aside>
  );
}
