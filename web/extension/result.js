// result.js — the extension's result window: takes the selected text (chrome.storage.session, key
// from the URL hash), asks the offscreen document to check it, and draws the result with the same
// render module as the web page.
import { renderResult, renderAbout, formatMs } from './render.js';

const $ = (id) => document.getElementById(id);
const els = { text: $('text'), check: $('check'), progress: $('progress'), status: $('status'), error: $('error'), results: $('results') };
let busy = false;

function showError(title, detail) {
  els.error.replaceChildren();
  const t = document.createElement('strong');
  t.textContent = title;
  els.error.append(t, document.createTextNode(detail ? ` ${detail}` : ''));
  els.error.hidden = false;
}

chrome.runtime.onMessage.addListener((msg) => {
  if (msg?.target !== 'result' || msg.type !== 'progress' || msg.requestId !== current) return;
  els.progress.hidden = false;
  els.progress.max = Math.max(1, msg.total);
  els.progress.value = msg.done;
  els.status.textContent = `Checking… ${Math.round((100 * msg.done) / Math.max(1, msg.total))}%`;
});

/** runtime.sendMessage, retried for a moment while the new offscreen document starts listening. */
async function sendToEngine(msg) {
  for (let i = 0; ; i++) {
    try {
      return await chrome.runtime.sendMessage(msg);
    } catch (e) {
      if (i >= 20 || !/Receiving end does not exist/i.test(e.message)) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let current = null;
async function check() {
  const text = els.text.value;
  if (busy) return;
  if (!text.trim()) { els.status.textContent = 'Paste or select a text first.'; return; }
  busy = true;
  els.check.disabled = true;
  els.error.hidden = true;
  document.body.dataset.state = 'busy';
  els.status.textContent = 'Loading the model and checking…';
  els.progress.hidden = false;
  els.progress.removeAttribute('value');
  current = crypto.randomUUID();
  const t0 = performance.now();
  try {
    const ok = await chrome.runtime.sendMessage({ target: 'background', type: 'ensure-offscreen' });
    if (!ok?.ok) throw new Error(ok?.message || 'the engine page could not be started');
    const r = await sendToEngine({ target: 'offscreen', type: 'detect', requestId: current, text });
    if (!r) throw new Error('no answer from the engine page');
    if (!r.ok) {
      els.status.textContent = '';
      showError(r.phase === 'load' ? 'The detector could not be loaded.' : 'The check failed.', r.message);
      document.body.dataset.state = 'error';
      return;
    }
    const elapsed = performance.now() - t0;
    renderResult(els.results, text, r.result, { elapsedMs: elapsed, info: r.info });
    els.results.hidden = false;
    els.status.textContent = `Done in ${formatMs(elapsed)}.`;
    document.body.dataset.state = 'done';
  } catch (e) {
    els.status.textContent = '';
    showError('The check failed.', e.message);
    document.body.dataset.state = 'error';
  } finally {
    busy = false;
    els.check.disabled = false;
    els.progress.hidden = true;
  }
}

async function start() {
  $('about-slot').replaceWith(renderAbout(document));
  els.check.addEventListener('click', check);
  els.text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); check(); }
  });
  const id = location.hash.slice(1);
  const key = `job:${id}`;
  const stored = id ? await chrome.storage.session.get([key, `error:${id}`]) : {};
  const text = stored[key] || '';
  els.text.value = text;
  document.body.dataset.state = 'ready';
  if (stored[`error:${id}`]) showError('The selected text could not be passed on.', stored[`error:${id}`]);
  if (text && text.trim()) check();
  else { els.status.textContent = 'Paste a text and press Check.'; els.text.focus(); }
}

start();
