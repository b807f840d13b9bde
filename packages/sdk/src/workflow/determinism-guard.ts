import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, ReelError } from '../errors.ts';

/** `throw`: a violation stops the run (it is parked, visibly); `warn`: it is reported and the run goes on; `off`. */
export type GuardMode = 'throw' | 'warn' | 'off';

/** What the guard needs from the running workflow. */
export interface WorkflowScope {
  now(): Date;
  random(): number;
  /** Workflow code started `resource`; `origin()` gives the stack from the user's frame on. */
  violation(resource: string, origin: () => string): void;
  /** True once a violation was reported: later ones are not looked at (nor their stacks taken). */
  reported(): boolean;
}

/** Workflow code started I/O or a real timer, which replay cannot reproduce. */
export class DeterminismViolationError extends ReelError {
  constructor(
    readonly workflowId: string,
    readonly resource: string,
    readonly origin: string,
  ) {
    super(
      ErrorCodes.DETERMINISM_VIOLATION,
      `Workflow ${workflowId} started ${describe(resource)} from workflow code, which replay cannot reproduce. ` +
        `Move it into an activity (or use ctx.sleep for timers). Started at:\n${origin}`,
    );
  }
}

/** Async resources that mean I/O or real time; promises and the like are fine. */
const IO_RESOURCES = new Set([
  'TCPWRAP',
  'TCPCONNECTWRAP',
  'TLSWRAP',
  'UDPWRAP',
  'PIPEWRAP',
  'PIPECONNECTWRAP',
  'GETADDRINFOREQWRAP',
  'GETNAMEINFOREQWRAP',
  'QUERYWRAP',
  'FSREQCALLBACK',
  'FSREQPROMISE',
  'FILEHANDLE',
  'STATWATCHER',
  'FSEVENTWRAP',
  'PROCESSWRAP',
  'HTTPCLIENTREQUEST',
  'HTTPINCOMINGMESSAGE',
  'ZLIB',
  'Timeout',
  'Immediate',
]);

function describe(resource: string): string {
  if (resource === 'Timeout' || resource === 'Immediate')
    return 'a real timer (setTimeout/setInterval/setImmediate)';
  if (resource.startsWith('FS') || resource === 'FILEHANDLE' || resource === 'STATWATCHER')
    return `file I/O (${resource})`;
  return `network or process I/O (${resource})`;
}

const storage = new AsyncLocalStorage<WorkflowScope>();
let installed = false;
/** `Date` as it was before `install` replaced it. */
const RealDate = Date;

/**
 * The wall clock, read without the guard's patched `Date` (which asks for the workflow scope on
 * every construction): the default clock of engine code, which never runs as workflow code.
 */
export function wallClock(): Date {
  return new RealDate();
}

/** True while the engine schedules a turn of its own (`engineTurn`): no workflow code is starting I/O. */
let scheduling = false;

/**
 * `setImmediate` for the engine's own turns (the replayer drains the code's microtasks with one per
 * event delivered): the guard's hook then skips the look-up of a workflow scope that it would do for
 * any other timer, thousands of times in a replay.
 */
export function engineTurn(fn: () => void): void {
  scheduling = true;
  try {
    setImmediate(fn);
  } finally {
    scheduling = false;
  }
}

/** Runs `fn` outside any workflow scope: engine code (e.g. reading the engine clock) sees real values. */
export function outsideWorkflowScope<T>(fn: () => T): T {
  // Engine code mostly runs outside any scope already: leaving one costs a write on the async resource.
  return storage.getStore() === undefined ? fn() : storage.exit(fn);
}

/**
 * Runs `fn` (the workflow function) with `scope` as its context, so that, from workflow code and every
 * continuation of it, `Date.now()`, `new Date()` and `Math.random()` return replay-safe values and I/O
 * is reported. Installs the global patches and the async hook on first use.
 */
export function runInWorkflowScope<T>(scope: WorkflowScope, fn: () => T): T {
  if (!installed) install();
  return storage.run(scope, fn);
}

function install(): void {
  installed = true;
  const RealDate = Date;
  const realNow = Date.now;
  const realRandom = Math.random;
  RealDate.now = () => storage.getStore()?.now().getTime() ?? realNow();
  Math.random = () => storage.getStore()?.random() ?? realRandom();
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      const scope = args.length === 0 ? storage.getStore() : undefined;
      return Reflect.construct(target, scope ? [scope.now().getTime()] : args, newTarget);
    },
    apply(target, thisArg, args) {
      const scope = storage.getStore();
      return scope ? new RealDate(scope.now().getTime()).toString() : Reflect.apply(target, thisArg, args);
    },
  });
  // fetch is reported where it is called: that frame is the user's (undici reaches the socket through
  // its own promises, which lose it), and a fetch that fails before any I/O (a bad port) is caught too.
  const realFetch = globalThis.fetch;
  if (realFetch)
    globalThis.fetch = function fetch(...args) {
      report('fetch');
      return realFetch.apply(this, args);
    };
  // undici (under fetch, or used directly) sends a request over a kept-alive socket from its pool
  // without creating any async resource; its own channel tells. (node:http makes an HTTPCLIENTREQUEST
  // resource for every request, a reused socket or not.)
  subscribe('undici:request:create', () => report('undici request'));
  createHook({
    init(_id, type) {
      if (!scheduling && IO_RESOURCES.has(type)) report(type);
    },
  }).enable();
}

/** Tells the current workflow's scope, if any, that its code started `resource`, with the stack here. */
function report(resource: string): void {
  const scope = storage.getStore();
  if (!scope || scope.reported()) return;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50; // deep enough to get past the library frames to the user's
  const trace = new Error();
  Error.stackTraceLimit = limit;
  // The report runs outside the scope: a logger's own clock and I/O are not the workflow's.
  storage.exit(() => scope.violation(resource, () => userStack(trace.stack ?? '')));
}

/** Reel's own code (src/ or dist/ of this package): the engine that calls workflow code. */
const ENGINE_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * The user's frames (not Node's, a dependency's or Reel's) down to where Reel called the workflow
 * code, so the first line is the user's own call; all frames if none is the user's.
 */
function userStack(stack: string): string {
  const frames = stack.split('\n').filter((line) => line.trimStart().startsWith('at '));
  const isEngine = (frame: string) => frame.includes(ENGINE_DIR);
  const isLibrary = (frame: string) =>
    /[( ]node:|node_modules|\(<anonymous>\)/.test(frame) || isEngine(frame);
  const first = frames.findIndex((frame) => !isLibrary(frame));
  if (first === -1) return frames.join('\n');
  const end = frames.findIndex((frame, i) => i > first && isEngine(frame));
  return frames
    .slice(first, end === -1 ? undefined : end)
    .filter((frame) => !isLibrary(frame))
    .join('\n');
}
