// privacy.test.mjs — privacy and integrity guarantees (docs/hardening.md), checked without a browser
// (tests/js/web.test.mjs and extension.test.mjs check the same in headless Chromium: every request of
// the page is a same-origin static file and detection makes none).
//   - CSP: the page's <meta> policy and the extension's manifest policy, parsed directive by
//     directive: nothing but 'self' / 'none' / 'wasm-unsafe-eval' (and data: images); connect-src is
//     'self', so even a crafted model URL cannot reach another origin; no inline or eval script.
//   - The shipped code names no remote origin and uses no network API other than fetch(), and fetch()
//     is only given same-origin URLs (the model/wasm URLs resolved against the page, or
//     chrome.runtime.getURL in the extension); no XMLHttpRequest, WebSocket, EventSource, sendBeacon,
//     WebRTC; the extension asks for no host permissions and injects no content scripts.
//   - The JS loader makes no request when given the model and wasm bytes (detection in Node with
//     fetch replaced by a function that fails the test).
//   - Integrity: a model whose payload checksum does not match is refused with a clear message by
//     the CLI (exit 1, "checksum mismatch", the file named) and by the wasm loader.
//   - TT_MAX_TEXT_BYTES through the JS API: one byte past it is refused with a message naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TINY_DET = join(root, 'tests/fixtures/tiny-detector.ttm');
const CLI = process.env.TELLTALE_CLI ? join(root, process.env.TELLTALE_CLI) : join(root, 'build/telltale');
const WASM = join(root, 'wasm/dist/telltale.wasm');
const skipCli = existsSync(CLI) ? false : `${CLI} is not built`;
const skipWasm = existsSync(WASM) ? false : 'wasm/dist/telltale.wasm is not built';

// Parse a CSP string into { directive: [sources] }.
function parseCsp(s) {
  const out = {};
  for (const part of s.split(';').map((x) => x.trim()).filter(Boolean)) {
    const [name, ...src] = part.split(/\s+/);
    assert.equal(out[name], undefined, `directive ${name} given twice`);
    out[name] = src;
  }
  return out;
}

function assertStrictCsp(csp, where) {
  const d = parseCsp(csp);
  assert.deepEqual(d['default-src'], ["'self'"], `${where}: default-src 'self'`);
  assert.deepEqual(d['connect-src'], ["'self'"], `${where}: connect-src 'self' (no request to another origin)`);
  assert.deepEqual(d['script-src'], ["'self'", "'wasm-unsafe-eval'"], `${where}: script-src 'self' 'wasm-unsafe-eval'`);
  assert.deepEqual(d['object-src'], ["'none'"], `${where}: object-src 'none'`);
  assert.deepEqual(d['base-uri'], ["'none'"], `${where}: base-uri 'none'`);
  assert.deepEqual(d['form-action'], ["'none'"], `${where}: form-action 'none'`);
  for (const [name, src] of Object.entries(d)) {
    for (const s of src) {
      const ok = ["'self'", "'none'", "'wasm-unsafe-eval'"].includes(s) || (name === 'img-src' && s === 'data:');
      assert.ok(ok, `${where}: ${name} allows ${s}`);
    }
  }
}

test('CSP: the page (meta) and the extension (manifest) are strict', () => {
  const html = readFileSync(join(root, 'web/index.html'), 'utf8');
  const m = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/);
  assert.ok(m, 'web/index.html has a CSP meta tag');
  assertStrictCsp(m[1], 'web/index.html');
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline <script>');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  const man = JSON.parse(readFileSync(join(root, 'web/extension/manifest.json'), 'utf8'));
  assertStrictCsp(man.content_security_policy.extension_pages, 'extension manifest');
  assert.equal(man.host_permissions, undefined, 'no host permissions');
  assert.equal(man.content_scripts, undefined, 'no content scripts injected into pages');
  assert.ok(!(man.permissions || []).some((p) => /^(<all_urls>|https?:|\*:)/.test(p) || p === 'webRequest'), `permissions: ${man.permissions}`);
  for (const f of readdirSync(join(root, 'web/extension')).filter((f) => f.endsWith('.html'))) {
    const h = readFileSync(join(root, 'web/extension', f), 'utf8');
    assert.doesNotMatch(h, /<script(?![^>]*\ssrc=)[^>]*>/, `${f}: no inline <script>`);
    assert.doesNotMatch(h, /\s(src|href)=["'](https?:)?\/\//, `${f}: nothing remote`);
  }
});

test('the shipped code names no remote origin and uses only same-origin fetch()', () => {
  const files = [
    ...readdirSync(join(root, 'web')).filter((f) => /\.(js|html|css|webmanifest)$/.test(f)).map((f) => join('web', f)),
    ...readdirSync(join(root, 'web/extension')).filter((f) => /\.(js|html|json)$/.test(f)).map((f) => join('web/extension', f)),
    'wasm/telltale.mjs',
  ];
  for (const f of files) {
    const src = readFileSync(join(root, f), 'utf8');
    // comments may cite documentation; code and strings may not name another origin
    const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
    const remote = (code.match(/\b(https?|wss?):\/\/[^\s'"`<>)]+/gi) || []).filter((u) => !/^https?:\/\/(localhost|127\.0\.0\.1)\b/.test(u));
    assert.deepEqual(remote, [], `${f} names a remote origin`);
    assert.doesNotMatch(code, /\b(XMLHttpRequest|WebSocket|EventSource|sendBeacon|RTCPeerConnection|WebTransport)\b/, `${f} uses a network API other than fetch`);
    for (const m of code.matchAll(/\bfetch\(([^)]*)\)?/g)) {
      const arg = m[1].trim();
      if (arg === '') continue; // "fetch()" in a message
      // fetch(req) in the service worker serves the page's own requests (cache fallback); the others
      // take a URL resolved against the page / the extension
      const ok = /^(req|request|url|s|chrome\.runtime\.getURL\()/.test(arg);
      assert.ok(ok, `${f}: fetch(${arg}) — not a same-origin URL this test knows`);
    }
  }
  // the service worker handles (and re-fetches) only same-origin GETs
  const sw = readFileSync(join(root, 'web/sw.js'), 'utf8');
  assert.match(sw, /if \(req\.method !== 'GET' \|\| url\.origin !== self\.location\.origin\) return;/, 'sw.js leaves other origins alone');
});

test('the JS loader makes no request when given the bytes (detection in Node, fetch forbidden)', { skip: skipWasm }, async () => {
  const { createDetector } = await import('../../wasm/telltale.mjs');
  const realFetch = globalThis.fetch;
  const calls = [];
  globalThis.fetch = (...a) => { calls.push(String(a[0])); return Promise.reject(new Error('no network')); };
  try {
    const det = await createDetector({ model: new Uint8Array(readFileSync(TINY_DET)), wasm: new Uint8Array(readFileSync(WASM)) });
    const r = det.detect('The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost. '
      + 'The chair promised a detailed report before the next meeting.', { permutations: 20 });
    assert.ok(r.document);
    det.close();
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(calls, [], 'fetch was called');
});

// The tiny detector with one payload byte flipped (the header's CRC-32 left as it was).
function corrupted() {
  const b = new Uint8Array(readFileSync(TINY_DET));
  const po = Number(new DataView(b.buffer).getBigUint64(16, true));
  b[po + Math.floor((b.length - po) / 2)] ^= 0x01;
  return b;
}

test('integrity: a checksum mismatch is a clear CLI error', { skip: skipCli }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-crc-'));
  try {
    const bad = join(dir, 'flipped.ttm');
    writeFileSync(bad, corrupted());
    const r = spawnSync(CLI, ['detect', '--model', bad], { input: 'Some text to check. It has two sentences.' });
    assert.equal(r.status, 1, 'exit 1 (runtime error)');
    const err = r.stderr.toString();
    assert.match(err, /checksum mismatch: header says CRC-32 [0-9A-F]{8}, payload has [0-9A-F]{8} \(corrupt file\)/);
    assert.ok(err.includes(bad), `the file is named: ${err}`);
    assert.equal(r.stdout.length, 0, 'no result printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('integrity: a checksum mismatch is a clear wasm loader error', { skip: skipWasm }, async () => {
  const { createDetector } = await import('../../wasm/telltale.mjs');
  for (const wasm of ['simd', 'scalar']) {
    await assert.rejects(createDetector({ model: corrupted(), wasm }),
      (e) => e instanceof Error && /checksum mismatch: header says CRC-32 [0-9A-F]{8}, payload has [0-9A-F]{8} \(corrupt file\)/.test(e.message),
      `${wasm}: the loader names the checksum`);
  }
});

test('TT_MAX_TEXT_BYTES through the JS API: one byte more is refused with a clear message', { skip: skipWasm }, async () => {
  const { createDetector } = await import('../../wasm/telltale.mjs');
  const det = await createDetector({ model: TINY_DET });
  try {
    const MAX = 8 * 1024 * 1024;
    assert.throws(() => det.detect('a'.repeat(MAX + 1)), (e) => /TT_MAX_TEXT_BYTES/.test(e.message) && /8388608/.test(e.message));
    // UTF-8 bytes count, not UTF-16 units: 3 bytes per '€'
    assert.throws(() => det.detect('€'.repeat(Math.floor(MAX / 3) + 1)), /TT_MAX_TEXT_BYTES/);
    assert.ok(det.detect('Still usable after the refusal. It has two sentences.').document);
  } finally {
    det.close();
  }
});
