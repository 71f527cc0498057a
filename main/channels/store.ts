// The image_channels table (migration 9): elemental maps of images, their registration and look.
import type { ChannelRecord, ChannelRegistration } from '../../app/contract/channels';
import { ServiceError } from '../../app/errors';
import type { ProjectStore } from '../store/project-store';

/** Folder beside images/ that holds the map files (named by content hash, like images). */
export const CHANNELS_DIR = 'channels';

interface Row {
  id: number;
  image_id: number;
  element: string;
  name: string;
  file: string;
  page: number;
  width: number;
  height: number;
  bit_depth: number;
  sx: number;
  sy: number;
  tx: number;
  ty: number;
  registered_by: ChannelRecord['registeredBy'];
  registration_score: number | null;
  color: string;
  opacity: number;
  visible: number;
}

export interface StoredChannel extends ChannelRecord {
  file: string;
}

function toRecord(r: Row): StoredChannel {
  return {
    id: r.id,
    imageId: r.image_id,
    element: r.element,
    name: r.name,
    file: r.file,
    page: r.page,
    width: r.width,
    height: r.height,
    bitDepth: r.bit_depth,
    registration: { sx: r.sx, sy: r.sy, tx: r.tx, ty: r.ty },
    registeredBy: r.registered_by,
    score: r.registration_score,
    color: r.color,
    opacity: r.opacity,
    visible: r.visible === 1,
  };
}

export function listChannels(store: ProjectStore, imageId: number): StoredChannel[] {
  return (store.db.prepare('SELECT * FROM image_channels WHERE image_id = ? ORDER BY id').all(imageId) as Row[]).map(toRecord);
}

export function getChannel(store: ProjectStore, id: number): StoredChannel {
  const r = store.db.prepare('SELECT * FROM image_channels WHERE id = ?').get(id) as Row | undefined;
  if (!r) throw new ServiceError('not-found', `Channel ${id} does not exist in this project (grainlab channels list shows an image's channels).`);
  return toRecord(r);
}

export interface NewChannel {
  imageId: number;
  element: string;
  name: string;
  file: string;
  page: number;
  hash: string;
  width: number;
  height: number;
  bitDepth: number;
  registration: ChannelRegistration;
  registeredBy: ChannelRecord['registeredBy'];
  score: number | null;
  color: string;
}

export function insertChannel(store: ProjectStore, c: NewChannel): StoredChannel {
  const r = store.db
    .prepare(
      `INSERT INTO image_channels (image_id, element, name, file, page, hash, width, height, bit_depth, sx, sy, tx, ty, registered_by, registration_score, color)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(c.imageId, c.element, c.name, c.file, c.page, c.hash, c.width, c.height, c.bitDepth, c.registration.sx, c.registration.sy, c.registration.tx, c.registration.ty, c.registeredBy, c.score, c.color);
  return getChannel(store, Number(r.lastInsertRowid));
}

export function setRegistration(store: ProjectStore, id: number, r: ChannelRegistration, by: ChannelRecord['registeredBy'], score: number | null): void {
  store.db.prepare('UPDATE image_channels SET sx = ?, sy = ?, tx = ?, ty = ?, registered_by = ?, registration_score = ? WHERE id = ?').run(r.sx, r.sy, r.tx, r.ty, by, score, id);
}

export function updateLook(store: ProjectStore, id: number, look: { element?: string | undefined; color?: string | undefined; opacity?: number | undefined; visible?: boolean | undefined }): StoredChannel {
  const c = getChannel(store, id);
  store.db
    .prepare('UPDATE image_channels SET element = ?, color = ?, opacity = ?, visible = ? WHERE id = ?')
    .run(look.element ?? c.element, look.color ?? c.color, look.opacity ?? c.opacity, (look.visible ?? c.visible) ? 1 : 0, id);
  return getChannel(store, id);
}

/** Deletes channel rows; returns the files no remaining row uses (for the caller to delete). */
export function deleteChannels(store: ProjectStore, ids: readonly number[]): string[] {
  const files = new Set<string>();
  store.db.transaction(() => {
    for (const id of ids) {
      files.add(getChannel(store, id).file);
      store.db.prepare('DELETE FROM image_channels WHERE id = ?').run(id);
    }
  })();
  return [...files].filter((f) => !store.db.prepare('SELECT 1 FROM image_channels WHERE file = ? LIMIT 1').get(f));
}

export function channelFileByHash(store: ProjectStore, hash: string): string | null {
  const r = store.db.prepare('SELECT file FROM image_channels WHERE hash = ? LIMIT 1').get(hash) as { file: string } | undefined;
  return r?.file ?? null;
}

/** A map of this image from the file of this content hash, if one was added already. */
export function channelOfImageByHash(store: ProjectStore, imageId: number, hash: string): StoredChannel | null {
  const r = store.db.prepare('SELECT * FROM image_channels WHERE image_id = ? AND hash = ? ORDER BY id LIMIT 1').get(imageId, hash) as Row | undefined;
  return r ? toRecord(r) : null;
}
