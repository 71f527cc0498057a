// Which segments and classes are a person's: the one rule every batch path (segment one image or
// all, SAM auto, phase map, classifier, label import) follows so that nothing a person made is
// replaced without asking. Pure; main/ and the renderer both use it.
import type { SegmentRecord } from './types';

/** Where a segment's class came from. `cluster` = an automatic cluster (pixel k-means phases); a class a person gives a whole cluster from the menu is `person`. */
export type ClassSource = 'person' | 'cluster' | 'classifier' | 'import';

/** What the rules read of a segment. */
type ProvenanceFields = Pick<SegmentRecord, 'classId' | 'verified'> & { classSource?: ClassSource | null; edited?: boolean };

/**
 * A segment a person made: verified, its pixels edited by hand (brush, eraser, polygon, merge,
 * split, fill holes, boundary moves, an accepted SAM mask), or given a class by a person. Re-segmenting
 * keeps these exactly (same id, same pixels, same row) unless the person chooses to replace everything.
 */
export function isPersonMade(s: ProvenanceFields): boolean {
  return s.verified || s.edited === true || (s.classId !== null && s.classSource === 'person');
}

/**
 * The class is a training label: given by a person (keys, the cluster menu, the CLI's `label`),
 * confirmed by verifying the segment, or imported from a label map (annotations made elsewhere).
 */
export function isTrainingLabel(s: ProvenanceFields): boolean {
  return s.classId !== null && (s.classSource === 'person' || s.classSource === 'import' || s.verified);
}

/** An automatic source (classifier, phase fractions, phase map) may set this segment's class: never a training label's. */
export function mayAutoClass(s: ProvenanceFields): boolean {
  return !isTrainingLabel(s);
}

/** Kept = what re-segmenting leaves exactly as it is. */
export type KeepPolicy = 'person' | 'none';

/** Ids of the segments a new automatic result must keep under `keep`. */
export function keptIds(segments: Iterable<ProvenanceFields & { id: number }>, keep: KeepPolicy): Set<number> {
  const out = new Set<number>();
  if (keep === 'none') return out;
  for (const s of segments) if (isPersonMade(s)) out.add(s.id);
  return out;
}

/** Counts for the question asked before a batch action. */
interface ReplaceCounts {
  segments: number;
  /** Segments a person made (isPersonMade). */
  personMade: number;
  /** Segments the action would replace under the policy. */
  replaced: number;
  kept: number;
}

export function replaceCounts(segments: Iterable<ProvenanceFields & { id: number }>, keep: KeepPolicy): ReplaceCounts {
  let n = 0;
  let person = 0;
  for (const s of segments) {
    n++;
    if (isPersonMade(s)) person++;
  }
  const kept = keep === 'person' ? person : 0;
  return { segments: n, personMade: person, replaced: n - kept, kept };
}

/** Words for a class source as the UI shows it. */
export function classSourceLabel(source: ClassSource | null | undefined): string {
  switch (source) {
    case 'person':
      return 'you';
    case 'classifier':
      return 'classifier';
    case 'cluster':
      return 'phase map';
    case 'import':
      return 'imported';
    default:
      return '—';
  }
}
