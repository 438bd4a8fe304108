// fresh.js — how the page's stored copies stay current: one rule for the service worker (sw.js) and
// the detector worker (worker.js). Loaded as a module (import './fresh.js') and as a classic script
// (importScripts in sw.js), so it only assigns to the global object, like config.js.
//
// A stored copy is used only after asking the site whether it is still current: a conditional
// request with the copy's ETag / Last-Modified, answered "304 Not Modified" (a few hundred bytes)
// when nothing changed. A changed file (a new model, a new page) is downloaded and replaces the copy,
// so returning visitors get it on their next visit with no cache version to bump. When the site
// cannot be reached (offline) or does not answer within `timeoutMs`, the stored copy is used.
self.telltaleFresh = Object.freeze({
  /** Conditional GET of url for the stored response `stored` → the network's Response (200: new
   * content, 304: still current), or null when the site could not be reached in time. */
  async revalidate(url, stored, { timeoutMs = 5000 } = {}) {
    const headers = {};
    const etag = stored.headers.get('ETag');
    const modified = stored.headers.get('Last-Modified');
    if (etag) headers['If-None-Match'] = etag;
    if (modified) headers['If-Modified-Since'] = modified;
    if (!etag && !modified) return null; // nothing to ask with: the stored copy stands
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      // no-store: the answer comes from the site, not from the browser's HTTP cache
      return await fetch(url, { headers, cache: 'no-store', signal: ctl.signal });
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  },
  /** Whether a request carries its own validators (the detector worker revalidating the model):
   * the service worker then lets it through to the site untouched. */
  isConditional(request) {
    return request.headers.has('If-None-Match') || request.headers.has('If-Modified-Since');
  },
});
