// Service handlers: what a batch action will change (said before it starts), and the versions of
// an image's segmentation: list, view (downsampled), restore as one undoable step, how many to keep.
import type { BatchPlan, PlanImage, SavedResult, VersionLabels, versionMethods } from '../../app/contract/versions';
import { ServiceError } from '../../app/errors';
import { mayAutoClass, replaceCounts } from '../../app/provenance';
import type { LabelMap, SegmentRecord } from '../../app/types';
import { currentSide, editCountSince, listVersions, loadVersion, setVersionLimit, summaryOf, versionLimit } from '../store/versions';
import type { Handlers, ServiceContext } from './context';

type VersionMethods = keyof typeof versionMethods;

/** Nearest-sample downsampling so that no side exceeds maxSide. */
function downsample(map: LabelMap, maxSide: number): { width: number; height: number; step: number; labels: Uint32Array } {
  const step = Math.max(1, Math.ceil(Math.max(map.width, map.height) / maxSide));
  if (step === 1) return { width: map.width, height: map.height, step, labels: map.data };
  const w = Math.ceil(map.width / step);
  const h = Math.ceil(map.height / step);
  const out = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = map.data[y * step * map.width + x * step]!;
  return { width: w, height: h, step, labels: out };
}

export function versionHandlers(ctx: ServiceContext): Handlers<VersionMethods> {
  return {
    'segment.plan': (a): BatchPlan => {
      const store = ctx.project();
      const images: PlanImage[] = a.imageIds.map((imageId) => {
        const im = store.getImage(imageId);
        const segmented = currentSide(store, imageId) !== null;
        const rows = segmented ? store.listSegments(imageId) : [];
        const edits = segmented ? editCountSince(store, imageId) : 0;
        const counts = replaceCounts(rows, a.keep);
        if (a.action === 'classify') {
          const may = rows.filter((s) => mayAutoClass(s)).length;
          return { imageId, name: im.name, segmented, segments: rows.length, personMade: counts.personMade, edits, changes: may, kept: rows.length - may };
        }
        return { imageId, name: im.name, segmented, segments: rows.length, personMade: counts.personMade, edits, changes: counts.replaced, kept: counts.kept };
      });
      const changed = images.filter((i) => (a.action === 'classify' ? i.segmented && i.changes > 0 : true));
      return {
        action: a.action,
        keep: a.keep,
        images,
        totals: {
          images: images.length,
          imagesChanged: changed.length,
          changes: images.reduce((t, i) => t + i.changes, 0),
          kept: images.reduce((t, i) => t + i.kept, 0),
          imagesWithCorrections: images.filter((i) => i.edits > 0 || i.personMade > 0).length,
        },
      };
    },
    'versions.list': (a) => {
      const store = ctx.project();
      store.getImage(a.imageId);
      const side = currentSide(store, a.imageId);
      return {
        imageId: a.imageId,
        current: side ? summaryOf(side, store.listSegments(a.imageId), editCountSince(store, a.imageId)) : null,
        versions: listVersions(store, a.imageId),
        limit: versionLimit(store),
      };
    },
    'versions.get': async (a): Promise<VersionLabels> => {
      const store = ctx.project();
      store.getImage(a.imageId);
      let labels: LabelMap;
      let segments: SegmentRecord[];
      if (a.versionId === 0) {
        const cur = await ctx.edits().current(a.imageId);
        if (!cur) throw new ServiceError('not-found', `Image ${a.imageId} has no segmentation yet.`);
        labels = cur.labels;
        segments = store.listSegments(a.imageId);
      } else {
        const v = await loadVersion(store, a.imageId, a.versionId);
        labels = v.labels;
        segments = v.segments;
      }
      return { ...downsample(labels, a.maxSide), segments };
    },
    'versions.restore': async (a): Promise<SavedResult> => {
      const store = ctx.project();
      const edits = ctx.edits();
      const v = await loadVersion(store, a.imageId, a.versionId);
      const out = await edits.replace(a.imageId, {
        side: v.side,
        replacedBy: `restore of version ${a.versionId}`,
        status: 'in-review',
        build: () => {
          const rows = new Map(v.segments.map(({ id, area: _a, bbox: _b, ...row }) => [id, row]));
          return { labels: v.labels, rows, nextId: v.nextId, kept: 0 };
        },
      });
      if (!out) throw new ServiceError('not-found', `Image ${a.imageId} has no segmentation to restore a version into.`);
      if (out.status === 'applied') ctx.emit('onDidChangeImage', { imageId: a.imageId, reason: 'segmented' });
      return { imageId: a.imageId, action: 'replaced', segments: out.segments, kept: 0, versionId: out.versionId, history: out.history };
    },
    'versions.setLimit': (a) => {
      setVersionLimit(ctx.project(), a.limit);
      return { limit: a.limit };
    },
  };
}
