// Slice stacks in the project database (schema 8): a stack is images in z order with a slice
// spacing; stack_objects holds the 3D object id of each segment, as the last linking wrote it.
import { ServiceError } from '../../app/errors';
import type { StackInfo } from '../../app/contract/stacks';
import type { ProjectStore } from './project-store';

interface StackRow {
  id: number;
  name: string;
  spacing_um: number | null;
}

function info(store: ProjectStore, row: StackRow): StackInfo {
  const ids = store.db.prepare('SELECT image_id FROM stack_slices WHERE stack_id = ? ORDER BY z').pluck().all(row.id) as number[];
  return { id: row.id, name: row.name, spacingUm: row.spacing_um, imageIds: ids };
}

export function listStacks(store: ProjectStore): StackInfo[] {
  const rows = store.db.prepare('SELECT id, name, spacing_um FROM stacks ORDER BY id').all() as StackRow[];
  // A stack whose slices were all removed from the project is no stack any more.
  return rows.map((r) => info(store, r)).filter((s) => s.imageIds.length > 0);
}

export function getStack(store: ProjectStore, stackId: number): StackInfo {
  const row = store.db.prepare('SELECT id, name, spacing_um FROM stacks WHERE id = ?').get(stackId) as StackRow | undefined;
  const s = row ? info(store, row) : null;
  if (!s || s.imageIds.length === 0) throw new ServiceError('not-found', `There is no stack #${stackId} in this project (see the stack list).`);
  return s;
}

export function stackOfImage(store: ProjectStore, imageId: number): StackInfo | null {
  const id = store.db.prepare('SELECT stack_id FROM stack_slices WHERE image_id = ?').pluck().get(imageId) as number | undefined;
  return id === undefined ? null : getStack(store, id);
}

export function createStack(store: ProjectStore, name: string, imageIds: readonly number[], spacingUm: number | null): StackInfo {
  if (new Set(imageIds).size !== imageIds.length) throw new ServiceError('invalid-argument', 'A stack cannot hold the same image twice.');
  for (const id of imageIds) {
    store.getImage(id);
    const other = stackOfImage(store, id);
    if (other) throw new ServiceError('invalid-argument', `Image #${id} is already slice ${other.imageIds.indexOf(id) + 1} of the stack '${other.name}' (#${other.id}); remove that stack first.`);
  }
  const first = store.getImage(imageIds[0]!);
  for (const id of imageIds) {
    const im = store.getImage(id);
    if (im.width !== first.width || im.height !== first.height) {
      throw new ServiceError('invalid-argument', `The slices of a stack must have one size: ${im.name} is ${im.width}x${im.height}, ${first.name} is ${first.width}x${first.height}.`);
    }
  }
  const id = store.db.transaction(() => {
    const stackId = Number(store.db.prepare('INSERT INTO stacks (name, spacing_um) VALUES (?, ?)').run(name, spacingUm).lastInsertRowid);
    const ins = store.db.prepare('INSERT INTO stack_slices (stack_id, z, image_id) VALUES (?, ?, ?)');
    imageIds.forEach((im, z) => ins.run(stackId, z, im));
    return stackId;
  })();
  return getStack(store, id);
}

export function setStackSpacing(store: ProjectStore, stackId: number, spacingUm: number | null): StackInfo {
  getStack(store, stackId);
  store.db.prepare('UPDATE stacks SET spacing_um = ? WHERE id = ?').run(spacingUm, stackId);
  return getStack(store, stackId);
}

export function removeStack(store: ProjectStore, stackId: number): void {
  const s = getStack(store, stackId);
  store.db.transaction(() => {
    const del = store.db.prepare('DELETE FROM stack_objects WHERE image_id = ?');
    for (const im of s.imageIds) del.run(im);
    store.db.prepare('DELETE FROM stacks WHERE id = ?').run(stackId);
  })();
}

/** Replaces the stored 3D object ids of a stack's slices (segment id -> object id per slice, z order). */
export function saveStackObjects(store: ProjectStore, imageIds: readonly number[], objectOf: readonly Map<number, number>[]): void {
  store.db.transaction(() => {
    const del = store.db.prepare('DELETE FROM stack_objects WHERE image_id = ?');
    const ins = store.db.prepare('INSERT INTO stack_objects (image_id, segment_id, object_id) VALUES (?, ?, ?)');
    imageIds.forEach((im, z) => {
      del.run(im);
      for (const [seg, obj] of objectOf[z] ?? []) ins.run(im, seg, obj);
    });
  })();
}
