// "Phase map (pixel k-means)" in the Clusters tab: k-means on pixel intensities (optionally local
// texture) replaces the image's segmentation with one segment per connected phase region.
import { useState } from 'react';
import { getClient } from '../../client';
import type { EditorDocument } from '../../editor/document';
import { useTrackedJob } from './useTrackedJob';

interface Props {
  imageId: number;
  doc: EditorDocument | null;
  onChanged(): void;
  onError(e: unknown): void;
}

export function PhaseMapSection(p: Props) {
  const client = getClient();
  const job = useTrackedJob(p.onError);
  const [k, setK] = useState<'auto' | number>('auto');
  const [texture, setTexture] = useState(false);

  const run = () => {
    const edited = p.doc !== null && (p.doc.undoDepth > 0 || p.doc.redoDepth > 0);
    if (edited && !window.confirm('This image has edits. A pixel k-means phase map replaces its segmentation (your edits are lost from it). Continue?')) return;
    void job.start(() => client.call('segment.pixelKMeans', { imageIds: [p.imageId], k, texture }), p.onChanged);
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
        <button className="small" disabled={job.running} onClick={run} title="k-means on pixel intensities: a phase map in one click, as segments with classes Phase 1… (darkest first); replaces the segmentation" data-testid="phase-map">
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
