// config.js — constants shared by the page, the worker and the service worker.
// Loaded as a module (import './config.js') and as a classic script (importScripts in sw.js),
// so it only assigns to the global object. Bump TELLTALE_CACHE when any precached file changes:
// the service worker then precaches into the new cache and deletes the old ones.
self.TELLTALE_CONFIG = Object.freeze({
  cache: 'telltale-v1',
  defaultModel: 'models/telltale-small.ttm',
  loader: 'wasm/telltale.mjs',
  wasmDir: 'wasm/dist/',
  permutations: 200,
  seed: 1,
});
