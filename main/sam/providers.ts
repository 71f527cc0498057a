// Picks the onnxruntime execution provider for this platform (CUDA / DirectML / CoreML, then CPU).
// onnxruntime-node throws when a requested provider is missing instead of falling back, so each one is
// tried in turn and the choice is reported with the reasons the better ones were skipped.
import { stat } from 'node:fs/promises';
import { InferenceSession, env, listSupportedBackends } from 'onnxruntime-node';
import { ServiceError } from '../../app/errors';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  /** onnxruntime's message when the provider could not be used. */
  error?: string;
}

export interface ProviderChoice {
  provider: ProviderName;
  attempts: ProviderAttempt[];
  /** One line for the user: which provider runs the model and why the better ones were not used. */
  reason: string;
}

export interface SessionLoadOptions {
  /** Providers to try, best first; CPU is always tried last. Default: defaultProviders(). */
  providers?: readonly ProviderName[];
  /** Threads for one operator (onnxruntime's intra-op pool); default: onnxruntime's choice (all cores). */
  threads?: number;
}

/** Best-first provider order for a platform: CUDA on Linux x64, DirectML on Windows, CoreML on macOS, then CPU. */
export function defaultProviders(platform: string = process.platform, arch: string = process.arch): ProviderName[] {
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  return ['cpu'];
}

function withCpuLast(providers: readonly ProviderName[]): ProviderName[] {
  const order = providers.filter((p, i) => p !== 'cpu' && providers.indexOf(p) === i);
  order.push('cpu');
  return order;
}

function sessionOptions(provider: ProviderName, threads: number | undefined): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = {
    // One provider per attempt: onnxruntime-common silently drops an unavailable provider when another is
    // listed, which would hide the fallback. Operators a provider lacks still run on onnxruntime's
    // implicit CPU provider.
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  if (threads !== undefined) options.intraOpNumThreads = threads;
  // DirectML does not support memory patterns or parallel execution.
  if (provider === 'dml') {
    options.enableMemPattern = false;
    options.executionMode = 'sequential';
  }
  return options;
}

let quieted = false;
/** Provider failures are reported through ProviderChoice; onnxruntime's own stderr lines would only duplicate them. */
function quietOnnxLogs(): void {
  if (quieted) return;
  quieted = true;
  env.logLevel = 'fatal';
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).trim();
}

function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

function describeChoice(attempts: readonly ProviderAttempt[], chosen: ProviderName): string {
  const skipped = attempts.filter((a) => !a.ok);
  if (skipped.length === 0) return chosen === 'cpu' ? 'cpu: the only provider requested' : `${chosen}: first choice, available`;
  const why = skipped.map((a) => `${a.provider} unavailable (${a.error ?? 'unknown error'})`).join('; ');
  return `${chosen}: ${why}`;
}

/**
 * Creates a session on the best provider that loads, falling back to CPU.
 * `label` names the model in errors ("encoder", "decoder"); `file` is the path (or a name for buffers).
 */
export async function createSession(
  model: string | Uint8Array,
  label: string,
  options: SessionLoadOptions = {},
): Promise<{ session: InferenceSession; choice: ProviderChoice }> {
  quietOnnxLogs();
  const file = typeof model === 'string' ? model : `${label} (in memory)`;
  if (typeof model === 'string') {
    const st = await stat(model).catch(() => null);
    if (st === null || !st.isFile()) {
      throw new ServiceError(
        'not-found',
        `The SAM ${label} model file "${model}" does not exist. Fetch the model with "grainlab models fetch <id>" or import it with "grainlab models import <id> <files>".`,
        model,
      );
    }
  }
  const attempts: ProviderAttempt[] = [];
  for (const provider of withCpuLast(options.providers ?? defaultProviders())) {
    try {
      const opts = sessionOptions(provider, options.threads);
      const session = typeof model === 'string' ? await InferenceSession.create(model, opts) : await InferenceSession.create(model, opts);
      attempts.push({ provider, ok: true });
      return { session, choice: { provider, attempts, reason: describeChoice(attempts, provider) } };
    } catch (e) {
      attempts.push({ provider, ok: false, error: message(e) });
    }
  }
  // CPU is always last; when even CPU fails, the model file itself is at fault.
  const last = attempts[attempts.length - 1]!;
  const raw = last.error ?? 'unknown error';
  const corrupt = /protobuf|parse|invalid|corrupt|truncat/i.test(raw);
  throw new ServiceError(
    'model',
    `Could not load the SAM ${label} model "${baseName(file)}": ` +
      (corrupt ? 'the file is not a valid ONNX model (truncated or damaged). ' : '') +
      'Verify it with "grainlab models verify", then fetch or import it again. ' +
      `(onnxruntime: ${raw})`,
    file,
  );
}

interface DoctorReport {
  platform: string;
  arch: string;
  onnxruntime: string;
  /** Backends compiled into this onnxruntime-node build (bundled = shipped with the package). */
  backends: { name: string; bundled: boolean }[];
  /** Provider order tried. */
  order: ProviderName[];
  choice: ProviderChoice;
}

/**
 * Smallest valid ONNX model (float32 [1] -> Identity, opset 17), built by scripts/build-tiny-sam.ts
 * (probeModel()); a test checks the two agree. Lets doctor() try providers without any SAM model installed.
 */
const PROBE_MODEL_BASE64 =
  'CAgSF2dyYWlubGFiLWJ1aWxkLXRpbnktc2FtGgExMkJUaW55IFNBTS1zaWduYXR1cmUgdGVzdCBtb2RlbCAobm90IGEgcmVhbCBTZWdtZW50IEFueXRoaW5nIG1vZGVsKS46' +
  'SQoeCgF4EgF5GgxuX0lkZW50aXR5XzEiCElkZW50aXR5EgVwcm9iZVoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBE=';

export function probeModelBytes(): Uint8Array {
  return new Uint8Array(Buffer.from(PROBE_MODEL_BASE64, 'base64'));
}

/** Which execution provider SAM would use here, and why; for "grainlab doctor" and the About panel. */
export async function doctor(options: SessionLoadOptions = {}): Promise<DoctorReport> {
  const order = withCpuLast(options.providers ?? defaultProviders());
  const { session, choice } = await createSession(probeModelBytes(), 'probe', { ...options, providers: order });
  await session.release();
  return {
    platform: process.platform,
    arch: process.arch,
    onnxruntime: env.versions.node ?? env.versions.common,
    backends: listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled })),
    order,
    choice,
  };
}
