/**
 * Where Reel's time goes on scenario 1's workflow: round trips per workflow by statement, WAL and row
 * changes, and an experiment — the same run with Reel's statements prepared.
 */
import { runChild } from '../child.ts';
import type { ReelProfile } from '../reel/profile.ts';
import { type BenchContext, type Section, withDatabase } from '../section.ts';
import { fmt, ratio, table } from '../stats.ts';

interface DbosProfile {
  msPerWorkflow: number;
  statementsPerWorkflow: number;
  transactionsPerWorkflow: number;
}

export async function profileScenario(ctx: BenchContext): Promise<Section> {
  const n = Math.min(ctx.config.n, 200);
  const run = (prepare: boolean) =>
    withDatabase(ctx, (url) => runChild<ReelProfile>('reel', 'profile', { url, n, prepare }));
  ctx.log(`profile: ${n} workflows one at a time, statements as Reel sends them, then prepared, twice`);
  const plain: ReelProfile[] = [];
  const prepared: ReelProfile[] = [];
  for (let i = 0; i < 2; i++) {
    plain.push(await run(false));
    prepared.push(await run(true));
  }
  const dbos = ctx.systems.includes('dbos')
    ? await withDatabase(ctx, (url) => runChild<DbosProfile>('dbos', 'profile', { url, n }))
    : undefined;
  const p = plain[plain.length - 1] as ReelProfile;
  const mean = (xs: ReelProfile[]) => xs.reduce((s, x) => s + x.msPerWorkflow, 0) / xs.length;
  const statementRows = p.statements.map((s) => {
    const q = prepared[prepared.length - 1]?.statements.find((x) => x.name === s.name && x.pool === s.pool);
    return [s.pool, s.name, fmt(s.perWorkflow), fmt(s.meanMs, 'ms'), fmt(q?.meanMs, 'ms')];
  });
  return {
    title: 'Profile: round trips per workflow',
    rows: [
      {
        scenario: 'profile c=1',
        metric: 'statements per workflow',
        reel: fmt(p.statementsPerWorkflow),
        dbos: fmt(dbos?.statementsPerWorkflow),
        ratio: ratio(p.statementsPerWorkflow, dbos?.statementsPerWorkflow),
      },
      {
        scenario: 'profile c=1',
        metric: 'start→result, statements as sent today',
        reel: fmt(mean(plain), 'ms'),
        dbos: fmt(dbos?.msPerWorkflow, 'ms'),
        ratio: ratio(mean(plain), dbos?.msPerWorkflow),
      },
      {
        scenario: 'profile c=1',
        metric: 'start→result, statements prepared (experiment)',
        reel: fmt(mean(prepared), 'ms'),
        dbos: '–',
        ratio: ratio(mean(prepared), dbos?.msPerWorkflow),
      },
    ],
    notes: [
      `${n} workflows of scenario 1, one at a time, in one process (worker and client, each with its own pool), with every statement \`pg\` sends recorded by wrapping \`pg.Client.prototype.query\` in the bench's process (\`bench/src/profile/query-log.ts\`); Reel's code is unchanged. Each variant ran twice, alternating; the figures are means. The "prepared" variant sends each statement of \`queries.ts\` with a name, so Postgres parses and plans it once per connection instead of on every call. DBOS (same workflow) sends ${fmt(dbos?.statementsPerWorkflow)} statements in ${fmt(dbos?.transactionsPerWorkflow)} transactions per workflow, each short.`,
      `Reel, by statement (the last run of each variant), by time spent:\n\n${table(['pool', 'statement', 'per workflow', 'mean, as sent', 'mean, prepared'], statementRows)}`,
      `WAL per workflow: ${fmt(p.walBytesPerWorkflow / 1024, 'KiB')}. Row changes per workflow (\`pg_stat_user_tables\`; an update that is not HOT adds an entry to every index of the table — \`reel.workflows\` has ${p.workflowIndexes.length}: ${p.workflowIndexes.join(', ')}):\n\n${table(
        ['table', 'inserts', 'updates', 'of which HOT', 'deletes'],
        p.tables.map((t) => [t.table, fmt(t.inserts), fmt(t.updates), fmt(t.hotUpdates), fmt(t.deletes)]),
      )}`,
      `One workflow's statements in order (${fmt((p.timeline.at(-1)?.atMs ?? 0) + (p.timeline.at(-1)?.ms ?? 0), 'ms')}), from its start:\n\n${table(
        ['at', 'pool', 'statement', 'took'],
        p.timeline.map((q) => [fmt(q.atMs, 'ms'), q.pool, q.name, fmt(q.ms, 'ms')]),
      )}`,
    ],
  };
}
