// worker.js — module Web Worker that owns the detector, so the page never freezes.
//
// Messages in:  {type:'init', model, wasm, wasmUrl}     model: URL of the .ttm file (same origin / extension)
//               (wasmUrl: the folder holding telltale.wasm and telltale-nosimd.wasm; default wasm/dist/)
//               {type:'detect', id, text, permutations, seed}
//               init may carry cancel: an Int32Array on a SharedArrayBuffer; cancel[0] = 1 stops detect
// Messages out: {type:'progress', phase:'model'|'detect', id?, done, total}
//               {type:'ready', info, ms, fromCache, bytes, sha256}
//               {type:'result', id, result, ms}
//               {type:'error', phase:'load'|'detect', id?, message}
// The model is kept in Cache Storage (cache TELLTALE_CONFIG.cache, shared with sw.js) and downloaded
// again only when the site has a new one (fresh.js); chrome-extension:// URLs are not cacheable and
// need not be (the files are bundled).
import './config.js';
import './fresh.js';

const CFG = self.TELLTALE_CONFIG;
const FRESH = self.telltaleFresh;
let ready = null; // Promise<detector>
let cancel = null; // Int32Array(1) on a SharedArrayBuffer, when the page is cross-origin isolated

function post(msg) { self.postMessage(msg); }

/** A progress reporter that posts at most every 50 ms (and always the last step); returns true
 * (cancel) once the page has set the shared cancel flag. */
function throttled(phase, id) {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (done >= total || now - last > 50) {
      last = now;
      post({ type: 'progress', phase, id, done, total });
    }
    return cancel ? Atomics.load(cancel, 0) === 1 : false;
  };
}

async function openCache() {
  try {
    if (!('caches' in self)) return null;
    return await caches.open(CFG.cache);
  } catch { return null; } // e.g. storage disabled: fall back to plain fetches
}

/** Fetch the model bytes: the copy in Cache Storage when the site says it is current or cannot be
 * reached, else from the network (then cached). */
async function fetchModel(url, progress) {
  const cacheable = /^https?:$/.test(new URL(url).protocol);
  const cache = cacheable ? await openCache() : null;
  const hit = cache ? await cache.match(url) : null;
  let res = hit ? await FRESH.revalidate(url, hit) : null;
  if (hit && (!res || res.status === 304 || !res.ok)) {
    return { bytes: new Uint8Array(await hit.arrayBuffer()), fromCache: true };
  }
  if (!res) {
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`could not download the model ${url}: ${e.message} (offline before the first visit finished?)`);
    }
  }
  if (!res.ok) throw new Error(`could not download the model ${url}: HTTP ${res.status} ${res.statusText}`);
  const stored = cache ? cache.put(url, res.clone()).catch(() => {}) : Promise.resolve();
  const total = Number(res.headers.get('content-length')) || 0;
  const chunks = [];
  let done = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    chunks.push(value);
    done += value.length;
    progress(done, Math.max(total, done));
  }
  const bytes = new Uint8Array(done);
  let off = 0;
  for (const c of chunks) { bytes.set(c, off); off += c.length; }
  await stored;
  return { bytes, fromCache: false };
}

/** The model file's SHA-256 in hex (what `sha256sum` prints), so a user can tell which file judged a
 * text: two releases may share a name and version. null where the browser has no Web Crypto (a page
 * served over plain HTTP from another machine is not a secure context). */
async function sha256(bytes) {
  try {
    if (!self.crypto?.subtle) return null;
    const d = new Uint8Array(await self.crypto.subtle.digest('SHA-256', bytes));
    return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
  } catch { return null; }
}

async function init(msg) {
  if (typeof WebAssembly !== 'object') {
    throw new Error('this browser has no WebAssembly, which telltale needs to run the model');
  }
  const t0 = performance.now();
  const base = new URL('./', import.meta.url);
  const { createDetector } = await import(new URL(CFG.loader, base).href);
  const modelUrl = new URL(msg.model || CFG.defaultModel, base).href;
  const open = (bytes) => createDetector({
    model: bytes,
    wasm: msg.wasm || 'auto',
    // the loader takes one URL per build; both live in CFG.wasmDir
    wasmUrl: {
      simd: new URL(`${msg.wasmUrl || CFG.wasmDir}telltale.wasm`, base).href,
      scalar: new URL(`${msg.wasmUrl || CFG.wasmDir}telltale-nosimd.wasm`, base).href,
    },
  });
  let { bytes, fromCache } = await fetchModel(modelUrl, throttled('model'));
  let detector;
  try {
    detector = await open(bytes);
  } catch (e) {
    if (!fromCache || !/^model/i.test(e.message)) throw e;
    // A stored model the engine rejects (damaged, or from an older format): drop it, fetch again.
    const cache = await openCache();
    await cache?.delete(modelUrl);
    ({ bytes, fromCache } = await fetchModel(modelUrl, throttled('model')));
    detector = await open(bytes);
  }
  post({ type: 'ready', info: detector.info, ms: performance.now() - t0, fromCache, bytes: bytes.length, sha256: await sha256(bytes) });
  return detector;
}

self.onmessage = async (e) => {
  const msg = e.data || {};
  if (msg.type === 'init') {
    if (!ready) {
      cancel = msg.cancel instanceof Int32Array ? msg.cancel : null;
      ready = init(msg);
      ready.catch((err) => post({ type: 'error', phase: 'load', message: String(err && err.message || err) }));
    }
    return;
  }
  if (msg.type === 'detect') {
    let detector;
    try {
      if (!ready) throw new Error('the worker was not initialised');
      detector = await ready;
    } catch (err) {
      post({ type: 'error', phase: 'load', id: msg.id, message: String(err && err.message || err) });
      return;
    }
    try {
      const t0 = performance.now();
      const result = await detector.detect(msg.text, {
        permutations: msg.permutations ?? CFG.permutations,
        seed: msg.seed ?? CFG.seed,
        onProgress: throttled('detect', msg.id),
      });
      post({ type: 'result', id: msg.id, result, ms: performance.now() - t0 });
    } catch (err) {
      const phase = err && err.name === 'AbortError' ? 'cancelled' : 'detect';
      post({ type: 'error', phase, id: msg.id, message: String(err && err.message || err) });
    }
  }
};
