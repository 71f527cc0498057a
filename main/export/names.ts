// File names inside exported datasets, and matching imported label files back to project images
// by file name stem (what an export writes is what an import recognises).
import { basename, extname } from 'node:path';
import type { ImageRecord } from '../../app/types';

/** Characters that are safe in file names on Windows, macOS and Linux. */
function safe(s: string): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').replace(/_+$/, '');
  return t || 'image';
}

/** 'grain map.tif' -> 'grain_map'; 'stack.tif [page 2]' -> 'stack_p2'. */
function exportStem(im: Pick<ImageRecord, 'name'>): string {
  const m = /^(.*) \[page (\d+)\]$/.exec(im.name);
  const base = m ? m[1]! : im.name;
  const stem = base.slice(0, base.length - extname(base).length);
  return safe(m ? `${stem}_p${m[2]}` : stem);
}

/** Stems unique within one export: a repeated stem gets the image id appended. */
export function uniqueStems(images: readonly Pick<ImageRecord, 'id' | 'name'>[]): Map<number, string> {
  const count = new Map<string, number>();
  for (const im of images) {
    const s = exportStem(im).toLowerCase();
    count.set(s, (count.get(s) ?? 0) + 1);
  }
  return new Map(images.map((im) => {
    const s = exportStem(im);
    return [im.id, count.get(s.toLowerCase())! > 1 ? `${s}_${im.id}` : s];
  }));
}

/** Stem of an imported file name, for matching (case-insensitive; any folders dropped). */
function fileStem(name: string): string {
  const b = basename(name.replace(/\\/g, '/'));
  return b.slice(0, b.length - extname(b).length).toLowerCase();
}

/**
 * Finds project images by the stem of a label file: an image matches when the file's stem equals
 * its export stem or the stem of its original name (case-insensitive). A stem shared by several
 * images matches none (ambiguous); so does an exported stem with its "_<id>" suffix, except that
 * suffix then picks that image.
 */
export class ImageMatcher {
  private readonly byStem = new Map<string, ImageRecord[]>();
  private readonly byId = new Map<number, ImageRecord>();

  constructor(images: readonly ImageRecord[]) {
    const add = (k: string, im: ImageRecord) => {
      const l = this.byStem.get(k) ?? [];
      if (!l.includes(im)) l.push(im);
      this.byStem.set(k, l);
    };
    for (const im of images) {
      this.byId.set(im.id, im);
      add(exportStem(im).toLowerCase(), im);
      add(fileStem(im.name), im);
    }
  }

  match(fileName: string): { image: ImageRecord } | { error: string } {
    const stem = fileStem(fileName);
    const found = this.byStem.get(stem);
    if (found && found.length === 1) return { image: found[0]! };
    const m = /^(.*)_(\d+)$/.exec(stem);
    if (m) {
      const im = this.byId.get(Number(m[2]));
      if (im && exportStem(im).toLowerCase() === m[1]) return { image: im };
    }
    if (found && found.length > 1) {
      return { error: `${basename(fileName)} matches ${found.length} project images (${found.map((i) => i.name).join(', ')}); rename the file to '<name>_<image id>' to choose one` };
    }
    return { error: `${basename(fileName)}: no project image is named '${stem}' (label files are matched to images by file name without extension)` };
  }
}
