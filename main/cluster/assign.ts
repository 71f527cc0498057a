// Class changes made by clustering, the classifier and phase fractions: one undoable history entry
// that sets the given classes (one setClass op per class), with where the classes came from.
import type { EditAck } from '../../app/contract/edit';
import { ServiceError } from '../../app/errors';
import type { ClassProvenance, EditStore } from '../store/edits';
import type { ServiceContext } from '../handlers/context';

/** One history entry that sets the given classes (one setClass op per class). */
export async function applyClasses(ctx: ServiceContext, edits: EditStore, imageId: number, classOf: ReadonlyMap<number, number | null>, provenance: ClassProvenance, expectRevision?: string): Promise<EditAck> {
  const groups = new Map<number | null, number[]>();
  for (const [id, c] of classOf) {
    const g = groups.get(c);
    if (g) g.push(id);
    else groups.set(c, [id]);
  }
  const ops = [...groups].map(([classId, ids]) => ({ kind: 'setClass' as const, ids, classId }));
  if (ops.length > 64) throw new ServiceError('invalid-argument', 'More than 64 classes in one assignment.');
  // The classifier's classes are an automatic result: what they replace is kept as a version.
  const version = provenance.source === 'classifier' ? `classifier v${provenance.model ?? '?'}` : undefined;
  const ack = await edits.apply({ imageId, ops, provenance, ...(version ? { version } : {}), ...(expectRevision !== undefined ? { expectRevision } : {}) });
  if (ack.status === 'applied') ctx.emit('onDidChangeImage', { imageId, reason: 'updated' });
  return ack;
}
