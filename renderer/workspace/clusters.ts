// The open image's clustering as the workspace uses it: cluster select (a click stands for its
// whole cluster) and colouring the overlay by cluster.
import { useRef, useState } from 'react';
import type { ClusterState } from '../../app/contract/cluster';
import type { SelectMode } from '../editor/selection';
import type { OverlaySettings } from '../viewer/canvas-view';

/** With cluster selection on, a clicked segment stands for every (still existing) segment of its cluster. */
function expandToClusters(ids: readonly number[], state: ClusterState | null, exists: (id: number) => boolean): number[] {
  if (!state || ids.length !== 1) return [...ids];
  const row = state.segmentIds.indexOf(ids[0]!);
  if (row < 0) return [...ids];
  const c = state.clusterIds[row];
  const out: number[] = [];
  state.segmentIds.forEach((id, i) => {
    if (state.clusterIds[i] === c && exists(id)) out.push(id);
  });
  return out;
}

/** Overlay colours by cluster: each member segment gets its cluster's colour. */
export function clusterColours(state: ClusterState): NonNullable<OverlaySettings['groupColours']> {
  const of = new Map<number, number>();
  state.segmentIds.forEach((id, i) => of.set(id, state.clusterIds[i]!));
  return { colours: new Map(state.clusters.map((c) => [c.id, c.color])), groupOf: (id) => of.get(id) ?? null };
}

export interface Clusters {
  /** The clustering of the open image (null when none, or still another image's right after switching). */
  open: ClusterState | null;
  setState(s: ClusterState | null): void;
  select: boolean;
  setSelect(v: boolean | ((v: boolean) => boolean)): void;
  colour: boolean;
  setColour(v: boolean): void;
  /** How a select intent applies with cluster select on or off. */
  selectIds(ids: readonly number[], mode: SelectMode, isSelected: (id: number) => boolean, exists: (id: number) => boolean): { ids: number[]; mode: SelectMode };
}

export function useClusters(imageId: number | null): Clusters {
  const [state, setState] = useState<ClusterState | null>(null);
  const [select, setSelect] = useState(false);
  const [colour, setColour] = useState(false);
  const open = state && state.imageId === imageId ? state : null;
  const ref = useRef({ open, select });
  ref.current = { open, select };
  return {
    open,
    setState,
    select,
    setSelect,
    colour,
    setColour,
    selectIds: (ids, mode, isSelected, exists) => {
      if (!ref.current.select) return { ids: [...ids], mode };
      // Shift-click on a cluster adds it whole, or removes it whole when the clicked segment was selected.
      const m = mode === 'toggle' ? (isSelected(ids[0] ?? 0) ? 'remove' : 'add') : mode;
      return { ids: expandToClusters(ids, ref.current.open, exists), mode: m };
    },
  };
}
