// app.js — the telltale page: loads the detector in a worker, runs checks, draws results.
// Query options (for tests and advanced use):
//   ?model=<relative path to a .ttm on this site>   e.g. ?model=fixtures/tiny-detector.ttm
//   ?wasm=auto|simd|scalar                            which WebAssembly build to use (default auto)
//   ?sw=0                                             do not register the service worker
import './config.js';
import { DetectorClient } from './client.js';
import { renderResult, renderAbout, formatMs, formatScore } from './render.js';

const CFG = self.TELLTALE_CONFIG;
const $ = (id) => document.getElementById(id);
const els = {
  text: $('text'), check: $('check'), stop: $('stop'), clear: $('clear'), count: $('count'), progress: $('progress'),
  status: $('status'), error: $('error'), results: $('results'), modelInfo: $('model-info'), offline: $('offline-info'),
};
let client = null;
let info = null;
let checkedText = null;
let busy = false;

function setState(s) { document.body.dataset.state = s; }

function showError(title, detail) {
  els.error.replaceChildren();
  const t = document.createElement('strong');
  t.textContent = title;
  els.error.append(t);
  if (detail) {
    const p = document.createElement('span');
    p.className = 'error-detail';
    p.textContent = detail;
    els.error.append(p);
  }
  els.error.hidden = false;
}

function progress(done, total) {
  els.progress.hidden = false;
  if (total > 0) { els.progress.max = total; els.progress.value = Math.min(done, total); } else els.progress.removeAttribute('value');
}

function mb(n) { return (n / 1048576).toFixed(1); }

/** ?model= may only name a .ttm file on this same site (relative path, no ..). */
function modelFromQuery(params) {
  const m = params.get('model');
  if (!m) return CFG.defaultModel;
  if (!/^[A-Za-z0-9_\-./]+\.ttm$/.test(m) || m.split('/').includes('..') || m.startsWith('/')) {
    throw new Error(`?model=${m} is not a relative path to a .ttm file on this site`);
  }
  return m;
}

function updateCount() {
  const t = els.text.value;
  const words = (t.match(/\S+/g) || []).length;
  els.count.textContent = words ? `${words} word${words === 1 ? '' : 's'}${words < 150 ? ' — short texts give weak results' : ''}` : '';
  if (checkedText != null) {
    const stale = t !== checkedText;
    els.results.classList.toggle('stale', stale);
    let note = els.results.querySelector('.stale-note');
    if (stale && !note) {
      note = document.createElement('p');
      note.className = 'stale-note';
      note.textContent = 'The text was changed after this check. Press Check again to update the result.';
      els.results.prepend(note);
    } else if (!stale && note) note.remove();
  }
  els.check.disabled = busy || !info || !t.trim();
}

async function registerServiceWorker(params) {
  if (params.get('sw') === '0' || !('serviceWorker' in navigator)) {
    els.offline.textContent = 'Offline use is not available in this browser (no service worker).';
    return;
  }
  try {
    await navigator.serviceWorker.register('./sw.js', { scope: './' });
    await navigator.serviceWorker.ready;
    els.offline.textContent = 'Ready for offline use: the page, the engine and the model are stored in this browser.';
    document.body.dataset.offlineReady = 'yes';
  } catch (e) {
    els.offline.textContent = `Offline use is not available: ${e.message}`;
  }
}

async function start() {
  document.getElementById('about-slot').replaceWith(renderAbout(document));
  const params = new URLSearchParams(location.search);
  els.text.addEventListener('input', updateCount);
  els.text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); check(); }
  });
  els.check.addEventListener('click', check);
  els.stop.addEventListener('click', () => client?.cancel());
  els.clear.addEventListener('click', () => { els.text.value = ''; updateCount(); els.text.focus(); });
  updateCount();

  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    setState('error');
    els.status.textContent = '';
    showError('This browser cannot run telltale.', 'It has no WebAssembly (or it is switched off), which telltale needs to run its model on your device. Try a current version of Firefox, Chrome, Edge or Safari.');
    return;
  }
  let model;
  try {
    model = modelFromQuery(params);
  } catch (e) {
    setState('error');
    showError('Bad address.', e.message);
    return;
  }
  const wasm = ['auto', 'simd', 'scalar'].includes(params.get('wasm')) ? params.get('wasm') : 'auto';
  try {
    client = new DetectorClient({
      model, wasm,
      onLoadProgress: (done, total) => {
        progress(done, total);
        els.status.textContent = `Downloading the model… ${mb(done)} of ${mb(total)} MB (once; then it is kept in this browser)`;
      },
    });
    const r = await client.ready;
    if (r.info && r.info.detector === false) {
      throw new Error(`the model file ${model} has no detector section (it can only run the language model), so it cannot check texts`);
    }
    info = r.info;
    els.progress.hidden = true;
    els.status.textContent = `Ready. Model loaded ${r.fromCache ? 'from this browser\u2019s storage' : 'from the site'} in ${formatMs(r.ms)}.`;
    if (r.sha256) els.modelInfo.title = `SHA-256 of the model file: ${r.sha256}`;
    els.modelInfo.textContent = `Model ${info.model} ${info.version || ''}${r.sha256 ? ` · file ${r.sha256.slice(0, 12)}` : ''} (${mb(r.bytes)} MB) · WebAssembly ${info.simd ? 'with SIMD' : 'without SIMD (slower)'}${info.kernel ? ` · kernel ${info.kernel}` : ''}.`;
    setState('ready');
  } catch (e) {
    els.progress.hidden = true;
    els.status.textContent = '';
    setState('error');
    showError('The detector could not be loaded.', e.message);
  }
  updateCount();
  registerServiceWorker(params);
}

async function check() {
  const text = els.text.value;
  if (busy || !info) return;
  if (!text.trim()) { els.status.textContent = 'Paste a text first.'; return; }
  busy = true;
  setState('busy');
  els.error.hidden = true;
  updateCount();
  els.status.textContent = 'Checking…';
  els.stop.hidden = false;
  progress(0, 0);
  const t0 = performance.now();
  try {
    const { result } = await client.detect(text, {
      onProgress: (done, total) => {
        progress(done, total);
        els.status.textContent = `Checking… ${Math.round((100 * done) / Math.max(total, 1))}%`;
      },
    });
    const elapsed = performance.now() - t0;
    checkedText = text;
    renderResult(els.results, text, result, { elapsedMs: elapsed, info });
    els.results.classList.remove('stale');
    els.results.hidden = false;
    const d = result.document;
    els.status.textContent = `Done in ${formatMs(elapsed)}: ${d.label === 'uncertain' ? 'uncertain, no conclusion' : `looks ${d.label === 'machine' ? 'machine-generated' : 'human-written'}`} (score ${formatScore(d.score)}).`;
    setState('done');
  } catch (e) {
    if (e.phase === 'cancelled') {
      els.status.textContent = 'Stopped.';
      try { await client.ready; setState('ready'); } catch (e2) { showError('The detector could not be loaded.', e2.message); setState('error'); }
    } else {
      els.status.textContent = '';
      showError(e.phase === 'load' ? 'The detector could not be loaded.' : 'The check failed.', e.message);
      setState(e.phase === 'load' ? 'error' : 'ready');
    }
  } finally {
    els.stop.hidden = true;
    busy = false;
    els.progress.hidden = true;
    updateCount();
  }
}

start();
