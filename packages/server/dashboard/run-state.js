// What a run's page says of its state: an error with its stack, a parked run's cause (with the
// nondeterminism diff) and what an open run waits on now.
import { html, link, pretty, when } from './api.js';

function command(c) {
  if (!c) return html`<span class="muted">nothing</span>`;
  return html`${c.kind}${c.name ? html` <b>${c.name}</b>` : ''}`;
}

/** Where replay diverged, from a `REEL_NONDETERMINISM` error's details: the code's command beside history's. */
function Divergence({ details }) {
  return html`<table class="divergence">
    <thead><tr><th>Command</th><th>The code now issues</th><th>History recorded</th></tr></thead>
    <tbody><tr><td>#${details.seq}</td><td class="expected">${command(details.expected)}</td>
      <td class="recorded">${command(details.recorded)}</td></tr></tbody>
  </table>`;
}

const isDivergence = (error) =>
  error.code === 'REEL_NONDETERMINISM' && typeof error.details?.seq === 'number';

export function ErrorInfo({ error }) {
  return html`<div class="error-info">
    <p class="error"><b>${error.name}</b>${error.code ? ` (${error.code})` : ''}: ${error.message}</p>
    ${isDivergence(error) && html`<${Divergence} details=${error.details} />`}
    ${error.stack && html`<details><summary>stack</summary><pre>${error.stack}</pre></details>`}
    ${
      error.details !== undefined &&
      !isDivergence(error) &&
      html`<details open><summary>details</summary><pre>${pretty(error.details)}</pre></details>`
    }
  </div>`;
}

export function Parked({ parked }) {
  return html`<section class="parked"><h2>Parked</h2>
    <p>After ${parked.attempts} attempts${parked.retryAt ? `; next try at ${when(parked.retryAt)}` : ''}.</p>
    <${ErrorInfo} error=${parked.error} /></section>`;
}

/** The keys of the timeline rows an open run waits on, from describe's `pending`. */
export function pendingKeys(pending) {
  return new Set([
    ...pending.activities.map((a) => `a${a.cmd}`),
    ...pending.timers.map((t) => `t${t.cmd}`),
    ...pending.children.map((c) => `c${c.cmd}`),
  ]);
}

/** Why a run has not started: it waits for a slot of its concurrency key (describe's `waitingFor`). */
export function SlotWait({ waitingFor }) {
  return html`<span class="slot-wait" data-testid="slot-wait">waiting for a slot of <b>${waitingFor.concurrencyKey}</b></span>`;
}

/** Why an attempt has not started: its activity's concurrency limit or rate limit (describe's `waitingFor`). */
function activityWait({ concurrencyKey, rateLimitKey }) {
  return concurrencyKey
    ? html`waiting for a slot of <b>${concurrencyKey}</b>`
    : html`waiting for its turn under the rate limit <b>${rateLimitKey}</b>`;
}

/**
 * What an open run waits on now, from describe's `pending`. A signal or condition awaited without a
 * timeout records no event, so a running run with nothing pending is waiting for input, as far as
 * its history can tell; one that has not started waits for a concurrency slot (`waitingFor`).
 */
export function Waiting({ pending, forInput, waitingFor }) {
  const items = [
    ...pending.activities.map(
      (a) => html`<li key=${`a${a.cmd}`}>activity <b>${a.name}</b>, attempt ${a.attempt}
        ${a.nextAttemptAt && html`, next attempt at ${when(a.nextAttemptAt)}`}
        ${a.lastError && html`<div class="error">last failure: ${a.lastError.message}</div>`}
        ${a.waitingFor && html`<div class="muted" data-testid="activity-wait">${activityWait(a.waitingFor)}</div>`}</li>`,
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
    ${
      waitingFor &&
      html`<p><${SlotWait} waitingFor=${waitingFor} />. <span class="muted">It starts when a run of the key closes, in start order.</span></p>`
    }
    ${items.length > 0 && html`<ul>${items}</ul>`}
    ${
      forInput &&
      html`<p class="input-wait"><b>Waiting for input (a signal or a condition).</b>
        <span class="muted">Nothing else is pending; such a wait records no event, so which one is not known.</span></p>`
    }
    ${items.length === 0 && !forInput && !waitingFor && html`<p class="muted">Nothing pending.</p>`}
  </section>`;
}
