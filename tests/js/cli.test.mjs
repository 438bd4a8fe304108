// CLI tests: build/telltale on the tiny detector fixture (tests/fixtures/tiny-detector.ttm).
//   node --test tests/js/cli.test.mjs          (after cmake --build build)
//   TELLTALE_CLI=build-asan/telltale node --test tests/js/cli.test.mjs   (sanitizer build)
// Checks `detect --json` against the result schema (docs/result-schema.md) including UTF-16 offsets
// as JavaScript's String.prototype.slice sees them, the `score --jsonl` contract (good and bad lines,
// ids of every JSON type, order), model resolution, exit codes and --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ttmMeta } from './ttm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = process.env.TELLTALE_CLI ? join(root, process.env.TELLTALE_CLI) : join(root, 'build/telltale');
const MODEL = join(root, 'tests/fixtures/tiny-detector.ttm');
const LM_ONLY = join(root, 'tests/fixtures/tiny.ttm');

function cli(args, input, opts = {}) {
  const env = { ...process.env, ...(opts.env || {}) };
  if (opts.noModelEnv) delete env.TELLTALE_MODEL;
  const r = spawnSync(CLI, args, { input, env, cwd: opts.cwd || root, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), raw: r.stdout };
}
const detectJson = (text, extra = []) => {
  const r = cli(['detect', '--json', '--model', MODEL, ...extra], text);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

const PROSE = 'The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new bridge. '
  + 'The chair promised a detailed report before the next meeting. Nobody expected the vote to be close.\n\n'
  + 'In the second paragraph we talk about something else entirely. The weather was mild and the streets were quiet. '
  + 'A dog barked somewhere in the distance while the baker opened his shop.';
const UNICODE = 'Ça va très bien aujourd’hui, merci beaucoup mon ami. 😀 Emoji sentences count two units for each emoji here. '
  + 'This sentence is in English and has words enough to be scored. 日本語の文章もあります。 Last one comes after the Japanese part.';

const LABELS = ['human', 'machine', 'uncertain'];
const CODES = ['empty', 'too_short', 'not_english', 'unusual_format', 'invalid_utf8', 'truncated_sentence'];
const isCount = (v) => Number.isInteger(v) && v >= 0;
const isProbOrNull = (v) => v === null || (typeof v === 'number' && v >= 0 && v <= 1);

function checkSpan(o, bytes, str) {
  for (const k of ['start', 'end', 'start16', 'end16']) assert.ok(isCount(o[k]), `${k} = ${o[k]}`);
  assert.ok(o.start <= o.end && o.end <= bytes.length, 'byte span in range');
  assert.ok(o.start16 <= o.end16 && o.end16 <= str.length, 'UTF-16 span in range');
}
function checkUnit(u, bytes, str) {
  assert.deepEqual(Object.keys(u).filter((k) => k !== 'sentences').sort(),
    ['end', 'end16', 'label', 'mmd2', 'mmd2_mp', 'n_sentences', 'p_value', 'score', 'start', 'start16', 'tested']);
  checkSpan(u, bytes, str);
  assert.ok(isProbOrNull(u.score));
  assert.ok(LABELS.includes(u.label));
  assert.equal(typeof u.tested, 'boolean');
  if (u.tested) assert.ok(u.p_value > 0 && u.p_value <= 1); else assert.equal(u.p_value, null);
  assert.ok(u.mmd2 === null || typeof u.mmd2 === 'number');
  assert.ok(typeof u.mmd2_mp === 'number' || (u.mmd2_mp === null && u.n_sentences === 0));
  assert.ok(isCount(u.n_sentences));
}
// Full schema check; for valid UTF-8 text also that both offset kinds select the same text.
function checkResult(res, text, { validUtf8 = true, bytes = Buffer.from(text, 'utf8'), model = 'telltale-test-tiny-detector' } = {}) {
  assert.deepEqual(Object.keys(res).sort(), ['document', 'model', 'paragraphs', 'test', 'timings_ms', 'version', 'warnings']);
  assert.ok(['human_null', 'permutation'].includes(res.test), `test = ${res.test}`);
  assert.equal(res.model, model);
  assert.equal(res.version, '0.1.0');
  checkUnit(res.document, bytes, text);
  assert.equal(res.document.start, 0);
  assert.equal(res.document.end, bytes.length);
  if (validUtf8) assert.equal(res.document.end16, text.length);
  let scored = 0;
  for (const p of res.paragraphs) {
    checkUnit(p, bytes, text);
    assert.ok(Array.isArray(p.sentences) && p.sentences.length >= 1);
    let ps = 0;
    for (const s of p.sentences) {
      assert.deepEqual(Object.keys(s).sort(), ['end', 'end16', 'label', 'raw', 'score', 'start', 'start16']);
      checkSpan(s, bytes, text);
      assert.ok(s.start >= p.start && s.end <= p.end, 'sentence inside its paragraph');
      assert.ok(isProbOrNull(s.score) && LABELS.includes(s.label));
      if (s.score === null) { assert.equal(s.raw, null); assert.equal(s.label, 'uncertain'); } else { assert.equal(typeof s.raw, 'number'); ps++; }
      if (validUtf8) assert.equal(text.slice(s.start16, s.end16), bytes.subarray(s.start, s.end).toString('utf8'));
    }
    assert.equal(p.n_sentences, ps);
    scored += ps;
  }
  assert.equal(res.document.n_sentences, scored);
  for (const w of res.warnings) {
    assert.deepEqual(Object.keys(w).sort(), ['code', 'message']);
    assert.ok(CODES.includes(w.code), w.code);
    assert.ok(typeof w.message === 'string' && w.message.length > 10);
  }
  assert.deepEqual(Object.keys(res.timings_ms).sort(), ['features', 'segment', 'tests', 'total']);
  for (const v of Object.values(res.timings_ms)) assert.ok(typeof v === 'number' && v >= 0);
}

test('the CLI binary exists', () => {
  assert.ok(existsSync(CLI), `${CLI} missing: cmake -B build -G Ninja && cmake --build build`);
});

test('--help, --version and usage errors (exit 2)', () => {
  const h = cli(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /telltale detect/);
  assert.match(h.stdout, /score --jsonl/);
  assert.match(h.stdout, /Exit codes/);
  assert.equal(cli(['detect', '--help']).status, 0);
  const v = cli(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), 'telltale 0.1.0');
  for (const args of [[], ['frobnicate'], ['detect', '--nope'], ['detect', '--permutations', '5'], ['detect', '--seed', 'x'], ['detect', '--seed', ''],
    ['detect', '--model'], ['score'], ['score', '--jsonl', 'file.txt'], ['detect', 'a', 'b'], ['detect', '--alpha', '2']]) {
    const r = cli(args, '');
    assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^telltale: .+\nusage:/);
  }
});

test('runtime errors (exit 1): missing model, LM-only model, unreadable input, text too large', () => {
  let r = cli(['detect', '--model', '/nonexistent/m.ttm'], 'Some text here.');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "telltale: cannot open model file '/nonexistent/m.ttm': No such file or directory\n");
  r = cli(['detect'], 'Some text here.', { env: { TELLTALE_MODEL: '/nonexistent/env.ttm' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot open model file '\/nonexistent\/env\.ttm': No such file or directory \(the path comes from TELLTALE_MODEL\)/);
  r = cli(['detect', '--model', tmpdir()], 'Some text here.');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read model file '.*': Is a directory/);
  r = cli(['detect', '--model', LM_ONLY], 'Some text here.');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no "detector" section/);
  r = cli(['detect', '--model', MODEL, '/nonexistent/input.txt']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read \/nonexistent\/input\.txt: No such file or directory/);
  r = cli(['detect', '--model', MODEL, tmpdir()]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read .*: Is a directory/);
  r = cli(['detect', '--model', MODEL], Buffer.alloc(8 * 1024 * 1024 + 1, 0x61));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /TT_MAX_TEXT_BYTES/);
  r = cli(['score', '--jsonl', '--model', '/nonexistent/m.ttm'], '{"id":1,"text":"x"}\n');
  assert.equal(r.status, 1);
});

test('model resolution: --model, then TELLTALE_MODEL, then next to the binary, then ./models', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'telltale-cli-'));
  try {
    let r = cli(['detect', '--json'], PROSE, { env: { TELLTALE_MODEL: MODEL }, cwd: tmp });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).model, 'telltale-test-tiny-detector');
    r = cli(['detect', '--json', '--model', MODEL], PROSE, { env: { TELLTALE_MODEL: '/nonexistent/env.ttm' }, cwd: tmp });
    assert.equal(r.status, 0, '--model wins over TELLTALE_MODEL');
    r = cli(['detect', '--json'], PROSE, { env: { TELLTALE_MODEL: '/nonexistent/env.ttm' }, cwd: tmp });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\/nonexistent\/env\.ttm/);
    r = cli(['detect', '--json'], PROSE, { noModelEnv: true, cwd: tmp });
    const shipped = join(dirname(CLI), '..', 'models', 'telltale-small.ttm');
    if (existsSync(shipped)) {
      assert.equal(r.status, 0, `the shipped model next to the binary is found: ${r.stderr}`);
    } else {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /no model file found \(tried .*models\/telltale-small\.ttm and models\/telltale-small\.ttm\); pass --model FILE or set TELLTALE_MODEL/);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('detect --json: schema, offsets in bytes and UTF-16, paragraphs and sentences', () => {
  const res = detectJson(PROSE);
  checkResult(res, PROSE);
  assert.equal(res.paragraphs.length, 2);
  assert.deepEqual(res.paragraphs.map((p) => p.sentences.length), [4, 3]);
  assert.equal(res.paragraphs[0].sentences[1].start, PROSE.indexOf('Several'));
  assert.ok(res.document.tested && res.paragraphs.every((p) => p.tested));

  const uni = detectJson(UNICODE);
  checkResult(uni, UNICODE);
  assert.ok(Buffer.byteLength(UNICODE) > UNICODE.length, 'the text has multi-byte characters');
  const emoji = uni.paragraphs[0].sentences.find((s) => UNICODE.slice(s.start16, s.end16).startsWith('😀'));
  assert.ok(emoji, 'a sentence starts with the emoji');
  assert.equal(emoji.end - emoji.start - (emoji.end16 - emoji.start16), 2 + 0, 'the emoji is 4 bytes and 2 UTF-16 units');

  for (const [text, code] of [['', 'empty'], ['Too short.', 'too_short']]) {
    const r = detectJson(text);
    checkResult(r, text);
    assert.ok(r.warnings.some((w) => w.code === code), `${code} warning`);
    assert.equal(r.document.label, 'uncertain');
    assert.equal(r.document.tested, false);
  }
});

test('detect: invalid UTF-8 keeps byte offsets exact (each bad byte is one UTF-16 unit)', () => {
  const bytes = Buffer.concat([Buffer.from('The committee met on '), Buffer.from([0xff, 0xfe]),
    Buffer.from(' Tuesday to discuss the budget. Several members raised concerns about it.')]);
  const r = cli(['detect', '--json', '--model', MODEL], bytes);
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  checkResult(res, bytes.toString('latin1'), { validUtf8: false, bytes });
  assert.ok(res.warnings.some((w) => w.code === 'invalid_utf8'));
  const s = res.paragraphs[0].sentences;
  assert.equal(bytes.subarray(s[0].start, s[0].end).toString('latin1'), 'The committee met on \xff\xfe Tuesday to discuss the budget.');
  assert.equal(s[0].end16, s[0].end);
  assert.equal(bytes.subarray(s[1].start, s[1].end).toString(), 'Several members raised concerns about it.');
});

test('detect: file argument equals stdin; same seed, same answer; the readable report', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'telltale-cli-'));
  try {
    const f = join(tmp, 'in.txt');
    writeFileSync(f, PROSE);
    const strip = (o) => { delete o.timings_ms; return o; };
    const a = strip(detectJson(PROSE, ['--seed', '7']));
    const r = cli(['detect', '--json', '--model', MODEL, '--seed', '7', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(strip(JSON.parse(r.stdout)), a);
    const r2 = cli(['detect', '--json', '--model', MODEL, '--seed', '7', '-'], PROSE);
    assert.deepEqual(strip(JSON.parse(r2.stdout)), a);
    const b = strip(detectJson(PROSE, ['--seed', '8', '--permutations', '500']));
    assert.equal(b.document.score, a.document.score, 'the score does not depend on the seed');
    assert.equal(b.document.mmd2, a.document.mmd2);

    const rep = cli(['detect', '--model', MODEL, f]);
    assert.equal(rep.status, 0);
    const lines = rep.stdout.split('\n');
    assert.match(lines[0], /^telltale-test-tiny-detector: (human|machine|uncertain) \(score \d\.\d{3}, MMD test p = \d\.\d{3}, 7 sentences scored\)$/);
    assert.match(rep.stdout, /\nParagraph 1: /);
    assert.match(rep.stdout, /\nParagraph 2: /);
    const marked = lines.filter((l) => /^ {2}\[[MH?] \d\.\d\d\] /.test(l));
    assert.equal(marked.length, 7);
    assert.ok(marked[0].endsWith('The committee met on Tuesday to discuss the budget.'));
    const pretty = cli(['detect', '--pretty', '--model', MODEL, f]);
    assert.match(pretty.stdout, /^\{\n\t"model"/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('score --jsonl: one line per input, ids kept, bad lines reported, order kept', () => {
  const inputs = [
    JSON.stringify({ id: 1, text: PROSE }),
    JSON.stringify({ id: 'doc-b', text: 'Too short.' }),
    '{"id": 3, "text": ',                        // invalid JSON
    JSON.stringify({ id: 4 }),                   // missing text
    '',                                          // blank: not an input
    JSON.stringify({ id: 5.5, text: 42 }),       // text not a string
    JSON.stringify([1, 2]),                      // not an object
    JSON.stringify({ text: UNICODE }),           // no id → null
    JSON.stringify({ id: { nested: [1, 'x'] }, text: '' }),
    JSON.stringify({ id: -7, text: PROSE, extra: true }),
    JSON.stringify({ id: 'x'.repeat(10), text: 'x'.repeat(8 * 1024 * 1024 + 1) }), // over the limit
    JSON.stringify({ id: null, text: PROSE.split('\n\n')[1] }),
  ];
  const r = cli(['score', '--jsonl', '--model', MODEL], inputs.join('\n') + '\n');
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, inputs.length - 1);
  const ids = out.map((o) => o.id);
  assert.deepEqual(ids, [1, 'doc-b', null, 4, 5.5, null, null, { nested: [1, 'x'] }, -7, 'x'.repeat(10), null]);
  const good = [0, 1, 6, 7, 8, 10];
  const bad = [2, 3, 4, 5, 9];
  for (const i of good) {
    const o = out[i];
    assert.deepEqual(Object.keys(o), ['id', 'score', 'label', 'p_value', 'mmd2', 'mmd2_mp', 'n_sentences'], `line ${i}`);
    assert.ok(isProbOrNull(o.score));
    assert.ok(LABELS.includes(o.label));
    assert.ok(o.p_value === null || (o.p_value > 0 && o.p_value <= 1));
    assert.ok(isCount(o.n_sentences));
  }
  for (const i of bad) {
    assert.deepEqual(Object.keys(out[i]), ['id', 'error'], `line ${i}`);
    assert.equal(typeof out[i].error, 'string');
  }
  assert.match(out[2].error, /invalid JSON/);
  assert.match(out[3].error, /missing "text"/);
  assert.match(out[5].error, /expected a JSON object/);
  assert.match(out[9].error, /TT_MAX_TEXT_BYTES/);
  assert.equal(out[0].n_sentences, 7);
  assert.ok(out[0].score >= 0 && out[0].score <= 1 && out[0].p_value !== null);
  assert.equal(out[1].label, 'uncertain');
  assert.equal(out[7].score, null, 'empty text: no score');
  assert.equal(out[7].n_sentences, 0);
  // the score is the document probability of `detect --json` for the same text and seed
  const d = detectJson(PROSE);
  assert.equal(out[0].score, d.document.score);
  assert.equal(out[0].label, d.document.label);
  assert.equal(out[0].p_value, d.document.p_value);
  assert.equal(out[8].score, out[0].score, 'extra keys are ignored');
  // same input and seed → same output
  const again = cli(['score', '--jsonl', '--model', MODEL], inputs.slice(0, 2).join('\n'));
  assert.deepEqual(again.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)), out.slice(0, 2));
});

test('score --jsonl: a \\u0000 in the line and a lone surrogate are refused with a reason, not cut short', () => {
  const inputs = [
    JSON.stringify({ id: 1, text: 'Before the NUL \u0000 the text goes on for several more words here.' }),
    JSON.stringify({ id: 2, text: 'An escaped backslash then u0000: \\u0000 is ordinary text, with several words.' }),
    '{"id": 3, "text": "a lone \\ud800 surrogate in the middle of a sentence"}',
  ];
  assert.ok(inputs[0].includes('\\u0000') && inputs[1].includes('\\\\u0000'));
  const r = cli(['score', '--jsonl', '--model', MODEL], inputs.join('\n') + '\n');
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(out[0].id, 1);
  assert.match(out[0].error, /^line 1: .*\\u0000 \(a NUL character\)/);
  assert.equal(out[1].error, undefined);
  assert.equal(out[1].n_sentences, 1);
  assert.equal(out[2].id, null);
  assert.match(out[2].error, /^line 3: invalid JSON at byte \d+ of the line \(a \\ud800-\\udfff escape/);
});

test('white space inside a sentence does not change its score: line breaks, tabs, no-break spaces', () => {
  const plain = 'The committee met on Tuesday to discuss the budget for the coming year. Several members raised '
    + 'concerns about the cost of the new bridge over the river.';
  const base = detectJson(plain);
  const sc = (res) => res.paragraphs.flatMap((p) => p.sentences).map((s) => s.score);
  const variants = [
    plain.replace('budget for', 'budget\nfor').replace('cost of', 'cost\r\nof'), // wrapped lines
    plain.replace(/, /g, ',\t').replace('the new', 'the\t\tnew'),                // tabs
    plain.replace(/ the /g, '\u00a0the\u00a0'),                                   // no-break spaces
    plain.replace('met on', 'met   on'),                                         // a run of spaces
  ];
  assert.equal(sc(base).length, 2);
  for (const v of variants) {
    const res = detectJson(v);
    assert.deepEqual(sc(res), sc(base), JSON.stringify(v));
    assert.equal(res.document.score, base.document.score);
  }
});

// `score --jsonl FLAG` on texts (ids 1, 2, …) with the test model → the parsed output lines
const scoreJsonl = (flag, texts) => {
  const r = cli(['score', '--jsonl', flag, '--model', MODEL], texts.map((text, i) => JSON.stringify({ id: i + 1, text }) + '\n').join(''));
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
};

test('score --jsonl --sentences: per-sentence spans and scores equal detect --json', () => {
  const [a, b] = scoreJsonl('--sentences', [PROSE, '']);
  assert.deepEqual(Object.keys(a), ['id', 'score', 'label', 'p_value', 'mmd2', 'mmd2_mp', 'n_sentences', 'sentences']);
  const d = detectJson(PROSE);
  const sents = d.paragraphs.flatMap((p) => p.sentences);
  assert.equal(a.sentences.length, sents.length);
  a.sentences.forEach((s, i) => {
    assert.equal(s.start, sents[i].start);
    assert.equal(s.end, sents[i].end);
    assert.equal(s.score, sents[i].score);
    assert.equal(s.raw, sents[i].raw);
  });
  assert.equal(a.score, d.document.score);
  assert.deepEqual(b.sentences, []);
  assert.equal(cli(['detect', '--sentences', '--model', MODEL], PROSE).status, 2, '--sentences belongs to score');
});

test('score --jsonl --paragraphs: each paragraph’s verdict equals detect --json', () => {
  const [a, b] = scoreJsonl('--paragraphs', [PROSE, '']);
  assert.deepEqual(Object.keys(a), ['id', 'score', 'label', 'p_value', 'mmd2', 'mmd2_mp', 'n_sentences', 'paragraphs']);
  const d = detectJson(PROSE);
  assert.equal(a.paragraphs.length, d.paragraphs.length);
  assert.ok(a.paragraphs.length >= 2, 'the test text has two paragraphs');
  a.paragraphs.forEach((p, i) => {
    const q = d.paragraphs[i];
    assert.deepEqual(Object.keys(p), ['start', 'end', 'score', 'label', 'p_value', 'n_sentences']);
    for (const k of ['start', 'end', 'score', 'label', 'p_value', 'n_sentences']) assert.equal(p[k], q[k], `paragraph ${i} ${k}`);
  });
  assert.equal(a.paragraphs.reduce((n, p) => n + p.n_sentences, 0), a.n_sentences);
  assert.deepEqual(b.paragraphs, []);
  assert.equal(cli(['detect', '--paragraphs', '--model', MODEL], PROSE).status, 2, '--paragraphs belongs to score');
});

test('score --jsonl --features: the document features, and the score is their calibration', () => {
  const [a, b] = scoreJsonl('--features', [PROSE, 'Too short.']);
  assert.deepEqual(Object.keys(a), ['id', 'score', 'label', 'p_value', 'mmd2', 'mmd2_mp', 'n_sentences', 'features']);
  const f = a.features;
  assert.deepEqual(Object.keys(f), ['sent_mean', 'mmd2', 'logprob', 'entropy', 'fastdetect', 'ce_mean', 'log_n',
    'sent_mean_x_log_n', 'mmd2_x_log_n', 'ce_mean_x_log_n']);
  const near = (x, y, what) => assert.ok(Math.abs(x - y) <= 1e-5 * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);
  near(f.log_n, Math.log(a.n_sentences), 'log_n');
  near(f.sent_mean, a.mmd2_mp + 1, 'sent_mean = mmd2_mp + 1');
  near(f.mmd2, a.mmd2, 'mmd2');
  near(f.ce_mean_x_log_n, f.ce_mean * f.log_n, 'ce_mean_x_log_n');
  near(f.sent_mean_x_log_n, f.sent_mean * f.log_n, 'sent_mean_x_log_n');
  near(f.mmd2_x_log_n, f.mmd2 * f.log_n, 'mmd2_x_log_n');
  const doc = ttmMeta(MODEL).calibration.document;
  const z = doc.features.reduce((acc, name, i) => acc + doc.weights[i] * (f[name] - doc.mean[i]) / doc.std[i], doc.bias);
  near(a.score, 1 / (1 + Math.exp(-z)), 'score = sigmoid(calibration of the features)');
  assert.equal(b.n_sentences, 0);
  assert.equal(b.features, null, 'no scored sentence: no features');
  assert.equal(cli(['detect', '--features', '--model', MODEL], PROSE).status, 2, '--features belongs to score');
});

const SHIPPED = join(root, 'models/telltale-small.ttm');
test('shipped model (when present): detect --json schema and score --jsonl contract',
  { skip: existsSync(SHIPPED) ? false : 'models/telltale-small.ttm is not there yet (npm run train makes it)' }, () => {
    const r = cli(['detect', '--json', '--model', SHIPPED], PROSE);
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    checkResult(res, PROSE, { model: res.model });
    assert.equal(res.document.n_sentences, 7);
    const s = cli(['score', '--jsonl', '--model', SHIPPED], [JSON.stringify({ id: 'a', text: PROSE }), 'bad'].join('\n'));
    assert.equal(s.status, 0, s.stderr);
    const out = s.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(out.length, 2);
    assert.equal(out[0].score, res.document.score);
    assert.equal(out[0].p_value, res.document.p_value);
    assert.equal(out[0].mmd2_mp, res.document.mmd2_mp);
    assert.equal(res.test, 'human_null', 'the shipped model carries its human null (train/null_table.py)');
    assert.deepEqual(Object.keys(out[1]), ['id', 'error']);
  });
