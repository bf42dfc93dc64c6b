// app.js: the hookd admin console. Every value from the journal is untrusted text: it reaches the
// page only through textContent (never innerHTML), so a login like <img onerror=...> stays text.
'use strict';

const state = { csrf: null, who: null, timer: null, busy: false, cursors: {} };
const POLL_MS = 3000;

function $(id) { return document.getElementById(id); }

// el('td', {class: 'x'}, 'text' | node | [nodes]): builds elements without parsing HTML.
function el(tag, attrs, kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'onclick') e.addEventListener('click', v);
    else if (k === 'onsubmit') e.addEventListener('submit', v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of [].concat(kids === undefined ? [] : kids)) {
    if (kid === null || kid === undefined) continue;
    e.appendChild(typeof kid === 'object' ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

function when(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function ago(ms) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 90) return s + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = state.csrf || '';
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch (e) { data = null; }
  }
  if (r.status === 401 && path !== '/api/session') showSignIn('Your session ended; sign in again.');
  if (!r.ok) {
    const err = new Error((data && data.message) || ('HTTP ' + r.status));
    err.status = r.status;
    throw err;
  }
  return data;
}

function toast(text, bad) {
  const t = el('div', { class: bad ? 'toast bad' : 'toast', role: 'status' }, text);
  document.body.appendChild(t);
  setTimeout(() => t.remove(), 4000);
}

function confirmAction(text) {
  return new Promise((resolve) => {
    const d = $('confirm');
    $('confirm-text').textContent = text;
    state.busy = true;
    const done = (v) => {
      $('confirm-yes').onclick = null;
      $('confirm-no').onclick = null;
      d.close();
      state.busy = false;
      resolve(v);
    };
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    d.addEventListener('cancel', () => done(false), { once: true });
    d.showModal();
  });
}

function showSignIn(message) {
  state.csrf = null;
  clearInterval(state.timer);
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('page').replaceChildren();
  $('signin').hidden = false;
  $('signin-error').textContent = message || '';
  $('signin-token').focus();
}

function signedIn(s) {
  state.csrf = s.csrf;
  state.who = s.who;
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = 'Signed in as ' + s.who;
  if (!location.hash) location.hash = '#/overview';
  render();
  clearInterval(state.timer);
  state.timer = setInterval(() => { if (!state.busy) render(true); }, POLL_MS);
}

async function signIn(ev) {
  ev.preventDefault();
  $('signin-error').textContent = '';
  try {
    const s = await api('POST', '/api/session', { token: $('signin-token').value, name: $('signin-name').value });
    $('signin-token').value = '';
    signedIn(s);
  } catch (e) {
    $('signin-error').textContent = e.status === 429 ? 'Too many attempts: wait a minute, then try again.' : e.message;
  }
}

async function signOut() {
  try { await api('DELETE', '/api/session'); } catch (e) { /* signed out either way */ }
  location.hash = '';
  showSignIn('Signed out.');
}

// --- pages ---------------------------------------------------------------------------------

function tile(label, value, note, bad) {
  return el('div', { class: bad ? 'tile bad' : 'tile' }, [
    el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), note ? el('div', { class: 'note' }, note) : null,
  ]);
}

function heading(text) {
  return el('h1', {}, [text, el('span', { class: 'updated' }, 'updated ' + new Date().toLocaleTimeString())]);
}

async function pageOverview() {
  const o = await api('GET', '/api/overview');
  const j = o.jobs;
  return [
    heading('Overview'),
    el('div', { class: 'tiles' }, [
      tile('Ingest', o.ingest.per_minute + ' / min', o.ingest.last_5m + (o.ingest.last_5m === 1 ? ' event' : ' events') + ' in the last 5 minutes'),
      tile('Events, 24 h', o.ingest.last_24h, o.ingest.rejected_24h + ' rejected by a mapping', o.ingest.rejected_24h > 0),
      tile('Dead jobs', o.dead_jobs, o.dead_jobs ? 'need a look: retry or cancel' : 'none', o.dead_jobs > 0),
      tile('Stuck people', el('a', { href: '#/people?state=stuck' }, String(o.stuck_people)),
        o.stuck_people ? 'still PROVISIONED after every resend' : 'none', o.stuck_people > 0),
      rateTile(o.okta_rate),
      tile('Reconcile lateness', o.reconcile_lateness_s === null ? 'n/a' : o.reconcile_lateness_s + ' s', o.reconcile_lateness_s === null ? 'no reconciler has run' : ''),
    ]),
    el('h2', {}, 'Jobs by state'),
    el('table', {}, [
      el('thead', {}, el('tr', {}, ['pending', 'running', 'done', 'dead'].map((s) => el('th', { scope: 'col' }, s)))),
      el('tbody', {}, el('tr', {}, ['pending', 'running', 'done', 'dead'].map((s) =>
        el('td', {}, el('a', { href: '#/jobs?state=' + s }, String(j[s])))))),
    ]),
    rateTable(o.okta_rate),
    el('p', { class: 'muted' }, 'hookd up since ' + when(o.started_ms) + '.'),
  ];
}

// The tightest Okta bucket whose window is still running (a reset window has its whole limit again).
function rateTile(rate) {
  if (rate === null) return tile('Okta rate headroom', 'n/a', 'Okta is not configured');
  const open = rate.filter((b) => !b.reset_passed && b.limit > 0);
  if (!open.length) return tile('Okta rate headroom', rate.length ? 'full' : 'n/a', rate.length ? 'every window has reset since' : 'no Okta answer yet');
  const low = open.reduce((a, b) => (b.remaining / b.limit < a.remaining / a.limit ? b : a));
  const pct = Math.round((100 * low.remaining) / low.limit);
  return tile('Okta rate headroom', pct + ' %', low.bucket + ': ' + low.remaining + ' of ' + low.limit + ' left', pct < 20);
}

function rateTable(rate) {
  if (!rate || !rate.length) return null;
  return [
    el('h2', {}, 'Okta rate limits, as last seen'),
    el('table', { id: 'rate-table' }, [
      el('thead', {}, el('tr', {}, ['Bucket', 'Remaining', 'Limit', 'Window resets', 'Seen'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rate.map((b) => el('tr', {}, [el('td', {}, b.bucket), el('td', {}, b.reset_passed ? b.limit + ' (reset)' : String(b.remaining)),
        el('td', {}, String(b.limit)), el('td', {}, when(b.reset_ms)), el('td', {}, ago(b.seen_ms))]))),
    ]),
  ];
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

function filterForm(fields, values, go) {
  const kids = fields.map(([name, label, options]) => {
    const id = 'f-' + name;
    const input = options
      ? el('select', { id, name }, options.map((o) => el('option', { value: o, selected: values[name] === o }, o || 'any')))
      : el('input', { id, name, value: values[name] || '', size: 18 });
    return el('div', {}, [el('label', { for: id }, label), input]);
  });
  kids.push(el('button', { type: 'submit' }, 'Filter'));
  return el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    go(Object.fromEntries(f.entries()));
  } }, kids);
}

function hashParams() {
  const h = location.hash.slice(1);
  const i = h.indexOf('?');
  return Object.fromEntries(new URLSearchParams(i < 0 ? '' : h.slice(i + 1)).entries());
}

function badge(text) { return el('span', { class: 'badge ' + (text || '') }, text || '—'); }

function pager(next, params, base) {
  if (!next) return el('div', { class: 'pager' });
  return el('div', { class: 'pager' }, el('a', { href: '#' + base + query(Object.assign({}, params, { cursor: next })) }, 'Older →'));
}

async function pageEvents() {
  const p = hashParams();
  const d = await api('GET', '/api/events' + query(Object.assign({ limit: 50 }, p)));
  const rows = d.events.map((e) => el('tr', { class: 'link', tabindex: 0, 'data-id': e.id, onclick: () => { location.hash = '#/events/' + e.id; } }, [
    el('td', { class: 'mono' }, String(e.id)), el('td', {}, when(e.received_ms)), el('td', {}, e.source),
    el('td', {}, e.type), el('td', { class: 'wrap' }, e.subject_login || e.subject_id || '—'),
    el('td', {}, badge(e.status)), el('td', { class: 'wrap' }, e.reason || ''),
  ]));
  return [
    heading('Events'),
    filterForm([['source', 'Source'], ['type', 'Type'], ['status', 'Status', ['', 'accepted', 'rejected']], ['subject', 'Subject (login or id)']],
      p, (v) => { location.hash = '#/events' + query(v); }),
    el('table', { id: 'events-table' }, [
      el('thead', {}, el('tr', {}, ['ID', 'Received', 'Source', 'Type', 'Subject', 'Status', 'Reason'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No events match.'))),
    ]),
    pager(d.next_cursor, p, '/events'),
  ];
}

function jobActions(j) {
  const acts = [];
  if (j.state === 'dead' || j.state === 'done')
    acts.push(el('button', { type: 'button', class: 'small', 'data-action': 'retry', 'data-job': j.id, onclick: () => changeJob(j, 'retry') }, 'Retry'));
  if (j.state === 'pending')
    acts.push(el('button', { type: 'button', class: 'small danger', 'data-action': 'cancel', 'data-job': j.id, onclick: () => changeJob(j, 'cancel') }, 'Cancel'));
  return acts;
}

async function changeJob(j, what) {
  const text = what === 'retry'
    ? 'Retry job ' + j.id + ' (' + j.action + ' for ' + j.subject + ')? It runs again at once with its attempts reset.'
    : 'Cancel job ' + j.id + ' (' + j.action + ' for ' + j.subject + ')? It ends dead and no worker runs it.';
  if (!(await confirmAction(text))) return;
  try {
    await api('POST', '/api/jobs/' + j.id + '/' + what);
    toast('Job ' + j.id + (what === 'retry' ? ' queued again.' : ' cancelled.'));
  } catch (e) {
    toast(e.message, true);
  }
  render(true);
}

// A job's result or last error, after the job it waits behind when a claim found it waiting.
function jobNote(j) {
  const note = j.state === 'done' ? (j.result || '') : (j.last_error || '');
  return j.held_by ? 'held behind job ' + j.held_by + (note ? '; ' + note : '') : note;
}

function jobsTable(jobs) {
  const rows = jobs.map((j) => el('tr', { 'data-job': j.id }, [
    el('td', { class: 'mono' }, String(j.id)), el('td', {}, j.action), el('td', { class: 'wrap' }, j.subject),
    el('td', {}, badge(j.state)), el('td', {}, j.max_attempts ? j.attempts + ' / ' + j.max_attempts : String(j.attempts)), el('td', {}, when(j.run_at_ms)),
    el('td', { class: 'wrap' }, jobNote(j)), el('td', {}, jobActions(j)),
  ]));
  return el('table', { id: 'jobs-table' }, [
    el('thead', {}, el('tr', {}, ['ID', 'Action', 'Subject', 'State', 'Attempts', 'Run at', 'Result or last error', ''].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No jobs.'))),
  ]);
}

async function pageEvent(id) {
  const d = await api('GET', '/api/events/' + encodeURIComponent(id));
  const e = d.event;
  const f = [['Source', e.source], ['Type', e.type], ['Status', e.status], ['Reason', e.reason], ['Received', when(e.received_ms)],
    ['Occurred', e.occurred_at], ['Subject login', e.subject_login], ['Subject id', e.subject_id], ['Subject name', e.subject_name],
    ['Actor', e.actor_id], ['Delivery id', e.delivery_id], ['Redeliveries', String(e.duplicates)]];
  return [
    el('p', {}, el('a', { href: '#/events' }, '← All events')),
    el('h1', {}, 'Event ' + e.id),
    el('div', { class: 'card' }, el('dl', { class: 'fields' }, f.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v || '—')]))),
    el('h2', {}, 'Jobs from this event'),
    jobsTable(d.jobs),
    el('h2', {}, 'Raw JSON'),
    el('pre', { class: 'raw', id: 'raw', tabindex: 0 }, typeof e.raw === 'string' ? e.raw : JSON.stringify(e.raw, null, 2)),
  ];
}

async function pageJobs() {
  const p = hashParams();
  const d = await api('GET', '/api/jobs' + query(Object.assign({ limit: 50 }, p)));
  return [
    heading('Jobs'),
    filterForm([['state', 'State', ['', 'pending', 'running', 'done', 'dead']], ['action', 'Action'], ['subject', 'Subject']],
      p, (v) => { location.hash = '#/jobs' + query(v); }),
    jobsTable(d.jobs),
    pager(d.next_cursor, p, '/jobs'),
  ];
}

async function resend(login) {
  if (!(await confirmAction('Send ' + login + ' a new activation email? Okta reactivates the account (sendEmail=true).'))) return;
  try {
    const d = await api('POST', '/api/people/' + encodeURIComponent(login) + '/resend');
    toast('Resend queued as job ' + d.job.id + '.');
  } catch (e) {
    toast(e.message, true);
  }
  render(true);
}

async function pagePeople() {
  const lookup = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const v = new FormData(ev.target).get('login');
    if (v) location.hash = '#/people/' + encodeURIComponent(v);
  } }, [el('div', {}, [el('label', { for: 'f-login' }, 'Login'), el('input', { id: 'f-login', name: 'login', size: 32 })]), el('button', { type: 'submit' }, 'Open timeline')]);
  const p = hashParams();
  const d = await api('GET', '/api/people' + query(Object.assign({ limit: 200 }, p)));
  const rows = d.people.map((x) => {
    const login = x.login || x.user_id;
    return el('tr', { 'data-login': login }, [
      el('td', { class: 'wrap' }, el('a', { href: '#/people/' + encodeURIComponent(login) }, login)),
      el('td', {}, badge(x.state)), el('td', {}, x.okta_status || '—'), el('td', {}, x.origin || '—'),
      el('td', {}, String(x.resends)), el('td', {}, when(x.next_follow_up_ms)), el('td', {}, ago(x.updated_ms)),
      el('td', { class: 'wrap' }, x.last_error || ''),
    ]);
  });
  return [
    heading('People'),
    filterForm([['state', 'State', ['', 'pending', 'stuck', 'active', 'finished', 'undeliverable']], ['okta_status', 'Okta status']],
      p, (v) => { location.hash = '#/people' + query(v); }),
    el('table', { id: 'people-table' }, [
      el('thead', {}, el('tr', {}, ['Login', 'State', 'Okta status', 'Origin', 'Resends', 'Next follow-up', 'Updated', 'Last error'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 8, class: 'muted' }, 'No activations followed yet.'))),
    ]),
    d.more ? el('p', { class: 'muted' }, 'More people match: narrow the filter.') : null,
    el('h2', {}, 'Any login'),
    lookup,
  ];
}

async function pagePerson(login) {
  const d = await api('GET', '/api/people/' + encodeURIComponent(login));
  const rows = d.events.map((e) => el('tr', { class: 'link', onclick: () => { location.hash = '#/events/' + e.id; } }, [
    el('td', {}, when(e.received_ms)), el('td', {}, e.source), el('td', {}, e.type), el('td', {}, badge(e.status)),
  ]));
  return [
    el('p', {}, el('a', { href: '#/people' }, '← People')),
    el('h1', {}, d.login),
    el('p', {}, el('button', { type: 'button', id: 'resend', onclick: () => resend(d.login) }, 'Resend activation email')),
    el('h2', {}, 'Timeline'),
    el('table', {}, [
      el('thead', {}, el('tr', {}, ['Received', 'Source', 'Type', 'Status'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No events for this login.'))),
    ]),
    el('h2', {}, 'Jobs'),
    jobsTable(d.jobs),
  ];
}

async function pageSources() {
  const d = await api('GET', '/api/sources');
  const cards = d.sources.map((s) => {
    const last = s.refusals.by_reason.slice().sort((a, b) => b.last_ms - a.last_ms)[0];
    return el('div', { class: 'card', 'data-source': s.source }, [
      el('h2', {}, [s.source, ' ', el('span', { class: 'badge' }, s.kind === 'hr' ? 'HR webhook' : 'Okta event hook')]),
      el('dl', { class: 'fields' }, [
        el('dt', {}, 'Last accepted delivery'), el('dd', {}, s.last_accepted_ms ? when(s.last_accepted_ms) + ' (' + ago(s.last_accepted_ms) + ')' : 'never'),
        el('dt', {}, 'Accepted, 24 h'), el('dd', {}, String(s.last_24h.accepted)),
        el('dt', {}, 'Rejected by the mapping, 24 h'), el('dd', {}, String(s.last_24h.rejected)),
        el('dt', {}, 'Refused at the door, 24 h'), el('dd', {}, String(s.refusals.total)),
        el('dt', {}, 'Last refusal'), el('dd', { class: last ? 'error' : '' }, last ? last.status + ' ' + last.error + ': ' + last.message + ' (' + ago(last.last_ms) + ')' : 'none'),
      ]),
      s.refusals.by_reason.length ? el('table', {}, [
        el('thead', {}, el('tr', {}, ['Status', 'Error', 'Message', 'Count', 'Last'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, s.refusals.by_reason.map((r) => el('tr', {}, [el('td', {}, String(r.status)), el('td', {}, r.error),
          el('td', { class: 'wrap' }, r.message), el('td', {}, String(r.count)), el('td', {}, ago(r.last_ms))]))),
      ]) : null,
    ]);
  });
  return [heading('Sources'), el('p', { class: 'muted' }, 'Refusals are counted by this hookd process since ' + when(d.refusals_since_ms) + '.'), cards];
}

const routes = [
  [/^\/overview$/, pageOverview, 'overview'],
  [/^\/events\/(\d+)$/, pageEvent, 'events'],
  [/^\/events$/, pageEvents, 'events'],
  [/^\/jobs$/, pageJobs, 'jobs'],
  [/^\/people\/(.+)$/, (l) => pagePerson(decodeURIComponent(l)), 'people'],
  [/^\/people$/, pagePeople, 'people'],
  [/^\/sources$/, pageSources, 'sources'],
];

let renderSeq = 0;
async function render(quiet) {
  if (!state.csrf) return;
  const h = (location.hash.slice(1) || '/overview').split('?')[0];
  const route = routes.find(([re]) => re.test(h)) || routes[0];
  const m = h.match(route[0]) || [];
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === route[2]) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  // a poll must not wipe what someone is typing into a filter; a poll that stands aside takes no
  // sequence number, or it would void a navigation whose fetch is still in flight (the page would
  // stay on the form the person just submitted)
  if (quiet && document.activeElement && ['INPUT', 'SELECT'].includes(document.activeElement.tagName)) return;
  const seq = ++renderSeq;
  try {
    const nodes = await route[1](m[1]);
    if (seq !== renderSeq || !state.csrf) return;
    $('page').replaceChildren(...[].concat(nodes).flat().filter((n) => n));
  } catch (e) {
    if (seq !== renderSeq || !state.csrf || e.status === 401) return;
    $('page').replaceChildren(el('div', { class: 'notice error', role: 'alert' }, e.message));
  }
}

async function start() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', () => render());
  try {
    signedIn(await api('GET', '/api/session'));
  } catch (e) {
    showSignIn('');
  }
}

document.addEventListener('DOMContentLoaded', start);
