// Background jobs: how a started job is named, its progress events and cancelling it.
import { z } from 'zod';
import { method } from './define';
import type { ServiceErrorData } from '../errors';

export interface JobStarted {
  jobId: string;
}

type JobState = 'running' | 'done' | 'failed' | 'cancelled';
export interface ProgressEvent {
  jobId: string;
  title: string;
  done: number;
  total: number;
  state: JobState;
  message?: string;
  error?: ServiceErrorData;
}

export const jobMethods = {
  'jobs.cancel': method<boolean>()(z.object({ jobId: z.string().min(1).max(100) })),
};
