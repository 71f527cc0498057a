// Building blocks for contract declarations: ties an argument schema to a result type.
import { z } from 'zod';

/** Ties an argument schema to a result type; the result is a phantom used only by the type checker. */
export function method<R>() {
  return <A extends z.ZodType>(args: A): { args: A; result: R } => ({ args, result: undefined as unknown as R });
}

export const none = z.object({});
export const id = z.number().int().positive();
export const path = z.string().min(1).max(4096);

/** Raw bytes; a custom check so both ArrayBuffer- and SharedArrayBuffer-backed arrays are accepted. */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected binary data (Uint8Array)' });
/** A file's name and bytes, as a browser or a drop hands them over. */
export const fileBytes = z.object({ name: z.string().min(1).max(1024), bytes });
