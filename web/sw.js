// sw.js — service worker: precaches the page, worker, loader, both wasm builds and the model into a
// versioned cache (TELLTALE_CONFIG.cache in config.js), deletes older telltale caches on activate,
// and answers same-origin GET requests from that cache once the site says the copy is current
// (fresh.js), or when the site cannot be reached, so the page works offline after one visit and a
// new version reaches returning visitors. Nothing here talks to any other origin.
importScripts('./config.js', './fresh.js');
const CFG = self.TELLTALE_CONFIG;
const FRESH = self.telltaleFresh;
const CACHE = CFG.cache;

// The app shell must all be cached for the install to succeed.
const SHELL = [
  './', './index.html', './app.js', './client.js', './worker.js', './render.js', './config.js', './fresh.js', './style.css',
  './manifest.webmanifest', './icons/icon.svg', './icons/icon-192.png', './icons/icon-512.png',
  `./${CFG.loader}`,
];
// Engine and model: large; each is added unless the worker already cached it (same cache).
const LARGE = [`./${CFG.wasmDir}telltale.wasm`, `./${CFG.wasmDir}telltale-nosimd.wasm`, `./${CFG.defaultModel}`];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL.map((u) => new Request(u, { cache: 'reload' })));
    await Promise.all(LARGE.map(async (u) => {
      const url = new URL(u, self.registration.scope).href;
      if (await cache.match(url)) return;
      try { await cache.add(new Request(url, { cache: 'reload' })); } catch (e) {
        // A missing model or wasm build is reported by the page when it loads; offline use then
        // covers what could be cached.
        console.warn(`telltale sw: could not precache ${url}: ${e.message}`);
      }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('telltale-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return; // never touch other origins
  if (FRESH.isConditional(req)) return; // the detector worker keeps its model current itself
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // The page's own query (?model=…) does not change the page file.
    const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
    if (hit) {
      const res = await FRESH.revalidate(req.url, hit);
      if (!res || res.status === 304 || !res.ok) return hit; // current, offline, or a site error
      if (res.type === 'basic') await cache.put(req, res.clone()).catch(() => {});
      return res;
    }
    try {
      const res = await fetch(req);
      if (res.ok && res.type === 'basic') cache.put(req, res.clone()).catch(() => {});
      return res;
    } catch (e) {
      if (req.mode === 'navigate') {
        const page = await cache.match('./index.html');
        if (page) return page;
      }
      throw e;
    }
  })());
});
