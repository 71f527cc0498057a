// The question before a batch action: how many images and segments it will change, how many of the
// person's segments it keeps, and the choice to keep them (default) or replace everything. The
// numbers come from main (segment.plan), counted with the same rule the action uses.
import type { BatchPlan } from '../../../app/contract/versions';
import type { GrainLabClient } from '../../../app/contract';
import type { ChoiceQuestion } from './Choice';

const n = (v: number, one: string, many = `${one}s`) => `${v.toLocaleString()} ${v === 1 ? one : many}`;

/** The dialog's text for a plan. */
export function planBody(plan: BatchPlan, verb: string) {
  // The title says what is done (verb); the body says to what.
  const t = plan.totals;
  const segmented = plan.images.filter((i) => i.segmented);
  const atStake = segmented.filter((i) => i.edits > 0 || i.personMade > 0);
  if (plan.action === 'classify') {
    return (
      <>
        <p data-testid="plan-summary">
          {verb} {n(t.images, 'image')}: up to {n(t.changes, 'segment')} may get a predicted class. {n(t.kept, 'segment')} keep their class: yours, imported ones and verified segments are never overwritten.
        </p>
        <p className="muted small">Each image changes in one step you can undo (Ctrl+Z on that image).</p>
      </>
    );
  }
  return (
    <>
      <p data-testid="plan-summary">
        {n(t.images, 'image')}: {segmented.length > 0 ? `${segmented.length} already ${segmented.length === 1 ? 'has' : 'have'} a segmentation (${n(segmented.reduce((s, i) => s + i.segments, 0), 'segment')}), ${t.changes.toLocaleString()} to be replaced${plan.keep === 'person' && t.kept > 0 ? `, ${n(t.kept, 'segment')} of yours kept` : ''}.` : 'none is segmented yet.'}
      </p>
      {atStake.length > 0 && (
        <ul className="gl-results small" data-testid="plan-corrections">
          {atStake.map((i) => (
            <li key={i.imageId}>
              <b>{i.name}</b>: {n(i.edits, 'edit')}, {n(i.personMade, 'segment')} you made (verified, edited by hand or given a class)
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">Each segmentation replaced is kept as a version (Versions in the Edit tab) and re-segmenting is one step you can undo.</p>
    </>
  );
}

/**
 * Asks before segmenting (or a phase map, or importing labels) on these images; resolves to the
 * keep policy chosen, or null when the person cancels. `always`: ask even when no correction is
 * at stake (batch actions always say what they will change).
 */
export async function askBeforeSegmenting(
  client: Pick<GrainLabClient, 'call'>,
  ask: (q: ChoiceQuestion) => Promise<string | null>,
  imageIds: number[],
  verb: string,
  always: boolean,
): Promise<'person' | 'none' | null> {
  const [keepPlan, replacePlan] = await Promise.all([
    client.call('segment.plan', { imageIds, action: 'segment', keep: 'person' }),
    client.call('segment.plan', { imageIds, action: 'segment', keep: 'none' }),
  ]);
  const atStake = keepPlan.totals.imagesWithCorrections > 0;
  if (!atStake && !always) return 'person';
  const answers = atStake
    ? [
        { id: 'keep', label: `Keep my ${n(keepPlan.totals.kept, 'segment')}, replace ${keepPlan.totals.changes.toLocaleString()}`, primary: true, title: 'Segments you verified, edited by hand or gave a class stay exactly as they are' },
        { id: 'replace', label: `Replace all ${replacePlan.totals.changes.toLocaleString()}`, title: 'Everything is replaced; the current segmentation stays as a version you can restore' },
      ]
    : [{ id: 'keep', label: keepPlan.totals.changes > 0 ? `Replace ${n(keepPlan.totals.changes, 'segment')}` : (verb.split(' ')[0] ?? 'Segment'), primary: true }];
  const choice = await ask({ title: verb, body: planBody(keepPlan, verb), answers, testId: 'batch-dialog' });
  return choice === 'keep' ? 'person' : choice === 'replace' ? 'none' : null;
}

/** Asks before applying the classifier to these images; true to go on. */
export async function askBeforeClassifying(client: Pick<GrainLabClient, 'call'>, ask: (q: ChoiceQuestion) => Promise<string | null>, imageIds: number[]): Promise<boolean> {
  const plan = await client.call('segment.plan', { imageIds, action: 'classify', keep: 'person' });
  const choice = await ask({ title: 'Apply classes', body: planBody(plan, 'Predicting classes on'), answers: [{ id: 'apply', label: `Apply to ${n(plan.totals.images, 'image')}`, primary: true }], testId: 'batch-dialog' });
  return choice === 'apply';
}
