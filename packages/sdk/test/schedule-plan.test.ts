import { describe, expect, it } from 'vitest';
import { checkCron, nextFireTime, planTick, tickWorkflowId, withRecent } from '../src/index.ts';

const iso = (d: Date | null) => d?.toISOString();

/** The next `n` fire times after `from`. */
function fires(cron: string, timezone: string, from: string, n: number): string[] {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = nextFireTime(cron, timezone, at) as Date;
    out.push(at.toISOString());
  }
  return out;
}

describe('cron in a time zone', () => {
  it('keeps 09:00 Paris time across the spring change (UTC moves from 08:00 to 07:00)', () => {
    expect(fires('0 9 * * *', 'Europe/Paris', '2025-03-28T00:00:00Z', 4)).toEqual([
      '2025-03-28T08:00:00.000Z',
      '2025-03-29T08:00:00.000Z',
      '2025-03-30T07:00:00.000Z',
      '2025-03-31T07:00:00.000Z',
    ]);
  });

  it('keeps 09:00 Paris time across the autumn change (UTC moves from 07:00 to 08:00)', () => {
    expect(fires('0 9 * * *', 'Europe/Paris', '2025-10-25T00:00:00Z', 3)).toEqual([
      '2025-10-25T07:00:00.000Z',
      '2025-10-26T08:00:00.000Z',
      '2025-10-27T08:00:00.000Z',
    ]);
  });

  it('runs a fixed time that falls in the spring gap just after it, and a repeated one once', () => {
    // 02:30 does not exist in Paris on 2025-03-30: it runs at 03:00 CEST (01:00Z), once.
    expect(fires('30 2 * * *', 'Europe/Paris', '2025-03-29T12:00:00Z', 2)).toEqual([
      '2025-03-30T01:00:00.000Z',
      '2025-03-31T00:30:00.000Z',
    ]);
    // 02:30 happens twice on 2025-10-26: it runs at the first, CEST (00:30Z), only.
    expect(fires('30 2 * * *', 'Europe/Paris', '2025-10-25T12:00:00Z', 2)).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('reads seconds as a sixth, leading field and takes nicknames', () => {
    expect(fires('*/20 * * * * *', 'UTC', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    expect(fires('@daily', 'America/New_York', '2026-01-01T12:00:00Z', 1)).toEqual([
      '2026-01-02T05:00:00.000Z',
    ]);
  });

  it('rejects bad expressions, unknown zones and expressions that never match', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    for (const [cron, tz] of [
      ['not a cron', 'UTC'],
      ['61 * * * *', 'UTC'],
      ['0 0 30 2 *', 'UTC'],
      ['0 9 * * *', 'Mars/Olympus'],
      ['0 9 * * *', ''],
      [42, 'UTC'],
    ]) {
      expect(() => checkCron(cron, tz, now), `${cron} ${tz}`).toThrow(
        expect.objectContaining({ code: 'REEL_INVALID_SCHEDULE' }),
      );
    }
    expect(iso(checkCron('0 9 * * *', 'Europe/Paris', now))).toBe('2026-01-01T08:00:00.000Z');
  });
});

describe('planTick', () => {
  const hourly = { cron: '0 * * * *', timezone: 'UTC', bufferedAt: null };
  const at = (hhmm: string) => new Date(`2026-01-05T${hhmm}:00.000Z`);

  it('starts the due tick and moves on to the next match after now, collapsing missed ticks', () => {
    const plan = planTick({ ...hourly, overlap: 'skip', nextFireAt: at('01:00') }, false, at('03:10'));
    expect(plan.ticks).toEqual([{ fireAt: at('01:00'), outcome: 'started' }]);
    expect(plan.nextFireAt).toEqual(at('04:00'));
  });

  it('does nothing before the tick is due', () => {
    const plan = planTick({ ...hourly, overlap: 'skip', nextFireAt: at('01:00') }, false, at('00:59'));
    expect(plan).toEqual({ ticks: [], nextFireAt: at('01:00'), bufferedAt: null });
  });

  it('applies the overlap policy while the previous run is open', () => {
    const due = { ...hourly, nextFireAt: at('01:00') };
    expect(planTick({ ...due, overlap: 'skip' }, true, at('01:00')).ticks[0]?.outcome).toBe('skipped');
    expect(planTick({ ...due, overlap: 'allowAll' }, true, at('01:00')).ticks[0]?.outcome).toBe('started');
    const buffered = planTick({ ...due, overlap: 'bufferOne' }, true, at('01:00'));
    expect(buffered.ticks[0]?.outcome).toBe('buffered');
    expect(buffered.bufferedAt).toEqual(at('01:00'));
    const full = planTick({ ...due, overlap: 'bufferOne', bufferedAt: at('00:00') }, true, at('01:00'));
    expect(full.ticks[0]?.outcome).toBe('dropped');
    expect(full.bufferedAt).toEqual(at('00:00'));
  });

  it('starts a buffered tick once the previous run closed, then buffers a due one behind it', () => {
    const plan = planTick(
      { ...hourly, overlap: 'bufferOne', nextFireAt: at('02:00'), bufferedAt: at('01:00') },
      false,
      at('02:00'),
    );
    expect(plan.ticks).toEqual([
      { fireAt: at('01:00'), outcome: 'started' },
      { fireAt: at('02:00'), outcome: 'buffered' },
    ]);
    expect(plan.bufferedAt).toEqual(at('02:00'));
  });

  it('names runs by schedule and fire time, and keeps the last ten', () => {
    expect(tickWorkflowId('report', at('09:00'))).toBe('report@2026-01-05T09:00:00.000Z');
    const runs = Array.from({ length: 12 }, (_, i) => ({ workflowId: `w${i}`, runId: `r${i}` }));
    const recent = withRecent(runs.slice(0, 5).reverse(), runs.slice(5));
    expect(recent.map((r) => r.workflowId)).toEqual([
      'w11',
      'w10',
      'w9',
      'w8',
      'w7',
      'w6',
      'w5',
      'w4',
      'w3',
      'w2',
    ]);
  });
});
