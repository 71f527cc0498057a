// Finds the server paths in a call's arguments: every value the contract declares with `path`
// (define.ts), wherever it sits (nested objects, arrays, optional or defaulted fields, unions).
// The web binding confines them to the folders the server may use; desktop callers are not confined.
import type { z } from 'zod';
import { path as pathSchema } from './define';

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; options?: z.ZodType[]; items?: z.ZodType[]; rest?: z.ZodType | null; in?: z.ZodType; out?: z.ZodType; valueType?: z.ZodType };

function defOf(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The `path` values in `value`, read along `schema` (the parsed arguments of a call). */
export function serverPaths(schema: z.ZodType, value: unknown, out: string[] = []): string[] {
  if (value === undefined || value === null) return out;
  if (schema === pathSchema) {
    if (typeof value === 'string') out.push(value);
    return out;
  }
  const d = defOf(schema);
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return serverPaths(d.innerType!, value, out);
    case 'pipe':
      return serverPaths(d.in!, value, out);
    case 'object':
      if (typeof value === 'object') for (const [k, s] of Object.entries(d.shape ?? {})) serverPaths(s, (value as Record<string, unknown>)[k], out);
      return out;
    case 'array':
      if (Array.isArray(value)) for (const v of value) serverPaths(d.element!, v, out);
      return out;
    case 'tuple':
      if (Array.isArray(value)) value.forEach((v, i) => { const s = d.items?.[i] ?? d.rest; if (s) serverPaths(s, v, out); });
      return out;
    case 'record':
      if (typeof value === 'object' && d.valueType) for (const v of Object.values(value as object)) serverPaths(d.valueType, v, out);
      return out;
    case 'union': {
      // Any option may have matched; a string counted twice is checked twice, which is harmless.
      const seen = new Set<string>();
      for (const o of d.options ?? []) for (const p of serverPaths(o, value)) seen.add(p);
      out.push(...seen);
      return out;
    }
    default:
      return out;
  }
}

/** Whether a schema declares any `path` (used by the test that every path-taking method is seen). */
export function declaresPath(schema: z.ZodType, depth = 0): boolean {
  if (schema === pathSchema) return true;
  if (depth > 20) return false;
  const d = defOf(schema);
  const kids = [d.innerType, d.in, d.element, d.valueType, d.rest ?? undefined, ...(d.items ?? []), ...(d.options ?? []), ...Object.values(d.shape ?? {})].filter((k): k is z.ZodType => !!k);
  return kids.some((k) => declaresPath(k, depth + 1));
}
