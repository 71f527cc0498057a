// "Features…" in the Learn section: the filter bank's feature selection as ilastik shows it, a
// grid of checkboxes (rows: kinds of filter; columns: scales in pixels) with the presets Default,
// Fast (fewer scales, cheap kinds) and All. Saved as the project's setting (learn.setFeatures):
// the next training uses it, and the classifier's summary names the set it was trained with.
import { useState } from 'react';
import type { LearnFeatureSet } from '../../../app/contract/learn';
import { FEATURE_KINDS, type FeatureKind } from '../../../app/learn/features';
import { describeFeatureSet, FEATURE_PRESETS, GRID_SIGMAS, KIND_LABELS, type FeaturePreset } from '../../../app/learn/feature-set';
import { Modal } from '../export/Modal';
import '../export/export.css';

interface Props {
  features: LearnFeatureSet | null;
  /** Saves the set; resolves true when stored. */
  onSave(spec: { sigmas: number[]; kinds: FeatureKind[] }): Promise<boolean>;
  disabled?: boolean;
}

export function FeatureSetButton({ features, onSave, disabled }: Props) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button className="small" disabled={disabled || !features} onClick={() => setOpen(true)} data-testid="learn-features" title={features ? `Filter-bank features used by training: ${features.summary}` : undefined}>
        Features…
      </button>
      {open && features && <FeatureSetDialog features={features} onSave={onSave} onClose={() => setOpen(false)} />}
    </>
  );
}

function FeatureSetDialog({ features, onSave, onClose }: { features: LearnFeatureSet; onSave: Props['onSave']; onClose(): void }) {
  // Rows are kinds, columns scales: a set is every checked kind at every checked scale (as training uses it).
  const [kinds, setKinds] = useState<Set<string>>(new Set(features.kinds));
  const [sigmas, setSigmas] = useState<Set<number>>(new Set(features.sigmas));
  const [busy, setBusy] = useState(false);
  const columns = [...new Set([...GRID_SIGMAS, ...features.sigmas])].sort((a, b) => a - b);
  const spec = { sigmas: columns.filter((s) => sigmas.has(s)), kinds: FEATURE_KINDS.filter((k) => kinds.has(k)) };
  const valid = spec.sigmas.length > 0 && spec.kinds.length > 0;
  const toggle = <T,>(set: Set<T>, v: T, put: (s: Set<T>) => void) => {
    const next = new Set(set);
    if (next.has(v)) next.delete(v);
    else next.add(v);
    put(next);
  };
  const preset = (name: FeaturePreset) => {
    setKinds(new Set(FEATURE_PRESETS[name].kinds));
    setSigmas(new Set(FEATURE_PRESETS[name].sigmas));
  };
  const save = async () => {
    setBusy(true);
    const ok = await onSave(spec);
    setBusy(false);
    if (ok) onClose();
  };
  return (
    <Modal title="Pixel classifier features" onClose={onClose} testId="learn-features-dialog">
      <div className="gl-form">
        <p className="small-text">Each checked filter is computed at each checked scale (σ in pixels). Fewer maps train and predict faster; small scales see fine texture, large ones context.</p>
        <div className="row">
          Presets:
          {(Object.keys(FEATURE_PRESETS) as FeaturePreset[]).map((p) => (
            <button key={p} className="small" onClick={() => preset(p)} data-testid={`learn-features-preset-${p}`} title={describeFeatureSet(FEATURE_PRESETS[p])}>
              {p}
            </button>
          ))}
        </div>
        <table className="learn-features small-text" data-testid="learn-features-grid">
          <thead>
            <tr>
              <th />
              {columns.map((s) => (
                <th key={s}>
                  <label title={`Scale σ = ${s} px`}>
                    <input type="checkbox" checked={sigmas.has(s)} onChange={() => toggle(sigmas, s, setSigmas)} data-testid={`learn-features-sigma-${s}`} /> {s}
                  </label>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {FEATURE_KINDS.map((k) => (
              <tr key={k}>
                <th style={{ textAlign: 'left' }}>
                  <label title={k}>
                    <input type="checkbox" checked={kinds.has(k)} onChange={() => toggle(kinds, k, setKinds)} data-testid={`learn-features-kind-${k}`} /> {KIND_LABELS[k]}
                  </label>
                </th>
                {columns.map((s) => (
                  <td key={s} style={{ textAlign: 'center' }}>
                    <input type="checkbox" aria-label={`${k} at ${s} px`} checked={kinds.has(k) && sigmas.has(s)} readOnly disabled />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <p className="small-text" data-testid="learn-features-count">
          {valid ? `Per image: ${describeFeatureSet(spec)}` : 'Check at least one filter and one scale.'}
        </p>
      </div>
      <div className="gl-actions">
        <button onClick={onClose}>Cancel</button>
        <button className="primary" disabled={!valid || busy} onClick={() => void save()} data-testid="learn-features-save">
          Save
        </button>
      </div>
    </Modal>
  );
}
