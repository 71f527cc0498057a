// `grainlab eval --project P`: every available engine scored on the project's verified images,
// a table "which engine fits this material" (or JSON), and --set-default to make one the
// project's default engine. The same service methods as the app's panel.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ServiceError } from '../../../app/errors';
import type { Args } from '../../../app/contract';
import { withProject, runJob } from '../common';
import { formatProjectEval } from '../../eval/project';

export interface ProjectEvalFlags {
  engines?: string[];
  image?: string[];
  effort?: boolean;
  maxOps?: string;
  sam?: string;
  setDefault?: string | boolean;
  json?: string | boolean;
  quiet?: boolean;
}

function positive(name: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new ServiceError('invalid-argument', `${name} must be a whole number of at least 1 (got '${s}').`);
  return n;
}

function samFlags(text: string): NonNullable<Args<'eval.project'>['sam']> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as NonNullable<Args<'eval.project'>['sam']>;
  } catch {
    // the message below says what is expected
  }
  throw new ServiceError('invalid-argument', `--sam needs SAM options as a JSON object, e.g. '{"pointsPerSide":16,"predIouThresh":0.8}' (got '${text}').`);
}

export async function runProjectEval(dir: string, o: ProjectEvalFlags): Promise<void> {
  await withProject(dir, async (svc) => {
    // A named engine is set at once; no evaluation needed.
    if (typeof o.setDefault === 'string') {
      const d = await svc.call('eval.setDefault', { engine: o.setDefault });
      console.log(`Default engine of ${dir}: ${d.engine} (${d.label}).`);
      return;
    }
    const { jobId } = await svc.call('eval.project', {
      ...(o.engines ? { engines: o.engines.flatMap((e) => e.split(',')).filter(Boolean) } : {}),
      ...(o.image ? { imageIds: o.image.map((s) => positive('--image', s)) } : {}),
      ...(o.sam ? { sam: samFlags(o.sam) } : {}),
      effort: o.effort !== false,
      ...(o.maxOps ? { maxOps: positive('--max-ops', o.maxOps) } : {}),
    });
    await runJob(svc, jobId, !!o.quiet || o.json === true);
    const report = await svc.call('eval.result', { jobId });
    if (!report) throw new ServiceError('internal', 'The evaluation finished but left no report.');
    if (o.setDefault === true) {
      const d = await svc.call('eval.setDefault', { fromJob: jobId });
      report.defaultEngine = d.engine;
    }
    if (o.json === true) console.log(JSON.stringify(report, null, 2));
    else {
      if (typeof o.json === 'string') await writeFile(resolve(o.json), JSON.stringify(report, null, 2));
      console.log(formatProjectEval(report));
      if (o.setDefault === true && report.best) console.log(`Set ${report.best} as the project's default engine (grainlab segment and segment.auto use it when no engine is given).`);
      else if (report.best && report.best !== report.defaultEngine) console.log(`To use it by default: grainlab eval --project ${dir} --set-default ${report.best}`);
    }
  });
}
