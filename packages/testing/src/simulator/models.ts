import type { RecordedEvent } from '@reel/sdk';
import type { AccountInput, KidInput, TripInput } from './workflows.ts';

/** How a plain model says a run ends. */
export type Prediction =
  | { type: 'workflow_completed'; result: unknown }
  | { type: 'workflow_failed'; code: string }
  | { type: 'workflow_cancelled' }
  | { type: 'workflow_continued_as_new'; input: unknown };

const completed = (result: unknown): Prediction => ({ type: 'workflow_completed', result });
const failed = (code: string): Prediction => ({ type: 'workflow_failed', code });
const cancelled: Prediction = { type: 'workflow_cancelled' };

/**
 * What each workflow of the simulator does, written again as a plain state machine over the input
 * events its history received (signals, timer fires, results, cancel requests) in history order,
 * knowing that activities succeed or fail by their arguments and attempt number alone. Undefined:
 * by the model, the run has not ended.
 */
export function predict(type: string, workflowId: string, history: RecordedEvent[]): Prediction | undefined {
  const first = history[0];
  if (first?.type !== 'workflow_started') return undefined;
  const events = history.slice(1);
  const input = first.input as never;
  switch (type) {
    case 'account':
      return account(input, events);
    case 'notify': {
      // It reports the value its side effect recorded, whatever a lost worker's call returned before.
      const noted = events.find(
        (e): e is Extract<RecordedEvent, { type: 'side_effect' }> => e.type === 'side_effect',
      );
      return walk(events, {
        0: { noted: () => undefined },
        1: { fired: () => completed({ sent: noted?.result }) },
      });
    }
    case 'kid':
      return kid(input, events);
    case 'family':
      return family(workflowId, events);
    case 'trip':
      return trip(workflowId, input, events);
    case 'waiter':
      return waiter(workflowId, events);
    default:
      return undefined;
  }
}

function account(s: AccountInput, events: RecordedEvent[]): Prediction | undefined {
  const steps = s.fail.length;
  // An update's handler issues commands of its own between the run's: find the run's by their kind.
  const { stepCmds, notifyCmd, waitCmd } = accountCommands(events);
  let balance = s.balance;
  let phase = 'steps' as 'steps' | 'child' | 'wait';
  let done = 0;
  const rich = () => completed({ balance, gen: s.gen });
  const wait = () => {
    if (balance >= s.target) return rich();
    phase = 'wait';
    return undefined;
  };
  for (const e of events) {
    let outcome: Prediction | undefined;
    if (e.type === 'cancel_requested') outcome = cancelled;
    else if (e.type === 'signal_received' && e.name === 'deposit') {
      balance += (e.payload as { n: number }).n;
      if (phase === 'wait' && balance >= s.target) outcome = rich();
    } else if (phase === 'steps' && 'cmd' in e && e.cmd === stepCmds[done]) {
      if (e.type === 'activity_failed') outcome = failed('REEL_ACTIVITY_FAILED');
      else if (e.type === 'activity_completed' && ++done === steps) {
        if (s.notifyMs === null) outcome = wait();
        else phase = 'child';
      }
    } else if (phase === 'child' && 'cmd' in e && e.cmd === notifyCmd) {
      if (e.type === 'child_failed') outcome = failed('REEL_CHILD_FAILED');
      else if (e.type === 'child_started' || e.type === 'child_completed') outcome = wait();
    } else if (phase === 'wait' && e.type === 'timer_fired' && e.cmd === waitCmd) {
      outcome =
        s.gen < s.maxGen
          ? { type: 'workflow_continued_as_new', input: { ...s, balance, gen: s.gen + 1 } }
          : rich();
    }
    if (outcome) return outcome;
  }
  return undefined;
}

/** The commands of an account's run, by kind: its steps in order, its `notify` child, its wait's timer. */
export function accountCommands(events: RecordedEvent[]): {
  stepCmds: number[];
  notifyCmd?: number;
  waitCmd?: number;
} {
  const cmdOf = (type: RecordedEvent['type'], name?: string) =>
    events.flatMap((e) =>
      e.type === type && 'cmd' in e && (!name || ('name' in e && e.name === name)) ? [e.cmd] : [],
    );
  return {
    stepCmds: cmdOf('activity_scheduled', 'step'),
    notifyCmd: cmdOf('child_scheduled')[0],
    waitCmd: cmdOf('timer_started')[0],
  };
}

function kid(k: KidInput, events: RecordedEvent[]): Prediction | undefined {
  return walk(events, {
    0: {
      fired: () =>
        k.hops ? { type: 'workflow_continued_as_new', input: { ...k, hops: k.hops - 1 } } : undefined,
    },
    1: { completed: () => completed(`${k.key}:done`), failed: () => failed('REEL_ACTIVITY_FAILED') },
  });
}

function family(id: string, events: RecordedEvent[]): Prediction | undefined {
  let phase: 'held' | 'awaited' | 'sleep' = 'held';
  for (const e of events) {
    if (e.type === 'cancel_requested') return cancelled;
    if (!('cmd' in e)) continue;
    if (phase === 'held' && e.cmd === 0) {
      if (e.type === 'child_failed') return failed('REEL_CHILD_FAILED');
      if (e.type === 'child_started' || e.type === 'child_completed') phase = 'awaited';
    } else if (phase === 'awaited' && e.cmd === 1) {
      if (e.type === 'child_failed') return failed('REEL_CHILD_FAILED');
      if (e.type === 'child_completed') phase = 'sleep';
    } else if (phase === 'sleep' && e.cmd === 2 && e.type === 'timer_fired') {
      return completed({ r: `${id}/awaited:done` });
    }
  }
  return undefined;
}

function trip(id: string, t: TripInput, events: RecordedEvent[]): Prediction | undefined {
  const names = new Map<number, string>();
  for (const e of events) {
    if (e.type === 'cancel_requested') return cancelled;
    if (e.type === 'activity_scheduled') names.set(e.cmd, e.name);
    if (e.type === 'activity_failed') return failed('REEL_ACTIVITY_FAILED');
    if (e.type === 'activity_completed' && names.get(e.cmd) === 'slow')
      return completed(Array.from({ length: t.legs }, (_, i) => `bk:${id}/${i}`));
  }
  return undefined;
}

function waiter(id: string, events: RecordedEvent[]): Prediction | undefined {
  let go: string | null = null;
  let phase: 'signal' | 'sleep' | 'act' = 'signal';
  for (const e of events) {
    if (e.type === 'cancel_requested') return cancelled;
    if (phase === 'signal' && e.type === 'signal_received' && e.name === 'go') {
      go = (e.payload as { id: string }).id;
      phase = 'sleep';
    } else if (phase === 'signal' && e.type === 'timer_fired' && e.cmd === 0) phase = 'sleep';
    else if (phase === 'sleep' && e.type === 'timer_fired' && e.cmd === 1) phase = 'act';
    else if (phase === 'act' && e.type === 'activity_completed' && e.cmd === 2)
      return completed({ go, r: `${id}/slow:done` });
    else if (phase === 'act' && e.type === 'activity_failed' && e.cmd === 2)
      return failed('REEL_ACTIVITY_FAILED');
  }
  return undefined;
}

type Step = {
  fired?: () => Prediction | undefined;
  completed?: () => Prediction;
  failed?: () => Prediction;
  noted?: () => Prediction | undefined;
};

/** A workflow that waits on its commands one after the other, cmd 0 first; a cancel request ends it. */
function walk(events: RecordedEvent[], steps: Record<number, Step>): Prediction | undefined {
  let at = 0;
  for (const e of events) {
    if (e.type === 'cancel_requested') return cancelled;
    if (!('cmd' in e) || e.cmd !== at) continue;
    const step = steps[at];
    const handler =
      e.type === 'timer_fired'
        ? step?.fired
        : e.type === 'activity_completed'
          ? step?.completed
          : e.type === 'activity_failed'
            ? step?.failed
            : e.type === 'side_effect'
              ? step?.noted
              : undefined;
    if (!handler) continue;
    const outcome = handler();
    if (outcome) return outcome;
    at++;
  }
  return undefined;
}
