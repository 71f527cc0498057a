// The question a batch command asks before it changes segmentations: it prints what will change
// (images, segments replaced, segments a person made that are kept) and, when a person's
// corrections are at stake, asks on a terminal or needs --yes (scripts). --replace replaces
// everything, including what a person made; either way the old segmentation stays as a version.
import { createInterface } from 'node:readline/promises';
import type { BatchPlan } from '../../app/contract/versions';
import { ServiceError } from '../../app/errors';
import type { GrainLabService } from '../service';

export interface KeepFlags {
  keep?: boolean;
  replace?: boolean;
  yes?: boolean;
  quiet?: boolean;
}

export function keepPolicy(o: KeepFlags): 'person' | 'none' {
  if (o.keep && o.replace) throw new ServiceError('invalid-argument', 'Give --keep or --replace, not both.');
  return o.replace ? 'none' : 'person';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** The plan in words, one line per image with something at stake, then the totals. */
function describePlan(plan: BatchPlan, verb: string): string[] {
  const lines: string[] = [];
  const t = plan.totals;
  if (plan.action === 'classify') {
    lines.push(`${verb} ${plural(t.images, 'image')}: up to ${plural(t.changes, 'segment')} may get a predicted class; ${plural(t.kept, 'segment')} keep their class (yours, imported or verified).`);
    return lines;
  }
  const segmented = plan.images.filter((i) => i.segmented);
  for (const i of segmented) {
    if (i.edits === 0 && i.personMade === 0) continue;
    lines.push(`  #${i.imageId} ${i.name}: ${plural(i.edits, 'edit')}, ${plural(i.personMade, 'segment')} you made; ${plural(i.changes, 'segment')} replaced, ${i.kept.toLocaleString('en')} kept`);
  }
  const kept = plan.keep === 'person' ? `${plural(t.kept, 'segment')} you made kept exactly` : 'nothing kept (--replace)';
  lines.unshift(
    `${verb} ${plural(t.images, 'image')}: ${segmented.length} already segmented (${plural(segmented.reduce((s, i) => s + i.segments, 0), 'segment')}; ${plural(t.changes, 'segment')} replaced, ${kept}). ` +
      `The segmentations replaced stay as versions ('grainlab versions' restores one).`,
  );
  return lines;
}

/**
 * Prints the plan and decides whether to go on: without a person's corrections at stake, yes;
 * otherwise --yes, or "y" typed on a terminal. Throws a clear error in a script without --yes.
 */
export async function confirmPlan(svc: GrainLabService, imageIds: number[], o: KeepFlags, verb: string, action: 'segment' | 'classify' = 'segment'): Promise<'person' | 'none'> {
  const keep = keepPolicy(o);
  const plan = await svc.call('segment.plan', { imageIds, action, keep });
  const atStake = action === 'segment' && plan.images.some((i) => i.segmented && (i.edits > 0 || i.personMade > 0));
  // The plan is output (stdout; errors stay one line on stderr): said whenever something already
  // there changes (with --quiet only when a person's corrections are at stake).
  const changesSomething = action === 'classify' ? plan.totals.changes > 0 : plan.images.some((i) => i.segmented);
  if (atStake || (changesSomething && !o.quiet)) for (const l of describePlan(plan, verb)) console.log(l);
  if (!atStake || o.yes) return keep;
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = (await rl.question('Go ahead? [y/N] ')).trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') return keep;
    } finally {
      rl.close();
    }
    throw new ServiceError('cancelled', 'Nothing was changed.');
  }
  throw new ServiceError(
    'invalid-argument',
    `${plan.totals.imagesWithCorrections === 1 ? '1 image holds' : `${plan.totals.imagesWithCorrections} images hold`} corrections a person made. Nothing was changed: add --yes to go ahead (segments you made are kept; --replace replaces them too), or leave those images out.`,
  );
}
