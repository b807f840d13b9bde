/**
 * Every measurement runs in a child process of its own, so Reel and DBOS never share a heap, an
 * event loop or process-wide patches (Reel's determinism guard, DBOS's globals).
 */
import { type ChildProcess, fork } from 'node:child_process';

const ENTRY = new URL('./child-main.ts', import.meta.url).pathname;
/** Resolves the Reel packages to their build (`reel-build.mjs`). */
const BUILD_HOOKS = new URL('./reel-build.mjs', import.meta.url).href;

export type System = 'reel' | 'dbos';

interface Message {
  type: string;
  [key: string]: unknown;
}

/** A running child: `result` settles with what its task returned, or rejects with its stderr. */
export interface Child<R> {
  process: ChildProcess;
  result: Promise<R>;
  /** The next message of this type from the child. */
  next(type: string): Promise<Message>;
  send(message: Message): void;
}

/** Starts `src/<system>/<task>.ts` in a fresh Node process and passes it `args`. */
export function startChild<R>(system: System, task: string, args: object): Child<R> {
  const child = fork(ENTRY, [system, task, JSON.stringify(args)], {
    execArgv: ['--import', 'tsx', '--import', BUILD_HOOKS, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const waiting = new Map<string, (m: Message) => void>();
  const inbox: Message[] = [];
  child.on('message', (m: Message) => {
    const resolve = waiting.get(m.type);
    if (resolve) {
      waiting.delete(m.type);
      resolve(m);
    } else inbox.push(m);
  });
  const result = new Promise<R>((resolve, reject) => {
    let value: R | undefined;
    child.on('message', (m: Message) => {
      if (m.type === 'result') value = m.value as R;
    });
    child.on('exit', (code, signal) => {
      if (value !== undefined) resolve(value);
      else reject(new Error(`${system}/${task} exited (${code ?? signal}) without a result:\n${stderr}`));
    });
  });
  result.catch(() => undefined);
  return {
    process: child,
    result,
    next(type) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as Message);
      return Promise.race([
        new Promise<Message>((resolve) => waiting.set(type, resolve)),
        result.then(() => {
          throw new Error(`${system}/${task} finished before sending '${type}'`);
        }),
      ]);
    },
    send(message) {
      // To a child that has just exited (a second 'stop'), dropped: no EPIPE 'error' event to crash on.
      child.send(message, () => undefined);
    },
  };
}

/** Runs a task to completion in a child process and returns its result. */
export function runChild<R>(system: System, task: string, args: object): Promise<R> {
  return startChild<R>(system, task, args).result;
}
