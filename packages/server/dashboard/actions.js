// Actions on a run: signal, update, query, cancel, terminate, retry now, reset. Each asks first and shows
// the API's own message when it refuses (see confirm.js).
import { useState } from 'preact/hooks';
import { api, can, enc, html, isOpen, link, pretty } from './api.js';
import { act } from './confirm.js';

/** The JSON a textarea holds: `{ value }`, `{ error }`, or `{}` when empty (no payload). */
export function parseJson(text) {
  if (text.trim() === '') return {};
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: err.message };
  }
}

/** What the last confirmed action answered: done, or a query's or an update's answer. */
export function Outcome({ outcome }) {
  if (!outcome) return null;
  const answer = outcome.ok?.result;
  return html`<p class="ok" role="status">Done.${answer !== undefined ? html` Answer: <code data-testid="answer">${pretty(answer)}</code>` : ''}</p>`;
}

/** A name and a JSON editor; the send button stays disabled while the JSON does not parse. */
function NamedJsonForm({ kind, label, hint, onSend }) {
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const parsed = parseJson(text);
  const submit = (e) => {
    e.preventDefault();
    onSend(name.trim(), parsed.value);
  };
  return html`<form class=${`json-form ${kind}`} onSubmit=${submit}>
    <input name=${`${kind}Name`} placeholder=${`${kind} name`} value=${name} onInput=${(e) => setName(e.target.value)} />
    <textarea name=${`${kind}Json`} rows="3" placeholder=${hint} value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
    ${parsed.error && html`<span class="error">Not JSON: ${parsed.error}</span>`}
    <button type="submit" disabled=${!name.trim() || parsed.error !== undefined}>${label}</button>
  </form>`;
}

/** The action bar of a run's page; only the actions the key's scopes allow are offered. */
export function Actions({ run, scopes, reload }) {
  const [outcome, setOutcome] = useState(undefined);
  const id = enc(run.workflowId);
  const open = isOpen(run);
  const post = (path, body) => () => api('POST', `v1/workflows/${id}/${path}`, body);
  const button = (label, question, call) =>
    html`<button data-action=${label} onClick=${() => act(question, label, call, setOutcome, reload)}>${label}</button>`;
  const actions = [];
  if (can(scopes, 'write') && open) {
    actions.push(
      button('Cancel', `Cancel ${run.workflowId}? Its cancellation handlers run.`, post('cancel', {})),
    );
    actions.push(
      button('Retry now', `Retry ${run.workflowId} now, skipping the backoff it waits out?`, post('retry')),
    );
  }
  if (can(scopes, 'admin') && open)
    actions.push(
      button(
        'Terminate',
        `Terminate ${run.workflowId}? It stops at once; no handler runs.`,
        post('terminate', {}),
      ),
    );
  return html`<section class="actions">
    ${actions.length > 0 && html`<div class="buttons">${actions}</div>`}
    ${
      can(scopes, 'write') &&
      open &&
      html`<${NamedJsonForm} kind="signal" label="Send signal" hint="payload (JSON), optional"
      onSend=${(name, payload) =>
        act(
          `Send signal ${name} to ${run.workflowId}?`,
          'Send signal',
          post(`signals/${enc(name)}`, payload === undefined ? {} : { payload }),
          setOutcome,
          reload,
        )} />`
    }
    ${
      can(scopes, 'write') &&
      open &&
      html`<${NamedJsonForm} kind="update" label="Send update" hint="argument (JSON), optional"
      onSend=${(name, arg) =>
        act(
          `Send update ${name} to ${run.workflowId}, and wait for its result?`,
          'Send update',
          post(`updates/${enc(name)}`, arg === undefined ? {} : { arg }),
          setOutcome,
          reload,
        )} />`
    }
    ${
      can(scopes, 'read') &&
      open &&
      html`<${NamedJsonForm} kind="query" label="Query" hint="arguments (a JSON array), optional"
      onSend=${(name, args) =>
        act(
          `Run query ${name} on ${run.workflowId}?`,
          'Query',
          () =>
            api(
              'POST',
              `v1/workflows/${id}/queries/${enc(name)}`,
              args === undefined ? {} : { args: [].concat(args) },
            ),
          setOutcome,
        )} />`
    }
    <${Outcome} outcome=${outcome} />
  </section>`;
}

/** The reset button of a history row: a new run keeps the events up to this one and redoes the rest. */
export function ResetButton({ run, seq, onOutcome }) {
  const reset = () =>
    act(
      `Reset ${run.workflowId} to event ${seq}? A new run keeps events up to ${seq} and redoes the rest${isOpen(run) ? '; this run closes as reset' : ''}.`,
      'Reset',
      () => api('POST', `v1/workflows/${enc(run.workflowId)}/reset`, { toEvent: seq, runId: run.runId }),
      onOutcome,
      (answer) => {
        location.hash = link('workflows', answer.workflowId, answer.runId);
      },
    );
  return html`<button class="small" data-action="reset" onClick=${reset}>reset here</button>`;
}
