/** Scenario 5: wall time of one unit test in the time-skipping test environment. */
import { runChild } from '../child.ts';
import type { BenchContext, Section } from '../section.ts';
import { fmt } from '../stats.ts';

export async function testEnvScenario(ctx: BenchContext): Promise<Section> {
  const runs = ctx.config.testRuns;
  ctx.log(`5. test environment: ${runs} runs`);
  const got = await runChild<{ firstMs: number; p50: number; p99: number }>('reel', 'test-env', { runs });
  const na = 'no time skipping';
  return {
    title: '5. Time-skipping test environment',
    rows: [
      { scenario: '5. test env', metric: 'one test, median', reel: fmt(got.p50, 'ms'), dbos: na, ratio: '–' },
      { scenario: '5. test env', metric: 'one test, p99', reel: fmt(got.p99, 'ms'), dbos: na, ratio: '–' },
      {
        scenario: '5. test env',
        metric: 'first test in the process',
        reel: fmt(got.firstMs, 'ms'),
        dbos: na,
        ratio: '–',
      },
    ],
    notes: [
      `A workflow that sleeps one day ten times and runs an activity after every other sleep (five in all): ten days of workflow time. One test is \`createTestEnv\` (in-memory store, virtual clock), start, \`result()\`, \`close()\`; ${runs} tests after a first one, which also pays for loading and JIT, shown apart.`,
      "DBOS has no time-skipping test environment: `DBOS.sleep` records the wake time in Postgres and then waits in real time (DBOS's [pull request 301](https://github.com/dbos-inc/dbos-transact-ts/pull/301)), so the same test would take ten days. DBOS's [TypeScript testing guide](https://docs.dbos.dev/typescript/tutorials/testing) offers unit tests that mock the DBOS interface (with `jest.mock`: the workflow's waits are stubbed out, nothing durable runs) and integration tests against a Postgres test database, in real time.",
    ],
  };
}
