import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkflowContext, WorkflowHistory } from '@reel/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestEnv,
  ReplayMismatchError,
  recordHistory,
  replayHistories,
  replayHistory,
} from '../src/index.ts';

async function reserve(item: string) {
  return `reserved ${item}`;
}
async function charge(item: string) {
  return `charged ${item}`;
}

async function checkout(ctx: WorkflowContext, item: string) {
  const reserved = await ctx.activity(reserve, item);
  await ctx.sleep('1 hour');
  return [reserved, await ctx.activity(charge, item)];
}

let recorded: WorkflowHistory;
beforeAll(async () => {
  await using env = await createTestEnv({
    workflows: { checkout },
    activities: { reserve, charge },
    startTime: '2030-01-01T00:00:00Z',
  });
  const handle = await env.client.start(checkout, 'book', { id: 'checkout-1' });
  await handle.result();
  recorded = JSON.parse(JSON.stringify(await env.client.history('checkout-1')));
});

describe('replayHistory', () => {
  it('replays a recorded history against the same code', async () => {
    await expect(replayHistory(checkout, recorded)).resolves.toBeUndefined();
  });

  it('fails with a readable diff when the code now issues other commands', async () => {
    const reordered = async function checkout(ctx: WorkflowContext, item: string) {
      const charged = await ctx.activity(charge, item);
      await ctx.sleep('1 hour');
      return [await ctx.activity(reserve, item), charged];
    };
    const err = await replayHistory(reordered, recorded).catch((e) => e);
    expect(err).toBeInstanceOf(ReplayMismatchError);
    expect(err.code).toBe('REEL_NONDETERMINISM');
    expect(err.message).toContain('diverged at command 0');
    expect(err.message).toContain("history recorded: activity 'reserve'");
    expect(err.message).toContain("the code now issues: activity 'charge'");
    expect(err.message).toMatch(/> #1 activity_scheduled/);
  });

  it('fails when the code drops a recorded command', async () => {
    const noSleep = async function checkout(ctx: WorkflowContext, item: string) {
      const reserved = await ctx.activity(reserve, item);
      return [reserved, await ctx.activity(charge, item)];
    };
    const err = await replayHistory(noSleep, recorded).catch((e) => e);
    expect(err.message).toContain('history recorded: a timer');
    expect(err.message).toContain("the code now issues: activity 'charge'");
  });

  it('fails when the code ends differently', async () => {
    const otherResult = async function checkout(ctx: WorkflowContext, item: string) {
      await checkout_(ctx, item);
      return 'something else';
    };
    async function checkout_(ctx: WorkflowContext, item: string) {
      await ctx.activity(reserve, item);
      await ctx.sleep('1 hour');
      await ctx.activity(charge, item);
    }
    const err = await replayHistory(otherResult, recorded).catch((e) => e);
    expect(err.message).toContain('ended differently');
    expect(err.message).toContain(
      '- recorded: {"type":"workflow_completed","result":["reserved book","charged book"]}',
    );
    expect(err.message).toContain('+ replayed: {"type":"workflow_completed","result":"something else"}');
  });
});

describe('replayHistories', () => {
  it('replays every JSON file in a folder and names each failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-histories-'));
    try {
      await writeFile(join(dir, 'good.json'), JSON.stringify(recorded));
      expect(await replayHistories(dir, { checkout })).toEqual(['good.json']);
      await writeFile(join(dir, 'unknown.json'), JSON.stringify({ ...recorded, workflowType: 'gone' }));
      const err = await replayHistories(dir, { checkout }).catch((e) => e);
      expect(err.message).toContain('1 of 2 histories');
      expect(err.message).toContain("unknown.json: no workflow registered as 'gone'");
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('recordHistory', () => {
  it("writes a run's history as replayHistories reads it", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reel-histories-'));
    try {
      await using env = await createTestEnv({ workflows: { checkout }, activities: { reserve, charge } });
      const handle = await env.client.start(checkout, 'lamp', { id: 'checkout-2' });
      await handle.result();
      const events = await recordHistory(env.client, handle.id, pathToFileURL(join(dir, 'lamp.json')));
      expect(events).toBe((await env.client.history(handle.id)).events.length);
      expect(await replayHistories(dir, { checkout })).toEqual(['lamp.json']);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
