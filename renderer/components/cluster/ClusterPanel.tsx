// The Clusters section of the side panel: cluster the segments of the open image by appearance,
// select a whole cluster, give it a class in one action, merge and split clusters, phase-fraction
// guidance, class propagation (train, predict, apply to other images) and pixel k-means phase maps.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ClassifierInfo, ClusterState, FeatureGroupName, FractionReport } from '../../../app/contract/cluster';
import type { DisplayWindow } from '../../../app/image/display';
import type { Box, ClassRecord, RasterImage } from '../../../app/types';
import { getClient } from '../../client';
import { percent, useJob } from '../export/useJob';
import type { EditorDocument } from '../../editor/document';

const GROUPS: { id: FeatureGroupName; label: string; title: string }[] = [
  { id: 'intensity', label: 'Intensity', title: 'Mean, spread and percentiles of the raw values' },
  { id: 'texture', label: 'Texture', title: 'Local binary pattern histogram' },
  { id: 'shape', label: 'Shape', title: 'Area, perimeter, diameter, eccentricity, solidity, aspect ratio' },
  { id: 'boundary', label: 'Boundary', title: 'Contrast to the neighbours across the segment boundary' },
  { id: 'embedding', label: 'SAM', title: 'Mean SAM image embedding under the segment (needs a SAM model)' },
];

interface Props {
  imageId: number;
  doc: EditorDocument | null;
  docVersion: number;
  raster: RasterImage | null;
  window: DisplayWindow | null;
  classes: ClassRecord[];
  samAvailable: boolean;
  state: ClusterState | null;
  onState(s: ClusterState | null): void;
  clusterSelect: boolean;
  onClusterSelect(v: boolean): void;
  /** Selects these segments on the canvas. */
  onSelect(ids: number[]): void;
  /** Main changed the image's classes or segmentation: reload it. */
  onChanged(): void;
  onError(e: unknown): void;
}

/** A small data-URL thumbnail of a box of the image, through the display window. */
function thumbnail(raster: RasterImage, win: DisplayWindow, box: Box, size = 40): string {
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  const img = ctx.createImageData(size, size);
  // A square around the segment with a little context.
  const side = Math.max(box.width, box.height) * 1.3 + 4;
  const x0 = box.x + box.width / 2 - side / 2;
  const y0 = box.y + box.height / 2 - side / 2;
  const scale = 255 / Math.max(1, win.high - win.low);
  for (let ty = 0; ty < size; ty++) {
    for (let tx = 0; tx < size; tx++) {
      const x = Math.floor(x0 + ((tx + 0.5) * side) / size);
      const y = Math.floor(y0 + ((ty + 0.5) * side) / size);
      const o = (ty * size + tx) * 4;
      if (x < 0 || y < 0 || x >= raster.width || y >= raster.height) {
        img.data[o + 3] = 255;
        continue;
      }
      const p = (y * raster.width + x) * raster.channels;
      for (let ch = 0; ch < 3; ch++) {
        const v = raster.data[p + Math.min(ch, raster.channels - 1)]!;
        img.data[o + ch] = Math.max(0, Math.min(255, (v - win.low) * scale));
      }
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL();
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

export function ClusterPanel(p: Props) {
  const client = getClient();
  const job = useJob();
  const [groups, setGroups] = useState<FeatureGroupName[]>(['intensity', 'texture', 'shape', 'boundary']);
  const [k, setK] = useState<'auto' | number>('auto');
  const [marked, setMarked] = useState<number[]>([]);
  const [classifier, setClassifier] = useState<ClassifierInfo | null>(null);
  const [targets, setTargets] = useState<Record<number, string>>({});
  const [fractions, setFractions] = useState<FractionReport | null>(null);
  const [phaseK, setPhaseK] = useState<'auto' | number>('auto');
  const [busy, setBusy] = useState<string | null>(null);
  const { onState, onError, onChanged, imageId } = p;

  const reload = useCallback(async () => {
    onState(await client.call('cluster.get', { imageId }));
  }, [client, imageId, onState]);

  useEffect(() => {
    setMarked([]);
    setFractions(null);
    void reload().catch(onError);
  }, [reload, onError]);
  // Class changes alter majority classes and staleness: re-read after document changes.
  useEffect(() => {
    if (p.state) void reload().catch(() => {});
  }, [p.docVersion]);

  useEffect(() => {
    void client.call('classify.status', {}).then(setClassifier).catch(() => {});
    return client.on('onDidChangeClassifier', setClassifier);
  }, [client]);

  // A finished job: read its result.
  const ev = job.event;
  useEffect(() => {
    if (!ev || ev.state === 'running') return;
    const what = busy;
    setBusy(null);
    job.track(null);
    if (ev.state === 'failed') onError(new Error(ev.error?.message ?? ev.message ?? 'The job failed.'));
    if (ev.state !== 'done') return;
    if (what === 'cluster') void reload().catch(onError);
    else onChanged();
  }, [ev?.state, ev?.jobId]);

  const run = async () => {
    try {
      setBusy('cluster');
      const { jobId } = await client.call('cluster.run', { imageId, groups, k });
      job.track(jobId);
    } catch (e) {
      setBusy(null);
      onError(e);
    }
  };

  const membersOf = useCallback(
    (c: number): number[] => {
      const s = p.state;
      if (!s) return [];
      const out: number[] = [];
      s.segmentIds.forEach((id, i) => {
        if (s.clusterIds[i] === c && p.doc?.segments.has(id)) out.push(id);
      });
      return out;
    },
    [p.state, p.doc],
  );

  const thumbs = useMemo(() => {
    const out = new Map<number, string>();
    if (!p.state || !p.raster || !p.window || !p.doc) return out;
    for (const c of p.state.clusters) {
      for (const id of c.exampleIds.slice(0, 3)) {
        const s = p.doc.segments.get(id);
        if (s && !out.has(id)) out.set(id, thumbnail(p.raster, p.window, s.bbox));
      }
    }
    return out;
  }, [p.state, p.raster, p.window, p.doc]);

  const call = async <T,>(label: string, fn: () => Promise<T>): Promise<T | null> => {
    setBusy(label);
    try {
      return await fn();
    } catch (e) {
      onError(e);
      return null;
    } finally {
      setBusy((b) => (b === label ? null : b));
    }
  };

  const assign = async (clusterId: number, classId: number | null) => {
    const ack = await call('assign', () => client.call('cluster.assignClass', { imageId, clusterId, classId }));
    if (ack) {
      onChanged();
      await reload();
    }
  };

  const merge = async () => {
    if (marked.length !== 2) return;
    const s = await call('merge', () => client.call('cluster.merge', { imageId, a: marked[0]!, b: marked[1]! }));
    if (s) {
      onState(s);
      setMarked([]);
    }
  };

  const split = async (clusterId: number) => {
    const s = await call('split', () => client.call('cluster.split', { imageId, clusterId, k: 2 }));
    if (s) onState(s);
  };

  const trainAndPredict = async () => {
    const r = await call('predict', async () => {
      setClassifier(await client.call('classify.train', {}));
      return client.call('classify.predict', { imageId });
    });
    if (r) onChanged();
  };

  const applyToAll = async () => {
    const r = await call('apply', () => client.call('classify.applyToImages', {}));
    if (r) {
      setBusy('apply');
      job.track(r.jobId);
    }
  };

  const guide = async () => {
    const list = p.classes
      .map((c) => ({ classId: c.id, fraction: Number(targets[c.id] ?? '') / 100 }))
      .filter((t) => Number.isFinite(t.fraction) && targets[t.classId] !== undefined && targets[t.classId] !== '');
    if (list.length < 2) {
      onError(new Error('Enter an expected area % for at least two classes.'));
      return;
    }
    const r = await call('fractions', () => client.call('cluster.fractions', { imageId, targets: list.map((t) => ({ ...t, fraction: Math.max(0, Math.min(1, t.fraction)) })) }));
    if (r) {
      setFractions(r);
      if (r.ack) onChanged();
    }
  };

  const phaseMap = async () => {
    if (p.doc && p.doc.undoDepth > 0 && !window.confirm('Replace this image’s segmentation (and its edits) by a pixel k-means phase map?')) return;
    const r = await call('phases', () => client.call('segment.pixelKMeans', { imageIds: [imageId], k: phaseK }));
    if (r) {
      setBusy('phases');
      job.track(r.jobId);
    }
  };

  const s = p.state;
  const classOptions = p.classes.map((c) => (
    <option key={c.id} value={c.id}>
      {c.name}
    </option>
  ));
  const jobRunning = job.event?.state === 'running' || busy === 'cluster' || busy === 'apply' || busy === 'phases';

  return (
    <section className="cluster-panel" data-testid="cluster-panel">
      <h3>Clusters</h3>
      <div className="group-boxes">
        {GROUPS.map((g) => (
          <label key={g.id} className="inline" title={g.id === 'embedding' && !p.samAvailable ? 'Needs a SAM model (see README: SAM models)' : g.title}>
            <input
              type="checkbox"
              disabled={g.id === 'embedding' && !p.samAvailable}
              checked={groups.includes(g.id)}
              onChange={(e) => setGroups((gs) => (e.target.checked ? [...gs, g.id] : gs.filter((x) => x !== g.id)))}
            />
            {g.label}
          </label>
        ))}
      </div>
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
        <button className="small primary" disabled={!p.doc || groups.length === 0 || jobRunning} onClick={() => void run()} data-testid="cluster-run">
          {s ? 'Re-cluster' : 'Cluster'}
        </button>
        {jobRunning && job.event && (
          <button className="small" onClick={job.cancel} title="Cancel">
            {percent(job.event)} % ✕
          </button>
        )}
      </div>
      {s && (
        <>
          <p className="muted small-text" data-testid="cluster-summary">
            {s.k} clusters of {s.segmentIds.length} segments
            {s.silhouette.length > 0 && ` · silhouette ${s.silhouette.map((x) => `${x.k}:${x.score.toFixed(2)}`).join(' ')}`}
            {s.stale && (
              <span className="badge warn" title="Segments changed since clustering">
                {' '}
                stale
              </span>
            )}
          </p>
          <label className="inline" title="While on, a click on a segment selects every segment of its cluster (Shift+C)">
            <input type="checkbox" checked={p.clusterSelect} onChange={(e) => p.onClusterSelect(e.target.checked)} data-testid="cluster-select-mode" /> Click selects cluster (Shift+C)
          </label>
          <ul className="cluster-list" data-testid="cluster-list">
            {s.clusters.map((c) => (
              <li key={c.id} className="cluster-row" data-testid={`cluster-${c.id}`}>
                <input
                  type="checkbox"
                  title="Mark for merging"
                  checked={marked.includes(c.id)}
                  onChange={(e) => setMarked((m) => (e.target.checked ? [...m.filter((x) => x !== c.id), c.id].slice(-2) : m.filter((x) => x !== c.id)))}
                />
                <span className="swatch" style={{ background: c.color }} />
                <button className="link" onClick={() => p.onSelect(membersOf(c.id))} title="Select every segment of this cluster" data-testid={`cluster-select-${c.id}`}>
                  {c.size} · {pct(c.areaFraction)}
                </button>
                <span className="thumbs">
                  {c.exampleIds.slice(0, 3).map((id) => (thumbs.get(id) ? <img key={id} src={thumbs.get(id)} alt={`segment ${id}`} width={32} height={32} /> : null))}
                  <button className="small split" onClick={() => void split(c.id)} disabled={s.stale || c.size < 2} title="Split this cluster in two (re-cluster its members)">
                    Split
                  </button>
                </span>
                <select
                  value={c.classId ?? ''}
                  onChange={(e) => void assign(c.id, e.target.value === '' ? null : Number(e.target.value))}
                  title="Give every segment of the cluster this class (one undoable step; verified segments and your own classes are kept)"
                  data-testid={`cluster-class-${c.id}`}
                >
                  <option value="">class…</option>
                  {classOptions}
                </select>
              </li>
            ))}
          </ul>
          <button className="small" disabled={marked.length !== 2 || s.stale} onClick={() => void merge()} title="Merge the two ticked clusters">
            Merge ticked
          </button>
        </>
      )}

      <h3>Propagate classes</h3>
      <p className="muted small-text" data-testid="classifier-status">
        {classifier
          ? `Classifier v${classifier.version} (${classifier.model}) · ${classifier.trainedOn.segments} labelled segments in ${classifier.trainedOn.images} image(s)${classifier.cvAccuracy !== null ? ` · CV accuracy ${pct(classifier.cvAccuracy)}` : ''}${classifier.training ? ' · retraining…' : classifier.stale ? ' · out of date' : ''}`
          : 'Give a class to a few segments of each kind (1-9), then train.'}
      </p>
      <div className="row">
        <button className="small" disabled={!p.doc || busy !== null} onClick={() => void trainAndPredict()} data-testid="train-predict" title="Learn from the classes you set and label the other segments of this image (low-confidence ones come first with N)">
          Train &amp; predict
        </button>
        <button className="small" disabled={!classifier || busy !== null} onClick={() => void applyToAll()} title="Label the segments of every segmented image (segments you labelled or verified are kept)">
          Apply to all images
        </button>
      </div>

      <h3>Phase fractions</h3>
      <ul className="fraction-list">
        {p.classes.map((c) => {
          const got = fractions?.classes.find((x) => x.classId === c.id);
          return (
            <li key={c.id}>
              <span className="swatch" style={{ background: c.color }} /> {c.name}
              <input type="number" min={0} max={100} step={1} placeholder="%" value={targets[c.id] ?? ''} onChange={(e) => setTargets((t) => ({ ...t, [c.id]: e.target.value }))} data-testid={`fraction-${c.id}`} />
              {got && <span className="muted"> got {pct(got.achieved)}</span>}
            </li>
          );
        })}
      </ul>
      <button className="small" disabled={!p.doc || p.classes.length < 2 || busy !== null} onClick={() => void guide()} title="Adjust the classes of unlabelled segments so the class area fractions match these targets as closely as the features allow">
        Apply fractions
      </button>

      <h3>Phase map</h3>
      <div className="row">
        <label className="inline" title="Number of phases for pixel k-means">
          phases
          <select value={String(phaseK)} onChange={(e) => setPhaseK(e.target.value === 'auto' ? 'auto' : Number(e.target.value))}>
            <option value="auto">auto</option>
            {[2, 3, 4, 5, 6].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button className="small" disabled={jobRunning} onClick={() => void phaseMap()} title="k-means on pixel intensities: a phase map in one click, as segments with classes Phase 1.. (darkest first)" data-testid="phase-map">
          Pixel k-means
        </button>
      </div>
    </section>
  );
}
