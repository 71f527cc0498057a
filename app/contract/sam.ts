// Contract group: SAM models, interactive prompts and SAM auto-segmentation.
// Merged into app/contract.ts; each method is declared here once.
import { z } from 'zod';
import { method, none, id } from './define';
import type { Box } from '../types';

export const PromptPointSchema = z.object({
  x: z.number().finite(),
  y: z.number().finite(),
  /** 1 = positive (include), 0 = negative (exclude). */
  label: z.union([z.literal(0), z.literal(1)]),
});
export const BoxSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export interface SamModelInfo {
  id: string;
  name: string;
  installed: boolean;
  /** Where its files were found, when installed. */
  location: string | null;
}

export interface SamStatus {
  models: SamModelInfo[];
  /** The model used for prompts and SAM auto-segmentation; null = none installed (classic only). */
  active: string | null;
  /** Execution provider in use once a model is loaded (cpu, cuda, dml, coreml), and why. */
  provider: { name: string; reason: string } | null;
  /** How to add a model, for the UI hint when none is installed. */
  hint: string;
}

/** A SAM candidate mask, cropped to its bounding box. */
export interface SamCandidate {
  imageId: number;
  box: Box;
  /** box.width * box.height bytes, 1 = inside. */
  mask: Uint8Array;
  /** Predicted IoU of the chosen mask. */
  score: number;
  /** Model time and total time in ms, for the status bar. */
  timing: { modelMs: number; totalMs: number };
}

export const samMethods = {
  'sam.status': method<SamStatus>()(none),
  'sam.select': method<SamStatus>()(z.object({ modelId: z.string().min(1).max(100) })),
  /** Decode one prompt on an image (the embedding is computed once and cached). */
  'sam.prompt': method<SamCandidate>()(
    z.object({
      imageId: id,
      points: z.array(PromptPointSchema).max(64).default([]),
      box: BoxSchema.optional(),
      /** Refine with the previous candidate's low-res mask for this image. */
      refine: z.boolean().default(false),
    }),
  ),
};
