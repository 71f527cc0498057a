// Model-independent helpers around SAM's prompt decoder (Meta's ONNX signature): the resize to
// the encoder's frame, prompt tensors with box corners and the padding point, best-mask choice.
import type { Box } from '../types';
import type { Point } from './types';

/** Point label values of the Meta decoder. */
const PROMPT_LABEL = { padding: -1, background: 0, foreground: 1, boxTopLeft: 2, boxBottomRight: 3 } as const;

/**
 * Size of the image inside the encoder's input (segment_anything's ResizeLongestSide):
 * s = longSide / max(H, W); new size = int(dim * s + 0.5).
 */
export function modelFrameSize(origWidth: number, origHeight: number, longSide = 1024): { width: number; height: number; scale: number } {
  const scale = longSide / Math.max(origWidth, origHeight);
  return { width: Math.trunc(origWidth * scale + 0.5), height: Math.trunc(origHeight * scale + 0.5), scale };
}

/** Maps image coordinates into the encoder's frame: x * newW / W, y * newH / H (apply_coords). */
export function toModelFrame(points: readonly Point[], origWidth: number, origHeight: number, longSide = 1024): Point[] {
  const { width, height } = modelFrameSize(origWidth, origHeight, longSide);
  const sx = width / origWidth;
  const sy = height / origHeight;
  return points.map((p) => ({ x: p.x * sx, y: p.y * sy }));
}

export interface DecoderPrompt {
  /** [N * 2] x, y pairs for point_coords [1, N, 2]. */
  coords: Float32Array;
  /** [N] labels for point_labels [1, N]. */
  labels: Float32Array;
  count: number;
}

export interface PromptFrame {
  /** Original image size; when given, coordinates are mapped with toModelFrame. */
  origWidth: number;
  origHeight: number;
  longSide?: number;
}

/**
 * Decoder prompt tensors in Meta's convention: the points with their labels (1 foreground,
 * 0 background), then either the box's corners labelled 2 (top-left) and 3 (bottom-right), or,
 * without a box, one padding point (0, 0) labelled -1. The box's bottom-right corner is its
 * last pixel (x + width - 1, y + height - 1), the convention of boxes taken from masks.
 * With `frame`, every coordinate but the padding point is mapped into the encoder's frame.
 */
export function buildDecoderPrompt(points: readonly Point[], labels: ArrayLike<number>, box?: Box, frame?: PromptFrame): DecoderPrompt {
  if (labels.length !== points.length) throw new Error(`buildDecoderPrompt: ${points.length} points but ${labels.length} labels`);
  const all: Point[] = points.slice();
  const lab: number[] = Array.from(labels);
  if (box) {
    all.push({ x: box.x, y: box.y }, { x: box.x + box.width - 1, y: box.y + box.height - 1 });
    lab.push(PROMPT_LABEL.boxTopLeft, PROMPT_LABEL.boxBottomRight);
  }
  const mapped = frame ? toModelFrame(all, frame.origWidth, frame.origHeight, frame.longSide) : all;
  if (!box) {
    mapped.push({ x: 0, y: 0 });
    lab.push(PROMPT_LABEL.padding);
  }
  const count = mapped.length;
  const coords = new Float32Array(count * 2);
  mapped.forEach((p, i) => {
    coords[2 * i] = p.x;
    coords[2 * i + 1] = p.y;
  });
  return { coords, labels: Float32Array.from(lab), count };
}

/**
 * Single-point prompts for a batched decoder (point_coords [B, 2, 2]): each foreground point
 * followed by the padding point, as SAM's automatic generator prompts one point at a time.
 */
export function buildPointBatch(points: readonly Point[], frame?: PromptFrame): DecoderPrompt {
  const mapped = frame ? toModelFrame(points, frame.origWidth, frame.origHeight, frame.longSide) : points;
  const coords = new Float32Array(points.length * 4);
  const labels = new Float32Array(points.length * 2);
  mapped.forEach((p, i) => {
    coords[4 * i] = p.x;
    coords[4 * i + 1] = p.y;
    labels[2 * i] = PROMPT_LABEL.foreground;
    labels[2 * i + 1] = PROMPT_LABEL.padding;
  });
  return { coords, labels, count: points.length };
}

/** Index of the highest predicted IoU (the first on ties); -1 for an empty list. */
export function pickBestMask(iouPredictions: ArrayLike<number>): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < iouPredictions.length; i++) {
    if (iouPredictions[i]! > bestValue) {
      bestValue = iouPredictions[i]!;
      best = i;
    }
  }
  return best;
}
