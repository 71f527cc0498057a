// Typed errors that cross the process boundary with a message meant for the user.

type ErrorCode =
  | 'invalid-argument'
  | 'not-found'
  | 'no-project'
  | 'bad-image'
  | 'too-large'
  | 'unsupported'
  | 'io'
  | 'locked'
  /** The open project cannot be written (read-only disk or folder); it can be viewed and exported. */
  | 'read-only'
  | 'cancelled'
  | 'model'
  | 'internal';

export interface ServiceErrorData {
  code: ErrorCode;
  message: string;
  /** The file the error is about, when there is one. */
  file?: string;
}

/** An error whose message is written for the person using GrainLab: what happened, to which file, what to do. */
export class ServiceError extends Error implements ServiceErrorData {
  readonly code: ErrorCode;
  readonly file?: string;
  constructor(code: ErrorCode, message: string, file?: string) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    if (file !== undefined) this.file = file;
  }
  toData(): ServiceErrorData {
    return this.file === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, file: this.file };
  }
  static fromData(d: ServiceErrorData): ServiceError {
    return new ServiceError(d.code, d.message, d.file);
  }
}

export function isServiceErrorData(x: unknown): x is ServiceErrorData {
  return typeof x === 'object' && x !== null && typeof (x as ServiceErrorData).code === 'string'
    && typeof (x as ServiceErrorData).message === 'string';
}

/** Turns anything thrown into boundary-safe error data without leaking stack traces. */
export function toErrorData(e: unknown): ServiceErrorData {
  if (e instanceof ServiceError) return e.toData();
  if (isServiceErrorData(e)) return { code: e.code, message: e.message, ...(e.file ? { file: e.file } : {}) };
  const msg = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message: `Unexpected error: ${msg}` };
}
