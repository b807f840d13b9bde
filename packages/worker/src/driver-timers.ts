import type { WorkflowExecution } from '@reel/sdk';

/**
 * A run's durable waits: its timers, and its execution deadline. A timer's fire time is recorded in
 * `timer_started`; it fires when a step finds it due, by the engine clock.
 */
export function fireDueTimers(exec: WorkflowExecution, now: Date): void {
  for (const t of exec.openTimers()) {
    if (t.fireAt <= now) exec.append({ type: 'timer_fired', cmd: t.cmd });
  }
}

/** Past its execution timeout, a run ends where it stands, after what it has already received. */
export function enforceDeadline(exec: WorkflowExecution, now: Date): void {
  const deadline = exec.deadline;
  if (deadline && deadline <= now && !exec.outcome) exec.timeOut();
}

/** The earliest of the run's open timers, its deadline, and `retries` (activities' retry times, ms). */
export function nextWake(exec: WorkflowExecution, retries: number[]): Date | undefined {
  const times = [
    ...exec.openTimers().map((t) => t.fireAt.getTime()),
    ...(exec.deadline ? [exec.deadline.getTime()] : []),
    ...retries,
  ];
  return times.length ? new Date(Math.min(...times)) : undefined;
}

/** A delay `setTimeout` takes as meant: it fires at once for anything past 2^31-1 ms (~24.8 days). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2 ** 31 - 1);
}
