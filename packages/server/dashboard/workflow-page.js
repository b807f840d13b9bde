// A run's page: its status and data, what it waits on, the timeline, the history and the actions.
import { useState } from 'preact/hooks';
import { Actions, Outcome, ResetButton } from './actions.js';
import { api, can, enc, html, link, pretty, query, when } from './api.js';
import { usePoll } from './poll.js';
import { Timeline } from './timeline.js';

function Json({ value }) {
  return value === undefined ? html`<span class="muted">none</span>` : html`<pre>${pretty(value)}</pre>`;
}

function ErrorInfo({ error }) {
  return html`<div class="error-info">
    <p class="error"><b>${error.name}</b>${error.code ? ` (${error.code})` : ''}: ${error.message}</p>
    ${error.stack && html`<details><summary>stack</summary><pre>${error.stack}</pre></details>`}
    ${error.details !== undefined && html`<details open><summary>details</summary><pre>${pretty(error.details)}</pre></details>`}
  </div>`;
}

/** What an open run waits on now, from describe's `pending`. */
function Waiting({ pending }) {
  const items = [
    ...pending.activities.map(
      (a) => html`<li key=${`a${a.cmd}`}>activity <b>${a.name}</b>, attempt ${a.attempt}
        ${a.nextAttemptAt && html`, next attempt at ${when(a.nextAttemptAt)}`}
        ${a.lastError && html`<div class="error">last failure: ${a.lastError.message}</div>`}</li>`,
    ),
    ...pending.timers.map(
      (t) =>
        html`<li key=${`t${t.cmd}`}>${t.signal ? html`signal <b>${t.signal}</b>, until` : 'sleep until'} ${when(t.fireAt)}</li>`,
    ),
    ...pending.children.map(
      (c) =>
        html`<li key=${`c${c.cmd}`}>child <a href=${link('workflows', c.workflowId)}>${c.workflowId}</a> (${c.workflowType})</li>`,
    ),
  ];
  return html`<section class="waiting"><h2>Waiting on</h2>
    ${items.length ? html`<ul>${items}</ul>` : html`<p class="muted">Nothing with a recorded event: a signal or condition without a timeout, or its next task.</p>`}
  </section>`;
}

/** One line of what an event says, beside its type. */
function summary(e) {
  const { seq: _s, at: _a, type: _t, ...rest } = e;
  return Object.entries(rest)
    .filter(([, v]) => typeof v !== 'object' || v === null)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

function History({ run, events, canReset }) {
  const [openSeq, setOpenSeq] = useState(new Set());
  const [outcome, setOutcome] = useState(undefined);
  const toggle = (seq) => {
    const next = new Set(openSeq);
    next.has(seq) ? next.delete(seq) : next.add(seq);
    setOpenSeq(next);
  };
  return html`<section><h2>History</h2>
    <${Outcome} outcome=${outcome} />
    <table class="history">
      <thead><tr><th>#</th><th>At</th><th>Event</th><th></th>${canReset && html`<th></th>`}</tr></thead>
      <tbody>
        ${events.map(
          (e) => html`<tr key=${e.seq} class=${e.type}>
            <td>${e.seq}</td><td>${when(e.at)}</td>
            <td><button class="link" onClick=${() => toggle(e.seq)}>${e.type}</button>
              ${openSeq.has(e.seq) && html`<pre class="payload">${pretty(e)}</pre>`}</td>
            <td class="muted">${summary(e)}</td>
            ${canReset && html`<td><${ResetButton} run=${run} seq=${e.seq} onOutcome=${setOutcome} /></td>`}
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function WorkflowPage({ id, runId, scopes }) {
  const load = () =>
    Promise.all([
      api('GET', `v1/workflows/${enc(id)}${query({ runId })}`),
      api('GET', `v1/workflows/${enc(id)}/history${query({ runId })}`),
    ]);
  const { data, error, reload } = usePoll(load, [id, runId]);
  if (!data) return error ? html`<p class="error">${error.message}</p>` : html`<p class="muted">Loading…</p>`;
  const [run, history] = data;
  const events = history.events;
  const started = events.find((e) => e.type === 'workflow_started');
  const continued = events.find((e) => e.type === 'workflow_continued_as_new');
  const resetPoint = events.find((e) => e.type === 'reset_point');
  const children = events.filter((e) => e.type === 'child_scheduled');
  const open = run.status === 'running' || run.status === 'parked';
  const pending = run.pending ?? { activities: [], timers: [], children: [] };
  const pendingKeys = new Set([
    ...pending.activities.map((a) => `a${a.cmd}`),
    ...pending.timers.map((t) => `t${t.cmd}`),
    ...pending.children.map((c) => `c${c.cmd}`),
  ]);
  return html`<article class="workflow">
    ${error && html`<p class="error">${error.message}</p>`}
    <div class="toolbar">
      <h1>${run.workflowId}</h1>
      <span class=${`status ${run.status}`} data-testid="status">${run.status}</span>
    </div>
    <dl class="facts">
      <dt>Type</dt><dd>${run.type}</dd>
      <dt>Run</dt><dd><code>${run.runId}</code></dd>
      <dt>Created</dt><dd>${when(run.createdAt)}</dd>
      ${run.closedAt && html`<dt>Closed</dt><dd>${when(run.closedAt)}</dd>`}
      ${run.attributes && html`<dt>Attributes</dt><dd><code>${pretty(run.attributes)}</code></dd>`}
      ${started?.parent && html`<dt>Parent run</dt><dd><code>${started.parent.runId}</code></dd>`}
      ${
        children.length > 0 &&
        html`<dt>Children</dt><dd>${children.map((c) => html`<a href=${link('workflows', c.workflowId)}>${c.workflowId}</a> `)}</dd>`
      }
      ${continued && html`<dt>Continued as new</dt><dd><a href=${link('workflows', run.workflowId)}>latest run</a></dd>`}
      ${resetPoint && html`<dt>Reset from</dt><dd><a href=${link('workflows', run.workflowId, resetPoint.fromRunId)}>run ${resetPoint.fromRunId}</a> at event ${resetPoint.toEvent}</dd>`}
      ${run.resetTo && html`<dt>Reset to</dt><dd><a href=${link('workflows', run.workflowId, run.resetTo)}>run ${run.resetTo}</a></dd>`}
    </dl>
    <${Actions} run=${run} scopes=${scopes} reload=${reload} />
    ${
      run.parked &&
      html`<section class="parked"><h2>Parked</h2>
      <p>After ${run.parked.attempts} attempts${run.parked.retryAt ? `; next try at ${when(run.parked.retryAt)}` : ''}.</p>
      <${ErrorInfo} error=${run.parked.error} /></section>`
    }
    ${open && html`<${Waiting} pending=${pending} />`}
    <section><h2>Timeline</h2><${Timeline} events=${events} closedAt=${run.closedAt} pendingKeys=${pendingKeys} /></section>
    <section class="data">
      <div><h2>Input</h2><${Json} value=${run.input} /></div>
      ${run.status === 'completed' && html`<div><h2>Result</h2><${Json} value=${run.result} /></div>`}
      ${run.error && html`<div><h2>Error</h2><${ErrorInfo} error=${run.error} /></div>`}
    </section>
    <${History} run=${run} events=${events} canReset=${can(scopes, 'admin')} />
  </article>`;
}
