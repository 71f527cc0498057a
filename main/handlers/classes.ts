// Service handlers: the project's classes (main/store/classes.ts): list, create, rename, recolour,
// label value, merge and delete (segment classes change through the edit history, one undoable
// step per image, their class sources kept), and the class list as a JSON file.
import type { classMethods, ClassChangeSummary } from '../../app/contract/classes';
import { ServiceError } from '../../app/errors';
import type { EditOp } from '../../app/edit';
import { createClass, ensureClasses, exportClassList, getClass, importClassList, listClasses, markDeleted, updateClass } from '../store/classes';
import type { ProjectStore } from '../store/project-store';
import type { Handlers, ServiceContext } from './context';
import type { ClusterService } from '../cluster/service';

type ClassMethods = keyof typeof classMethods;

/** Gives every segment of class `from` the class `to` (null: none), one history entry per image. */
async function reclass(ctx: ServiceContext, cluster: ClusterService, store: ProjectStore, from: number, to: number | null): Promise<ClassChangeSummary> {
  const rows = store.db.prepare('SELECT image_id AS imageId, id FROM segments WHERE class_id = ? ORDER BY image_id, id').all(from) as { imageId: number; id: number }[];
  const byImage = new Map<number, number[]>();
  for (const r of rows) {
    const l = byImage.get(r.imageId);
    if (l) l.push(r.id);
    else byImage.set(r.imageId, [r.id]);
  }
  const edits = ctx.edits();
  let segments = 0;
  for (const [imageId, ids] of byImage) {
    const ops: EditOp[] = [];
    for (let k = 0; k < ids.length; k += 1_000_000) ops.push({ kind: 'setClass', ids: ids.slice(k, k + 1_000_000), classId: to });
    const ack = await edits.apply({ imageId, ops, provenance: { source: 'keep' } });
    if (ack.status === 'applied') {
      segments += ack.upserted.length;
      ctx.emit('onDidChangeImage', { imageId, reason: 'updated' });
    }
  }
  if (segments > 0) cluster.correctionsChanged();
  return { segments, images: byImage.size };
}

export function classHandlers(ctx: ServiceContext, cluster: ClusterService): Handlers<ClassMethods> {
  return {
    'classes.list': () => listClasses(ctx.project()),
    'classes.create': (a) => createClass(ctx.project(), a.name, a.color, a.value),
    'classes.update': (a) =>
      updateClass(ctx.project(), a.id, { ...(a.name !== undefined ? { name: a.name } : {}), ...(a.color !== undefined ? { color: a.color } : {}), ...(a.value !== undefined ? { value: a.value } : {}) }),
    'classes.ensure': (a) => ensureClasses(ctx.project(), a.count),
    'classes.merge': async (a) => {
      const store = ctx.project();
      if (a.from === a.into) throw new ServiceError('invalid-argument', 'Pick two different classes to merge.');
      getClass(store, a.from);
      getClass(store, a.into);
      const r = await reclass(ctx, cluster, store, a.from, a.into);
      markDeleted(store, a.from, true);
      return r;
    },
    'classes.delete': async (a) => {
      const store = ctx.project();
      getClass(store, a.id);
      const r = await reclass(ctx, cluster, store, a.id, null);
      markDeleted(store, a.id, true);
      return r;
    },
    'classes.export': () => exportClassList(ctx.project()),
    'classes.import': (a) => importClassList(ctx.project(), a.list),
  };
}
