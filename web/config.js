// config.js — constants shared by the page, the worker and the service worker.
// Loaded as a module (import './config.js') and as a classic script (importScripts in sw.js),
// so it only assigns to the global object. Changed files reach returning visitors by themselves
// (fresh.js); bumping `cache` makes the service worker precache into a new cache and delete the old
// ones (for a file that is no longer served, say).
self.TELLTALE_CONFIG = Object.freeze({
  cache: 'telltale-v1',
  defaultModel: 'models/telltale-small.ttm',
  loader: 'wasm/telltale.mjs',
  wasmDir: 'wasm/dist/',
  permutations: 200,
  seed: 1,
});
