// The JS API as a user sees it: `import { createDetector } from 'telltale'` (the package's own
// name, resolved through package.json "exports"), options, errors, progress and cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import createDefault, { createDetector, simdSupported } from 'telltale';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TINY = join(root, 'tests/fixtures/tiny.ttm');
const TINY_DET = join(root, 'tests/fixtures/tiny-detector.ttm');
const skipTiny = existsSync(TINY) ? false : 'tests/fixtures/tiny.ttm is not there yet';
const skipDet = existsSync(TINY_DET) ? false : 'tests/fixtures/tiny-detector.ttm is not there yet';

test('the package exports resolve to wasm/telltale.mjs', async () => {
  assert.equal(typeof createDetector, 'function');
  assert.equal(createDefault, createDetector);
  assert.equal(typeof simdSupported(), 'boolean');
  assert.equal(simdSupported(), true, 'Node 20 supports WebAssembly SIMD');
  const viaPath = await import(pathToFileURL(join(root, 'wasm/telltale.mjs')).href);
  assert.equal(viaPath.createDetector, createDetector, 'one module instance either way');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.ok(existsSync(join(root, pkg.exports['.'].types)), 'the .d.ts file named in exports exists');
});

test('argument errors are clear', async () => {
  await assert.rejects(createDetector(), /the model option is required/);
  await assert.rejects(createDetector({ model: 42 }), /model: expected an ArrayBuffer/);
  await assert.rejects(createDetector({ model: join(root, 'no/such/model.ttm') }),
    /model: cannot read .*no\/such\/model\.ttm: no such file/);
  await assert.rejects(createDetector({ model: new Uint8Array(8), wasm: 'fast' }), /wasm: expected 'auto', 'simd', 'scalar'/);
  await assert.rejects(createDetector({ model: new Uint8Array(8), wasm: new Uint8Array([1, 2, 3]) }),
    /wasm: the given bytes are not a valid WebAssembly module/);
  await assert.rejects(createDetector({ model: new Uint8Array(8), wasmUrl: join(root, 'package.json') }),
    /is not a valid WebAssembly module/);
});

test('a model that is not a model file gives the loader\'s message', async () => {
  await assert.rejects(createDetector({ model: new TextEncoder().encode('definitely not a model file, just some text that is longer than the header') }),
    (e) => e instanceof Error && /^model file: .*TTM1/.test(e.message) && !/RuntimeError|unreachable/.test(e.message));
});

test('without WebAssembly (node --jitless) createDetector says so', () => {
  const code = `import('telltale').then(m => m.createDetector({ model: new Uint8Array(8) }))
    .then(() => console.log('no error'), e => console.log(e.message));`;
  const r = spawnSync(process.execPath, ['--jitless', '--input-type=module', '-e', code], { cwd: root });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(r.stdout.toString(), /telltale needs WebAssembly/);
});

test('model as path, file: URL, ArrayBuffer and Uint8Array; wasm as bytes', { skip: skipTiny }, async () => {
  const bytes = readFileSync(TINY);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const wasmBytes = readFileSync(join(root, 'wasm/dist/telltale-nosimd.wasm'));
  const variants = [
    { model: TINY },
    { model: pathToFileURL(TINY) },
    { model: pathToFileURL(TINY).href },
    { model: ab },
    { model: new Uint8Array(ab) },
    { model: bytes, wasm: wasmBytes },
  ];
  let first;
  for (const opts of variants) {
    const det = await createDetector(opts);
    const ids = Array.from(det.tokenize('Same text, same tokens.').ids);
    if (first) assert.deepEqual(ids, first);
    first = ids;
    det.close();
  }
});

test('info, tokenize offsets, closed detector', { skip: skipTiny }, async () => {
  const det = await createDetector({ model: TINY });
  assert.equal(det.info.simd, true, "wasm 'auto' picks SIMD on Node 20");
  assert.equal(det.info.kernel, 'wasm-simd128');
  assert.equal(det.info.detector, det.info.metadata.detector !== undefined);
  const text = 'naïve café, 日本';
  const bytes = new TextEncoder().encode(text);
  const tok = det.tokenize(text);
  // the tokens tile the input exactly
  assert.equal(tok.start[0], 0);
  assert.equal(tok.end[tok.end.length - 1], bytes.length);
  for (let i = 1; i < tok.ids.length; i++) assert.equal(tok.start[i], tok.end[i - 1]);
  const f = det.forward(tok.ids, { stats: false });
  assert.equal(f.stats, null);
  assert.equal(f.hidden.length, tok.ids.length * det.info.config.dModel);
  if (!det.info.detector) assert.throws(() => det.detect('Some text.'), /no detector section/);
  det.close();
  det.close(); // idempotent
  assert.throws(() => det.tokenize('x'), /the detector is closed/);
});

test('detect: schema, seed determinism, progress and cancellation', { skip: skipDet }, async () => {
  const det = await createDetector({ model: TINY_DET });
  assert.equal(det.info.detector, true);
  const text = 'The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost. '
    + 'The chair promised a detailed report before the next meeting. Nobody expected the vote to be close at all.';
  const calls = [];
  const r = det.detect(text, { permutations: 40, seed: 7n, onProgress: (d, n) => { calls.push([d, n]); } });
  assert.equal(r.model, det.info.model);
  assert.equal(r.version, '0.1.0');
  assert.equal(r.document.start16, 0);
  assert.equal(r.document.end16, text.length);
  assert.ok(['human', 'machine', 'uncertain'].includes(r.document.label));
  assert.ok(r.paragraphs.length >= 1);
  for (const p of r.paragraphs) for (const s of p.sentences) assert.equal(typeof text.slice(s.start16, s.end16), 'string');
  assert.ok(calls.length > 0, 'progress was reported');
  for (const [d, n] of calls) assert.ok(d <= n, `progress ${d}/${n}`);
  const again = det.detect(text, { permutations: 40, seed: 7 });
  delete r.timings_ms; delete again.timings_ms;
  assert.deepEqual(again, r, 'same text + seed → same answer (number and BigInt seeds agree)');

  await assert.rejects(async () => det.detect(text, { onProgress: () => true }), (e) => e.name === 'AbortError');
  const boom = new Error('from the callback');
  assert.throws(() => det.detect(text, { onProgress: () => { throw boom; } }), (e) => e === boom);
  assert.throws(() => det.detect(text, { seed: -1 }), TypeError);
  assert.throws(() => det.detect(text, { permutations: 1.5 }), TypeError);
  // still usable after cancellations
  assert.ok(det.detect('Short text here. Another one follows.').document);
  det.close();
});

// The same module in headless Chromium: a page and a module Worker, under a CSP like the page's
// (script-src 'self' 'wasm-unsafe-eval'), loading the model and the wasm over http with fetch.
const CHROMIUM = '/usr/bin/chromium';
test('browser: page and Worker load the module and agree with Node', {
  skip: skipTiny || (existsSync(CHROMIUM) ? false : 'chromium is not installed'),
  timeout: 120000,
}, async () => {
  const { createRequire } = await import('node:module');
  const http = await import('node:http');
  const { chromium } = createRequire(join(root, 'package.json'))('playwright-core');
  const text = 'Hello wörld — 日本語 😀, tokens!';
  const files = {
    '/wasm/telltale.mjs': [join(root, 'wasm/telltale.mjs'), 'text/javascript'],
    '/wasm/dist/telltale.wasm': [join(root, 'wasm/dist/telltale.wasm'), 'application/wasm'],
    '/wasm/dist/telltale-nosimd.wasm': [join(root, 'wasm/dist/telltale-nosimd.wasm'), 'application/wasm'],
    '/tiny.ttm': [TINY, 'application/octet-stream'],
  };
  const run = `import { createDetector, simdSupported } from '/wasm/telltale.mjs';
    const text = ${JSON.stringify(text)};
    export async function run() {
      const out = { simd: simdSupported() };
      for (const wasm of ['auto', 'scalar']) {
        const d = await createDetector({ model: '/tiny.ttm', wasm });
        const ids = d.tokenize(text).ids;
        out[wasm] = { kernel: d.info.kernel, ids: Array.from(ids), h: Array.from(d.forward([d.info.config.bosId, ...ids]).hidden.slice(0, 64)) };
        d.close();
      }
      try { await createDetector({ model: '/missing.ttm' }); } catch (e) { out.missing = e.message; }
      return out;
    }`;
  const pages = {
    '/run.mjs': run,
    '/worker.mjs': "import { run } from '/run.mjs'; run().then((r) => postMessage(r), (e) => postMessage({ error: String(e) }));",
    '/': `<!doctype html><meta charset="utf-8"><script type="module" src="/page.mjs"></script>`,
    '/page.mjs': `import { run } from '/run.mjs';
      const w = new Worker('/worker.mjs', { type: 'module' });
      const worker = new Promise((res) => { w.onmessage = (e) => res(e.data); w.onerror = (e) => res({ error: e.message }); });
      window.result = Promise.all([run(), worker]).catch((e) => [{ error: String(e) }, {}]);`,
  };
  const server = http.createServer((req, res) => {
    const headers = { 'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'" };
    if (files[req.url] && existsSync(files[req.url][0])) {
      res.writeHead(200, { ...headers, 'content-type': files[req.url][1] });
      res.end(readFileSync(files[req.url][0]));
    } else if (pages[req.url]) {
      res.writeHead(200, { ...headers, 'content-type': req.url === '/' ? 'text/html; charset=utf-8' : 'text/javascript' });
      res.end(pages[req.url]);
    } else {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const [inPage, inWorker] = await page.evaluate(() => window.result);
    assert.ok(!inPage.error && !inWorker.error, JSON.stringify([inPage.error, inWorker.error]));
    const node = await createDetector({ model: TINY, wasm: 'scalar' });
    const ids = Array.from(node.tokenize(text).ids);
    const h = Array.from(node.forward([node.info.config.bosId, ...ids]).hidden.slice(0, 64));
    node.close();
    for (const r of [inPage, inWorker]) {
      assert.equal(r.simd, true);
      assert.equal(r.auto.kernel, 'wasm-simd128');
      assert.equal(r.scalar.kernel, 'scalar');
      for (const k of ['auto', 'scalar']) {
        assert.deepEqual(r[k].ids, ids);
        assert.deepEqual(r[k].h, h, 'hidden states identical to Node');
      }
      assert.match(r.missing, /^model: cannot fetch \/missing\.ttm: HTTP 404/);
    }
  } finally {
    await browser.close();
    server.close();
  }
});

// wasm/telltale.d.ts: typical uses type-check and misuses do not (tests/js/types-check.mts), resolved
// through package.json "exports" the way a TypeScript user's import is. tsc: Debian's node-typescript.
const TSC = '/usr/bin/tsc';
test('types: wasm/telltale.d.ts type-checks typical uses (tsc --strict)', {
  skip: existsSync(TSC) ? false : 'tsc is not installed (apt-get install node-typescript)',
}, () => {
  // tsconfig: --strict, node16 resolution, lib es2022+dom, and types: [] so that an @types/node some
  // dependency brings into node_modules (newer than Debian's tsc 4.8 parses) stays out of the check
  const r = spawnSync(TSC, ['-p', 'tests/js/tsconfig.types-check.json'], { cwd: root });
  assert.equal(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
});

// An engine without WebAssembly SIMD (older Safari, some embedded webviews): simulated in a child
// process by a WebAssembly.validate that rejects the SIMD probe. 'auto' must fall back to the scalar
// build, and 'simd' must say why it cannot run.
test('no SIMD in the engine: auto falls back to telltale-nosimd.wasm, simd is refused', { skip: skipTiny }, () => {
  const code = `const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes) => { const b = new Uint8Array(bytes); return b.includes(0xfd) && b.length < 64 ? false : validate(bytes); };
    const { createDetector, simdSupported } = await import('telltale');
    const d = await createDetector({ model: ${JSON.stringify(TINY)} });
    const out = { simd: simdSupported(), kernel: d.info.kernel, infoSimd: d.info.simd };
    try { await createDetector({ model: ${JSON.stringify(TINY)}, wasm: 'simd' }); out.forced = 'loaded'; } catch (e) { out.forced = e.message; }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root });
  assert.equal(r.status, 0, r.stderr.toString());
  const out = JSON.parse(r.stdout.toString());
  assert.deepEqual(out, { simd: false, kernel: 'scalar', infoSimd: false,
    forced: "wasm: 'simd' was asked for, but this engine does not support WebAssembly SIMD (use wasm: 'auto' or 'scalar')" });
});
