import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { ErrorCodes, ReelError } from '../errors.ts';

/** `throw`: a violation stops the run (it is parked, visibly); `warn`: it is reported and the run goes on; `off`. */
export type GuardMode = 'throw' | 'warn' | 'off';

/** What the guard needs from the running workflow. */
export interface WorkflowScope {
  now(): Date;
  random(): number;
  violation(resource: string, stack: string): void;
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

/** Runs `fn` outside any workflow scope: engine code (e.g. reading the engine clock) sees real values. */
export function outsideWorkflowScope<T>(fn: () => T): T {
  return storage.exit(fn);
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
  createHook({
    init(_id, type) {
      if (!IO_RESOURCES.has(type)) return;
      const scope = storage.getStore();
      if (scope) scope.violation(type, (new Error().stack ?? '').split('\n').slice(2).join('\n'));
    },
  }).enable();
}
