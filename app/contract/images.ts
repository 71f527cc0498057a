// Projects and images: the app's identity, opening and closing a project, importing and reading images.
import { z } from 'zod';
import { method, none, id, path, fileBytes } from './define';
import type { ImageRecord, ProjectInfo, RasterImage } from '../types';


interface ImportFailure {
  name: string;
  message: string;
}
export interface ImportResult {
  imported: ImageRecord[];
  /** Files whose content is already in the project (nothing imported; the image it already is). */
  existing: { name: string; image: ImageRecord }[];
  failed: ImportFailure[];
}

export interface AppInfo {
  version: string;
  engines: { id: string; available: boolean; note: string }[];
  binding: 'electron' | 'web';
}

export interface ImageChangedEvent {
  imageId: number;
  reason: 'segmented' | 'imported' | 'updated' | 'removed';
}

export const projectMethods = {
  'app.info': method<AppInfo>()(none),
  'project.create': method<ProjectInfo>()(z.object({ path, name: z.string().max(200).optional() })),
  'project.open': method<ProjectInfo>()(z.object({ path })),
  'project.close': method<null>()(none),
  'project.current': method<ProjectInfo | null>()(none),
  'project.recent': method<string[]>()(none),
};

export const imageMethods = {
  /** Images in id order: all of them (no arguments), or one page: those after `afterId`, at most `limit`. */
  'images.list': method<ImageRecord[]>()(z.object({ afterId: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(100_000).optional() })),
  'images.importFiles': method<ImportResult>()(z.object({ files: z.array(fileBytes).min(1).max(10_000) })),
  'images.importPaths': method<ImportResult>()(z.object({ paths: z.array(path).min(1).max(10_000) })),
  'images.thumbnail': method<{ png: Uint8Array }>()(z.object({ id })),
  'images.pixels': method<RasterImage>()(z.object({ id })),
  'images.setPixelSize': method<ImageRecord>()(z.object({ id, umPerPx: z.number().positive().max(1e6).nullable() })),
  /** Removes images with their segmentations, versions and history; their files go when no other image uses them. */
  'images.remove': method<{ removed: number; files: number }>()(z.object({ ids: z.array(id).min(1).max(100_000) })),
};
