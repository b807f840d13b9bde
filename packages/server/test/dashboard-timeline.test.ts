import { describe, expect, it } from 'vitest';
// @ts-expect-error: the dashboard is plain JavaScript served as it is, without declarations.
import { duration, timelineRows } from '../dashboard/timeline.js';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const t = (ms: number) => Date.parse(at(ms));

describe("the dashboard's timeline", () => {
  it('draws each attempt of an activity and the backoffs between them, cut short by retry now', () => {
    const error = { name: 'Error', message: 'card service down' };
    const { rows } = timelineRows(
      [
        { seq: 0, at: at(0), type: 'workflow_started', workflowType: 'w', input: null },
        { seq: 1, at: at(10), type: 'activity_scheduled', cmd: 0, name: 'charge', args: [] },
        { seq: 2, at: at(100), type: 'activity_retrying', cmd: 0, attempt: 1, error, retryAt: at(1100) },
        { seq: 3, at: at(1200), type: 'activity_retrying', cmd: 0, attempt: 2, error, retryAt: at(9000) },
        { seq: 4, at: at(2000), type: 'retry_requested' },
        { seq: 5, at: at(2500), type: 'activity_completed', cmd: 0, result: 'ok' },
      ],
      t(3000),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].segments.map((s: Record<string, unknown>) => [s.kind, s.start, s.end, s.outcome])).toEqual(
      [
        ['attempt', t(10), t(100), 'failed'],
        ['backoff', t(100), t(1100), 'backoff'],
        ['attempt', t(1100), t(1200), 'failed'],
        ['backoff', t(1200), t(2000), 'backoff'],
        ['attempt', t(2000), t(2500), 'completed'],
      ],
    );
    expect(rows[0].segments[0].error.message).toBe('card service down');
    expect(rows[0].open).toBe(false);
  });

  it('ends a signal wait when its signal comes, and leaves open what is still awaited', () => {
    const { rows, signals } = timelineRows(
      [
        { seq: 0, at: at(0), type: 'workflow_started', workflowType: 'w', input: null },
        { seq: 1, at: at(5), type: 'timer_started', cmd: 0, fireAt: at(60_000), signal: 'approve' },
        { seq: 2, at: at(50), type: 'signal_received', name: 'approve', payload: {} },
        { seq: 3, at: at(60), type: 'timer_started', cmd: 1, fireAt: at(3_600_000) },
        {
          seq: 4,
          at: at(70),
          type: 'child_scheduled',
          cmd: 2,
          workflowType: 'c',
          workflowId: 'kid',
          input: null,
        },
      ],
      t(1000),
    );
    expect(rows.map((r: { kind: string; open: boolean }) => [r.kind, r.open])).toEqual([
      ['signal-wait', false],
      ['sleep', true],
      ['child', true],
    ]);
    expect(rows[0].segments[0]).toMatchObject({ end: t(50), outcome: 'signalled' });
    expect(rows[1].segments[0]).toMatchObject({ end: t(1000), open: true });
    expect(signals).toEqual([{ at: t(50), name: 'approve' }]);
  });

  it('draws an update from its acceptance to its outcome, open while its handler runs', () => {
    const { rows } = timelineRows(
      [
        { seq: 0, at: at(0), type: 'workflow_started', workflowType: 'w', input: null },
        { seq: 1, at: at(10), type: 'update_accepted', updateId: 'u1', name: 'addItem', arg: 1 },
        { seq: 2, at: at(20), type: 'update_accepted', updateId: 'u2', name: 'addItem', arg: 2 },
        { seq: 3, at: at(30), type: 'update_completed', updateId: 'u1', result: 1 },
      ],
      t(100),
    );
    expect(
      rows.map((r: { kind: string; label: string; open: boolean }) => [r.kind, r.label, r.open]),
    ).toEqual([
      ['update', 'update addItem', false],
      ['update', 'update addItem', true],
    ]);
    expect(rows[0].segments[0]).toMatchObject({ start: t(10), end: t(30), outcome: 'completed' });
  });

  it('marks each side effect at its moment, red when its function threw', () => {
    const error = { name: 'Error', message: 'no config' };
    const { rows } = timelineRows(
      [
        { seq: 0, at: at(0), type: 'workflow_started', workflowType: 'w', input: null },
        { seq: 1, at: at(10), type: 'side_effect', cmd: 0, result: 'eu-west' },
        { seq: 2, at: at(20), type: 'side_effect', cmd: 1, error },
      ],
      t(100),
    );
    expect(
      rows.map((r: { kind: string; label: string; open: boolean }) => [r.kind, r.label, r.open]),
    ).toEqual([
      ['side-effect', 'side effect #0', false],
      ['side-effect', 'side effect #1', false],
    ]);
    expect(rows[0].segments).toEqual([
      { kind: 'side-effect', start: t(10), end: t(10), outcome: 'completed' },
    ]);
    expect(rows[1].segments[0]).toMatchObject({ outcome: 'failed', error });
  });

  it('writes durations as people read them', () => {
    expect([850, 2400, 185_000, 7_380_000].map(duration)).toEqual(['850ms', '2.4s', '3m 5s', '2h 3m']);
  });
});
