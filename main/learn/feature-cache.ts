// The filter-bank maps of an image, cached in the project folder so a retrain (and the live
// prediction of the same image) does not compute them again: <project>/cache/features/
// <image content hash>-<page>-<recipe key>.bin. The recipe key hashes everything the maps depend on
// (feature set, grey stretch, image size, the bank's code version), the image hash changes with
// its pixels, so a changed image or recipe simply misses. Files are float32, exactly the maps the
// bank computes, so a classifier trained from the cache is the one trained without it. Written to
// a temp file and renamed; a file that is truncated or fails its checksum is recomputed (and
// replaced), never an error to the person. The folder is bounded (GRAINLAB_FEATURE_CACHE_MB,
// default 2048): the least recently used files (their mtime, touched on each hit) go first.
// Used synchronously by the learn worker (its own thread) and read by the service for live view.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureSpec } from '../../app/learn/features';
import { checkSpec } from '../../app/learn/features';
import { decodeFeatureSet, describeFeatureSet, FEATURES_SETTING, presetOf } from '../../app/learn/feature-set';
import type { LearnFeatureSet } from '../../app/contract/learn';
import type { ProjectStore } from '../store/project-store';

/** Bumped when computeFeatures or normalizedGrey change what they give: old files then miss. */
const BANK_CODE_VERSION = 1;
const MAGIC = 0x43464c47; // 'GLFC' little-endian
const HEADER = 16;
const DEFAULT_LIMIT_MB = 2048;
/** Temp files older than this are left from an interrupted write. */
const STALE_TMP_MS = 10 * 60 * 1000;

/** The project's feature set (the default one until a person chooses). */
export function projectFeatures(store: ProjectStore): FeatureSpec {
  return decodeFeatureSet(store.getSetting(FEATURES_SETTING));
}

export function featureSetInfo(spec: FeatureSpec): LearnFeatureSet {
  const s = checkSpec(spec);
  return { sigmas: s.sigmas, kinds: s.kinds, preset: presetOf(s), summary: describeFeatureSet(s) };
}

/** The cache folder of a project. */
export function featureCacheDir(projectDir: string): string {
  return join(projectDir, 'cache', 'features');
}

/** Bytes the cache may hold: GRAINLAB_FEATURE_CACHE_MB (0 turns the cache off), else 2 GiB. */
export function featureCacheLimit(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.GRAINLAB_FEATURE_CACHE_MB;
  const mb = v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : DEFAULT_LIMIT_MB;
  return Math.floor(mb * 1024 * 1024);
}

/** What the maps depend on besides the pixels. */
export interface BankRecipe {
  features: FeatureSpec;
  greyQuantiles?: [number, number] | undefined;
  width: number;
  height: number;
}

export function recipeKey(r: BankRecipe): string {
  const s = checkSpec(r.features);
  const text = JSON.stringify({ v: BANK_CODE_VERSION, sigmas: s.sigmas, kinds: s.kinds, q: r.greyQuantiles ?? null, w: r.width, h: r.height });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The part of a file name that names the image: its content hash and page. */
export function imageKey(image: { hash: string; page: number }): string {
  return `${image.hash.replace(/[^0-9a-zA-Z]/g, '').slice(0, 64)}-${image.page}`;
}

function checksum(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

export class FeatureCache {
  /** Hits and misses since this object was made (benchmarks and tests read them). */
  readonly stats = { hits: 0, misses: 0, writes: 0, evicted: 0, damaged: 0 };

  constructor(
    readonly dir: string,
    readonly limitBytes: number = featureCacheLimit(),
  ) {}

  get enabled(): boolean {
    return this.limitBytes > 0;
  }

  fileOf(image: string, recipe: string): string {
    return join(this.dir, `${image}-${recipe}.bin`);
  }

  /** The cached maps (`count` values), or null when absent, truncated or damaged (a damaged file is removed). */
  get(image: string, recipe: string, count: number): Float32Array | null {
    if (!this.enabled) return null;
    const file = this.fileOf(image, recipe);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      this.stats.misses++;
      return null;
    }
    try {
      const size = fstatSync(fd).size;
      const head = Buffer.alloc(HEADER);
      if (size !== HEADER + count * 4 || readSync(fd, head, 0, HEADER, 0) !== HEADER || head.readUInt32LE(0) !== MAGIC || head.readUInt32LE(4) !== 1 || head.readUInt32LE(8) !== count) throw new Error('damaged');
      const out = new Float32Array(count);
      const bytes = new Uint8Array(out.buffer);
      let at = 0;
      while (at < bytes.length) {
        const r = readSync(fd, bytes, at, Math.min(bytes.length - at, 1 << 26), HEADER + at);
        if (r <= 0) throw new Error('damaged');
        at += r;
      }
      if (checksum(new Uint32Array(out.buffer)) !== head.readUInt32LE(12)) throw new Error('damaged');
      closeSync(fd);
      const now = new Date();
      try {
        utimesSync(file, now, now);
      } catch {
        // Another process removed it meanwhile: the maps read are still right.
      }
      this.stats.hits++;
      return out;
    } catch {
      closeSync(fd);
      this.stats.damaged++;
      this.stats.misses++;
      rmSync(file, { force: true });
      return null;
    }
  }

  /** As get, reading without blocking the thread (the service's live prediction); never removes files. */
  async read(image: string, recipe: string, count: number): Promise<Float32Array | null> {
    if (!this.enabled) return null;
    const file = this.fileOf(image, recipe);
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch {
      this.stats.misses++;
      return null;
    }
    if (buf.length !== HEADER + count * 4 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== 1 || buf.readUInt32LE(8) !== count) {
      this.stats.damaged++;
      this.stats.misses++;
      return null;
    }
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(buf.subarray(HEADER));
    if (checksum(new Uint32Array(out.buffer)) !== buf.readUInt32LE(12)) {
      this.stats.damaged++;
      this.stats.misses++;
      return null;
    }
    this.stats.hits++;
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // Removed meanwhile.
    }
    return out;
  }

  /** Stores maps (temp file + rename), then trims the folder to the bound. Failures only skip caching. */
  put(image: string, recipe: string, maps: Float32Array): void {
    if (!this.enabled || maps.byteLength + HEADER > this.limitBytes) return;
    const file = this.fileOf(image, recipe);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      const head = Buffer.alloc(HEADER);
      head.writeUInt32LE(MAGIC, 0);
      head.writeUInt32LE(1, 4);
      head.writeUInt32LE(maps.length, 8);
      const words = new Uint32Array(maps.buffer, maps.byteOffset, maps.length);
      head.writeUInt32LE(checksum(words), 12);
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, head);
        const bytes = new Uint8Array(maps.buffer, maps.byteOffset, maps.byteLength);
        let at = 0;
        while (at < bytes.length) at += writeSync(fd, bytes, at, Math.min(bytes.length - at, 1 << 26));
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      this.stats.writes++;
    } catch {
      rmSync(tmp, { force: true });
      return;
    }
    this.trim(file);
  }

  /** Cached files, oldest use first. */
  private entries(): { file: string; size: number; used: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: { file: string; size: number; used: number }[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        // A write cut short (the worker ended mid-write): gone once it is clearly stale.
        try {
          if (Date.now() - statSync(join(this.dir, name)).mtimeMs > STALE_TMP_MS) unlinkSync(join(this.dir, name));
        } catch {
          // Gone meanwhile.
        }
        continue;
      }
      if (!name.endsWith('.bin')) continue;
      try {
        const st = statSync(join(this.dir, name));
        out.push({ file: join(this.dir, name), size: st.size, used: st.mtimeMs });
      } catch {
        // Gone meanwhile.
      }
    }
    return out.sort((a, b) => a.used - b.used);
  }

  /** Bytes the cache holds now. */
  size(): number {
    return this.entries().reduce((a, e) => a + e.size, 0);
  }

  /** Removes least recently used files until the folder fits the bound (`keep` goes last). */
  trim(keep?: string): void {
    const list = this.entries();
    let total = list.reduce((a, e) => a + e.size, 0);
    for (const e of list) {
      if (total <= this.limitBytes) break;
      if (e.file === keep) continue;
      try {
        unlinkSync(e.file);
        total -= e.size;
        this.stats.evicted++;
      } catch {
        // Already gone.
      }
    }
  }

  /** Removes the files of images not in `keep` (image keys): the cache of removed images. */
  prune(keep: ReadonlySet<string>): number {
    let removed = 0;
    for (const e of this.entries()) {
      const name = e.file.slice(this.dir.length + 1);
      const image = name.slice(0, name.lastIndexOf('-'));
      if (keep.has(image)) continue;
      rmSync(e.file, { force: true });
      removed++;
    }
    return removed;
  }
}

/** Drops the cached maps of images the project no longer has (after images.remove). */
export function pruneFeatureCache(store: ProjectStore): number {
  const dir = featureCacheDir(store.dir);
  if (!existsSync(dir)) return 0;
  try {
    const keep = new Set(store.listImages().map((im) => imageKey(im)));
    return new FeatureCache(dir, Number.MAX_SAFE_INTEGER).prune(keep);
  } catch {
    // A cache that cannot be tidied now is tidied by its size bound later; removing the image stands.
    return 0;
  }
}
