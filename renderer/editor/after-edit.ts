// Which segments to select after an edit intent was applied (the new segment after painting or a
// SAM accept, the surviving segment after a merge), so the next stroke continues on it.
import type { LocalEdit } from './document';
import type { Intent } from '../tools/types';

export function selectionAfterEdit(intent: Extract<Intent, { type: 'edit' }>, result: LocalEdit | null): number[] | null {
  if (!result) return null;
  if (intent.select === 'created') return result.created.length ? [...result.created].sort((a, b) => a - b) : null;
  if (intent.select !== 'target') return null;
  const first = intent.ops[0];
  if (!first) return null;
  if (first.kind === 'merge') return [first.target ?? Math.min(...first.ids)];
  if (first.kind === 'addFromMask' && first.target !== 'new') return [first.target];
  const second = intent.ops[1];
  if (first.kind === 'delete' && second?.kind === 'addFromMask' && second.target !== 'new') return [second.target];
  return null;
}
