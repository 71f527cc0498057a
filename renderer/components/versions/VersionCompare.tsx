// An earlier segmentation beside the current one: both drawn over the micrograph (downsampled,
// through the display window) with segment outlines, so a person sees what restoring would bring back.
import { useEffect, useRef, useState } from 'react';
import type { VersionInfo, VersionLabels } from '../../../app/contract/versions';
import type { DisplayWindow } from '../../../app/image/display';
import { segmentColor } from '../../../app/labelmap';
import { isPersonMade } from '../../../app/provenance';
import type { RasterImage } from '../../../app/types';
import { getClient } from '../../client';
import { displayLut } from '../../viewer/overlay';
import { Modal, errorText } from '../export/Modal';

const SIDE = 460;

function draw(canvas: HTMLCanvasElement, v: VersionLabels, raster: RasterImage, win: DisplayWindow): void {
  const { width: w, height: h, step, labels } = v;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(w, h);
  const lut = displayLut(raster.bitDepth, win);
  const C = raster.channels;
  const mine = new Set(v.segments.filter((s) => isPersonMade(s)).map((s) => s.id));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const src = (Math.min(raster.height - 1, y * step) * raster.width + Math.min(raster.width - 1, x * step)) * C;
      const g = lut[raster.data[src]!]!;
      const id = labels[i]!;
      const edge = id !== 0 && ((x > 0 && labels[i - 1] !== id) || (x < w - 1 && labels[i + 1] !== id) || (y > 0 && labels[i - w] !== id) || (y < h - 1 && labels[i + w] !== id));
      let r = g;
      let gg = g;
      let b = g;
      if (edge) [r, gg, b] = mine.has(id) ? [255, 255, 255] : segmentColor(id);
      else if (id !== 0 && mine.has(id)) [r, gg, b] = [Math.min(255, g + 40), Math.min(255, g + 40), g];
      img.data.set([r, gg, b, 255], i * 4);
    }
  }
  ctx.putImageData(img, 0, 0);
}

function Side({ title, v, raster, win, testId }: { title: string; v: VersionLabels | null; raster: RasterImage; win: DisplayWindow; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (v && ref.current) draw(ref.current, v, raster, win);
  }, [v, raster, win]);
  const mine = v ? v.segments.filter((s) => isPersonMade(s)).length : 0;
  return (
    <figure className="version-side" data-testid={testId}>
      <figcaption>
        {title}
        {v ? ` · ${v.segments.length} segments${mine ? `, ${mine} yours (white outlines)` : ''}` : ' · loading…'}
      </figcaption>
      <canvas ref={ref} style={{ width: SIDE, maxWidth: '100%' }} />
    </figure>
  );
}

export function VersionCompare({ imageId, version, raster, window: win, onClose, onRestore }: { imageId: number; version: VersionInfo; raster: RasterImage; window: DisplayWindow; onClose(): void; onRestore(): void }) {
  const [current, setCurrent] = useState<VersionLabels | null>(null);
  const [earlier, setEarlier] = useState<VersionLabels | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const client = getClient();
    let live = true;
    Promise.all([client.call('versions.get', { imageId, versionId: 0, maxSide: SIDE }), client.call('versions.get', { imageId, versionId: version.id, maxSide: SIDE })])
      .then(([a, b]) => {
        if (!live) return;
        setCurrent(a);
        setEarlier(b);
      })
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [imageId, version.id]);
  return (
    <Modal title={`Version ${version.id} beside the current segmentation`} onClose={onClose} testId="version-compare">
      <div className="version-compare">
        <Side title="Current" v={current} raster={raster} win={win} testId="compare-current" />
        <Side title={`Version ${version.id}: ${version.engine}`} v={earlier} raster={raster} win={win} testId="compare-version" />
      </div>
      {error && <p className="gl-error">{error}</p>}
      <div className="gl-actions">
        <span className="muted small">Restoring is one step you can undo; the current segmentation becomes a version.</span>
        <button onClick={onClose}>Close</button>
        <button className="primary" onClick={onRestore} data-testid="compare-restore">
          Restore version {version.id}
        </button>
      </div>
    </Modal>
  );
}
