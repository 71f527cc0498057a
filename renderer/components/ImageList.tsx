// The project's images with thumbnails and status, filtered by status and name. A click opens an
// image (and chooses it alone); Ctrl/Cmd-click adds or removes one from the chosen images and
// Shift-click chooses a range, so project-wide actions (segment, apply classes, export, stats,
// remove) can work on the chosen images.
// The list is virtualised (@tanstack/react-virtual): only the rows in view (and a few around them)
// are in the page, so a project of 10,000 images opens as fast as one of ten, and thumbnails are
// asked for only when their row comes into view.
import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { getClient } from '../client';
import type { ImageRecord, ImageStatus } from '../../app/types';

const thumbCache = new Map<string, string>();

function Thumb({ id, version }: { id: number; version: string }) {
  // Keyed by content too: an id never comes back for other content, but a cache must not rely on that.
  const key = `${id}:${version}`;
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
  }, [id, key]);
  return url ? <img src={url} alt="" className="thumb" /> : <div className="thumb placeholder" />;
}

/** Height of one row: the 56 px thumbnail, 4 px padding each side, 1 px border each side, 2 px gap. */
const ROW_HEIGHT = 68;

const STATUS_LABEL: Record<ImageStatus, string> = {
  new: 'new',
  'auto-segmented': 'segmented',
  'in-review': 'in review',
  verified: 'verified',
};

export interface ImageListProps {
  images: ImageRecord[];
  /** The image open in the canvas. */
  selected: number | null;
  /** The chosen images (project-wide actions work on them). */
  chosen: readonly number[];
  onOpen(id: number): void;
  onChoose(ids: number[]): void;
  onRemove(ids: number[]): void;
}

export function ImageList({ images, selected, chosen, onOpen, onChoose, onRemove }: ImageListProps) {
  const [name, setName] = useState('');
  const [status, setStatus] = useState<ImageStatus | 'all'>('all');
  const anchor = useRef<number | null>(null);
  const shown = useMemo(() => {
    const q = name.trim().toLowerCase();
    return images.filter((im) => (status === 'all' || im.status === status) && (!q || im.name.toLowerCase().includes(q)));
  }, [images, name, status]);
  const chosenSet = new Set(chosen);
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 6 });
  // The open image comes into view when it changes from elsewhere (keys, the address, a search).
  const selectedIndex = selected === null ? -1 : shown.findIndex((i) => i.id === selected);
  useEffect(() => {
    if (selectedIndex >= 0) rows.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, rows]);
  if (images.length === 0) {
    return <div className="empty-list">No images yet. Use Import or drop PNG, JPEG or TIFF files here.</div>;
  }
  const click = (e: MouseEvent, id: number) => {
    if (e.shiftKey && anchor.current !== null) {
      const a = shown.findIndex((i) => i.id === anchor.current);
      const b = shown.findIndex((i) => i.id === id);
      if (a >= 0 && b >= 0) {
        const range = shown.slice(Math.min(a, b), Math.max(a, b) + 1).map((i) => i.id);
        onChoose(e.ctrlKey || e.metaKey ? [...new Set([...chosen, ...range])] : range);
        return;
      }
    }
    anchor.current = id;
    if (e.ctrlKey || e.metaKey) {
      onChoose(chosenSet.has(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);
      return;
    }
    onOpen(id);
  };
  return (
    <>
      <div className="image-filters">
        <input type="search" placeholder="Filter by name" value={name} onChange={(e) => setName(e.target.value)} data-testid="image-filter-name" />
        <select value={status} onChange={(e) => setStatus(e.target.value as ImageStatus | 'all')} data-testid="image-filter-status" title="Show images with this status">
          <option value="all">all</option>
          {(Object.keys(STATUS_LABEL) as ImageStatus[]).map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="image-choice" data-testid="image-choice">
        <span>
          {chosen.length} chosen{shown.length !== images.length ? ` · ${shown.length} of ${images.length} shown` : ''}
        </span>
        <button className="link" onClick={() => onChoose(shown.map((i) => i.id))} title="Choose every image the filter shows" data-testid="choose-shown">
          all shown
        </button>
        <button className="link danger" disabled={chosen.length === 0} onClick={() => onRemove([...chosen])} title="Remove the chosen images from the project (asks first)" data-testid="remove-chosen">
          remove…
        </button>
      </div>
      <div className="image-list" data-testid="image-list" ref={scroller} data-count={shown.length}>
        <ul className="image-rows" style={{ height: rows.getTotalSize() + 8 }}>
        {rows.getVirtualItems().map((row) => {
          const im = shown[row.index];
          return (
            <li key={im.id} className="image-row" style={{ transform: `translateY(${row.start}px)` }}>
              <button
                className={`image-item${im.id === selected ? ' selected' : ''}${chosenSet.has(im.id) ? ' chosen' : ''}`}
                onClick={(e) => click(e, im.id)}
                data-testid={`image-${im.id}`}
                aria-pressed={chosenSet.has(im.id)}
                title={`${im.name} (Ctrl-click: choose several, Shift-click: a range)`}
              >
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
          );
        })}
        </ul>
      </div>
      {shown.length === 0 && <div className="muted empty-list">No image matches the filter.</div>}
    </>
  );
}
