import type { BatchDescription, BatchOperation, Json } from '@reel/sdk';
import { int, json, type Parsed, parse, positional, REMOTE, str } from './args.ts';
import { FILTER_OPTIONS, filterOf } from './filter-flags.ts';
import { brief, printFields, printJson, say, when } from './format.ts';
import { remoteClient, subcommand } from './remote.ts';

const SUBCOMMANDS = ['cancel', 'terminate', 'signal', 'describe', 'resume', 'stop'] as const;

const OPTIONS = {
  ...REMOTE,
  ...FILTER_OPTIONS,
  id: { type: 'string' },
  'page-size': { type: 'string' },
  reason: { type: 'string' },
  payload: { type: 'string' },
  'dry-run': { type: 'boolean' },
  wait: { type: 'boolean' },
} as const;

/**
 * `reel batch <subcommand>`: bulk actions through a running server, which runs each batch. Without
 * `--wait` a command answers once the batch is created; `describe` shows its progress.
 */
export async function batchCommand(argv: string[]): Promise<void> {
  const [sub, rest] = subcommand('batch', argv, SUBCOMMANDS);
  const command = `batch ${sub}`;
  const parsed = parse(command, rest, OPTIONS);
  const client = remoteClient(parsed);
  const asJson = parsed.values.json === true;
  const wait = parsed.values.wait === true;
  const show = (batch: BatchDescription) => (asJson ? printJson(batch) : print(batch));
  switch (sub) {
    case 'cancel':
    case 'terminate':
    case 'signal': {
      const filter = filterOf(parsed);
      if (parsed.values['dry-run']) {
        const matched = await client.batches.count(filter);
        return asJson ? printJson({ dryRun: true, matched }) : say(`${matched} runs match; nothing changed.`);
      }
      const operation: BatchOperation =
        sub === 'signal'
          ? {
              kind: 'signal',
              name: positional(parsed, 0, 'signal-name', command),
              payload: (json(parsed, 'payload') ?? null) as Json,
            }
          : { kind: sub as 'cancel' | 'terminate', ...reasonOf(parsed) };
      const batch = await client.batches.start({
        operation,
        filter,
        id: str(parsed, 'id'),
        pageSize: int(parsed, 'page-size'),
      });
      return show(wait ? await client.batches.resume(batch.id) : batch);
    }
    case 'describe':
      return show(await client.batches.describe(positional(parsed, 0, 'batch-id', command)));
    case 'resume': {
      const id = positional(parsed, 0, 'batch-id', command);
      return show(await client.batches.resume(id, { wait }));
    }
    case 'stop': {
      const id = positional(parsed, 0, 'batch-id', command);
      await client.batches.stop(id);
      return show(await client.batches.describe(id));
    }
  }
}

function reasonOf(parsed: Parsed): { reason?: string } {
  const reason = str(parsed, 'reason');
  return reason === undefined ? {} : { reason };
}

function print(b: BatchDescription): void {
  const op = b.operation;
  printFields([
    ['batch', b.id],
    ['operation', op.kind === 'signal' ? `signal '${op.name}' ${brief(op.payload, 80)}` : op.kind],
    ['reason', op.kind === 'signal' ? undefined : op.reason],
    ['filter', brief(b.filter, 200)],
    ['status', b.status],
    ['progress', `${b.done + b.skipped} of ${b.matched} (${b.done} done, ${b.skipped} skipped)`],
    ['page size', String(b.pageSize)],
    ['runner', b.runner && `${b.runner.owner} (lease until ${when(b.runner.leaseExpiresAt)})`],
    ['created', when(b.createdAt)],
    ['updated', when(b.updatedAt)],
    ['closed', when(b.closedAt)],
  ]);
}
