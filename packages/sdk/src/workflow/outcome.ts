import { assertJson, type Json } from '../codec.ts';
import { CancelledError, ErrorCodes, type ErrorInfo, ReelError, toErrorInfo } from '../errors.ts';
import { ContinueAsNew } from './create-context.ts';

/**
 * How a run ended, and how each way the code can end maps to it: the workflow function returns or
 * throws, a signal handler throws, or the run outlives its execution timeout. Pure: the replayer
 * keeps the first outcome reached and records it as the run's closing event.
 */
export type Outcome =
  | { type: 'workflow_completed'; result: Json | undefined }
  | { type: 'workflow_failed'; error: ErrorInfo }
  | { type: 'workflow_cancelled'; error: ErrorInfo }
  | { type: 'workflow_continued_as_new'; input: Json | undefined };

/** The workflow function returned `value`: completed, or failed if `value` is not JSON. */
export function returned(value: unknown): Outcome {
  try {
    return { type: 'workflow_completed', result: assertJson(value, 'The workflow result') };
  } catch (err) {
    return failed(err);
  }
}

/** The workflow function threw (or rejected with) `err`: continued as new, cancelled, or failed. */
export function thrown(err: unknown): Outcome {
  if (err instanceof ContinueAsNew) return { type: 'workflow_continued_as_new', input: err.input };
  if (err instanceof CancelledError) return { type: 'workflow_cancelled', error: toErrorInfo(err) };
  return failed(err);
}

/** Workflow code failed the run with `err` (a signal handler's error, an unrecordable result). */
export function failed(err: unknown): Outcome {
  return { type: 'workflow_failed', error: toErrorInfo(err) };
}

/** The run outlived its execution timeout, which ended at `deadline`. */
export function timedOut(workflowId: string, deadline: Date | undefined): Outcome {
  return failed(
    new ReelError(
      ErrorCodes.WORKFLOW_TIMEOUT,
      `Workflow ${workflowId} exceeded its execution timeout (${deadline?.toISOString()}).`,
    ),
  );
}
