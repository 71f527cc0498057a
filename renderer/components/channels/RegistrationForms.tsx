// The registration forms of the Channels section: scale and shift typed, or two point pairs (a
// point on the image and the same feature on the map, twice) from which both are solved.
import { useState } from 'react';
import type { ChannelRegistration } from '../../../app/contract';
import type { PointPair } from '../../../app/channels/registration';

function Num({ label, value, onChange, testId }: { label: string; value: string; onChange(v: string): void; testId?: string }) {
  return (
    <label className="channel-num">
      {label}
      <input type="number" step="any" value={value} onChange={(e) => onChange(e.target.value)} {...(testId ? { 'data-testid': testId } : {})} />
    </label>
  );
}

export function RegistrationForm({ registration, disabled, onApply }: { registration: ChannelRegistration; disabled: boolean; onApply(r: ChannelRegistration): void }) {
  const round = (v: number) => String(Math.round(v * 1000) / 1000);
  const [v, setV] = useState({ sx: round(registration.sx), sy: round(registration.sy), tx: round(registration.tx), ty: round(registration.ty) });
  const n = { sx: Number(v.sx), sy: Number(v.sy), tx: Number(v.tx), ty: Number(v.ty) };
  const ok = n.sx > 0 && n.sy > 0 && Number.isFinite(n.tx) && Number.isFinite(n.ty);
  return (
    <details className="channel-form">
      <summary>Scale and shift</summary>
      <div className="channel-grid">
        <Num label="scale x" value={v.sx} onChange={(sx) => setV({ ...v, sx })} />
        <Num label="scale y" value={v.sy} onChange={(sy) => setV({ ...v, sy })} />
        <Num label="shift x" value={v.tx} onChange={(tx) => setV({ ...v, tx })} testId="channels-tx" />
        <Num label="shift y" value={v.ty} onChange={(ty) => setV({ ...v, ty })} />
      </div>
      <button className="small" disabled={disabled || !ok} onClick={() => onApply(n)} data-testid="channels-apply">
        Apply
      </button>
    </details>
  );
}

export function PairsForm({ disabled, onSolve }: { disabled: boolean; onSolve(p: [PointPair, PointPair]): void }) {
  const [v, setV] = useState<string[]>(Array(8).fill(''));
  const nums = v.map(Number);
  const ok = v.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  const set = (i: number) => (s: string) => setV(v.map((x, k) => (k === i ? s : x)));
  const labels = ['image x', 'image y', 'map x', 'map y'];
  return (
    <details className="channel-form">
      <summary>Two point pairs</summary>
      <p className="hint-text">The same feature twice, far apart: its position on the image and on the map (hover the canvas to read both).</p>
      {[0, 1].map((p) => (
        <div className="channel-grid" key={p}>
          {labels.map((l, k) => (
            <Num key={l} label={`${p + 1}: ${l}`} value={v[p * 4 + k]!} onChange={set(p * 4 + k)} />
          ))}
        </div>
      ))}
      <button
        className="small"
        disabled={disabled || !ok}
        onClick={() =>
          onSolve([
            { image: { x: nums[0]!, y: nums[1]! }, map: { x: nums[2]!, y: nums[3]! } },
            { image: { x: nums[4]!, y: nums[5]! }, map: { x: nums[6]!, y: nums[7]! } },
          ])
        }
      >
        Solve
      </button>
    </details>
  );
}
