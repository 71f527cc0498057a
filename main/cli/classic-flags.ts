// The classic engine's command-line flags, shared by `segment` and `eval` so both take every
// setting the engine has, with the same names, checks and defaults.
import { Option, type Command } from 'commander';
import { ServiceError } from '../../app/errors';
import type { ClassicOptions } from '../../app/contract';

export interface ClassicFlags {
  minArea?: string;
  mode?: 'phase' | 'grain';
  invert?: boolean;
  classes?: string;
  sigma?: string;
  threshold?: 'otsu' | 'adaptive';
  blockSize?: string;
  offset?: string;
  labelBackground?: boolean;
  boundaryStyle?: 'auto' | 'lines' | 'edges';
  boundaries?: 'threshold' | 'canny';
  lineWidth?: string;
  seedDepth?: string;
  mergeContrast?: string;
}

/** The keys of every classic flag (to tell whether any was given). */
export const CLASSIC_FLAG_KEYS: (keyof ClassicFlags)[] = ['minArea', 'mode', 'invert', 'classes', 'sigma', 'threshold', 'blockSize', 'offset', 'labelBackground', 'boundaryStyle', 'boundaries', 'lineWidth', 'seedDepth', 'mergeContrast'];

/** Flags that only phase mode reads, and only grain mode, with the names a user typed. */
const PHASE_ONLY: [keyof ClassicFlags, string][] = [
  ['classes', '--classes'],
  ['threshold', '--threshold'],
  ['blockSize', '--block-size'],
  ['offset', '--offset'],
  ['labelBackground', '--label-background'],
];
const GRAIN_ONLY: [keyof ClassicFlags, string][] = [
  ['boundaryStyle', '--boundary-style'],
  ['boundaries', '--boundaries'],
  ['lineWidth', '--line-width'],
  ['seedDepth', '--seed-depth'],
  ['mergeContrast', '--merge-contrast'],
];

/** Adds the classic flags. `--mode` has no default here, so a caller can tell it was not given. */
export function addClassicFlags(cmd: Command, prefix = 'classic: '): Command {
  return cmd
    .option('--min-area <px>', 'drop segments smaller than this many pixels (default 16)')
    .addOption(new Option('--mode <mode>', `${prefix}phase = threshold regions; grain = grains split by boundaries`).choices(['phase', 'grain']))
    .option('--invert', `${prefix}foreground is the darker side of the threshold (grain mode: boundaries are bright lines)`)
    .option('--classes <n>', `${prefix}phase mode: intensity classes (2 = Otsu, 3..5 = multi-Otsu)`)
    .option('--sigma <px>', `${prefix}Gaussian smoothing before thresholding / boundary detection`)
    .addOption(new Option('--threshold <kind>', `${prefix}phase mode: global Otsu or local-mean adaptive`).choices(['otsu', 'adaptive']))
    .option('--block-size <px>', `${prefix}adaptive threshold window (odd)`)
    .option('--offset <fraction>', `${prefix}adaptive threshold offset (fraction of the intensity range)`)
    .option('--label-background', `${prefix}phase mode: give the matrix regions ids too`)
    .addOption(new Option('--boundary-style <style>', `${prefix}grain mode: thin boundary lines or shade edges`).choices(['auto', 'lines', 'edges']))
    .addOption(new Option('--boundaries <kind>', `${prefix}grain mode: seeds from threshold evidence or Canny edges`).choices(['threshold', 'canny']))
    .option('--line-width <px>', `${prefix}grain mode: typical boundary line width`)
    .option('--seed-depth <px>', `${prefix}grain mode: minimum seed depth (larger = fewer grains)`)
    .option('--merge-contrast <level>', `${prefix}grain mode: merge neighbours closer than this in mean intensity (0..255)`);
}

/** A numeric flag, or a one-line error naming it. */
export function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ServiceError('invalid-argument', `${flag} needs a number; got '${v}'.`);
  return n;
}

/** Only the entries that are set, so the contract's and the engine's defaults apply to the rest. */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * The classic settings the flags give, on top of `base` (a preset's or a labelled set's
 * settings). Refuses flags that the chosen mode would silently ignore, and contradictions.
 */
export function classicFromFlags(o: ClassicFlags, base: Partial<ClassicOptions> = {}): ClassicOptions {
  const mode = o.mode ?? base.mode ?? 'phase';
  const given = (k: keyof ClassicFlags) => o[k] !== undefined && o[k] !== false;
  const wrong = (mode === 'grain' ? PHASE_ONLY : GRAIN_ONLY).filter(([k]) => given(k)).map(([, f]) => f);
  if (wrong.length) {
    throw new ServiceError('invalid-argument', `${wrong.join(', ')} ${wrong.length === 1 ? 'applies' : 'apply'} to ${mode === 'grain' ? 'phase' : 'grain'} mode only, but the mode is '${mode}'. Leave ${wrong.length === 1 ? 'it' : 'them'} out or pass --mode ${mode === 'grain' ? 'phase' : 'grain'}.`);
  }
  const merged: ClassicOptions = {
    ...base,
    mode,
    minArea: num('--min-area', o.minArea) ?? base.minArea ?? 16,
    invert: o.invert ? true : (base.invert ?? false),
    ...defined({
      classes: num('--classes', o.classes),
      sigma: num('--sigma', o.sigma),
      threshold: o.threshold,
      blockSize: num('--block-size', o.blockSize),
      offset: num('--offset', o.offset),
      labelBackground: o.labelBackground,
      boundaryStyle: o.boundaryStyle,
      boundaries: o.boundaries,
      lineWidth: num('--line-width', o.lineWidth),
      seedDepth: num('--seed-depth', o.seedDepth),
      mergeContrast: num('--merge-contrast', o.mergeContrast),
    }),
  };
  if (merged.threshold === 'adaptive' && merged.classes !== undefined && merged.classes > 2) {
    throw new ServiceError('invalid-argument', `--threshold adaptive makes two classes; it cannot be combined with --classes ${merged.classes}. Use --threshold otsu for multi-Otsu.`);
  }
  if (merged.threshold !== 'adaptive' && (o.blockSize !== undefined || o.offset !== undefined)) {
    throw new ServiceError('invalid-argument', '--block-size and --offset set the adaptive threshold; add --threshold adaptive or leave them out.');
  }
  if (merged.blockSize !== undefined && merged.blockSize % 2 !== 1) {
    throw new ServiceError('invalid-argument', `--block-size must be odd (got ${merged.blockSize}).`);
  }
  return merged;
}
