// Asks before an action in a modal <dialog>: the action runs from the dialog, and when the API
// refuses it, its code and message show there until the person closes it.
import { useState } from 'preact/hooks';
import { html, render } from './api.js';

const message = (err) => (err.code ? `${err.code}: ${err.message}` : err.message);

function Confirm({ question, label, call, done }) {
  const [state, setState] = useState({});
  const submit = async (e) => {
    e.preventDefault();
    setState({ busy: true });
    try {
      done({ ok: await call() });
    } catch (err) {
      setState({ error: message(err) });
    }
  };
  return html`<form onSubmit=${submit}>
    <p class="question">${question}</p>
    ${state.error && html`<p class="error" role="alert">${state.error}</p>`}
    <div class="dialog-buttons">
      <button type="button" data-dialog="close" onClick=${() => done(undefined)}>${state.error ? 'Close' : 'Cancel'}</button>
      ${
        !state.error &&
        html`<button type="submit" class="primary" data-dialog="confirm" disabled=${state.busy} autofocus>
          ${state.busy ? 'Sending…' : label}</button>`
      }
    </div>
  </form>`;
}

/**
 * Asks `question` in a dialog whose confirm button says `label`; once confirmed, runs `call()` and
 * resolves with `{ ok: answer }`. Resolves with undefined when the person cancels, or closes the
 * dialog after the API refused.
 */
function confirmAndRun(question, label, call) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'confirm';
    document.body.append(dialog);
    let outcome;
    dialog.addEventListener('close', () => {
      render(null, dialog);
      dialog.remove();
      resolve(outcome);
    });
    const done = (result) => {
      outcome = result;
      dialog.close();
    };
    render(html`<${Confirm} question=${question} label=${label} call=${call} done=${done} />`, dialog);
    dialog.showModal();
  });
}

/** Runs `call` once the person confirms `question`; a success shows through `setOutcome`, then `onDone(answer)`. */
export async function act(question, label, call, setOutcome, onDone) {
  const outcome = await confirmAndRun(question, label, call);
  if (!outcome) return;
  setOutcome(outcome);
  onDone?.(outcome.ok);
}
