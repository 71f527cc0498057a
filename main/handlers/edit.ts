// Service handlers: Editing label maps: apply edit operations, undo/redo and review state.
// The work happens in main/store/edits/ (one EditStore per open project, ctx.edits()); these handlers tell
// other windows about every change.
import type { editMethods } from '../../app/contract/edit';
import type { Handlers, ServiceContext } from './context';
import type { ClusterService } from '../cluster/service';

type EditMethods = keyof typeof editMethods;

export function editHandlers(ctx: ServiceContext, cluster: ClusterService): Handlers<EditMethods> {
  const edits = () => ctx.edits();
  const updated = (imageId: number) => ctx.emit('onDidChangeImage', { imageId, reason: 'updated' });
  return {
    'edit.open': async (a) => {
      // A read-only project is shown as it is: no empty segmentation is made for an image without one.
      const create = a.create && !ctx.project().readOnly;
      const had = create ? await edits().history(a.imageId) : true;
      const snap = await edits().open(a.imageId, create, a.encoding);
      if (!had && snap) ctx.emit('onDidChangeImage', { imageId: a.imageId, reason: 'updated' });
      return snap;
    },
    'edit.apply': async (a) => {
      const ack = await edits().apply(a);
      if (ack.status === 'applied') {
        updated(a.imageId);
        // A person's class or review decision is new training data: retrain in the background.
        const ops = a.ops ?? (a.op ? [a.op] : []);
        if (ops.some((o) => o.kind === 'setClass' || o.kind === 'setVerified')) cluster.correctionsChanged();
      }
      return ack;
    },
    'edit.undo': async (a) => {
      const r = await edits().undo(a.imageId, a.expectRevision);
      if (r.status === 'applied') updated(a.imageId);
      return r;
    },
    'edit.redo': async (a) => {
      const r = await edits().redo(a.imageId, a.expectRevision);
      if (r.status === 'applied') updated(a.imageId);
      return r;
    },
    'edit.history': (a) => edits().history(a.imageId),
    'edit.checkpoint': async (a) => ({ written: await edits().checkpoint(a.imageId) }),
    'images.setStatus': (a) => {
      const store = ctx.project();
      store.getImage(a.imageId);
      store.setStatus(a.imageId, a.status);
      updated(a.imageId);
      return store.getImage(a.imageId);
    },
  };
}
