// "Phase map (pixel k-means)" in the Clusters tab: k-means on pixel intensities (optionally local
// texture) gives the image a new segmentation with one segment per connected phase region; like
// every automatic result it asks first when the image holds corrections and keeps them by default.
import { useState } from 'react';
import { getClient } from '../../client';
import type { EditorDocument } from '../../editor/document';
import { useTrackedJob } from './useTrackedJob';

interface Props {
  imageId: number;
  doc: EditorDocument | null;
  onChanged(): void;
  onError(e: unknown): void;
  /** Asks before replacing segmentations (null: the person cancelled). */
  askSegmenting(imageIds: number[], verb: string): Promise<'person' | 'none' | null>;
}

export function PhaseMapSection(p: Props) {
  const client = getClient();
  const job = useTrackedJob(p.onError);
  const [k, setK] = useState<'auto' | number>('auto');
  const [texture, setTexture] = useState(false);
  // Clean-up against speckle; fine particles (a few px) need both at 0 or they are merged away.
  const [smooth, setSmooth] = useState(1);
  const [minArea, setMinArea] = useState(16);

  const run = async () => {
    let keep: 'person' | 'none' | null;
    try {
      keep = await p.askSegmenting([p.imageId], 'Phase map');
    } catch (e) {
      p.onError(e);
      return;
    }
    if (keep) void job.start(() => client.call('segment.pixelKMeans', { imageIds: [p.imageId], k, texture, smooth, minArea, keep }), p.onChanged);
  };

  return (
    <section className="phase-map">
      <h3>Phase map (pixel k-means)</h3>
      <div className="row">
        <label className="inline" title="Number of phases; auto chooses 2..5 by silhouette">
          phases
          <select value={String(k)} onChange={(e) => setK(e.target.value === 'auto' ? 'auto' : Number(e.target.value))} data-testid="phase-k">
            <option value="auto">auto</option>
            {[2, 3, 4, 5, 6, 7, 8].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="inline" title="Add local texture (standard deviation) to the intensity">
          <input type="checkbox" checked={texture} onChange={(e) => setTexture(e.target.checked)} data-testid="phase-texture" /> texture
        </label>
      </div>
      <div className="row">
        <label className="inline" title="Majority filter radius in px before regions are formed (0 = off). Removes speckle, but also particles only a few px wide.">
          smooth
          <input type="number" min={0} max={10} value={smooth} onChange={(e) => setSmooth(clampInt(e.target.value, 0, 10))} data-testid="phase-smooth" style={{ width: '3.5em' }} />
        </label>
        <label className="inline" title="Regions smaller than this many px join their neighbours (0 = keep all). Use 0 for fine particles.">
          merge &lt;
          <input type="number" min={0} max={100000} value={minArea} onChange={(e) => setMinArea(clampInt(e.target.value, 0, 100000))} data-testid="phase-min-area" style={{ width: '4.5em' }} />
          px
        </label>
      </div>
      <div className="row">
        <button className="small" disabled={job.running} onClick={() => void run()} title="k-means on pixel intensities: a phase map in one click, as segments with classes Phase 1… (darkest first); a new version of the segmentation that keeps your segments" data-testid="phase-map">
          Make phase map
        </button>
        {job.running && (
          <button className="small" onClick={job.cancel} title="Cancel">
            Cancel
          </button>
        )}
      </div>
    </section>
  );
}

function clampInt(v: string, lo: number, hi: number): number {
  const n = Math.round(Number(v));
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo;
}
