// Schema for edit operations crossing the process boundary or read back from the edit log;
// main/ validates with it before running an edit. Limits keep a bad request from running away.
import { z } from 'zod';
import type { EditOp } from './ops';

const segId = z.number().int().min(1).max(0xffffffff);
const ids = z.array(segId).min(1).max(1_000_000);
const coord = z.number().finite().min(-1e7).max(1e7);
const point = z.tuple([coord, coord]);
const target = z.union([segId, z.literal('new')]);
const box = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().min(0),
  height: z.number().int().min(0),
});

export const EditOpSchema: z.ZodType<EditOp> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('merge'), ids, target: segId.optional() }),
  z.object({ kind: z.literal('splitByLine'), segmentId: segId, points: z.array(point).min(2).max(100_000) }),
  z
    .object({
      kind: z.literal('brush'),
      mode: z.enum(['paint', 'erase']),
      points: z.array(point).min(1).max(100_000),
      radius: z.number().positive().max(4096),
      target: target.optional(),
      onlyInto: segId.optional(),
      protect: z.boolean().optional(),
    })
    .refine((b) => b.mode === 'erase' || b.target !== undefined, { message: 'A paint stroke needs a target segment' }),
  z.object({ kind: z.literal('delete'), ids }),
  z.object({ kind: z.literal('deleteSmallerThan'), minArea: z.number().int().min(0).max(0xffffffff) }),
  z.object({ kind: z.literal('fillHoles'), id: segId, absorbEnclosed: z.boolean().optional() }),
  z.object({
    kind: z.literal('addFromMask'),
    mask: z.object({ box, runs: z.array(z.number().int().min(0)).max(50_000_000) }),
    target,
    overwrite: z.boolean(),
  }),
  z.object({
    kind: z.literal('polygon'),
    mode: z.enum(['add', 'subtract']),
    points: z.array(point).min(3).max(100_000),
    target: target.optional(),
    overwrite: z.boolean().optional(),
  }),
  z.object({ kind: z.literal('setClass'), ids, classId: z.number().int().min(1).nullable() }),
  z.object({ kind: z.literal('setVerified'), ids, verified: z.boolean() }),
]);
