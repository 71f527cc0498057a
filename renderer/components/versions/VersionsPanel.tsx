// The segmentation versions of the open image (Edit tab): the current one and the earlier ones it
// replaced, each with time, engine, settings and edit count; compare one beside the current one,
// or restore it (one undoable step).
import { useCallback, useEffect, useState } from 'react';
import type { SegmentationSummary, VersionInfo, VersionList } from '../../../app/contract/versions';
import type { DisplayWindow } from '../../../app/image/display';
import type { RasterImage } from '../../../app/types';
import { getClient } from '../../client';
import { VersionCompare } from './VersionCompare';

function when(iso: string | null): string {
  if (!iso) return '?';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function settingsText(s: unknown): string {
  if (s === null || s === undefined) return 'no settings recorded';
  return Object.entries(s as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

function Summary({ v }: { v: SegmentationSummary }) {
  return (
    <span title={settingsText(v.settings)}>
      {v.engine} · {when(v.madeAt)} · {v.segmentCount} seg{v.personCount ? `, ${v.personCount} yours` : ''} · {v.editCount} edit{v.editCount === 1 ? '' : 's'}
    </span>
  );
}

export interface VersionsPanelProps {
  imageId: number;
  /** The open map's revision: changes with every edit, undo and re-segmentation, so the list follows. */
  revision: string;
  raster: RasterImage | null;
  window: DisplayWindow | null;
  onRestored(): void;
  onError(e: unknown): void;
}

export function VersionsPanel({ imageId, revision, raster, window: win, onRestored, onError }: VersionsPanelProps) {
  const client = getClient();
  const [list, setList] = useState<VersionList | null>(null);
  const [compare, setCompare] = useState<VersionInfo | null>(null);
  const reload = useCallback(() => client.call('versions.list', { imageId }).then(setList), [client, imageId]);
  useEffect(() => {
    const t = setTimeout(() => void reload().catch(() => {}), 250);
    return () => clearTimeout(t);
  }, [reload, revision]);
  const restore = async (v: VersionInfo) => {
    setCompare(null);
    try {
      await client.call('versions.restore', { imageId, versionId: v.id });
      onRestored();
      await reload();
    } catch (e) {
      onError(e);
    }
  };
  if (!list?.current) return null;
  return (
    <section data-testid="versions">
      <h3>Versions</h3>
      <p className="small-text" data-testid="version-current">
        <b>now</b> <Summary v={list.current} />
      </p>
      {list.versions.length === 0 ? (
        <p className="muted small-text">No earlier versions. Each re-segmentation keeps the one it replaces (up to {list.limit}).</p>
      ) : (
        <ul className="version-list" data-testid="version-list">
          {list.versions.map((v) => (
            <li key={v.id} data-testid={`version-${v.id}`} title={`Replaced ${when(v.replacedAt)} by ${v.replacedBy}. Settings: ${settingsText(v.settings)}`}>
              <span className="small-text">
                <b>v{v.id}</b> <Summary v={v} />
              </span>
              <span className="row">
                <button className="small" disabled={!raster || !win} onClick={() => setCompare(v)} data-testid={`version-compare-${v.id}`}>
                  Compare
                </button>
                <button className="small" onClick={() => void restore(v)} data-testid={`version-restore-${v.id}`} title="Make this version current again (one step you can undo)">
                  Restore
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {compare && raster && win && <VersionCompare imageId={imageId} version={compare} raster={raster} window={win} onClose={() => setCompare(null)} onRestore={() => void restore(compare)} />}
    </section>
  );
}
