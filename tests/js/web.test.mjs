// web.test.mjs — the page (web/) in headless Chromium, served by scripts/serve.mjs.
//
// Checks: the server's headers, MIME types and path handling; that the page's rendered verdicts,
// scores, p-values, labels and sentence highlights equal `build/telltale detect --json` on the same
// model for a human and a machine-like text; that every request is a same-origin static file; that
// the page works again with the network cut after one visit (service worker + Cache Storage); that a
// missing model and a browser without WebAssembly give clear messages; keyboard use; screenshots
// (desktop and phone) in test-artifacts/.
//
// Model: TELLTALE_WEB_MODEL if set, else tests/fixtures/tiny-detector.ttm, else models/telltale-small.ttm.
// Browser: /usr/bin/chromium (CHROMIUM env overrides) through playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { formatScore, formatP } from '../../web/render.js';
import { readRendered } from './rendered.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CLI = join(root, 'build/telltale');
const ARTIFACTS = join(root, 'test-artifacts');
const MODELS = [process.env.TELLTALE_WEB_MODEL, 'tests/fixtures/tiny-detector.ttm', 'models/telltale-small.ttm']
  .filter(Boolean).map((p) => join(root, p)).filter((p, i, a) => existsSync(p) && a.indexOf(p) === i);
// The first is used everywhere; the human/machine comparison also runs on the shipped model when present.
const MODEL = MODELS[0];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let playwright = null;
try { playwright = await import('playwright-core'); } catch { /* reported as a skip reason */ }

function whyNoBrowser() {
  if (!playwright) return 'playwright-core is not installed (npm ci)';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  return null;
}
function whyNoDetect() {
  const b = whyNoBrowser();
  if (b) return b;
  if (!existsSync(join(root, 'wasm/dist/telltale.wasm')) || !existsSync(join(root, 'wasm/dist/telltale-nosimd.wasm'))) {
    return 'wasm/dist/*.wasm are not built (node scripts/build.mjs)';
  }
  if (!MODEL) return 'no detector model yet (tests/fixtures/tiny-detector.ttm or models/telltale-small.ttm)';
  if (!existsSync(CLI)) return 'build/telltale (the native CLI) is not built';
  return null;
}

// A URL path for MODEL as the server maps it (see scripts/serve.mjs).
function modelUrlPath(model) {
  const rel = relative(root, model).split('\\').join('/');
  if (rel.startsWith('tests/fixtures/')) return `fixtures/${rel.slice('tests/fixtures/'.length)}`;
  if (rel.startsWith('models/')) return rel;
  throw new Error(`the web test model must be in tests/fixtures/ or models/, got ${rel}`);
}

export const HUMAN = `My grandmother kept bees behind the garage for almost thirty years, and I was terrified of them until I was about nine. She never wore the full suit, just a hat with a net she'd sewn herself, and gloves that were more holes than leather by the end.

The summer I turned ten she made me hold the smoker while she lifted the frames out. I remember the noise more than anything - a sort of low, annoyed hum that went right through your ribs. I got stung twice on the wrist and cried, and she said that was the bees' way of saying hello, which I didn't buy for a second.

We sold the honey at the church fair in jam jars with hand-written labels. Most years it was gone before lunch. When she died my uncle sold the hives to a man from Leek, and I still feel a bit guilty that none of us kept them going.`;

export const MACHINE = `Artificial intelligence has become an integral part of modern society, transforming the way individuals and organizations approach a wide range of tasks. From healthcare to education, its applications continue to expand at a remarkable pace. As a result, it is essential to understand both the opportunities and the challenges that this technology presents.

One of the most significant benefits of artificial intelligence is its ability to improve efficiency. By automating repetitive processes, organizations can allocate resources more effectively and focus on strategic initiatives. Furthermore, data-driven insights enable more informed decision-making across various sectors.

However, it is important to consider the ethical implications of its widespread adoption. Issues such as privacy, bias and accountability must be addressed to ensure that these systems are used responsibly. In conclusion, while artificial intelligence offers numerous advantages, a balanced approach is crucial to maximizing its positive impact on society.`;

// Accents, a dash, emoji (surrogate pairs) and CJK: UTF-16 offsets differ from byte offsets.
export const UNICODE = `Ça va? Très bien, merci — the café on Rue Cler reopened last week 😀 and the queue went round the corner. My neighbour Zoë says the croissants are better than before, which I doubt.

日本語の文章もあります。 We tried the matcha éclair anyway; it was 🍵-flavoured and far too sweet for me. Nobody else seemed to mind.`;

function cliDetect(text, model = MODEL) {
  const r = spawnSync(CLI, ['detect', '--json', '--model', model], { input: text, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `CLI failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

/** Start scripts/serve.mjs on a free port; resolves {url, proc, log}. */
function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'scripts/serve.mjs'), '--fixtures', '--verbose'],
      { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = [];
    let url = null;
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
        if (m && !url) { url = m[1]; resolve({ url, proc, log }); } else log.push(line);
      }
    });
    proc.on('exit', (code) => { if (!url) reject(new Error(`serve.mjs exited with ${code}`)); });
    setTimeout(() => { if (!url) reject(new Error('serve.mjs did not print its address')); }, 10000);
  });
}

let server = null;
let browser = null;

before(async () => {
  server = await startServer();
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!whyNoBrowser()) {
    browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }
});
after(async () => {
  await browser?.close();
  server?.proc.kill();
});

async function get(path, opts = {}) {
  return fetch(new URL(path, server.url), { redirect: 'manual', ...opts });
}

test('serve.mjs: headers, MIME types, 404 for paths outside the mounts', async () => {
  const home = await get('/');
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type'), /^text\/html/);
  assert.equal(home.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(home.headers.get('cross-origin-embedder-policy'), 'require-corp');
  const csp = home.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /https?:|\*|unsafe-inline|'unsafe-eval'/, 'no outside origins, no inline/eval');
  assert.match(await home.text(), /<textarea id="text"/);
  for (const [p, type] of [['/app.js', /^text\/javascript/], ['/worker.js', /^text\/javascript/],
    ['/sw.js', /^text\/javascript/], ['/wasm/telltale.mjs', /^text\/javascript/], ['/style.css', /^text\/css/],
    ['/manifest.webmanifest', /^application\/manifest\+json/], ['/icons/icon.svg', /^image\/svg\+xml/]]) {
    const r = await get(p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get('content-type'), type, p);
    assert.ok(r.headers.get('content-security-policy'), `${p} has a CSP`);
  }
  if (existsSync(join(root, 'wasm/dist/telltale.wasm'))) {
    const r = await get('/wasm/dist/telltale.wasm');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/wasm');
  }
  const manifest = await (await get('/manifest.webmanifest')).json();
  assert.equal(manifest.start_url, './');
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512'));
  // Nothing outside the mounts, however the path is spelled.
  for (const p of ['/../package.json', '/%2e%2e/package.json', '/wasm/%2e%2e/package.json', '/wasm/..%2fpackage.json',
    '/models/..%2f..%2fpackage.json', '/.git/config', '/extension/manifest.json', '/wasm/exports.c',
    '/%2fetc%2fpasswd', '/..%5c..%5cpackage.json', '/fixtures%00.ttm', '/wasm/dist/', '/nope.html']) {
    const r = await get(p);
    assert.equal(r.status, 404, `${p} → ${r.status}`);
  }
  const post = await get('/', { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  // A raw request line with dot-segments (fetch() would normalise them away).
  const raw = await new Promise((resolve, reject) => {
    import('node:net').then(({ connect }) => {
      const u = new URL(server.url);
      const s = connect(Number(u.port), u.hostname, () => s.write('GET /../../package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let data = '';
      s.on('data', (d) => { data += d; });
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
  });
  assert.match(raw, /^HTTP\/1\.1 404/);
});

// Native (glibc) and wasm (musl) floats may differ in the last bits (see tests/js/wasm.test.mjs), so
// as there: labels, offsets and counts exactly; scores within 1e-3; p-values within two permutation
// steps (200 permutations); null exactly.
const TOL = 1e-3;
const P_TOL = 2 / 201 + 1e-12;
function near(a, b, tol = TOL) {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

/** Assert the rendered result equals the CLI's JSON for text. */
function assertMatchesCli(r, cli, text, name) {
  const d = cli.document;
  assert.equal(r.doc.label, d.label, `${name}: document label`);
  assert.ok(near(r.doc.score, d.score), `${name}: document score ${r.doc.score} vs CLI ${d.score}`);
  assert.ok(near(r.doc.p, d.p_value, P_TOL), `${name}: document p-value ${r.doc.p} vs CLI ${d.p_value}`);
  assert.equal(r.scoreText, formatScore(r.doc.score), `${name}: shown score`);
  assert.equal(r.pText, formatP(r.doc.p), `${name}: shown p-value`);
  if (d.label === 'uncertain') assert.match(r.title, /Uncertain/);
  assert.equal(r.paras.length, cli.paragraphs.length, `${name}: paragraph count`);
  cli.paragraphs.forEach((p, i) => {
    const q = r.paras[i];
    assert.deepEqual([q.start16, q.end16, q.label, q.tested], [p.start16, p.end16, p.label, p.tested], `${name}: paragraph ${i + 1}`);
    assert.ok(near(q.score, p.score) && near(q.p, p.p_value, P_TOL), `${name}: paragraph ${i + 1}: ${q.score}, ${q.p} vs CLI ${p.score}, ${p.p_value}`);
    assert.ok(q.head.includes(`score ${formatScore(q.score)}`) && q.head.includes(p.tested ? formatP(q.p) : 'not tested'),
      `${name}: paragraph ${i + 1} header "${q.head}"`);
  });
  const sents = cli.paragraphs.flatMap((p) => p.sentences);
  assert.equal(r.sents.length, sents.length, `${name}: sentence count`);
  sents.forEach((s, i) => {
    const m = r.sents[i];
    assert.deepEqual([m.start16, m.end16, m.label], [s.start16, s.end16, s.label], `${name}: sentence ${i + 1}`);
    assert.ok(near(m.score, s.score), `${name}: sentence ${i + 1} score ${m.score} vs CLI ${s.score}`);
    assert.equal(m.text, text.slice(s.start16, s.end16), `${name}: sentence ${i + 1} highlights exactly its text`);
    assert.equal(m.tabindex, 0, 'sentences are keyboard-focusable');
    assert.ok(m.aria.includes(s.score == null ? 'not scored' : `score ${formatScore(m.score)}`), `${name}: aria-label "${m.aria}"`);
    assert.equal(m.title, m.aria);
    if (s.score == null) assert.match(m.cls, /unscored/);
    else {
      // Score band, but an "uncertain" sentence never gets the strongest colours.
      let bi = Math.min(4, Math.floor(m.score * 5));
      if (s.label === 'uncertain') bi = Math.min(3, Math.max(1, bi));
      const band = ['b0', 'b1', 'b2', 'b3', 'b4'][bi];
      assert.ok(m.cls.split(' ').includes(band), `${name}: sentence ${i + 1} colour band ${band} (${m.cls})`);
      assert.notEqual(m.bg, 'rgba(0, 0, 0, 0)', 'scored sentences are coloured');
      assert.ok(m.cls.split(' ').includes(`l-${s.label}`), 'label class (line style)');
    }
  });
  assert.deepEqual(r.warnings.map((w) => w.code), cli.warnings.map((w) => w.code), `${name}: warnings`);
  cli.warnings.forEach((w, i) => assert.ok(r.warnings[i].text.includes(w.message)));
  assert.match(r.timings, /engine total/);
}

async function openPage(context, query = '', model = MODEL) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`); });
  await page.goto(`${server.url}?model=${modelUrlPath(model)}${query}`);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60000 });
  const state = await page.evaluate(() => [document.body.dataset.state, document.getElementById('error').textContent]);
  assert.equal(state[0], 'ready', `page did not become ready: ${state[1]}`);
  return { page, errors };
}

async function checkText(page, text, { keyboard = false } = {}) {
  await page.fill('#text', text);
  if (keyboard) {
    await page.focus('#text');
    await page.keyboard.press('Control+Enter');
  } else await page.click('#check');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state) && document.querySelector('#check:not([disabled])'), null, { timeout: 120000 });
  const err = await page.evaluate(() => (document.getElementById('error').hidden ? null : document.getElementById('error').textContent));
  assert.equal(err, null, `the check failed: ${err}`);
}

for (const model of MODELS.length ? MODELS : [null]) {
test(`page (${model ? relative(root, model) : 'no model'}): human, machine-like and Unicode texts render what the CLI reports; all requests same-origin`,
  { skip: whyNoDetect() || false, timeout: 300000 }, async (t) => {
    const tag = model === MODEL ? '' : `-${model.split('/').pop().replace(/\.ttm$/, '')}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requests = [];
    context.on('request', (r) => requests.push(r.url()));
    try {
      const { page, errors } = await openPage(context, '&sw=0', model);
      const origin = new URL(server.url).origin;
      const loadRequests = requests.splice(0);
      for (const [name, text, keyboard] of [['human', HUMAN, false], ['machine', MACHINE, true], ['unicode', UNICODE, false]]) {
        await checkText(page, text, { keyboard });
        const detectRequests = requests.splice(0);
        assert.deepEqual(detectRequests, [], `${name}: detection made no requests at all`);
        const cli = cliDetect(text, model);
        const r = await readRendered(page);
        assertMatchesCli(r, cli, text, name);
        t.diagnostic(`${name}: document ${cli.document.label} score ${formatScore(cli.document.score)} ${formatP(cli.document.p_value)}; ` +
          `${r.sents.length} sentences, ${r.paras.length} paragraphs — rendered = CLI`);
        await page.screenshot({ path: join(ARTIFACTS, `web-desktop-${name}${tag}.png`), fullPage: true });
      }
      if (!tag) {
        await page.emulateMedia({ colorScheme: 'dark' });
        await page.screenshot({ path: join(ARTIFACTS, 'web-desktop-dark.png'), fullPage: true });
        await page.emulateMedia({ colorScheme: 'light' });
      }
      // Keyboard: Tab from the textarea reaches the sentences; focus shows the score.
      await page.mouse.move(0, 0); // hovering also updates the info line
      await page.focus('#results mark.sent');
      const info = await page.evaluate(() => [document.activeElement.getAttribute('aria-label'), document.querySelector('.sentence-info').textContent]);
      assert.ok(info[1].startsWith(info[0]), `focused sentence info "${info[1]}"`);
      for (const u of loadRequests) {
        assert.equal(new URL(u).origin, origin, `request to another origin: ${u}`);
        assert.match(new URL(u).pathname, /^\/((index\.html)?|[\w-]+\.(js|css|webmanifest)|icons\/[\w-]+\.(svg|png)|wasm\/telltale\.mjs|wasm\/dist\/telltale(-nosimd)?\.wasm|models\/[\w-]+\.ttm|fixtures\/[\w-]+\.ttm)$/, `not a static file: ${u}`);
      }
      assert.ok(loadRequests.some((u) => u.includes('/wasm/dist/telltale')), 'the wasm came from this server');
      assert.ok(loadRequests.some((u) => u.endsWith('.ttm')), 'the model came from this server');
      assert.deepEqual(errors, [], 'no script errors, no console errors or warnings (CSP violations would show here)');
    } finally {
      await context.close();
    }
  });
}

test('page: ?wasm=scalar runs the non-SIMD build with the same result', { skip: whyNoDetect() || false, timeout: 120000 }, async () => {
  const context = await browser.newContext();
  const requests = [];
  context.on('request', (r) => requests.push(new URL(r.url()).pathname));
  try {
    const { page } = await openPage(context, '&sw=0&wasm=scalar');
    assert.match(await page.evaluate(() => document.getElementById('model-info').textContent), /without SIMD/);
    // which file judged the text: its SHA-256, as sha256sum prints it
    const sha = createHash('sha256').update(readFileSync(resolve(root, MODEL))).digest('hex');
    assert.match(await page.evaluate(() => document.getElementById('model-info').textContent), new RegExp(` · file ${sha.slice(0, 12)} `));
    assert.equal(await page.evaluate(() => document.getElementById('model-info').title), `SHA-256 of the model file: ${sha}`);
    assert.ok(requests.includes('/wasm/dist/telltale-nosimd.wasm') && !requests.includes('/wasm/dist/telltale.wasm'), requests.join(' '));
    await checkText(page, MACHINE);
    assertMatchesCli(await readRendered(page), cliDetect(MACHINE), MACHINE, 'scalar machine');
  } finally {
    await context.close();
  }
});

test('page: phone width, long text progress, result readable', { skip: whyNoDetect() || false, timeout: 300000 }, async (t) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  try {
    const { page } = await openPage(context, '&sw=0');
    // A long text: the progress bar must show up while the worker keeps the page responsive.
    const long = Array.from({ length: 12 }, (_, i) => (i % 2 ? MACHINE : HUMAN)).join('\n\n');
    await page.fill('#text', long);
    // Watch the bar from before the click: on a fast machine the whole check can finish between
    // two polls, so polling for a visible bar would race with the page hiding it again.
    await page.evaluate(() => {
      const bar = document.getElementById('progress');
      window.seenProgress = { shown: false, maxValue: 0 };
      new MutationObserver(() => {
        if (!bar.hidden) window.seenProgress.shown = true;
        if (bar.hasAttribute('value')) window.seenProgress.maxValue = Math.max(window.seenProgress.maxValue, bar.value / bar.max);
      }).observe(bar, { attributes: true });
    });
    await page.click('#check');
    // The page answers while detection runs in the worker.
    const ping = await page.evaluate(() => new Promise((r) => { const t0 = performance.now(); requestAnimationFrame(() => r(performance.now() - t0)); }));
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 240000 });
    const seen = await page.evaluate(() => window.seenProgress);
    assert.ok(seen.shown, 'the progress bar was shown');
    assert.equal(seen.maxValue, 1, 'the progress bar reached the end of the text');
    assert.ok(ping < 1000, `a frame took ${ping} ms during detection`);
    const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(width[0] <= width[1], `no horizontal scrolling at phone width (${width})`);
    t.diagnostic(`long text (${long.length} chars): ${await page.evaluate(() => document.querySelector('#results .timings').textContent)}`);
    await page.fill('#text', HUMAN);
    await page.click('#check');
    await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 120000 });
    await page.screenshot({ path: join(ARTIFACTS, 'web-phone-human.png'), fullPage: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-phone-top.png') });
    await page.focus('#results mark.sent');
    await page.locator('#results .annotated').screenshot({ path: join(ARTIFACTS, 'web-phone-sentences.png') });
  } finally {
    await context.close();
  }
});

test('page: Stop cancels a running check and the page stays usable', { skip: whyNoDetect() || false, timeout: 300000 }, async () => {
  const context = await browser.newContext();
  try {
    const { page } = await openPage(context, '&sw=0');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP make the page cross-origin isolated');
    // Long enough that even a fast machine is still checking when Stop is clicked; set directly,
    // as typing-like fill() of ~400 kB is slow in the browser.
    const huge = Array.from({ length: 480 }, (_, i) => (i % 2 ? MACHINE : HUMAN)).join('\n\n');
    await page.evaluate((t) => { const el = document.getElementById('text'); el.value = t; el.dispatchEvent(new Event('input')); }, huge);
    await page.click('#check');
    await page.waitForFunction(() => !document.getElementById('stop').hidden && document.getElementById('progress').value > 0, null, { timeout: 60000 });
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.state !== 'busy', null, { timeout: 60000 });
    assert.deepEqual(await page.evaluate(() => [document.body.dataset.state, document.getElementById('status').textContent,
      document.getElementById('results').hidden, document.getElementById('stop').hidden]), ['ready', 'Stopped.', true, true]);
    await checkText(page, HUMAN);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'done');
  } finally {
    await context.close();
  }
});

test('page: works offline after one visit (service worker + Cache Storage)', { skip: whyNoDetect() || false, timeout: 300000 }, async (t) => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  try {
    // Caches left by an older version, and one that is not ours.
    const pre = await context.newPage();
    await pre.goto(`${server.url}?sw=0&model=fixtures/no-such-model.ttm`);
    await pre.evaluate(async () => {
      await (await caches.open('telltale-v0')).put('/old', new Response('old'));
      await (await caches.open('someone-else')).put('/x', new Response('x'));
    });
    await pre.close();
    const { page } = await openPage(context);
    await page.waitForFunction(() => document.body.dataset.offlineReady === 'yes', null, { timeout: 60000 });
    const current = await page.evaluate(() => self.TELLTALE_CONFIG.cache);
    await page.waitForFunction(async (c) => (await caches.keys()).sort().join() === ['someone-else', c].sort().join(), current, { timeout: 20000, polling: 100 })
      .catch(async () => assert.fail(`caches after activate: ${await page.evaluate(() => caches.keys())}`));
    const cached = await page.evaluate(async (name) => {
      const c = await caches.open(name);
      return { names: [name], keys: (await c.keys()).map((r) => new URL(r.url).pathname) };
    }, current);
    for (const p of ['/', '/app.js', '/worker.js', '/render.js', '/sw.js', '/wasm/telltale.mjs', '/wasm/dist/telltale.wasm', '/wasm/dist/telltale-nosimd.wasm', `/${modelUrlPath(MODEL)}`]) {
      if (p === '/sw.js') continue; // the browser keeps the service worker script itself
      assert.ok(cached.keys.includes(p), `${p} is cached (${cached.keys.join(' ')})`);
    }
    await context.setOffline(true);
    const seen = server.log.length;
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 60000 });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready',
      await page.evaluate(() => document.getElementById('error').textContent));
    await checkText(page, MACHINE);
    assertMatchesCli(await readRendered(page), cliDetect(MACHINE), MACHINE, 'offline machine');
    // Chromium's own service-worker update check (sw.js and the config.js it imports) is not covered
    // by the offline emulation and may reach the server; with a real network cut it just fails. The
    // page, its worker and the engine must not fetch anything.
    const leaked = server.log.slice(seen).filter((l) => l !== 'GET /sw.js' && l !== 'GET /config.js');
    assert.deepEqual(leaked, [], 'no request of the page, worker or engine reached the server while offline');
    assert.match(await page.evaluate(() => document.getElementById('status').textContent + document.getElementById('offline-info').textContent), /offline/i);
    t.diagnostic(`offline reload + detect OK; cache ${cached.names[0]} holds ${cached.keys.length} files`);
    await page.screenshot({ path: join(ARTIFACTS, 'web-offline.png') });
  } finally {
    await context.close();
  }
});

test('page: the model is downloaded once, then read from Cache Storage until the site has a new one', { skip: whyNoDetect() || false, timeout: 120000 }, async () => {
  const context = await browser.newContext();
  const modelFile = resolve(root, MODEL);
  const { atime, mtime } = statSync(modelFile);
  try {
    const modelPath = `/${modelUrlPath(MODEL)}`;
    const count = (what) => server.log.filter((l) => l === `${what} ${modelPath}`).length;
    const downloads = () => count('GET') - count('304');
    const d0 = downloads(), r0 = count('304');
    const status = (p) => p.evaluate(() => document.getElementById('status').textContent);
    const first = await openPage(context, '&sw=0'); // no service worker: the worker's own cache only
    assert.equal(downloads() - d0, 1, 'first visit downloads the model');
    assert.match(await status(first.page), /from the site/);
    await first.page.close();
    const second = await openPage(context, '&sw=0');
    assert.equal(downloads() - d0, 1, 'second visit does not download it again');
    assert.equal(count('304') - r0, 1, 'it asks the site whether its copy is current (304)');
    assert.match(await status(second.page), /from this browser/);
    await second.page.close();
    // a new model on the site (its ETag changes with the file's time): the next visit downloads it
    utimesSync(modelFile, atime, new Date(mtime.getTime() + 60000));
    const third = await openPage(context, '&sw=0');
    assert.equal(downloads() - d0, 2, 'a changed model is downloaded again');
    assert.match(await status(third.page), /from the site/);
    await third.page.close();
    const fourth = await openPage(context, '&sw=0');
    assert.equal(downloads() - d0, 2, 'and then stored again');
    assert.match(await status(fourth.page), /from this browser/);
  } finally {
    utimesSync(modelFile, atime, mtime);
    await context.close();
  }
});

test('page: installable as an app (manifest, icons, service worker)', { skip: whyNoDetect() || false, timeout: 120000 }, async () => {
  // A persistent profile: Chromium never offers installation in incognito-like contexts.
  const dir = mkdtempSync(join(tmpdir(), 'telltale-install-'));
  const ctx = await playwright.chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: ARGS });
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(`${server.url}?model=${modelUrlPath(MODEL)}`);
    await page.waitForFunction(() => document.body.dataset.offlineReady === 'yes', null, { timeout: 60000 });
    const cdp = await ctx.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium reports no installability errors');
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('page: a missing model shows the loader\u2019s message', { skip: whyNoBrowser() || false, timeout: 120000 }, async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}?sw=0&model=fixtures/no-such-model.ttm`);
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 60000 });
    const msg = await page.evaluate(() => document.getElementById('error').textContent);
    assert.match(msg, /could not be loaded/);
    assert.match(msg, /no-such-model\.ttm/);
    assert.match(msg, /404/);
    assert.equal(await page.evaluate(() => document.getElementById('check').disabled), true);
    await page.screenshot({ path: join(ARTIFACTS, 'web-error-model.png') });
  } finally {
    await context.close();
  }
});

test('page: a browser without WebAssembly gets a plain message', { skip: whyNoBrowser() || false, timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-nowasm-'));
  const b = await playwright.chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: [...ARGS, '--js-flags=--jitless'] });
  try {
    const page = b.pages()[0] || await b.newPage();
    await page.goto(`${server.url}?sw=0`);
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 60000 });
    assert.equal(await page.evaluate(() => typeof WebAssembly), 'undefined', 'jitless Chromium has no WebAssembly');
    assert.match(await page.evaluate(() => document.getElementById('error').textContent), /no WebAssembly/);
    await page.screenshot({ path: join(ARTIFACTS, 'web-error-nowasm.png') });
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('page: the shipped files name no remote origin', () => {
  for (const f of ['index.html', 'app.js', 'client.js', 'worker.js', 'render.js', 'sw.js', 'config.js', 'fresh.js', 'style.css', 'manifest.webmanifest']) {
    const s = readFileSync(join(root, 'web', f), 'utf8');
    const urls = (s.match(/\b(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"<>)]*/gi) || []).filter((u) => !u.startsWith('//'));
    assert.deepEqual(urls, [], `${f} names remote URLs`);
    assert.doesNotMatch(s, /@import|url\(\s*['"]?https?:/i, `${f} pulls remote CSS`);
  }
  const html = readFileSync(join(root, 'web/index.html'), 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline scripts');
  assert.doesNotMatch(html, /\sstyle="/, 'no inline styles (CSP style-src self)');
});
