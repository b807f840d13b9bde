// The workflows list: counts by status, filters, search by id, cursor paging, live refresh.
import { useState } from 'preact/hooks';
import { api, html, link, query, when } from './api.js';
import { usePoll } from './poll.js';
import { SlotWait } from './run-state.js';

const STATUSES = [
  'running',
  'parked',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'continued',
  'reset',
];

function Filters({ filter, onChange }) {
  const [draft, setDraft] = useState(filter);
  const field = (name, props = {}) =>
    html`<input name=${name} value=${draft[name] ?? ''} onInput=${(e) => setDraft({ ...draft, [name]: e.target.value })} ...${props} />`;
  const submit = (e) => {
    e.preventDefault();
    onChange(draft);
  };
  return html`<form class="filters" onSubmit=${submit}>
    <label>Type ${field('type', { placeholder: 'any' })}</label>
    <label>Attributes ${field('attributes', { placeholder: '{"customer":"acme"}' })}</label>
    <label>Created after ${field('createdAfter', { type: 'datetime-local', step: 1 })}</label>
    <label>before ${field('createdBefore', { type: 'datetime-local', step: 1 })}</label>
    <label title="Leaves out runs a reset, a continue-as-new or a new start took over">
      <input type="checkbox" name="latest" checked=${draft.latest === true} onChange=${(e) => setDraft({ ...draft, latest: e.target.checked })} />
      latest run of each id only</label>
    <button type="submit">Filter</button>
  </form>`;
}

function SearchById() {
  const [id, setId] = useState('');
  const submit = (e) => {
    e.preventDefault();
    if (id.trim()) location.hash = link('workflows', id.trim());
  };
  return html`<form class="search" onSubmit=${submit}>
    <input name="workflowId" placeholder="Workflow id" value=${id} onInput=${(e) => setId(e.target.value)} />
    <button type="submit">Open</button>
  </form>`;
}

/** datetime-local inputs are local time without a zone; the API takes an instant. */
const instant = (local) => (local ? new Date(local).toISOString() : undefined);

export function WorkflowList() {
  const [status, setStatus] = useState('');
  const [filter, setFilter] = useState({});
  const [cursors, setCursors] = useState([undefined]);
  const cursor = cursors.at(-1);
  const params = {
    type: filter.type,
    attributes: filter.attributes,
    createdAfter: instant(filter.createdAfter),
    createdBefore: instant(filter.createdBefore),
    latest: filter.latest ? 'true' : undefined,
  };
  const list = usePoll(
    () => api('GET', `v1/workflows${query({ ...params, status, limit: 25, cursor })}`),
    [status, filter, cursor],
  );
  const counts = usePoll(() => api('GET', `v1/workflow-counts${query(params)}`), [filter]);
  const restart = (change) => {
    change();
    setCursors([undefined]);
  };
  const total = counts.data && Object.values(counts.data.counts).reduce((a, b) => a + b, 0);
  const tab = (value, label, count) =>
    html`<button class=${`tab ${status === value ? 'active' : ''}`} data-status=${value || 'all'} onClick=${() => restart(() => setStatus(value))}>
      ${label} <span class="count">${count ?? ''}</span>
    </button>`;

  return html`<section>
    <div class="toolbar"><h1>Workflows</h1><${SearchById} /></div>
    <div class="tabs">
      ${tab('', 'all', total)} ${STATUSES.map((s) => tab(s, s, counts.data?.counts[s]))}
    </div>
    <${Filters} filter=${filter} onChange=${(f) => restart(() => setFilter(f))} />
    ${list.error && html`<p class="error">${list.error.message}</p>`}
    <table class="runs">
      <thead><tr><th>Workflow id</th><th>Type</th><th>Status</th><th>Priority</th><th>Created</th><th>Closed</th></tr></thead>
      <tbody>
        ${(list.data?.items ?? []).map(
          (w) => html`<tr key=${w.runId}>
            <td><a href=${link('workflows', w.workflowId)}>${w.workflowId}</a></td>
            <td>${w.type}</td>
            <td><span class=${`status ${w.status}`}>${w.status}</span>
              ${w.waitingFor && html` <${SlotWait} waitingFor=${w.waitingFor} />`}</td>
            <td>${w.priority ?? ''}</td>
            <td>${when(w.createdAt)}</td>
            <td>${when(w.closedAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${list.data && list.data.items.length === 0 && html`<p class="muted">No workflow runs match.</p>`}
    <div class="pager">
      <button disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
      <button disabled=${!list.data?.nextCursor} onClick=${() => setCursors([...cursors, list.data.nextCursor])}>Older</button>
    </div>
  </section>`;
}
