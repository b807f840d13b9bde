// The schedules page: every schedule, its next run, and pause, resume, trigger and delete.
import { useState } from 'preact/hooks';
import { Outcome } from './actions.js';
import { api, can, enc, html, link, when } from './api.js';
import { act } from './confirm.js';
import { usePoll } from './poll.js';

export function SchedulesPage({ scopes }) {
  const { data, error, reload } = usePoll(() => api('GET', 'v1/schedules'), []);
  const [outcome, setOutcome] = useState(undefined);
  const button = (label, question, method, path) =>
    html`<button class="small" data-action=${label}
      onClick=${() => act(question, label, () => api(method, path), setOutcome, reload)}>${label}</button>`;
  return html`<section>
    <h1>Schedules</h1>
    ${error && html`<p class="error">${error.message}</p>`}
    <${Outcome} outcome=${outcome} />
    <table class="schedules">
      <thead><tr><th>Id</th><th>Workflow</th><th>Cron</th><th>Next run</th><th>Recent runs</th><th></th></tr></thead>
      <tbody>
        ${(data?.items ?? []).map((s) => {
          const path = `v1/schedules/${enc(s.id)}`;
          return html`<tr key=${s.id}>
            <td>${s.id}</td>
            <td>${s.workflowType}</td>
            <td><code>${s.cron}</code> <span class="muted">${s.timezone}</span></td>
            <td>${s.paused ? html`<span class="status parked">paused</span>` : when(s.nextFireAt)}</td>
            <td>${s.recentRuns.slice(-3).map((r) => html`<a href=${link('workflows', r.workflowId, r.runId)}>${r.workflowId}</a> `)}</td>
            <td class="buttons">
              ${
                can(scopes, 'write') &&
                html`${
                  s.paused
                    ? button('Resume', `Resume schedule ${s.id}?`, 'POST', `${path}/resume`)
                    : button('Pause', `Pause schedule ${s.id}?`, 'POST', `${path}/pause`)
                }
                ${button('Trigger', `Start one run of ${s.id} now?`, 'POST', `${path}/trigger`)}`
              }
              ${can(scopes, 'admin') && button('Delete', `Delete schedule ${s.id}? Runs it started go on.`, 'DELETE', path)}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${data && data.items.length === 0 && html`<p class="muted">No schedules.</p>`}
  </section>`;
}
