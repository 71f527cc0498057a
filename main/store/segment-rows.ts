// One reading of a `segments` table row, shared by the project store (listing) and the edit store
// (its in-memory rows), so a new column is added in one place.
import type { SegmentRecord, SegmentSource } from '../../app/types';

export const SEGMENT_COLUMNS = 'id, class_id, class_source, class_confidence, class_model, source, verified, edited, cluster_id, area, bbox_x, bbox_y, bbox_w, bbox_h';

export interface SegmentDbRow {
  id: number;
  class_id: number | null;
  class_source: 'person' | 'classifier' | 'cluster' | 'import' | null;
  class_confidence: number | null;
  class_model: number | null;
  source: SegmentSource;
  verified: number;
  edited: number;
  cluster_id: number | null;
  area: number;
  bbox_x: number;
  bbox_y: number;
  bbox_w: number;
  bbox_h: number;
}

export function segmentFromDb(r: SegmentDbRow): Required<SegmentRecord> {
  return {
    id: r.id,
    classId: r.class_id,
    classSource: r.class_source,
    classConfidence: r.class_confidence,
    source: r.source,
    verified: r.verified === 1,
    edited: r.edited === 1,
    clusterId: r.cluster_id,
    area: r.area,
    bbox: { x: r.bbox_x, y: r.bbox_y, width: r.bbox_w, height: r.bbox_h },
  };
}
