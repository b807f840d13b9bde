// The dashboard's shell: the API key, the navigation and the page the hash names.
import { useEffect, useState } from 'preact/hooks';
import { api, apiKey, html, render, setApiKey } from './api.js';
import { SchedulesPage } from './schedules.js';
import { WorkflowList } from './workflow-list.js';
import { WorkflowPage } from './workflow-page.js';

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function KeyForm({ onKey, message }) {
  const [key, setKey] = useState('');
  const submit = (e) => {
    e.preventDefault();
    setApiKey(key.trim());
    onKey();
  };
  return html`<form class="key-form" onSubmit=${submit}>
    <p>${message}</p>
    <input type="password" name="apiKey" autocomplete="current-password" placeholder="API key" value=${key} onInput=${(e) => setKey(e.target.value)} autofocus />
    <button type="submit">Use this key</button>
  </form>`;
}

function App() {
  const hash = useHash();
  const [auth, setAuth] = useState(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api('GET', 'v1/whoami').then(setAuth, (err) => setAuth({ error: err.message }));
  }, [version]);
  const relogin = () => setVersion((v) => v + 1);
  const forget = () => {
    setApiKey('');
    relogin();
  };

  if (!auth) return html`<p class="muted">Loading…</p>`;
  if (auth.error) return html`<p class="error">${auth.error}</p>`;
  const signedIn = !auth.keysRequired || auth.scopes.length > 0;
  const [, page, ...rest] = hash.split('/');
  const [id, runId] = rest.map(decodeURIComponent);
  return html`<header>
      <a class="brand" href="#/">Reel</a>
      <nav>
        <a href="#/" class=${page !== 'schedules' ? 'active' : ''}>Workflows</a>
        <a href="#/schedules" class=${page === 'schedules' ? 'active' : ''}>Schedules</a>
      </nav>
      <span class="who">
        ${
          auth.keysRequired
            ? html`${auth.scopes.length ? `key: ${auth.scopes.join(', ')}` : 'no key'}
              ${apiKey() && html` <button class="link" onClick=${forget}>forget key</button>`}`
            : 'no keys needed'
        }
      </span>
    </header>
    <main>
      ${
        !signedIn
          ? html`<${KeyForm}
            onKey=${relogin}
            message=${apiKey() ? 'The server does not know this key.' : 'This server needs an API key.'}
          />`
          : page === 'schedules'
            ? html`<${SchedulesPage} scopes=${auth.scopes} />`
            : page === 'workflows' && id !== undefined
              ? html`<${WorkflowPage} key=${`${id}/${runId}`} id=${id} runId=${runId} scopes=${auth.scopes} />`
              : html`<${WorkflowList} />`
      }
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
