/** Scenario 3: resume cost against history length, in a fresh worker process. */
import pg from 'pg';
import { runChild } from '../child.ts';
import { type BenchContext, type Row, type Section, withDatabase } from '../section.ts';
import { fmt, median, ratio } from '../stats.ts';

interface Point {
  events: number;
  steps: number;
  buildMs: number;
  coldMs: number;
  warmMs?: number;
}

/** Vacuums, analyzes and checkpoints the database the history was just built in. */
async function settle(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('vacuum analyze');
    await db.query('checkpoint');
  } finally {
    await db.end();
  }
}

export async function resumeScenario(ctx: BenchContext): Promise<Section> {
  const { histories, resumes } = ctx.config;
  const points: { reel: Point[]; dbos: Point[] } = { reel: [], dbos: [] };
  for (const system of ctx.systems) {
    await withDatabase(ctx, async (url) => {
      for (const events of histories) {
        // Reel records two events per activity (scheduled, completed), plus workflow_started.
        const steps = Math.max(1, Math.round((events - 1) / 2));
        const id = `resume-${events}`;
        ctx.log(`3. resume: ${system}, building ${steps} steps`);
        const built = await runChild<{ events: number; buildMs: number }>(system, 'resume-build', {
          url,
          id,
          steps,
        });
        await settle(url);
        const cold: number[] = [];
        const warm: number[] = [];
        for (let r = 0; r < resumes; r++) {
          ctx.log(`3. resume: ${system}, ${steps} steps, fresh process ${r + 1}/${resumes}`);
          const got = await runChild<{ ms?: number; coldMs?: number; warmMs?: number }>(system, 'resume', {
            url,
            id,
            key: `resume-${r}`,
            warm: 3,
          });
          cold.push((got.coldMs ?? got.ms) as number);
          if (got.warmMs !== undefined) warm.push(got.warmMs);
        }
        points[system].push({
          events: built.events,
          steps,
          buildMs: built.buildMs,
          coldMs: median(cold),
          ...(warm.length ? { warmMs: median(warm) } : {}),
        });
      }
    });
  }
  const rows: Row[] = [];
  histories.forEach((events, i) => {
    const r = points.reel[i];
    const d = points.dbos[i];
    const label = `3. ${events.toLocaleString('en-US')} events (${r?.steps ?? d?.steps} steps)`;
    rows.push({
      scenario: label,
      metric: 'resume, fresh process',
      reel: fmt(r?.coldMs, 'ms'),
      dbos: fmt(d?.coldMs, 'ms'),
      ratio: ratio(r?.coldMs, d?.coldMs),
    });
    rows.push({
      scenario: label,
      metric: 'resume, warm process',
      reel: fmt(r?.warmMs, 'ms'),
      dbos: '–',
      ratio: '–',
    });
  });
  // Marginal cost per event between consecutive lengths: flat means linear growth.
  const marginal = (ps: Point[], pick: (p: Point) => number | undefined) =>
    ps.slice(1).map((p, i) => {
      const prev = ps[i] as Point;
      return ((pick(p) ?? 0) - (pick(prev) ?? 0)) / (p.steps - prev.steps) / 2;
    });
  const reelWarm = marginal(points.reel, (p) => p.warmMs);
  const reelCold = marginal(points.reel, (p) => p.coldMs);
  const dbosCold = marginal(points.dbos, (p) => p.coldMs);
  histories.slice(1).forEach((events, i) => {
    rows.push({
      scenario: `3. per event, ${histories[i]}→${events}`,
      metric: 'marginal resume cost (fresh / warm)',
      reel: `${fmt((reelCold[i] ?? Number.NaN) * 1000, 'µs')} / ${fmt((reelWarm[i] ?? Number.NaN) * 1000, 'µs')}`,
      dbos: fmt((dbosCold[i] ?? Number.NaN) * 1000, 'µs'),
      ratio: ratio(reelCold[i], dbosCold[i]),
    });
  });
  const last = points.reel[points.reel.length - 1];
  const lastEvents = histories[histories.length - 1] as number;
  return {
    title: '3. Resume against history length',
    rows,
    targets:
      last && lastEvents >= 10_000
        ? [
            {
              name: `resume of a ${lastEvents.toLocaleString('en-US')}-event history`,
              goal: '< 150 ms in a fresh process',
              measured: `${fmt(last.coldMs, 'ms')} in a fresh process, ${fmt(last.warmMs, 'ms')} warm`,
              met: last.coldMs < 150,
            },
          ]
        : [],
    notes: [
      `A workflow runs k no-op activities one after another, then waits for a signal (then runs one more activity and waits again, for ever). Reel records 2k + 1 events for it; DBOS records k + 1 rows (one per step, one for recv's timeout), so both sides run the same k steps: k = ${histories.map((e) => Math.max(1, Math.round((e - 1) / 2))).join(', ')}.`,
      `The building process then stops, and the database is settled (\`VACUUM ANALYZE\`, \`CHECKPOINT\`), so that neither the autovacuum the build set off nor its dirty pages land in the measurement. Each of ${resumes} fresh processes starts a new worker (Reel: \`Worker.create\` and \`run()\`; DBOS: \`DBOS.launch()\`, which recovers the pending workflow by re-running it and reading each recorded step back), sends the signal, and times until the activity after it has run (Reel's client has opened its connection before: what is timed is the worker's resume). The median is shown. Reel's "warm" figure: in the same process, the run suspends again (freed from memory) and is signalled three more times; each resume claims, loads and replays the whole history again. DBOS keeps a recovered workflow in memory, so it has no such figure.`,
      `Time to build the histories (k activities one after another, the workflow left running): ${points.reel.map((p) => `Reel ${fmt(p.buildMs / 1000, 's')} for k = ${p.steps}`).join(', ')}${points.dbos.length ? `; ${points.dbos.map((p) => `DBOS ${fmt(p.buildMs / 1000, 's')} for k = ${p.steps}`).join(', ')}` : ''}.`,
    ],
  };
}
