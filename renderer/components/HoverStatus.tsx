// Status-bar pieces that follow the pointer and the zoom; they subscribe to their own small stores
// so the rest of the workspace does not re-render on every pointer move.
import { useSyncExternalStore } from 'react';
import type { Observable } from '../editor/observable';
import type { Viewport } from '../../app/view/viewport';
import type { HoverInfo } from './Viewer';

export function HoverText({ hover, pixelSizeUm }: { hover: Observable<HoverInfo | null>; pixelSizeUm: number | null }) {
  const h = useSyncExternalStore(hover.subscribe, hover.get);
  return (
    <span data-testid="hover-info">
      {h
        ? `x ${h.x}, y ${h.y}${pixelSizeUm ? ` (${(h.x * pixelSizeUm).toFixed(2)}, ${(h.y * pixelSizeUm).toFixed(2)} µm)` : ''} · value ${h.value?.join(', ') ?? '–'}${h.segmentId ? ` · segment ${h.segmentId}` : ''}`
        : '—'}
    </span>
  );
}

export function ZoomText({ viewport }: { viewport: Observable<Viewport | null> }) {
  const v = useSyncExternalStore(viewport.subscribe, viewport.get);
  return (
    <span data-testid="zoom" data-view={v ? JSON.stringify(v) : ''}>
      {v ? `${Math.round(v.scale * 100)}%` : ''}
    </span>
  );
}

/** The id of the hovered segment only (re-renders when it changes, not on every move). */
export function useHoveredSegment(hover: Observable<HoverInfo | null>): number {
  return useSyncExternalStore(hover.subscribe, () => hover.get()?.segmentId ?? 0);
}
