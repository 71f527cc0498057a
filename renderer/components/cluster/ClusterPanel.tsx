// The Clusters tab of the side panel: cluster the open image's segments by appearance, select a
// whole cluster, give it a class in one undoable step, merge and split clusters; below it class
// propagation, phase-fraction guidance and the pixel k-means phase map.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ClusterState, FeatureGroupName } from '../../../app/contract/cluster';
import type { EditAck } from '../../../app/contract/edit';
import type { DisplayWindow } from '../../../app/image/display';
import type { ClassRecord, RasterImage } from '../../../app/types';
import { getClient } from '../../client';
import type { EditorDocument } from '../../editor/document';
import { FractionsSection } from './FractionsSection';
import { PhaseMapSection } from './PhaseMapSection';
import { PropagationSection } from './PropagationSection';
import { pct, segmentThumbnail } from './thumbnail';
import { useTrackedJob } from './useTrackedJob';
import { isTrainingLabel } from '../../../app/provenance';

const GROUPS: { id: FeatureGroupName; label: string; title: string }[] = [
  { id: 'intensity', label: 'Intensity', title: 'Mean, spread and percentiles of the raw values' },
  { id: 'texture', label: 'Texture', title: 'Local binary pattern histogram' },
  { id: 'shape', label: 'Shape', title: 'Area, perimeter, diameter, eccentricity, solidity, aspect ratio' },
  { id: 'boundary', label: 'Boundary', title: 'Contrast to the neighbours across the segment boundary' },
  { id: 'embedding', label: 'Embedding', title: 'Mean SAM image embedding under the segment' },
  { id: 'channels', label: 'Channels', title: 'Mean of each elemental map (EDS) under the segment; needs maps (Edit tab, Channels)' },
];

export interface ClusterPanelProps {
  imageId: number;
  doc: EditorDocument | null;
  docVersion: number;
  raster: RasterImage | null;
  window: DisplayWindow | null;
  classes: ClassRecord[];
  selection: readonly number[];
  samAvailable: boolean;
  state: ClusterState | null;
  onState(s: ClusterState | null): void;
  clusterSelect: boolean;
  onClusterSelect(v: boolean): void;
  colourByCluster: boolean;
  onColourByCluster(v: boolean): void;
  /** The images chosen in the image list (for "Apply to chosen images"). */
  chosenImageIds: number[];
  askSegmenting(imageIds: number[], verb: string): Promise<'person' | 'none' | null>;
  askClassifying(imageIds: number[]): Promise<boolean>;
  /** Asks whether a class for a whole cluster should also replace classes a person gave some members (true), keep them (false), or not be given (null). */
  askOverwrite(conflicts: number, className: string): Promise<boolean | null>;
  /** Selects these segments on the canvas. */
  onSelect(ids: number[]): void;
  /** Runs a call that edits this image in main as one undoable step and follows its acknowledgement. */
  applyEdit(call: (expectRevision: string) => Promise<EditAck | null>): Promise<EditAck | null>;
  /** Main changed classes or other images: re-read them. */
  onChanged(): void;
  onError(e: unknown): void;
}

/** Member segment ids of each cluster that still exist in the document. */
function membersByCluster(s: ClusterState, doc: EditorDocument | null): Map<number, number[]> {
  const out = new Map<number, number[]>(s.clusters.map((c) => [c.id, []]));
  s.segmentIds.forEach((id, i) => {
    if (doc && !doc.segments.has(id)) return;
    out.get(s.clusterIds[i]!)?.push(id);
  });
  return out;
}

function SilhouetteBars({ s }: { s: ClusterState }) {
  if (s.silhouette.length === 0) return <span className="muted">k = {s.k} (set by you)</span>;
  const max = Math.max(0.05, ...s.silhouette.map((x) => x.score));
  return (
    <span className="silhouette" title={`Silhouette per k (higher is better separated): ${s.silhouette.map((x) => `k=${x.k}: ${x.score.toFixed(2)}`).join(', ')}`} data-testid="silhouette">
      {s.silhouette.map((x) => (
        <span key={x.k} className={`sil-bar${x.k === s.k ? ' chosen' : ''}`}>
          <span className="sil-fill" style={{ height: `${Math.max(2, (Math.max(0, x.score) / max) * 18)}px` }} />
          <span className="sil-k">{x.k}</span>
        </span>
      ))}
    </span>
  );
}

export function ClusterPanel(p: ClusterPanelProps) {
  const client = getClient();
  const { onState, onError, imageId } = p;
  const job = useTrackedJob(onError);
  const [groups, setGroups] = useState<FeatureGroupName[]>(['intensity', 'texture', 'shape', 'boundary']);
  const [k, setK] = useState<'auto' | number>('auto');
  const [marked, setMarked] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    onState(await client.call('cluster.get', { imageId }));
  }, [client, imageId, onState]);

  useEffect(() => {
    setMarked([]);
    void reload().catch(onError);
  }, [reload, onError]);

  // Staleness and majority classes follow the document: re-read after its changes (debounced).
  const hasState = p.state !== null;
  useEffect(() => {
    if (!hasState) return;
    const t = setTimeout(() => void reload().catch(() => {}), 300);
    return () => clearTimeout(t);
  }, [p.docVersion, p.doc, hasState, reload]);

  const s = p.state;
  const members = useMemo(() => (s ? membersByCluster(s, p.doc) : new Map<number, number[]>()), [s, p.doc, p.docVersion]);

  const thumbs = useMemo(() => {
    const out = new Map<number, string>();
    if (!s || !p.raster || !p.window || !p.doc) return out;
    for (const c of s.clusters) {
      for (const id of c.exampleIds.slice(0, 3)) {
        const seg = p.doc.segments.get(id);
        if (seg && !out.has(id)) out.set(id, segmentThumbnail(p.raster, p.window, seg.bbox));
      }
    }
    return out;
  }, [s, p.raster, p.window, p.doc]);

  const selected = useMemo(() => new Set(p.selection), [p.selection]);

  const run = () =>
    job.start(
      () => client.call('cluster.run', { imageId, groups, k }),
      () => {
        setMarked([]);
        p.onColourByCluster(true);
        void reload().catch(onError);
      },
    );

  const guarded = async <T,>(fn: () => Promise<T>): Promise<T | null> => {
    setBusy(true);
    try {
      return await fn();
    } catch (e) {
      onError(e);
      return null;
    } finally {
      setBusy(false);
    }
  };

  const assign = async (clusterId: number, choice: string) => {
    let classId: number | null = choice === 'none' ? null : Number(choice);
    if (choice === 'new') {
      // A new class (named like the 1-9 keys name them), then the assignment.
      const list = await guarded(() => client.call('classes.ensure', { count: p.classes.length + 1 }));
      if (!list) return;
      classId = list[list.length - 1]!.id;
      p.onChanged();
    }
    // Members whose class is already a training label (yours, imported, verified) and differs: ask.
    const conflicts = (members.get(clusterId) ?? []).filter((id) => {
      const r = p.doc?.segments.get(id);
      return r && r.classId !== classId && isTrainingLabel(r);
    }).length;
    let overwrite = false;
    if (conflicts > 0) {
      const answer = await p.askOverwrite(conflicts, classId === null ? 'no class' : (p.classes.find((c) => c.id === classId)?.name ?? 'the class'));
      if (answer === null) return;
      overwrite = answer;
    }
    const ack = await guarded(() => p.applyEdit((rev) => client.call('cluster.assignClass', { imageId, clusterId, classId, overwrite, expectRevision: rev })));
    if (ack?.status === 'unchanged') onError(new Error('Nothing to change: every member already has that class from you (or keeps the class you gave it).'));
    await reload().catch(() => {});
  };

  const merge = async () => {
    if (marked.length !== 2) return;
    const next = await guarded(() => client.call('cluster.merge', { imageId, a: Math.min(...marked), b: Math.max(...marked) }));
    if (next) {
      onState(next);
      setMarked([]);
    }
  };

  const split = async (clusterId: number) => {
    const next = await guarded(() => client.call('cluster.split', { imageId, clusterId, k: 2 }));
    if (next) {
      onState(next);
      setMarked([]);
    }
  };

  const className = (id: number | null) => (id === null ? null : (p.classes.find((c) => c.id === id)?.name ?? `class ${id}`));
  const disabled = busy || job.running;

  return (
    <div className="cluster-panel" data-testid="cluster-panel">
      <section>
        <h3>Cluster segments</h3>
        <div className="group-boxes">
          {GROUPS.map((g) => {
            const off = g.id === 'embedding' && !p.samAvailable;
            return (
              <label key={g.id} className={`inline${off ? ' muted' : ''}`} title={off ? 'Needs an installed SAM model (grainlab models fetch / import; see the README, SAM models)' : g.title}>
                <input
                  type="checkbox"
                  disabled={off}
                  checked={!off && groups.includes(g.id)}
                  onChange={(e) => setGroups((gs) => (e.target.checked ? [...gs, g.id] : gs.filter((x) => x !== g.id)))}
                  data-testid={`group-${g.id}`}
                />
                {g.label}
              </label>
            );
          })}
        </div>
        {!p.samAvailable && <p className="muted small-text">SAM embedding needs a SAM model.</p>}
        <div className="row">
          <label className="inline" title="Number of clusters; auto picks the best silhouette over 2..8">
            k
            <select value={String(k)} onChange={(e) => setK(e.target.value === 'auto' ? 'auto' : Number(e.target.value))} data-testid="cluster-k">
              <option value="auto">auto</option>
              {Array.from({ length: 11 }, (_, i) => i + 2).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button className="small primary" disabled={!p.doc || groups.length === 0 || disabled} onClick={() => void run()} data-testid="cluster-run" title={p.doc ? 'Cluster the segments of this image by the ticked features' : 'Segment the image first'}>
            {s ? 'Re-run' : 'Run'}
          </button>
          {job.running && (
            <button className="small" onClick={job.cancel} title="Cancel the clustering" data-testid="cluster-cancel">
              {job.event && job.event.total > 0 ? `${Math.round((100 * job.event.done) / job.event.total)} % · ` : ''}Cancel
            </button>
          )}
        </div>
        {!p.doc && <p className="muted small-text">Segment this image first.</p>}
        {s && (
          <>
            <div className="cluster-summary" data-testid="cluster-summary">
              <span>
                {s.k} clusters · {s.segmentIds.length} segments
              </span>
              <SilhouetteBars s={s} />
            </div>
            {s.stale && (
              <p className="stale-note" data-testid="cluster-stale">
                <span className="badge warn">stale</span> Segments changed since clustering.{' '}
                <button className="link" disabled={disabled} onClick={() => void run()}>
                  Re-run
                </button>
              </p>
            )}
            <div className="row">
              <label className="inline" title="While on, a click on a segment selects every segment of its cluster (Shift+C)">
                <input type="checkbox" checked={p.clusterSelect} onChange={(e) => p.onClusterSelect(e.target.checked)} data-testid="cluster-select-mode" /> Click selects cluster <kbd>Shift+C</kbd>
              </label>
              <label className="inline" title="Colour the overlay by cluster (unclustered segments grey)">
                <input type="checkbox" checked={p.colourByCluster} onChange={(e) => p.onColourByCluster(e.target.checked)} data-testid="colour-by-cluster" /> Colour by cluster
              </label>
            </div>
            <ul className="cluster-list" data-testid="cluster-list">
              {s.clusters.map((c) => {
                const ids = members.get(c.id) ?? [];
                const isSelected = ids.length > 0 && ids.every((id) => selected.has(id)) && selected.size === ids.length;
                const majority = className(c.classId);
                return (
                  <li key={c.id} className={`cluster-row${isSelected ? ' selected' : ''}`} data-testid={`cluster-${c.id}`}>
                    <div className="cluster-line">
                      <input
                        type="checkbox"
                        title="Tick two clusters to merge them"
                        checked={marked.includes(c.id)}
                        disabled={s.stale}
                        onChange={(e) => setMarked((m) => (e.target.checked ? [...m.filter((x) => x !== c.id), c.id].slice(-2) : m.filter((x) => x !== c.id)))}
                        data-testid={`cluster-mark-${c.id}`}
                      />
                      <span className="swatch" style={{ background: c.color }} />
                      <button className="link cluster-size" onClick={() => p.onSelect(ids)} title="Select every segment of this cluster" data-testid={`cluster-select-${c.id}`}>
                        {c.size} seg · {pct(c.areaFraction, 0)}
                      </button>
                      <span className={`cluster-class${majority ? '' : ' muted'}`} title="Class of most members">
                        {majority ?? 'no class'}
                      </span>
                    </div>
                    <div className="cluster-line">
                      <span className="thumbs">
                        {c.exampleIds.slice(0, 3).map((id) => {
                          const src = thumbs.get(id);
                          return src ? <img key={id} src={src} alt={`segment ${id}`} title={`segment ${id}`} width={28} height={28} onClick={() => p.onSelect([id])} /> : null;
                        })}
                      </span>
                      <select
                        value=""
                        disabled={disabled}
                        onChange={(e) => void assign(c.id, e.target.value)}
                        title="Give every segment of the cluster this class as your class (it trains the classifier): one undoable step; asks before changing classes you gave members yourself"
                        data-testid={`cluster-class-${c.id}`}
                      >
                        <option value="" disabled>
                          Class…
                        </option>
                        {p.classes.map((cl) => (
                          <option key={cl.id} value={cl.id}>
                            {cl.name}
                          </option>
                        ))}
                        {p.classes.length < 9 && <option value="new">New class</option>}
                        <option value="none">No class</option>
                      </select>
                      <button className="small" onClick={() => void split(c.id)} disabled={disabled || s.stale || c.size < 2} title="Split this cluster in two (re-cluster its members)" data-testid={`cluster-split-${c.id}`}>
                        Split
                      </button>
                    </div>
                  </li>
                );
              })}
            </ul>
            <div className="row">
              <button className="small" disabled={marked.length !== 2 || s.stale || disabled} onClick={() => void merge()} title="Merge the two ticked clusters into one" data-testid="cluster-merge">
                Merge ticked ({marked.length}/2)
              </button>
            </div>
          </>
        )}
      </section>
      <PropagationSection imageId={imageId} doc={p.doc} chosenImageIds={p.chosenImageIds} classes={p.classes} askClassifying={p.askClassifying} applyEdit={p.applyEdit} onChanged={p.onChanged} onError={onError} />
      <FractionsSection imageId={imageId} doc={p.doc} classes={p.classes} applyEdit={p.applyEdit} onError={onError} />
      <PhaseMapSection imageId={imageId} doc={p.doc} onChanged={p.onChanged} onError={onError} askSegmenting={p.askSegmenting} />
    </div>
  );
}
