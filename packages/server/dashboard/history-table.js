// A run's history as a table: each event with its seq and time, its payload on a click, and a reset
// button per row for an admin key.
import { useState } from 'preact/hooks';
import { Outcome, ResetButton } from './actions.js';
import { html, pretty, when } from './api.js';

/** One line of what an event says, beside its type. */
function summary(e) {
  const { seq: _s, at: _a, type: _t, ...rest } = e;
  return Object.entries(rest)
    .filter(([, v]) => typeof v !== 'object' || v === null)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

export function History({ run, events, canReset }) {
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
