// Saving an automatic result (a classic or SAM segmentation, a phase map, imported labels) for one
// image, the same way on every path: an image without a segmentation gets it as its first one; an
// image with one gets it as ONE undoable step that keeps the segments a person made (unless told
// to replace everything) and keeps the replaced map as a version.
import type { SavedResult } from '../../app/contract/versions';
import { keptIds, type KeepPolicy } from '../../app/provenance';
import { composeWithKept } from '../../app/segment/compose';
import type { ImageStatus, LabelMap, SegmentRecord, SegmentSource } from '../../app/types';
import { segmentStats } from '../../app/labelmap';
import type { EditStore, ReplacementMap } from './edits';
import { compressLabels, type SegmentInput } from './project-store';

/** Row data a result gives its segments (by the result's own ids). */
type ResultRow = Partial<Pick<SegmentRecord, 'classId' | 'classSource' | 'classConfidence' | 'verified' | 'source'>>;

interface AutomaticResult {
  labels: LabelMap;
  /** Source of the result's segments (auto, import). */
  source: SegmentSource;
  /** Class and review state per result id, when the result has them. */
  rowOf?(id: number): ResultRow | undefined;
}

interface SaveOptions {
  engine: string;
  /** The engine's settings as given (stored as JSON with the segmentation and its versions). */
  settings?: unknown;
  keep: KeepPolicy;
  /** Review status afterwards (default: auto-segmented, or in-review when segments were kept). */
  status?: ImageStatus;
}

export async function saveAutomaticResult(edits: EditStore, imageId: number, result: AutomaticResult, o: SaveOptions): Promise<SavedResult> {
  const store = edits.store;
  const settings = o.settings === undefined || o.settings === null ? null : JSON.stringify(o.settings);
  const outcome = await edits.replace(imageId, {
    side: { engine: o.engine, settings, madeAt: new Date().toISOString() },
    replacedBy: o.engine,
    ...(o.status ? { status: o.status } : {}),
    build: (cur): ReplacementMap => {
      const kept = keptIds(cur.segments, o.keep);
      const c = composeWithKept(cur.labels, kept, result.labels, cur.nextId);
      const rows = new Map<number, NonNullable<ReturnType<ReplacementMap['rows']['get']>>>();
      for (const s of cur.segments) {
        if (!kept.has(s.id)) continue;
        const { id: _id, area: _a, bbox: _b, ...row } = s;
        rows.set(s.id, row);
      }
      for (const [resultId, id] of c.idOf) {
        const r = result.rowOf?.(resultId);
        rows.set(id, { classId: r?.classId ?? null, classSource: r?.classId == null ? null : (r.classSource ?? null), classConfidence: r?.classConfidence ?? null, source: r?.source ?? result.source, verified: r?.verified ?? false, edited: false, clusterId: null });
      }
      return { labels: c.labels, rows, nextId: c.nextId, kept: kept.size, stats: c.stats };
    },
  });
  if (outcome) {
    return { imageId, action: outcome.status === 'unchanged' ? 'unchanged' : 'replaced', segments: outcome.segments, kept: outcome.kept, versionId: outcome.versionId, history: outcome.history };
  }
  // No segmentation yet: this is the first one.
  const stats = segmentStats(result.labels);
  const segs: SegmentInput[] = stats.map((s) => {
    const r = result.rowOf?.(s.id);
    return { ...s, source: r?.source ?? result.source, classId: r?.classId ?? null, classSource: r?.classSource ?? null, classConfidence: r?.classConfidence ?? null, verified: r?.verified ?? false };
  });
  store.saveSegmentation(imageId, result.labels, segs, { engine: o.engine, settings: o.settings ?? null }, await compressLabels(result.labels.data), o.status ?? 'auto-segmented');
  return { imageId, action: 'created', segments: segs.length, kept: 0, versionId: null, history: null };
}
