// The questions the workspace asks before changing what a person made, in one place: before
// segmenting (or a phase map) on images with corrections, before applying the classifier to the
// chosen images, before a cluster class replaces classes a person gave, before removing images.
import { useCallback, useMemo, type ReactNode } from 'react';
import type { GrainLabClient } from '../../../app/contract';
import type { ImageRecord } from '../../../app/types';
import { useChoice } from './Choice';
import { askBeforeClassifying, askBeforeSegmenting } from './batch';

export interface Questions {
  /** The dialog to render (null when none is open). */
  dialog: ReactNode;
  /** Keep policy for segmenting these images, or null when cancelled. `always`: say what will change even with nothing of a person's at stake (batches). */
  askSegmenting(imageIds: number[], verb: string, always?: boolean): Promise<'person' | 'none' | null>;
  askClassifying(imageIds: number[]): Promise<boolean>;
  askOverwrite(conflicts: number, className: string): Promise<boolean | null>;
  askRemove(images: ImageRecord[]): Promise<boolean>;
}

export function useQuestions(client: Pick<GrainLabClient, 'call'>): Questions {
  const [dialog, ask] = useChoice();
  const askSegmenting = useCallback((ids: number[], verb: string, always = false) => askBeforeSegmenting(client, ask, ids, verb, always), [client, ask]);
  const askClassifying = useCallback((ids: number[]) => askBeforeClassifying(client, ask, ids), [client, ask]);
  const askOverwrite = useCallback(
    async (conflicts: number, className: string) => {
      const a = await ask({
        title: `Give the cluster ${className}`,
        body: (
          <p>
            {conflicts} segment{conflicts === 1 ? '' : 's'} of this cluster {conflicts === 1 ? 'has' : 'have'} a different class you gave {conflicts === 1 ? 'it' : 'them'} yourself (or {conflicts === 1 ? 'is' : 'are'} verified with it). The rest of the cluster gets {className} either way.
          </p>
        ),
        answers: [
          { id: 'keep', label: 'Keep their classes', primary: true },
          { id: 'overwrite', label: `Give them ${className} too` },
        ],
        testId: 'overwrite-dialog',
      });
      return a === 'overwrite' ? true : a === 'keep' ? false : null;
    },
    [ask],
  );
  const askRemove = useCallback(
    async (images: ImageRecord[]) =>
      (await ask({
        title: `Remove ${images.length} image${images.length === 1 ? '' : 's'}`,
        body: (
          <>
            <p>
              {images
                .slice(0, 8)
                .map((i) => i.name)
                .join(', ')}
              {images.length > 8 ? ` and ${images.length - 8} more` : ''} leave the project with their segmentations, versions and history ({images.reduce((t, i) => t + i.segmentCount, 0).toLocaleString()} segments).
            </p>
            <p className="gl-error">This cannot be undone.</p>
          </>
        ),
        answers: [{ id: 'remove', label: 'Remove' }],
        testId: 'remove-dialog',
      })) === 'remove',
    [ask],
  );
  return useMemo(() => ({ dialog, askSegmenting, askClassifying, askOverwrite, askRemove }), [dialog, askSegmenting, askClassifying, askOverwrite, askRemove]);
}
