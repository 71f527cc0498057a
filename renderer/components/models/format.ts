// Pure formatting and ordering for the Models dialog and the "Which engine fits" panel: model rows
// (family in words, size, verified, custom + derived from, active marked) and the ranked engine
// table (ARI, recall@0.5, IoU per class, simulated effort). DOM-free, so test/renderer tests it.
import type { SamFamily, SamModelInfo, SamStatus } from '../../../app/contract/sam';
import type { EvalEngineScore, ProjectEvalReport } from '../../../app/contract/eval';

/** Families as the dialog names them (short; the contract's SAM_FAMILY_NAMES is the long form). */
const FAMILY_LABELS: Readonly<Record<SamFamily, string>> = { sam: 'SAM', sam2: 'SAM 2', efficientsam: 'EfficientSAM', edgesam: 'EdgeSAM' };

/** Bytes as people read them: "812 B", "4.2 MB", "1.3 GB"; an em dash when unknown. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '—';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export interface ModelRow {
  id: string;
  name: string;
  family: string;
  size: string;
  installed: boolean;
  /** 'yes', 'failed', 'not checked' or '—' (nothing installed to check). */
  verified: 'yes' | 'failed' | 'not checked' | '—';
  /** '' for a listed model; 'custom' or 'custom, from <x>'. */
  origin: string;
  active: boolean;
  canSelect: boolean;
  canVerify: boolean;
  canRemove: boolean;
  canDownload: boolean;
}

function modelRow(m: SamModelInfo, active: string | null): ModelRow {
  return {
    id: m.id,
    name: m.name,
    family: FAMILY_LABELS[m.family] ?? m.family,
    size: m.installed ? formatBytes(m.bytes) : '—',
    installed: m.installed,
    verified: !m.installed ? '—' : m.verified === null ? 'not checked' : m.verified ? 'yes' : 'failed',
    origin: m.custom ? (m.custom.derivedFrom ? `custom, from ${m.custom.derivedFrom}` : 'custom') : '',
    active: m.id === active,
    canSelect: m.installed && m.id !== active,
    canVerify: m.installed,
    canRemove: m.removable,
    canDownload: !m.installed && m.downloadable,
  };
}

/** The dialog's rows: the active model first, then installed ones, then the rest; by name within each. */
export function modelRows(status: SamStatus): ModelRow[] {
  const rank = (r: ModelRow) => (r.active ? 0 : r.installed ? 1 : 2);
  return status.models.map((m) => modelRow(m, status.active)).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * The refusal of sam.importCustom before it is sent: the inputs a person left empty, named; null
 * when everything needed is there (main still checks the files and says what is wrong with them).
 */
export function missingImportInputs(v: { name: string; encoderPath: string; decoderPath: string }): string | null {
  const missing = [v.name.trim() ? null : 'a name', v.encoderPath.trim() ? null : 'the encoder file', v.decoderPath.trim() ? null : 'the decoder file'].filter((x): x is string => x !== null);
  if (missing.length === 0) return null;
  const list = missing.length === 1 ? missing[0]! : `${missing.slice(0, -1).join(', ')} and ${missing[missing.length - 1]!}`;
  return `Give ${list} to import a model.`;
}

const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const formatPercent = (x: number): string => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '—');

interface EngineRow {
  engine: string;
  label: string;
  rank: string;
  ari: string;
  recall50: string;
  /** "grain 0.81 · pore 0.44", or '—' when no verified segment has a class. */
  classIoU: string;
  /** "12 ops / 100 segments (3/3 images reached)", or '—' when not simulated. */
  effort: string;
  msPerImage: string;
  failed: string | null;
  best: boolean;
  isDefault: boolean;
}

function engineRow(s: EvalEngineScore, best: string | null, defaultEngine: string | null): EngineRow {
  const failed = s.failed ?? null;
  return {
    engine: s.engine,
    label: s.label,
    rank: s.rank === null ? '—' : String(s.rank),
    ari: failed ? '—' : fixed(s.ari, 3),
    recall50: failed ? '—' : formatPercent(s.recall50),
    classIoU: failed || s.perClass.length === 0 ? '—' : s.perClass.map((c) => `${c.name} ${fixed(c.iou, 2)}`).join(' · '),
    effort: failed || !s.effort ? '—' : `${fixed(s.effort.per100, 0)} ops / 100 segments (${s.effort.reached}/${s.effort.images} reached)`,
    msPerImage: failed ? '—' : `${Math.round(s.msPerImage)} ms`,
    failed,
    best: s.engine === best,
    isDefault: s.engine === defaultEngine,
  };
}

/** Ranked engines first (rank 1 = fits best), failed ones last, each group in a stable order. */
export function engineRows(report: ProjectEvalReport, defaultEngine: string | null = report.defaultEngine): EngineRow[] {
  const key = (s: EvalEngineScore) => (s.rank === null ? Number.POSITIVE_INFINITY : s.rank);
  return [...report.engines].sort((a, b) => key(a) - key(b) || a.engine.localeCompare(b.engine)).map((s) => engineRow(s, report.best, defaultEngine));
}

/** The Models dialog's line when no model is active: the service's hint, said once (it may already begin "No SAM model installed"). */
export function noActiveModelText(hint: string): string {
  return hint.startsWith('No SAM model') ? hint : `No SAM model is active; the classic engine works without one. ${hint}`;
}
