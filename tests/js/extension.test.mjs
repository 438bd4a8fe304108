// extension.test.mjs — the Manifest V3 extension (web/extension/, packed by scripts/pack-extension.mjs).
//
// Checks: the packed folder and zip hold every asset (shared render code, loader, both wasm builds,
// the model) and nothing remote; the manifest (MV3, CSP with 'wasm-unsafe-eval', offscreen); then,
// loaded unpacked in headless Chromium: the "Check with telltale" context-menu item exists, and the
// selected-text path (the same function the context-menu click handler calls — a native context
// menu cannot be clicked from a test) opens the result window whose rendered labels, scores and
// sentence highlights equal `build/telltale detect --json`; inference runs in an offscreen document
// that stays up for the next check. Screenshot: test-artifacts/extension-result.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatScore, formatP } from '../../web/render.js';
import { readRendered } from './rendered.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CLI = join(root, 'build/telltale');
const ARTIFACTS = join(root, 'test-artifacts');
const OUT = 'build/extension-test';
const ZIP = 'build/telltale-extension-test.zip';
const MODEL = [process.env.TELLTALE_WEB_MODEL, 'tests/fixtures/tiny-detector.ttm', 'models/telltale-small.ttm']
  .filter(Boolean).map((p) => join(root, p)).find((p) => existsSync(p));

let playwright = null;
try { playwright = await import('playwright-core'); } catch { /* reported as a skip reason */ }

function whyNoPack() {
  if (!existsSync(join(root, 'wasm/dist/telltale.wasm')) || !existsSync(join(root, 'wasm/dist/telltale-nosimd.wasm'))) {
    return 'wasm/dist/*.wasm are not built (node scripts/build.mjs)';
  }
  if (!MODEL) return 'no detector model yet (tests/fixtures/tiny-detector.ttm or models/telltale-small.ttm)';
  return null;
}
function whyNoBrowser() {
  const p = whyNoPack();
  if (p) return p;
  if (!playwright) return 'playwright-core is not installed (npm ci)';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  if (!existsSync(CLI)) return 'build/telltale (the native CLI) is not built';
  return null;
}

const SELECTION = `The committee met on Tuesday to discuss the budget for next year. Several members raised concerns about the rising cost of the new bridge over the river. The chair promised a detailed report before the next meeting, and asked the treasurer to check the figures again.

In today's rapidly evolving landscape, effective communication is essential for fostering collaboration and driving meaningful outcomes. By leveraging innovative strategies, organizations can enhance engagement and achieve their goals. Ultimately, a thoughtful approach ensures long-term success.`;

function files(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), base) : [relative(base, join(dir, e.name)).split('\\').join('/')]).sort();
}

let packed = null;
before(() => {
  if (whyNoPack()) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/pack-extension.mjs'), '--model', relative(root, MODEL), '--out', OUT, '--zip', ZIP], { cwd: root });
  assert.equal(r.status, 0, `pack-extension failed: ${r.stderr}`);
  packed = join(root, OUT);
});

test('pack-extension: folder and zip hold every asset, nothing remote', { skip: whyNoPack() || false }, () => {
  const list = files(packed);
  const modelName = `models/${MODEL.split('/').pop()}`;
  for (const f of ['manifest.json', 'background.js', 'offscreen.html', 'offscreen.js', 'result.html', 'result.js',
    'render.js', 'client.js', 'worker.js', 'config.js', 'fresh.js', 'style.css', 'wasm/telltale.mjs', 'wasm/dist/telltale.wasm',
    'wasm/dist/telltale-nosimd.wasm', modelName, 'extension-config.json', 'icons/icon-128.png']) {
    assert.ok(list.includes(f), `${f} is in the packed extension`);
  }
  // Shared code is the page's own file, byte for byte.
  for (const f of ['render.js', 'client.js', 'worker.js', 'style.css']) {
    assert.deepEqual(readFileSync(join(packed, f)), readFileSync(join(root, 'web', f)), f);
  }
  assert.deepEqual(readFileSync(join(packed, modelName)), readFileSync(MODEL));
  assert.deepEqual(JSON.parse(readFileSync(join(packed, 'extension-config.json'), 'utf8')), { model: modelName });
  const m = JSON.parse(readFileSync(join(packed, 'manifest.json'), 'utf8'));
  assert.equal(m.manifest_version, 3);
  assert.match(m.content_security_policy.extension_pages, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(m.content_security_policy.extension_pages, /https?:|\*|unsafe-inline|'unsafe-eval'/);
  assert.ok(m.permissions.includes('offscreen') && m.permissions.includes('contextMenus'));
  assert.equal(m.host_permissions, undefined, 'no host permissions: the extension reads only what the user selects');
  for (const f of list.filter((x) => /\.(js|mjs|html|json|css)$/.test(x))) {
    const s = readFileSync(join(packed, f), 'utf8');
    assert.doesNotMatch(s, /\bhttps?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}/i, `${f} names a remote URL`);
    assert.doesNotMatch(s, /\beval\(|new Function\(/, `${f} evaluates strings as code`);
  }
  // The zip is a valid archive with the same files, checked by an independent reader when present.
  const zip = join(root, ZIP);
  assert.ok(statSync(zip).size > 1000);
  const reader = ['/usr/bin/unzip', '/usr/bin/python3'].find((p) => existsSync(p));
  if (reader === '/usr/bin/unzip') {
    const t = spawnSync('unzip', ['-t', zip]);
    assert.equal(t.status, 0, String(t.stdout));
    const l = spawnSync('unzip', ['-Z1', zip]);
    assert.deepEqual(String(l.stdout).trim().split('\n').sort(), list);
  } else if (reader === '/usr/bin/python3') {
    const t = spawnSync('python3', ['-c', 'import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);assert z.testzip() is None;print("\\n".join(z.namelist()))', zip]);
    assert.equal(t.status, 0, String(t.stderr));
    assert.deepEqual(String(t.stdout).trim().split('\n').sort(), list);
  }
});

let context = null;
let profile = null;
before(async () => {
  if (whyNoBrowser()) return;
  profile = mkdtempSync(join(tmpdir(), 'telltale-ext-'));
  context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 760, height: 820 },
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', `--disable-extensions-except=${packed}`, `--load-extension=${packed}`],
  });
});
after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Polls fn() every 100 ms until it returns something truthy or ms have passed; → its last value. */
async function until(fn, ms) {
  let v = await fn();
  for (const end = Date.now() + ms; !v && Date.now() < end; v = await fn()) await new Promise((r) => setTimeout(r, 100));
  return v;
}

async function serviceWorker() {
  return context.serviceWorkers().find((w) => w.url().endsWith('/background.js')) ||
    context.waitForEvent('serviceworker', { timeout: 20000 });
}

test('extension: selected text → result window equals the CLI; engine in an offscreen document', { skip: whyNoBrowser() || false, timeout: 300000 }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const sw = await serviceWorker();
  // The context-menu item is registered (update() fails for an unknown id). runtime.onInstalled,
  // which creates it, may fire after the service worker is first seen: wait for it, up to 10 s.
  let menu = null;
  await until(async () => (menu = await sw.evaluate(() => new Promise((resolve) =>
    chrome.contextMenus.update(self.telltale.MENU_ID, {}, () => resolve(chrome.runtime.lastError ? chrome.runtime.lastError.message : 'ok'))))) === 'ok', 10000);
  assert.equal(menu, 'ok');
  // What a click on "Check with telltale" does: the handler gets {menuItemId, selectionText} and a tab.
  // Without a real click there is no activeTab grant, so the handler uses selectionText.
  const pageP = context.waitForEvent('page', { timeout: 20000 });
  await sw.evaluate((text) => self.telltale.onMenuClick({ menuItemId: self.telltale.MENU_ID, selectionText: text }, undefined), SELECTION);
  const page = await pageP;
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 120000 });
  const err = await page.evaluate(() => (document.getElementById('error').hidden ? null : document.getElementById('error').textContent));
  assert.equal(err, null, `the check failed: ${err}`);
  assert.equal(await page.evaluate(() => document.getElementById('text').value), SELECTION);

  const cli = JSON.parse(spawnSync(CLI, ['detect', '--json', '--model', MODEL], { input: SELECTION }).stdout.toString());
  const r = await readRendered(page);
  // As in tests/js/wasm.test.mjs: labels and offsets exactly; native (glibc) and wasm (musl) floats
  // may differ in the last bits, so scores within 1e-3 and p-values within two permutation steps.
  const near = (a, b, tol = 1e-3) => (a === null || b === null ? a === b : Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)));
  const P_TOL = 2 / 201 + 1e-12;
  assert.equal(r.doc.label, cli.document.label);
  assert.ok(near(r.doc.score, cli.document.score) && near(r.doc.p, cli.document.p_value, P_TOL), `document ${JSON.stringify(r.doc)} vs CLI`);
  assert.equal(r.scoreText, formatScore(r.doc.score));
  assert.equal(r.pText, formatP(r.doc.p));
  assert.equal(r.paras.length, cli.paragraphs.length);
  cli.paragraphs.forEach((p, i) => {
    const q = r.paras[i];
    assert.deepEqual([q.start16, q.end16, q.label], [p.start16, p.end16, p.label], `paragraph ${i + 1}`);
    assert.ok(near(q.score, p.score) && near(q.p, p.p_value, P_TOL), `paragraph ${i + 1}`);
  });
  const sents = cli.paragraphs.flatMap((p) => p.sentences);
  assert.equal(r.sents.length, sents.length);
  sents.forEach((s, i) => {
    assert.deepEqual([r.sents[i].start16, r.sents[i].end16, r.sents[i].label], [s.start16, s.end16, s.label], `sentence ${i + 1}`);
    assert.ok(near(r.sents[i].score, s.score), `sentence ${i + 1} score`);
    assert.equal(r.sents[i].text, SELECTION.slice(s.start16, s.end16));
    assert.equal(r.sents[i].tabindex, 0);
    assert.match(r.sents[i].aria, /^Sentence \d+ of \d+: /);
  });
  assert.deepEqual(r.warnings.map((w) => w.code), cli.warnings.map((w) => w.code));
  t.diagnostic(`extension: ${cli.document.label} ${formatScore(cli.document.score)} ${formatP(cli.document.p_value)}, ${sents.length} sentences — rendered = CLI`);
  await page.screenshot({ path: join(ARTIFACTS, 'extension-result.png'), fullPage: true });

  // The engine lives in an offscreen document, not in the service worker.
  const contexts = await sw.evaluate(async () => (await chrome.runtime.getContexts({})).map((c) => c.contextType));
  assert.ok(contexts.includes('OFFSCREEN_DOCUMENT'), `contexts: ${contexts}`);

  // Stop the service worker (as Chromium does when it is idle): the offscreen document, and the
  // model loaded in it, must survive, and a second check from the same window must still work.
  const offscreenId = () => page.evaluate(async () =>
    (await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] })).map((c) => c.documentId));
  const before = await offscreenId();
  assert.equal(before.length, 1);
  const cdp = await context.newCDPSession(page);
  const statuses = [];
  cdp.on('ServiceWorker.workerVersionUpdated', (e) => {
    for (const v of e.versions) if (/background\.js$/.test(v.scriptURL)) statuses.push(v.runningStatus);
  });
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await until(() => statuses.includes('stopped'), 20000);
  assert.ok(statuses.includes('stopped'), `the service worker stopped (statuses seen: ${statuses})`);
  await page.fill('#text', SELECTION.split('\n\n')[0]);
  await page.click('#check');
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 120000 });
  assert.deepEqual(await offscreenId(), before, 'the same offscreen document served the second check');
  t.diagnostic(`service worker states: ${statuses.join(' → ')}; offscreen document kept across the stop`);
  const first = cli.paragraphs[0];
  const r2 = await readRendered(page);
  assert.equal(r2.paras.length, 1);
  assert.equal(r2.sents.length, first.sentences.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test('extension: the toolbar button opens an empty window to paste into', { skip: whyNoBrowser() || false, timeout: 120000 }, async () => {
  const sw = await serviceWorker();
  const pageP = context.waitForEvent('page', { timeout: 20000 });
  await sw.evaluate(() => self.telltale.checkText('')); // what chrome.action.onClicked does
  const page = await pageP;
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.getElementById('text').value), '');
  assert.match(await page.evaluate(() => document.getElementById('status').textContent), /Paste a text/);
  await page.fill('#text', SELECTION);
  await page.focus('#text');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 120000 });
  assert.ok(await page.locator('#results mark.sent').count() > 0);
  await page.close();
});
