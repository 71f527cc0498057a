// The project's images with thumbnails and status; click opens one in the canvas.
import { useEffect, useState } from 'react';
import { getClient } from '../client';
import type { ImageRecord } from '../../app/types';

const thumbCache = new Map<number, string>();

function Thumb({ id, version }: { id: number; version: string }) {
  const key = id;
  const [url, setUrl] = useState<string | null>(thumbCache.get(key) ?? null);
  useEffect(() => {
    if (thumbCache.has(key)) return;
    let live = true;
    getClient()
      .call('images.thumbnail', { id })
      .then(({ png }) => {
        const u = URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
        thumbCache.set(key, u);
        if (live) setUrl(u);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [id, key, version]);
  return url ? <img src={url} alt="" className="thumb" /> : <div className="thumb placeholder" />;
}

const STATUS_LABEL: Record<ImageRecord['status'], string> = {
  new: 'new',
  'auto-segmented': 'segmented',
  'in-review': 'in review',
  verified: 'verified',
};

export function ImageList({ images, selected, onSelect }: { images: ImageRecord[]; selected: number | null; onSelect(id: number): void }) {
  if (images.length === 0) {
    return <div className="empty-list">No images yet. Use Import or drop PNG, JPEG or TIFF files here.</div>;
  }
  return (
    <ul className="image-list" data-testid="image-list">
      {images.map((im) => (
        <li key={im.id}>
          <button className={`image-item${im.id === selected ? ' selected' : ''}`} onClick={() => onSelect(im.id)} data-testid={`image-${im.id}`} title={im.name}>
            <Thumb id={im.id} version={im.hash} />
            <span className="image-meta">
              <span className="image-name">{im.name}</span>
              <span className="image-sub">
                {im.width}×{im.height} · {im.bitDepth}-bit
              </span>
              <span className={`status status-${im.status}`} data-testid={`status-${im.id}`}>
                {STATUS_LABEL[im.status]}
                {im.segmentCount > 0 ? ` · ${im.segmentCount}` : ''}
              </span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
