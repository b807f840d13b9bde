// The facts of a run: its type, ids and times, and its links to the runs around it (its parent,
// its children, the other runs of its workflow id, and the runs a reset joined).
import { html, link, pretty, when } from './api.js';

/** The runs of the workflow id, the latest first; the one shown is marked. */
function Runs({ run, runs }) {
  return html`<ol class="runs-chain">
    ${runs.map(
      (r) => html`<li key=${r.runId} class=${r.runId === run.runId ? 'current' : ''}>
        <a href=${link('workflows', r.workflowId, r.runId)}><code>${r.runId.slice(0, 8)}</code></a>
        <span class=${`status ${r.status}`}>${r.status}</span> <span class="muted">${when(r.createdAt)}</span>
      </li>`,
    )}
  </ol>`;
}

export function Facts({ run, events, runs }) {
  const resetPoint = events.find((e) => e.type === 'reset_point');
  const children = events.filter((e) => e.type === 'child_scheduled');
  return html`<dl class="facts">
    <dt>Type</dt><dd>${run.type}</dd>
    <dt>Run</dt><dd><code>${run.runId}</code></dd>
    <dt>Created</dt><dd>${when(run.createdAt)}</dd>
    ${run.closedAt && html`<dt>Closed</dt><dd>${when(run.closedAt)}</dd>`}
    ${run.priority && html`<dt>Priority</dt><dd data-testid="priority">${run.priority}</dd>`}
    ${run.attributes && html`<dt>Attributes</dt><dd><code>${pretty(run.attributes)}</code></dd>`}
    ${
      run.parentRunId &&
      html`<dt>Parent</dt><dd data-testid="parent">${
        run.parentWorkflowId
          ? html`<a href=${link('workflows', run.parentWorkflowId, run.parentRunId)}>${run.parentWorkflowId}</a>`
          : html`<code>${run.parentRunId}</code> <span class="muted">(deleted)</span>`
      }</dd>`
    }
    ${
      children.length > 0 &&
      html`<dt>Children</dt><dd data-testid="children">${children.map(
        (c) => html`<a key=${c.cmd} href=${link('workflows', c.workflowId)}>${c.workflowId}</a> `,
      )}</dd>`
    }
    ${resetPoint && html`<dt>Reset from</dt><dd><a href=${link('workflows', run.workflowId, resetPoint.fromRunId)}>run ${resetPoint.fromRunId}</a> at event ${resetPoint.toEvent}</dd>`}
    ${run.resetTo && html`<dt>Reset to</dt><dd><a href=${link('workflows', run.workflowId, run.resetTo)}>run ${run.resetTo}</a></dd>`}
    ${runs.length > 1 && html`<dt>Runs</dt><dd><${Runs} run=${run} runs=${runs} /></dd>`}
  </dl>`;
}
