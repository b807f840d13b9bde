import type { Store, StoreListener } from '@reel/sdk';
import type { Faults } from './faults.ts';
import { runAs, type SimProcess } from './process.ts';
import type { CallOutcome, StoreChecks } from './store-checks.ts';
import type { ProcessTimers } from './timers.ts';
import { type Trace, traceJson } from './trace.ts';

/** What a process's store needs from the simulation around it. */
export interface Network {
  readonly base: Store;
  readonly timers: ProcessTimers;
  readonly faults: Faults;
  readonly trace: Trace;
  readonly checks: StoreChecks;
  /** `proc` dies now. */
  crash(proc: SimProcess, why: string): void;
  /** `proc` freezes now, for longer than a lease. */
  freeze(proc: SimProcess, why: string): void;
  /** The simulator itself failed (a bug here, not in the engine). */
  broken(err: unknown): void;
}

/**
 * The `Store` a simulated process sees: the shared store behind a network the simulation controls.
 * Each call travels to the store and its answer travels back as separate events, each delayed as the
 * scheduler draws, and held while the process is frozen. At either point the process may crash (so
 * the call never runs, or runs and its answer is lost), freeze, or see its heartbeat or renewal fail.
 * Notifications travel the same way, and some are lost.
 */
export function faultStore(proc: SimProcess, net: Network): Store {
  return new Proxy({} as Store, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      if (name === 'close') return async () => {};
      if (name === 'listen')
        return (listener: StoreListener) =>
          call(proc, net, 'listen', [], async () => {
            const unlisten = await net.base.listen(relay(proc, net, listener));
            return () => call(proc, net, 'unlisten', [], unlisten);
          });
      const member = (net.base as unknown as Record<string, unknown>)[name];
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) =>
        call(proc, net, name, args, () =>
          (member as (...a: unknown[]) => Promise<unknown>).apply(net.base, args),
        );
    },
  });
}

function call(
  proc: SimProcess,
  net: Network,
  method: string,
  args: unknown[],
  exec: () => Promise<unknown>,
): Promise<never> {
  proc.called.add(method);
  const id = `${method}#${++net.trace.calls}`;
  net.trace.record(`${proc.name} > ${id} ${traceJson(args)}`);
  return new Promise((resolve, reject) => {
    const answer = (outcome: CallOutcome) =>
      net.timers.after(proc, net.faults.latency(), () => {
        net.trace.record(`${proc.name} < ${id} ${show(outcome)}`);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value as never);
      });
    let decided = false;
    const execute = async () => {
      if (!decided) {
        decided = true;
        const fault = net.faults.before(proc, method);
        if (fault === 'crash') return net.crash(proc, `before ${id}`);
        if (fault === 'fail') return answer({ error: injected(method) });
        if (fault === 'freeze') {
          net.freeze(proc, `before ${id}`);
          net.timers.after(proc, 0, () => void execute().catch((err) => net.broken(err))); // held until it resumes
          return;
        }
      }
      // The store runs the call as nobody's code: its own timers and callbacks belong to no process.
      const outcome = await runAs(undefined, () => net.checks.around(method, args, exec));
      net.trace.record(`${proc.name} = ${id} ${show(outcome)}`);
      const fault = net.faults.after(proc, method);
      if (fault === 'crash') return net.crash(proc, `after ${id}`);
      if (fault === 'freeze') net.freeze(proc, `after ${id}`);
      answer(fault === 'fail' ? { error: injected(method) } : outcome);
    };
    net.timers.after(proc, net.faults.latency(), () => void execute().catch((err) => net.broken(err)));
  });
}

/** Delivers the store's notifications to `proc` as events of the network: delayed, sometimes lost. */
function relay(proc: SimProcess, net: Network, listener: StoreListener): StoreListener {
  const relayed: StoreListener = { worker: listener.worker };
  const handlers = Object.entries(listener) as [
    Exclude<keyof StoreListener, 'worker'>,
    (...args: unknown[]) => void,
  ][];
  for (const [kind, handler] of handlers) {
    if (typeof handler !== 'function') continue;
    relayed[kind] = (...args: unknown[]) => {
      if (!proc.alive) return;
      if (net.faults.loses()) {
        net.trace.record(`${proc.name} lost ${kind} ${args.join(' ')}`);
        return;
      }
      net.timers.after(proc, net.faults.latency(), () => {
        net.trace.record(`${proc.name} ! ${kind} ${args.join(' ')}`);
        handler.apply(listener, args);
      });
    };
  }
  return relayed;
}

function injected(method: string): Error {
  return new Error(`simulated: the connection broke during ${method}`);
}

function show(outcome: CallOutcome): string {
  return 'error' in outcome ? `error ${outcome.error.message}` : traceJson(outcome.value);
}
