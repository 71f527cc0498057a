// The pieces of one project's edit store that its modules share (see index.ts).
import type { ProjectStore } from '../project-store';
import type { LabelMapCache } from './cache';
import type { Checkpoints } from './checkpoints';

export interface EditParts {
  readonly store: ProjectStore;
  readonly cache: LabelMapCache;
  readonly checkpoints: Checkpoints;
}
