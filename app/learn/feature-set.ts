// The project's choice of filter-bank features (ilastik's feature selection grid): presets, the
// checks a hand-made set must pass (with messages that say what is allowed), the text stored in the
// project's settings table (`learn.features`), a one-line summary, and the recipe key the feature
// cache (main/learn/feature-cache.ts) files the computed maps under. Pure: no Node, no DOM.
import { checkSpec, DEFAULT_FEATURES, DEFAULT_KINDS, DEFAULT_SIGMAS, FEATURE_KINDS, featureCount, type FeatureKind, type FeatureSpec } from './features';

/** The settings-table key of the project's feature set. */
export const FEATURES_SETTING = 'learn.features';

export const FEATURE_PRESETS = {
  /** ilastik's default grid: every kind at every scale. */
  Default: DEFAULT_FEATURES,
  /** Fewer scales and the cheap kinds: about a fifth of the maps, for quick first tries. */
  Fast: { sigmas: [1, 3.5, 10], kinds: ['gauss', 'log', 'gradient', 'dog'] },
  /** ilastik's six kinds at every scale the dialog offers (the further kinds are checked by hand). */
  All: { sigmas: [0.3, 0.7, 1, 1.6, 3.5, 5, 10, 15], kinds: [...DEFAULT_KINDS] },
} satisfies Record<string, FeatureSpec>;
export type FeaturePreset = keyof typeof FEATURE_PRESETS;

/** The scales the Features dialog lists as columns (ilastik's plus a finer and a coarser one). */
export const GRID_SIGMAS = [0.3, 0.7, 1, 1.6, 3.5, 5, 10, 15] as const;

export const KIND_LABELS: Record<FeatureKind, string> = {
  gauss: 'Gaussian smoothing',
  log: 'Laplacian of Gaussian',
  gradient: 'Gaussian gradient magnitude',
  dog: 'Difference of Gaussians',
  hessian: 'Hessian of Gaussian eigenvalues',
  structure: 'Structure tensor eigenvalues',
  tophat: 'White and black top-hat',
};

const MAX_SIGMAS = 12;

/**
 * A feature set from loose input (CLI flags, a settings row, the dialog): sorted, deduplicated,
 * checked. Errors name what is wrong and what is allowed.
 */
export function validateFeatureSet(input: { sigmas: readonly unknown[]; kinds: readonly unknown[] }): FeatureSpec {
  for (const s of input.sigmas) {
    const ok = typeof s === 'number' ? Number.isFinite(s) : typeof s === 'string' && s.trim() !== '' && Number.isFinite(Number(s));
    if (!ok) throw new RangeError(`feature scale '${String(s)}' is not a number: scales are numbers from 0.3 to 64 px, e.g. ${DEFAULT_SIGMAS.join(',')}`);
  }
  const sigmas = input.sigmas.map(Number);
  for (const s of sigmas) {
    if (s < 0.3 || s > 64) throw new RangeError(`feature scale ${s} is outside 0.3..64 px (e.g. ${DEFAULT_SIGMAS.join(',')})`);
  }
  const kinds = input.kinds.map((k) => (typeof k === 'string' ? k.trim() : k));
  for (const k of kinds) if (!FEATURE_KINDS.includes(k as FeatureKind)) throw new RangeError(`unknown feature kind '${String(k)}': the kinds are ${FEATURE_KINDS.join(', ')}`);
  if (!sigmas.length) throw new RangeError(`the feature set needs at least one scale (0.3 to 64 px, e.g. ${DEFAULT_SIGMAS.join(',')})`);
  if (!kinds.length) throw new RangeError(`the feature set needs at least one kind (${FEATURE_KINDS.join(', ')})`);
  const spec = checkSpec({ sigmas: sigmas as number[], kinds: kinds as FeatureKind[] });
  if (spec.sigmas.length > MAX_SIGMAS) throw new RangeError(`the feature set has ${spec.sigmas.length} scales; at most ${MAX_SIGMAS} are allowed`);
  return spec;
}

/** Parses comma-separated CLI lists (`--sigmas 0.7,1,3.5 --kinds gauss,log`). */
export function parseFeatureFlags(sigmas: string, kinds: string): FeatureSpec {
  const split = (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return validateFeatureSet({ sigmas: split(sigmas), kinds: split(kinds) });
}

/** The stored form (JSON text of the checked set). */
export function encodeFeatureSet(spec: FeatureSpec): string {
  const s = validateFeatureSet(spec);
  return JSON.stringify({ sigmas: s.sigmas, kinds: s.kinds });
}

/** The stored form read back; a missing or damaged value gives the default set (never an error). */
export function decodeFeatureSet(text: string | null | undefined): FeatureSpec {
  if (!text) return { sigmas: [...DEFAULT_FEATURES.sigmas], kinds: [...DEFAULT_FEATURES.kinds] };
  try {
    const v = JSON.parse(text) as { sigmas?: unknown; kinds?: unknown };
    if (!Array.isArray(v.sigmas) || !Array.isArray(v.kinds)) throw new TypeError('not a feature set');
    return validateFeatureSet({ sigmas: v.sigmas, kinds: v.kinds });
  } catch {
    return { sigmas: [...DEFAULT_FEATURES.sigmas], kinds: [...DEFAULT_FEATURES.kinds] };
  }
}

/** The preset a set equals, or null for a hand-made one. */
export function presetOf(spec: FeatureSpec): FeaturePreset | null {
  const key = encodeFeatureSet(spec);
  for (const [name, p] of Object.entries(FEATURE_PRESETS)) if (encodeFeatureSet(p) === key) return name as FeaturePreset;
  return null;
}

/** One line for summaries: "Default: 6 kinds × 6 scales (0.7–10 px), 48 maps". */
export function describeFeatureSet(spec: FeatureSpec): string {
  const s = validateFeatureSet(spec);
  const preset = presetOf(s);
  const kinds = s.kinds.length === FEATURE_KINDS.length || s.kinds.join() === DEFAULT_KINDS.join() ? `${s.kinds.length} kinds` : s.kinds.join(', ');
  return `${preset ? `${preset}: ` : ''}${kinds} × ${s.sigmas.length} scale${s.sigmas.length === 1 ? '' : 's'} (${s.sigmas.join(', ')} px), ${featureCount(s)} maps`;
}
