// A run's page: its status and data, what it waits on, the timeline, the history and the actions.
import { useRef } from 'preact/hooks';
import { Actions } from './actions.js';
import { api, can, enc, html, isOpen, pretty, query } from './api.js';
import { History } from './history-table.js';
import { usePoll } from './poll.js';
import { Facts } from './run-facts.js';
import { ErrorInfo, Parked, pendingKeys, Waiting } from './run-state.js';
import { Timeline } from './timeline.js';

/** How often an open run's page looks again; a closed run changes only when someone resets it. */
const OPEN_EVERY_MS = 2000;
const CLOSED_EVERY_MS = 30_000;
/** The runs of the workflow id the page lists, the latest first. */
const RUNS_SHOWN = 20;

const NONE = { activities: [], timers: [], children: [] };

function Json({ value }) {
  return value === undefined ? html`<span class="muted">none</span>` : html`<pre>${pretty(value)}</pre>`;
}

export function WorkflowPage({ id, runId, scopes }) {
  // The events read so far, of one run: each look asks only for the events after the last one.
  const seen = useRef({ runId: undefined, events: [] });
  const load = async () => {
    const [run, runs] = await Promise.all([
      api('GET', `v1/workflows/${enc(id)}${query({ runId })}`),
      api('GET', `v1/workflows/${enc(id)}/runs${query({ limit: RUNS_SHOWN })}`),
    ]);
    let events = seen.current.runId === run.runId ? seen.current.events : [];
    for (;;) {
      const after = events.at(-1)?.seq;
      const page = await api(
        'GET',
        `v1/workflows/${enc(id)}/history${query({ runId: run.runId, after, limit: 1000 })}`,
      );
      events = events.concat(page.events);
      if (page.nextAfter === undefined) break;
    }
    seen.current = { runId: run.runId, events };
    return { run, runs: runs.items, events };
  };
  const { data, error, reload } = usePoll(load, [id, runId], ({ run }) =>
    isOpen(run) ? OPEN_EVERY_MS : CLOSED_EVERY_MS,
  );
  if (!data) return error ? html`<p class="error">${error.message}</p>` : html`<p class="muted">Loading…</p>`;
  const { run, runs, events } = data;
  const pending = run.pending ?? NONE;
  const waitingKeys = pendingKeys(pending);
  // A run waiting for a concurrency slot has not started: it waits for no input yet.
  const forInput = run.status === 'running' && waitingKeys.size === 0 && !run.waitingFor;
  return html`<article class="workflow">
    ${error && html`<p class="error">${error.message}</p>`}
    <div class="toolbar">
      <h1>${run.workflowId}</h1>
      <span class=${`status ${run.status}`} data-testid="status">${run.status}</span>
    </div>
    <${Facts} run=${run} events=${events} runs=${runs} />
    <${Actions} run=${run} scopes=${scopes} reload=${reload} />
    ${run.parked && html`<${Parked} parked=${run.parked} />`}
    ${isOpen(run) && html`<${Waiting} pending=${pending} forInput=${forInput} waitingFor=${run.waitingFor} />`}
    <section><h2>Timeline</h2>
      <${Timeline} events=${events} closedAt=${run.closedAt} pendingKeys=${waitingKeys} forInput=${forInput} />
    </section>
    <section class="data">
      <div><h2>Input</h2><${Json} value=${run.input} /></div>
      ${run.status === 'completed' && html`<div><h2>Result</h2><${Json} value=${run.result} /></div>`}
      ${run.error && html`<div><h2>Error</h2><${ErrorInfo} error=${run.error} /></div>`}
    </section>
    <${History} run=${run} events=${events} canReset=${can(scopes, 'admin')} />
  </article>`;
}
