// The slice bar over the stage when the open image is a slice of a stack: "slice i / n", a slider
// and buttons to move through the slices (also , and . or Alt+Down / Alt+Up), the slice spacing,
// propagation of this slice to the next ones (SAM when a model is installed, else classic, or the
// trained pixel classifier; a job with progress and Cancel) and the stack's 3D statistics.
import { useState } from 'react';
import type { GrainLabClient, StackInfo, Result } from '../../../app/contract';
import type { ClassRecord, ImageRecord } from '../../../app/types';

interface Props {
  client: GrainLabClient;
  stack: StackInfo;
  index: number;
  current: ImageRecord | null;
  classes: readonly ClassRecord[];
  readOnly: boolean;
  open(imageId: number): void;
  onChanged(): void;
  onError(e: unknown): void;
}

const fmt = (v: number) => Number(v.toPrecision(3)).toString();

export function StackBar({ client, stack, index, current, classes, readOnly, open, onChanged, onError }: Props) {
  const n = stack.imageIds.length;
  const [count, setCount] = useState(1);
  const [direction, setDirection] = useState<'up' | 'down'>('up');
  const [engine, setEngine] = useState<'auto' | 'classic' | 'classifier'>('auto');
  const [stats, setStats] = useState<Result<'stacks.stats'> | null>(null);
  const go = (i: number) => {
    const id = stack.imageIds[Math.max(0, Math.min(n - 1, i))];
    if (id !== undefined) open(id);
  };
  const propagate = () => {
    if (!current) return;
    client.call('stacks.propagate', { imageId: current.id, count, direction, engine }).catch(onError);
  };
  const showStats = () => {
    if (stats) return setStats(null);
    client.call('stacks.stats', { stackId: stack.id }).then(setStats, onError);
  };
  const segmented = (current?.segmentCount ?? 0) > 0;
  const esd = stats?.objects.map((o) => o.esdUm ?? o.esdVoxels).sort((a, b) => a - b) ?? [];
  return (
    <div className="stack-bar" data-testid="stack-bar">
      <span className="stack-name" title={`Stack '${stack.name}' (#${stack.id})`}>{stack.name}</span>
      <button onClick={() => go(index - 1)} disabled={index <= 0} title="Previous slice (, or Alt+Down)" data-testid="stack-prev">
        ‹
      </button>
      <input type="range" min={1} max={n} value={index + 1} onChange={(e) => go(Number(e.target.value) - 1)} data-testid="stack-slider" aria-label="Slice" />
      <button onClick={() => go(index + 1)} disabled={index >= n - 1} title="Next slice (. or Alt+Up)" data-testid="stack-next">
        ›
      </button>
      <span className="stack-slice" data-testid="stack-slice">
        Slice {index + 1} / {n}
      </span>
      <span className="muted" data-testid="stack-segments">{current ? `${current.segmentCount} segments` : ''}</span>
      <label className="inline" title="Distance between slices, µm (for volumes in µm³)">
        Δz
        <input
          key={`${stack.id}:${stack.spacingUm}`}
          className="stack-spacing"
          type="number"
          min={0}
          step="any"
          defaultValue={stack.spacingUm ?? ''}
          placeholder="µm"
          disabled={readOnly}
          data-testid="stack-spacing"
          onBlur={(e) => {
            const v = e.target.value === '' ? null : Number(e.target.value);
            if (v === stack.spacingUm || (v !== null && !(v > 0))) return;
            client.call('stacks.setSpacing', { stackId: stack.id, spacingUm: v }).then(onChanged, onError);
          }}
        />
      </label>
      <span className="sep" />
      <select value={direction} onChange={(e) => setDirection(e.target.value as 'up' | 'down')} title="Which way to propagate" data-testid="stack-direction">
        <option value="up">to next</option>
        <option value="down">to previous</option>
      </select>
      <input className="stack-count" type="number" min={1} max={n - 1} value={count} onChange={(e) => setCount(Math.max(1, Math.round(Number(e.target.value) || 1)))} title="How many slices" data-testid="stack-propagate-count" />
      <select value={engine} onChange={(e) => setEngine(e.target.value as 'auto')} title="How the next slices are found" data-testid="stack-engine">
        <option value="auto">SAM or classic</option>
        <option value="classic">classic</option>
        <option value="classifier">pixel classifier</option>
      </select>
      <button
        disabled={readOnly || (!segmented && engine !== 'classifier')}
        onClick={propagate}
        data-testid="stack-propagate"
        title={segmented ? "Propagate this slice's segments to the next slices (SAM when a model is installed, else classic); what you made on those slices is kept" : 'Segment or draw this slice first'}
      >
        Propagate
      </button>
      <button onClick={showStats} data-testid="stack-stats-button" title="3D objects: segments linked across slices">
        3D stats
      </button>
      {stats && (
        <div className="stack-stats" data-testid="stack-stats">
          <div data-testid="stack-objects">{stats.objectCount} 3D objects in {stats.slices} slices</div>
          {esd.length > 0 && (
            <div>
              Equivalent sphere diameter ({stats.voxelUm3 === null ? 'voxels' : 'µm'}): median {fmt(esd[Math.floor(esd.length / 2)]!)}, {fmt(esd[0]!)}–{fmt(esd[esd.length - 1]!)}
            </div>
          )}
          {stats.voxelUm3 === null && <div className="muted">Set the pixel size and Δz for volumes in µm³.</div>}
          {stats.fractions.map((f) => (
            <div key={String(f.classId)}>
              {f.classId === 'none' ? 'no segment' : f.classId === null ? 'segments without a class' : (classes.find((c) => c.id === f.classId)?.name ?? `class ${f.classId}`)}: {(100 * f.fraction).toFixed(1)} %
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
