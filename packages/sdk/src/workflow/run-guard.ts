import {
  DeterminismViolationError,
  type GuardMode,
  runInWorkflowScope,
  type WorkflowScope,
} from './determinism-guard.ts';

/** What a run's guard needs from the replayer that runs the code. */
export interface RunGuardHost {
  readonly workflowId: string;
  /** Default `throw`. */
  readonly mode: GuardMode | undefined;
  /** `ctx.now()`: what `Date` gives inside the scope. */
  readonly now: () => Date;
  /** The run's seeded sequence: what `Math.random` gives inside the scope. */
  readonly random: () => number;
  /** Told of the first violation, in every mode. */
  onViolation?: (err: DeterminismViolationError) => void;
  /** Fails the run (`throw` mode); the first failure stands. */
  fail(err: DeterminismViolationError): void;
}

/**
 * One run's determinism scope: the workflow code it runs (the function, handlers, predicates,
 * validators) sees replay-safe `Date` and `Math.random`, and the I/O it starts is reported. It keeps
 * the first violation only, the cause (what follows is often the same I/O going on), and applies the
 * mode: `throw` fails the run with it whatever the code then did with the I/O, `warn` only tells,
 * `off` runs the code outside any scope. One scope object serves every call of the run: nothing is
 * allocated per call, though `waitFor` predicates run after every event delivered.
 */
export class RunGuard implements WorkflowScope {
  /** The first violation: in `warn` mode the replayer parks the run if the code is left waiting on it. */
  firstViolation: DeterminismViolationError | undefined;
  readonly now: () => Date;
  readonly random: () => number;
  private readonly mode: GuardMode;

  constructor(private readonly host: RunGuardHost) {
    this.mode = host.mode ?? 'throw';
    this.now = host.now;
    this.random = host.random;
  }

  /** Runs workflow code in the run's scope (directly when the guard is off). */
  run<T>(fn: () => T): T {
    return this.mode === 'off' ? fn() : runInWorkflowScope(this, fn);
  }

  reported(): boolean {
    return this.firstViolation !== undefined;
  }

  violation(resource: string, origin: () => string): void {
    if (this.firstViolation) return;
    this.firstViolation = new DeterminismViolationError(this.host.workflowId, resource, origin());
    this.host.onViolation?.(this.firstViolation);
    if (this.mode === 'throw') this.host.fail(this.firstViolation);
  }
}
