// Contract group: segmentation versions and the question asked before batch actions. Every
// automatic result (classic, SAM, phase map, classifier-free imports) that replaces an image's
// segmentation keeps the one it replaced as a version (time, engine, settings, edit count), which
// can be viewed beside the current one and restored; re-segmenting is one undoable step.
// Merged into app/contract/index.ts; each method is declared here once.
import { z } from 'zod';
import { method, id } from './define';
import type { SegmentRecord } from '../types';
import type { EditHistoryState } from './edit';

/** Which segments a new automatic result keeps: the ones a person made (app/provenance.ts), or none. */
export const KeepSchema = z.enum(['person', 'none']).default('person');

/** A segmentation as the versions list shows it (the current one, or an earlier version). */
export interface SegmentationSummary {
  engine: string;
  /** Engine settings it was made with (as given to the engine), or null. */
  settings: unknown;
  /** When the automatic result was made. */
  madeAt: string | null;
  /** Edits a person made on it (applied history entries since it was made). */
  editCount: number;
  segmentCount: number;
  /** Segments a person made (verified, edited by hand, or with a person's class). */
  personCount: number;
}

export interface VersionInfo extends SegmentationSummary {
  id: number;
  imageId: number;
  /** When it was replaced, and by what ("classic", "restore of version 3"...). */
  replacedAt: string;
  replacedBy: string;
}

export interface VersionList {
  imageId: number;
  current: SegmentationSummary | null;
  /** Newest first. */
  versions: VersionInfo[];
  /** Versions kept per image (older ones are deleted). */
  limit: number;
}

export interface VersionLabels {
  width: number;
  height: number;
  /** Downsampling factor: pixel (x, y) here is pixel (x * step, y * step) of the image. */
  step: number;
  labels: Uint32Array;
  segments: SegmentRecord[];
}

/** What happened to one image when an automatic result was saved. */
export interface SavedResult {
  imageId: number;
  /** 'unchanged': the result equals the current segmentation, so nothing was stored (no step, no version). */
  action: 'created' | 'replaced' | 'unchanged';
  segments: number;
  /** Segments a person made that were kept exactly as they were. */
  kept: number;
  /** The version that keeps what was replaced (null when the image had no segmentation). */
  versionId: number | null;
  history: EditHistoryState | null;
}

export interface PlanImage {
  imageId: number;
  name: string;
  segmented: boolean;
  segments: number;
  personMade: number;
  edits: number;
  /** Segments the action would replace (or, for classes, may relabel). */
  changes: number;
  kept: number;
}

/** What a batch action will change, said before it starts. */
export interface BatchPlan {
  action: 'segment' | 'classify';
  keep: 'person' | 'none';
  images: PlanImage[];
  totals: {
    images: number;
    /** Images whose current segmentation (or classes) would change. */
    imagesChanged: number;
    changes: number;
    kept: number;
    /** Images with a person's corrections at stake (edits or person-made segments). */
    imagesWithCorrections: number;
  };
}

export const versionMethods = {
  /**
   * What a batch action would change on these images. 'segment' (segment.auto, phase maps, label
   * imports): segments replaced and kept; 'classify' (classify.applyToImages): segments whose
   * class the classifier may set, and those whose class it keeps.
   */
  'segment.plan': method<BatchPlan>()(z.object({ imageIds: z.array(id).min(1).max(100_000), action: z.enum(['segment', 'classify']).default('segment'), keep: KeepSchema })),
  'versions.list': method<VersionList>()(z.object({ imageId: id })),
  /** Labels of a version (or, with versionId 0, the current map), downsampled to at most maxSide px a side. */
  'versions.get': method<VersionLabels>()(z.object({ imageId: id, versionId: z.number().int().min(0), maxSide: z.number().int().min(16).max(65536).default(1024) })),
  /** Makes an earlier version current again, as one undoable step; the current one becomes a version. */
  'versions.restore': method<SavedResult>()(z.object({ imageId: id, versionId: id })),
  /** Versions kept per image (default 10); older ones are deleted when the next one is saved. */
  'versions.setLimit': method<{ limit: number }>()(z.object({ limit: z.number().int().min(1).max(1000) })),
};
