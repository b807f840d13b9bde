import { ErrorCodes, type PendingWork, ReelError } from '@reel/sdk';
import type { HttpClient } from '../http-client.ts';
import {
  duration,
  int,
  json,
  type Parsed,
  parse,
  parseJson,
  positional,
  REMOTE,
  str,
  UsageError,
} from './args.ts';
import { attributesOf, FILTER_OPTIONS, filterOf } from './filter-flags.ts';
import { FLOW_OPTIONS, flowOf } from './flow-flags.ts';
import { brief, printFields, printJson, printTable, say, when } from './format.ts';
import { remoteClient, subcommand } from './remote.ts';

const SUBCOMMANDS = [
  'start',
  'signal',
  'query',
  'update',
  'cancel',
  'terminate',
  'retry',
  'reset',
  'describe',
  'list',
  'runs',
  'history',
  'result',
] as const;

const OPTIONS = {
  ...REMOTE,
  id: { type: 'string' },
  input: { type: 'string' },
  'fail-if-exists': { type: 'boolean' },
  'start-delay': { type: 'string' },
  'execution-timeout': { type: 'string' },
  payload: { type: 'string' },
  args: { type: 'string' },
  timeout: { type: 'string' },
  reason: { type: 'string' },
  'run-id': { type: 'string' },
  'update-id': { type: 'string' },
  'to-event': { type: 'string' },
  ...FILTER_OPTIONS,
  ...FLOW_OPTIONS,
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

/** `reel workflow <subcommand>`: drives workflows through a running server with `HttpClient`. */
export async function workflowCommand(argv: string[]): Promise<void> {
  const [sub, rest] = subcommand('workflow', argv, SUBCOMMANDS);
  const command = `workflow ${sub}`;
  const parsed = parse(command, rest, OPTIONS);
  const client = remoteClient(parsed);
  const asJson = parsed.values.json === true;
  const id = () => positional(parsed, 0, 'workflow-id', command);
  const runId = str(parsed, 'run-id');
  switch (sub) {
    case 'start': {
      const type = positional(parsed, 0, 'workflow-type', command);
      const flow = flowOf(parsed);
      const options = {
        id: str(parsed, 'id'),
        startDelay: duration(parsed, 'start-delay'),
        executionTimeout: duration(parsed, 'execution-timeout'),
        attributes: attributesOf(parsed),
        ...flow,
      };
      const handle = await client.start(type, json(parsed, 'input') as never, options);
      // Checked here rather than with onConflict: 'fail', so that the hint names this command's flags.
      if (!handle.created && parsed.values['fail-if-exists'])
        throw new ReelError(
          ErrorCodes.WORKFLOW_ALREADY_STARTED,
          `Workflow ${handle.id} already exists (run ${handle.runId}). Use another --id, or leave out --fail-if-exists to get the existing run.`,
        );
      const started = { workflowId: handle.id, runId: handle.runId, created: handle.created };
      if (asJson) return printJson(started);
      const found = flow.debounce || flow.throttle ? 'Coalesced into' : 'Already running:';
      return say(`${handle.created ? 'Started' : found} ${type} ${handle.id} (run ${handle.runId})`);
    }
    case 'signal': {
      const name = positional(parsed, 1, 'signal-name', command);
      await client.signal(id(), name, json(parsed, 'payload'));
      return asJson ? printJson({ ok: true }) : say(`Sent signal '${name}' to ${id()}.`);
    }
    case 'query': {
      const name = positional(parsed, 1, 'query-name', command);
      const args = json(parsed, 'args') ?? [];
      if (!Array.isArray(args)) throw new UsageError(`--args must be a JSON array, e.g. --args '["eu", 2]'.`);
      const result = await client.query(id(), name, args, { timeout: str(parsed, 'timeout') });
      return asJson ? printJson({ result }) : printJson(result, true);
    }
    case 'update': {
      const name = positional(parsed, 1, 'update-name', command);
      const arg = parsed.positionals[2];
      const result = await client.update(
        id(),
        name,
        arg === undefined ? undefined : parseJson(arg, 'The update argument', `'"text"'`),
        {
          updateId: str(parsed, 'update-id'),
          timeout: str(parsed, 'timeout'),
        },
      );
      return asJson ? printJson({ result }) : printJson(result, true);
    }
    case 'cancel':
      await client.cancel(id(), str(parsed, 'reason'));
      return asJson ? printJson({ ok: true }) : say(`Asked ${id()} to cancel.`);
    case 'terminate':
      await client.terminate(id(), str(parsed, 'reason'));
      return asJson ? printJson({ ok: true }) : say(`Terminated ${id()}.`);
    case 'retry':
      await client.retryNow(id());
      return asJson ? printJson({ ok: true }) : say(`${id()} retries now.`);
    case 'reset': {
      const toEvent = int(parsed, 'to-event');
      if (toEvent === undefined)
        throw new UsageError(
          'reel workflow reset needs --to-event SEQ: the last event the new run keeps (see reel workflow history).',
        );
      const handle = await client.reset(id(), { toEvent, runId, reason: str(parsed, 'reason') });
      if (asJson) return printJson({ workflowId: handle.id, runId: handle.runId });
      return say(`Reset ${handle.id} to event ${toEvent}: new run ${handle.runId}.`);
    }
    case 'describe':
      return describe(client, id(), runId, asJson);
    case 'list':
      return list(client, parsed, asJson);
    case 'runs': {
      const runs = await client.runs(id(), { limit: int(parsed, 'limit') });
      if (asJson) return printJson(runs);
      return printTable(
        ['run', 'status', 'created', 'closed'],
        runs.map((r) => [r.runId, r.status, when(r.createdAt) ?? '', when(r.closedAt) ?? '']),
      );
    }
    case 'history': {
      const history = await client.history(id(), { runId });
      if (asJson) return printJson(history, true);
      return printTable(
        ['seq', 'type', 'at', 'details'],
        history.events.map(({ seq, type, at, ...details }) => [String(seq), type, at, brief(details, 80)]),
      );
    }
    case 'result': {
      const result = await client.result(id(), { runId, timeout: str(parsed, 'timeout') });
      return asJson ? printJson({ status: 'completed', result }) : printJson(result, true);
    }
  }
}

async function describe(
  client: HttpClient,
  id: string,
  runId: string | undefined,
  asJson: boolean,
): Promise<void> {
  const run = await client.describe(id, { runId });
  if (asJson) return printJson(run);
  printFields([
    ['workflow', run.workflowId],
    ['run', run.runId],
    ['type', run.type],
    ['status', run.status],
    ['waiting', run.waitingFor && `for a slot of concurrency key ${run.waitingFor.concurrencyKey}`],
    ['priority', run.priority === undefined ? undefined : String(run.priority)],
    ['input', brief(run.input, 200)],
    ['result', brief(run.result, 200)],
    ['error', run.error && `${run.error.name}: ${run.error.message}`],
    [
      'parked',
      run.parked &&
        `${run.parked.error.message} (attempt ${run.parked.attempts}, retry at ${when(run.parked.retryAt) ?? 'on input'})`,
    ],
    ['parent', run.parentRunId && `${run.parentWorkflowId ?? '(deleted)'} run ${run.parentRunId}`],
    ['reset', run.resetTo && `to run ${run.resetTo}`],
    ['events', String(run.historyLength)],
    ['created', when(run.createdAt)],
    ['updated', when(run.updatedAt)],
    ['closed', when(run.closedAt)],
    ...waitingOn(run.pending),
  ]);
}

/** One line per thing an open run waits on, for `describe`. */
function waitingOn(pending: PendingWork | undefined): [string, string][] {
  if (!pending) return [];
  const activities = pending.activities.map((a): [string, string] => [
    'activity',
    [
      `${a.name} (command ${a.cmd}) attempt ${a.attempt}`,
      a.taskQueue && `on queue ${a.taskQueue}`,
      a.lastError && `last error ${a.lastError.name}: ${a.lastError.message}`,
      a.nextAttemptAt && `next attempt ${when(a.nextAttemptAt)}`,
      a.waitingFor &&
        ('concurrencyKey' in a.waitingFor
          ? `waiting for a slot of concurrency key '${a.waitingFor.concurrencyKey}'`
          : `waiting for rate limit '${a.waitingFor.rateLimitKey}'`),
    ]
      .filter(Boolean)
      .join(', '),
  ]);
  const timers = pending.timers.map((t): [string, string] => [
    'timer',
    `command ${t.cmd} fires ${when(t.fireAt)}${t.signal ? ` (waiting for signal '${t.signal}')` : ''}`,
  ]);
  const children = pending.children.map((c): [string, string] => [
    'child',
    `${c.workflowType} ${c.workflowId} (command ${c.cmd})${c.runId ? ` run ${c.runId}` : ', starting'}`,
  ]);
  return [...activities, ...timers, ...children];
}

async function list(client: HttpClient, parsed: Parsed, asJson: boolean): Promise<void> {
  const page = await client.list({
    ...filterOf(parsed),
    limit: int(parsed, 'limit'),
    cursor: str(parsed, 'cursor'),
  });
  if (asJson) return printJson(page);
  if (page.items.length === 0) return say('No workflows.');
  printTable(
    ['workflow', 'type', 'status', 'created', 'run'],
    page.items.map((r) => [r.workflowId, r.type, r.status, when(r.createdAt) ?? '', r.runId]),
  );
  if (page.nextCursor) say(`More: --cursor ${page.nextCursor}`);
}
