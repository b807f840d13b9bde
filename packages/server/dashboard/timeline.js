// The timeline picture: one row per activity, timer, child workflow, side effect and update of a run,
// as bars on a time axis drawn from its history; what the run waits on now is highlighted.
import { html } from './api.js';

const ms = (iso) => new Date(iso).getTime();

/**
 * The rows of a run's timeline, from its recorded events. An activity's row holds a segment per
 * attempt and one per backoff between attempts; open segments end at `now`.
 */
export function timelineRows(events, now) {
  const rows = new Map();
  const row = (key, kind, label, start) => {
    if (!rows.has(key)) rows.set(key, { key, kind, label, segments: [], marks: [], open: false });
    const r = rows.get(key);
    if (start !== undefined) r.start = start;
    return r;
  };
  const close = (r, end, outcome) => {
    const last = r.segments.at(-1);
    if (last && last.end === undefined) Object.assign(last, { end, outcome });
  };
  const signals = [];
  for (const e of events) {
    const at = ms(e.at);
    switch (e.type) {
      case 'activity_scheduled':
        row(`a${e.cmd}`, 'activity', e.name, at).segments.push({ kind: 'attempt', start: at, attempt: 1 });
        break;
      case 'activity_retrying': {
        const r = row(`a${e.cmd}`, 'activity');
        close(r, at, 'failed');
        r.segments.at(-1).error = e.error;
        r.segments.push({ kind: 'backoff', start: at, end: ms(e.retryAt), outcome: 'backoff' });
        r.segments.push({ kind: 'attempt', start: ms(e.retryAt), attempt: e.attempt + 1 });
        break;
      }
      case 'activity_completed':
        close(row(`a${e.cmd}`, 'activity'), at, 'completed');
        break;
      case 'activity_failed': {
        const r = row(`a${e.cmd}`, 'activity');
        close(r, at, 'failed');
        r.segments.at(-1).error = e.error;
        break;
      }
      case 'timer_started': {
        const label = e.signal ? `wait for signal ${e.signal}` : 'sleep';
        const r = row(`t${e.cmd}`, e.signal ? 'signal-wait' : 'sleep', label, at);
        r.signal = e.signal;
        r.segments.push({ kind: 'timer', start: at, due: ms(e.fireAt) });
        break;
      }
      case 'timer_fired':
        close(row(`t${e.cmd}`, 'sleep'), at, 'fired');
        break;
      case 'child_scheduled':
        row(`c${e.cmd}`, 'child', `child ${e.workflowType} ${e.workflowId}`, at).segments.push({
          kind: 'child',
          start: at,
        });
        break;
      case 'child_completed':
        close(row(`c${e.cmd}`, 'child'), at, 'completed');
        break;
      case 'child_failed':
        close(row(`c${e.cmd}`, 'child'), at, 'failed');
        break;
      case 'side_effect': {
        // Recorded when its function returned or threw: a moment, not a span.
        const outcome = e.error ? { outcome: 'failed', error: e.error } : { outcome: 'completed' };
        row(`s${e.cmd}`, 'side-effect', `side effect #${e.cmd}`, at).segments.push({
          kind: 'side-effect',
          start: at,
          end: at,
          ...outcome,
        });
        break;
      }
      case 'update_accepted':
        row(`u${e.updateId}`, 'update', `update ${e.name}`, at).segments.push({ kind: 'update', start: at });
        break;
      case 'update_completed':
        close(row(`u${e.updateId}`, 'update'), at, e.error ? 'failed' : 'completed');
        break;
      case 'retry_requested':
        // Retry now cuts every backoff still running short.
        for (const r of rows.values()) {
          const [backoff, next] = r.segments.slice(-2);
          if (backoff?.kind === 'backoff' && backoff.end > at) backoff.end = next.start = at;
        }
        break;
      case 'signal_received':
        signals.push({ at, name: e.name });
        // A signal ends the wait whose timeout it beat.
        for (const r of rows.values())
          if (r.signal === e.name && r.segments.at(-1)?.end === undefined) close(r, at, 'signalled');
        break;
    }
  }
  for (const r of rows.values()) {
    for (const s of r.segments) if (s.end === undefined) Object.assign(s, { end: now, open: true });
    r.open = r.segments.some((s) => s.open);
  }
  return { rows: [...rows.values()], signals };
}

const LABEL_W = 220;
const WIDTH = 960;
const ROW_H = 24;
const AXIS_H = 28;

/** A duration as people read it: 850ms, 2.4s, 3m 5s. */
export function duration(msecs) {
  if (msecs < 1000) return `${Math.round(msecs)}ms`;
  if (msecs < 60_000) return `${(msecs / 1000).toFixed(1)}s`;
  const m = Math.floor(msecs / 60_000);
  return m < 60 ? `${m}m ${Math.round((msecs % 60_000) / 1000)}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/**
 * The SVG picture. `pendingKeys` are the rows the run waits on now (from describe's `pending`);
 * `forInput`: it waits for a signal or a condition, which records no event, so a row of its own
 * shows that wait from the last event on.
 */
export function Timeline({ events, closedAt, pendingKeys, forInput }) {
  if (!events?.length) return null;
  const start = ms(events[0].at);
  const end = closedAt ? ms(closedAt) : Date.now();
  const { rows, signals } = timelineRows(events, end);
  if (forInput) {
    const since = ms(events.at(-1).at);
    rows.push({
      key: 'input',
      kind: 'input-wait',
      label: 'waiting for input',
      open: true,
      segments: [{ kind: 'wait', start: since, end, open: true }],
    });
  }
  const span = Math.max(end - start, 1);
  const x = (t) => LABEL_W + ((Math.min(Math.max(t, start), end) - start) / span) * (WIDTH - LABEL_W - 10);
  const height = AXIS_H + Math.max(rows.length, 1) * ROW_H + 8;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => start + f * span);
  return html`<svg class="timeline" viewBox=${`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label="Timeline">
    ${ticks.map(
      (t) => html`<g class="tick">
        <line x1=${x(t)} x2=${x(t)} y1=${AXIS_H - 6} y2=${height} />
        <text x=${x(t)} y=${14} text-anchor=${t === end ? 'end' : 'middle'}>+${duration(t - start)}</text>
      </g>`,
    )}
    ${signals.map(
      (s) => html`<g class="signal-mark"><title>signal ${s.name} at +${duration(s.at - start)}</title>
        <path d=${`M${x(s.at)} ${AXIS_H - 8} l5 6 l-5 6 l-5 -6z`} /></g>`,
    )}
    ${rows.length === 0 && html`<text x=${LABEL_W} y=${AXIS_H + 16} class="muted">No activities, timers or children yet.</text>`}
    ${rows.map((r, i) => {
      const y = AXIS_H + i * ROW_H;
      const waiting = pendingKeys.has(r.key) || r.kind === 'input-wait';
      return html`<g class=${`row ${r.kind}${waiting ? ' waiting' : ''}`} data-kind=${r.kind} data-key=${r.key}>
        <text x=${4} y=${y + 16} class="label">${r.label.length > 30 ? `${r.label.slice(0, 29)}…` : r.label}</text>
        ${r.segments.map(
          (s) => html`<rect class=${`segment ${s.kind} ${s.outcome ?? ''}${s.open ? ' open' : ''}`}
            x=${x(s.start)} y=${y + 4} height=${ROW_H - 8} rx="3"
            width=${Math.max(x(s.end) - x(s.start), 2)}>
            <title>${segmentTitle(r, s, start)}</title>
          </rect>`,
        )}
      </g>`;
    })}
  </svg>`;
}

function segmentTitle(row, s, start) {
  const what =
    s.kind === 'attempt'
      ? `${row.label}: attempt ${s.attempt}`
      : s.kind === 'backoff'
        ? `${row.label}: backoff`
        : row.label;
  const state = s.open ? 'still open' : s.outcome;
  const error = s.error ? `: ${s.error.message}` : '';
  return `${what}, +${duration(s.start - start)} for ${duration(s.end - s.start)} (${state}${error})`;
}
