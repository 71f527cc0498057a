// Service handlers: elemental maps on an image (app/contract/channels.ts) — import with automatic
// registration, re-registration (estimate, two point pairs, typed), overlay look, display pixels.
import { writeFile, rename, rm } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ChannelImportResult, ChannelRecord, ChannelRegistration } from '../../app/contract/channels';
import type { channelMethods } from '../../app/contract/channels';
import { ServiceError } from '../../app/errors';
import { toGrey } from '../../app/image/display';
import { channelColour, elementFromFileName } from '../../app/channels/elements';
import { estimateRegistration, solveTwoPoints, type ChannelMap } from '../../app/channels/registration';
import { MAX_IMAGE_FILE_BYTES } from '../../app/limits';
import { resolveChosenPath, resolveInside } from '../fs/contain';
import { readRegularFile } from '../fs/read';
import { contentHash, extensionFor, probeImage } from '../images/io';
import { loadPixels } from '../handlers/images';
import type { Handlers, ServiceContext } from '../handlers/context';
import type { ProjectStore } from '../store/project-store';
import { CHANNELS_DIR, channelFileByHash, channelOfImageByHash, deleteChannels, getChannel, insertChannel, listChannels, setRegistration, updateLook, type StoredChannel } from './store';
import { decodeMapFile, displayBytes, loadChannelMap, type DecodedMap } from './maps';

type ChannelMethods = keyof typeof channelMethods;

const pub = ({ file: _f, ...c }: StoredChannel): ChannelRecord => c;

export function channelHandlers(ctx: ServiceContext): Handlers<ChannelMethods> {
  return {
    'channels.list': (a) => {
      const store = ctx.project();
      store.getImage(a.imageId);
      return listChannels(store, a.imageId).map(pub);
    },
    'channels.importPaths': (a) => {
      const paths = a.paths.map((p) => resolveChosenPath(p, 'map file', ctx.currentProject()?.dir ?? null));
      return importMaps(ctx, a.imageId, paths.map((p) => ({ name: basename(p), load: () => readRegularFile(p, { what: 'map file', maxBytes: MAX_IMAGE_FILE_BYTES }) })), a.elements, a.register);
    },
    'channels.importFiles': (a) => importMaps(ctx, a.imageId, a.files.map((f) => ({ name: basename(f.name), load: async () => f.bytes })), a.elements, a.register),
    'channels.display': async (a) => {
      const store = ctx.project();
      const m = await loadChannelMap(store, getChannel(store, a.id));
      return { id: a.id, width: m.width, height: m.height, data: displayBytes(m) };
    },
    'channels.update': (a) => {
      const c = pub(updateLook(ctx.project(), a.id, a));
      ctx.emit('onDidChangeImage', { imageId: c.imageId, reason: 'updated' });
      return c;
    },
    'channels.register': async (a) => {
      const store = ctx.project();
      store.getImage(a.imageId);
      const all = listChannels(store, a.imageId);
      const chosen = a.ids ? all.filter((c) => a.ids!.includes(c.id)) : all;
      if (a.ids && chosen.length !== a.ids.length) throw new ServiceError('not-found', `Some of channels ${a.ids.join(', ')} are not maps of image ${a.imageId}.`);
      if (chosen.length === 0) throw new ServiceError('invalid-argument', `Image ${a.imageId} has no elemental maps to register. Add them first (grainlab channels add).`);
      if (a.estimate) {
        const maps = await Promise.all(chosen.map((c) => loadChannelMap(store, c)));
        await estimateGroups(store, a.imageId, chosen.map((c, i) => ({ id: c.id, map: maps[i]! })));
      } else if (a.pairs) {
        let r: ChannelRegistration;
        try {
          r = solveTwoPoints(a.pairs[0], a.pairs[1]);
        } catch (e) {
          throw new ServiceError('invalid-argument', `These two point pairs do not register the maps: ${(e as Error).message}.`);
        }
        for (const c of chosen) setRegistration(store, c.id, r, 'points', null);
      } else if (a.registration) {
        for (const c of chosen) setRegistration(store, c.id, a.registration, 'typed', null);
      }
      ctx.emit('onDidChangeImage', { imageId: a.imageId, reason: 'updated' });
      return listChannels(store, a.imageId).map(pub);
    },
    'channels.remove': async (a) => {
      const store = ctx.project();
      const images = new Set(a.ids.map((id) => getChannel(store, id).imageId));
      const files = deleteChannels(store, a.ids);
      for (const f of files) await rm(resolveInside(store.dir, f, 'channel file'), { force: true }).catch(() => {});
      for (const imageId of images) ctx.emit('onDidChangeImage', { imageId, reason: 'updated' });
      return { removed: a.ids.length };
    },
  };
}

/**
 * Estimates the registration of maps of one image, maps of one size together (one EDS run gives
 * maps on one grid, and several maps make the correlation surer), and stores it.
 */
async function estimateGroups(store: ProjectStore, imageId: number, maps: { id: number; map: ChannelMap }[]): Promise<void> {
  const grey = toGrey(await loadPixels(store, imageId));
  const bySize = new Map<string, { id: number; map: ChannelMap }[]>();
  for (const m of maps) {
    const key = `${m.map.width}x${m.map.height}`;
    bySize.set(key, [...(bySize.get(key) ?? []), m]);
  }
  for (const group of bySize.values()) {
    const est = estimateRegistration(grey, group.map((g) => g.map));
    const { score, ...r } = est;
    for (const g of group) setRegistration(store, g.id, r, 'estimate', score);
  }
}

/** Maps of one field have the image's proportions; anything else is a different field or a wrong file. */
function checkProportions(name: string, m: DecodedMap, im: { width: number; height: number; name: string }): void {
  const a = m.width / m.height;
  const b = im.width / im.height;
  if (Math.abs(Math.log(a / b)) > Math.log(1.1)) {
    throw new ServiceError(
      'invalid-argument',
      `${name}${m.page > 0 ? ` page ${m.page + 1}` : ''} is ${m.width} x ${m.height} px (width/height ${a.toFixed(2)}) but ${im.name} is ${im.width} x ${im.height} px (${b.toFixed(2)}): an elemental map of the same field has the image's proportions. Check that it belongs to this image, or crop it to the image's field.`,
      name,
    );
  }
}

async function importMaps(ctx: ServiceContext, imageId: number, files: { name: string; load: () => Promise<Uint8Array> }[], elements: string[] | undefined, register: boolean): Promise<ChannelImportResult> {
  const store = ctx.project();
  store.assertWritable();
  const im = store.getImage(imageId);
  const result: ChannelImportResult = { added: [], failed: [] };
  const existing = listChannels(store, imageId).length;
  let next = 0;
  const fresh: { id: number; map: DecodedMap }[] = [];
  mkdirSync(join(store.dir, CHANNELS_DIR), { recursive: true });
  for (const f of files) {
    let written: string | null = null;
    try {
      const bytes = await f.load();
      const maps = await decodeMapFile(bytes, f.name);
      for (const m of maps) checkProportions(f.name, m, im);
      const hash = contentHash(bytes);
      const same = channelOfImageByHash(store, imageId, hash);
      if (same) throw new ServiceError('invalid-argument', `${f.name} is already a map of ${im.name} (channel ${same.id}, ${same.element}, added from ${same.name}); the same file is not added twice. Remove that channel first to add it again.`, f.name);
      const probed = await probeImage(bytes, f.name);
      const file = channelFileByHash(store, hash) ?? `${CHANNELS_DIR}/${hash.slice(0, 16)}${extensionFor(probed.format)}`;
      const abs = resolveInside(store.dir, file, 'channel file');
      if (!existsSync(abs)) {
        await writeFile(`${abs}.part`, bytes);
        await rename(`${abs}.part`, abs);
        written = abs;
      }
      const base = elementFromFileName(f.name);
      const rows = store.db.transaction(() =>
        maps.map((m) => {
          const k = next++;
          const element = elements?.[k] ?? (maps.length > 1 ? `${base} ${m.page + 1}` : base);
          return insertChannel(store, {
            imageId,
            element,
            name: maps.length > 1 ? `${f.name} [page ${m.page + 1}]` : f.name,
            file,
            page: m.page,
            hash,
            width: m.width,
            height: m.height,
            bitDepth: m.bitDepth,
            registration: { sx: im.width / m.width, sy: im.height / m.height, tx: 0, ty: 0 },
            registeredBy: 'size',
            score: null,
            color: channelColour(existing + k),
          });
        }),
      )();
      written = null;
      rows.forEach((r, i) => fresh.push({ id: r.id, map: maps[i]! }));
    } catch (e) {
      if (written) await rm(written, { force: true }).catch(() => {});
      result.failed.push({ name: f.name, message: e instanceof ServiceError ? e.message : `${f.name}: ${(e as Error).message}` });
    }
  }
  if (register && fresh.length > 0) await estimateGroups(store, imageId, fresh);
  const ids = new Set(fresh.map((f) => f.id));
  result.added = listChannels(store, imageId).filter((c) => ids.has(c.id)).map(pub);
  if (fresh.length > 0) ctx.emit('onDidChangeImage', { imageId, reason: 'updated' });
  return result;
}
