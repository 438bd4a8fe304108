// The shipped evaluation report (models/eval-report.json, written by `npm run eval`), the learner-essay
// check (models/learner-check.json, written from train/human_texts.py's output) and the model card
// that quotes them.
//   node --test tests/js/report.test.mjs
// The report is read by JavaScript tools, so it must be strict JSON (no NaN tokens); every rate in it
// is a number in [0, 1] or null (not measurable, e.g. an AUROC on a set with one class); and the
// card's headline numbers are the report's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ttmMeta } from './ttm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reportText = readFileSync(join(root, 'models/eval-report.json'), 'utf8');
const card = readFileSync(join(root, 'models/README.md'), 'utf8');

const RATE_KEYS = new Set(['auroc', 'tpr_at_1pct_fpr', 'fpr_default', 'tpr_default', 'uncertain_human',
  'type1_error_human', 'power_mean', 'fpr_at_2pct_train_threshold', 'uncertain', 'test_rejects',
  'human_label_machine', 'machine_anywhere', 'machine_paragraph_only', 'human_labelled_human', 'machine_labelled_human',
  'human_labelled_machine', 'machine_labelled_machine']);

function walk(o, path, visit) {
  if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, `${path}.${k}`, visit);
  else visit(path, o);
}

test('report: strict JSON, every rate a number in [0, 1] or null', () => {
  const r = JSON.parse(reportText); // throws on NaN / Infinity tokens
  let rates = 0;
  walk(r, 'report', (path, v) => {
    const key = path.split('.').pop();
    if (!RATE_KEYS.has(key)) return;
    rates++;
    assert.ok(v === null || (typeof v === 'number' && v >= 0 && v <= 1), `${path} = ${v}`);
  });
  assert.ok(rates > 100, `only ${rates} rates found: the report lost its breakdowns`);
  for (const k of ['document', 'sentence', 'per_domain', 'per_generator', 'two_sample_test',
    'unseen_human_sources', 'leave_one_domain_out', 'leave_one_generator_out', 'baselines', 'page_labels'])
    assert.ok(k in r, `report has no "${k}"`);
  assert.equal(r.document.n_docs, r.n_test_docs);
});

// The card's number, read to the precision it is written with, is the report's: "0.938" for
// 0.9378, "0.15 %" for 0.0015, "21.7 %" for 0.217.
function assertQuotes(written, value, what, source = 'the report') {
  const decimals = (written.split('.')[1] || '').length;
  assert.ok(Math.abs(Number(written) - value) <= 0.5 * 10 ** -decimals + 1e-9,
    `card says ${what} ${written}, ${source} ${value}`);
}

test('model card quotes the report: document AUROC, false positives, machine texts caught', () => {
  const r = JSON.parse(reportText);
  const auc = card.match(/document AUROC of \*\*([0-9.]+)\*\*/);
  assert.ok(auc, 'card lost its headline "document AUROC of **x**"');
  assertQuotes(auc[1], r.document.auroc, 'document AUROC');
  const fp = card.match(/\(([0-9.]+) % of held-out human documents/);
  assert.ok(fp, 'card lost its headline false-positive rate');
  assertQuotes(fp[1], 100 * r.document.fpr_default, 'false-positive rate (%)');
  const caught = card.match(/says `machine` for only ([0-9.]+) % of machine documents/);
  assert.ok(caught, 'card lost its headline detection rate');
  assertQuotes(caught[1], 100 * r.document.tpr_default, 'machine texts labelled machine (%)');
});

test('model card quotes the report: the two-sample test on one text (type-I error and power)', () => {
  const r = JSON.parse(reportText);
  const t = r.two_sample_test;
  assert.equal(t.test, 'human_null', 'the shipped model is measured with its human null');
  const m = card.match(/p < 0\.05 for ([0-9.]+) % \/ ([0-9.]+) % of 5- \/ 10-sentence texts/);
  assert.ok(m, 'card lost its headline type-I error');
  assertQuotes(m[1], 100 * t.one_text_sets_of_5.type1_error_human, 'type-I error, 5 sentences (%)');
  assertQuotes(m[2], 100 * t.one_text_sets_of_10.type1_error_human, 'type-I error, 10 sentences (%)');
  const pw = card.match(/and for ([0-9.]+) % of machine texts \(mean over generators\)/);
  assert.ok(pw, 'card lost its headline power');
  assertQuotes(pw[1], 100 * t.one_text_sets_of_10.power_mean, 'power, 10 sentences (%)');
});

test('learner check (models/learner-check.json): strict JSON, rates in [0, 1], the card quotes it', () => {
  const l = JSON.parse(readFileSync(join(root, 'models/learner-check.json'), 'utf8'));
  walk(l, 'learner', (path, v) => {
    if (!RATE_KEYS.has(path.split('.').pop()) && !path.endsWith('fpr_upper_95')) return;
    assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${path} = ${v}`);
  });
  const uni = l.all_sampled_by_group['by Stage'].university;
  const rand = l.random_sample.all;
  assert.equal(l.sample.ids_random.length, rand.n);
  assert.equal(rand.n + l.sample.ids_university_extra.length, Object.values(l.all_sampled_by_group['by Stage'])
    .reduce((a, g) => a + g.n, 0), 'the groups hold every sampled essay');
  const row = card.match(/\| university, BA \/ MA \(both draws\) \| ([0-9]+) \| ([0-9]+) \(([0-9.]+) %; ≤ ([0-9.]+) % at 95 %\) \| \*\*([0-9]+) %\*\* \| \*\*([0-9]+) %\*\* of ([0-9]+) \|/);
  assert.ok(row, 'card lost its university learners row');
  assert.equal(Number(row[1]), uni.n);
  assert.equal(Number(row[2]), uni.n_machine);
  assertQuotes(row[3], 100 * uni.fpr_default, 'university learners labelled machine (%)');
  assertQuotes(row[4], 100 * uni.fpr_upper_95, 'its 95 % upper bound (%)');
  assertQuotes(row[5], 100 * uni.uncertain, 'university learners uncertain (%)');
  assertQuotes(row[6], 100 * uni.test_rejects, 'university learners rejected by the test (%)');
  assert.equal(Number(row[7]), uni.n_tested);
  const shown = card.match(/`machine` somewhere \(the document or a paragraph\) for\n\s*([0-9]+) of the ([0-9]+) university essays/);
  assert.ok(shown, 'card lost what the page shows university learners');
  assert.deepEqual([Number(shown[1]), Number(shown[2])], [uni.n_machine_anywhere, uni.n]);
  const fresh = l.fresh_university;
  assert.equal(fresh.ids.length, fresh.summary.n, 'the second sample: one summary row per drawn essay');
  assert.deepEqual(fresh.ids.filter((i) => l.sample.ids_random.includes(i) || l.sample.ids_university_extra.includes(i)), [],
    'the second sample shares no essay with the first');
  const second = card.match(/\| university, the second sample \(other writers\) \| ([0-9]+) \| ([0-9]+) \(([0-9.]+) %; ≤ ([0-9.]+) % at 95 %\) \| ([0-9.]+) % \| \*\*([0-9.]+) %\*\* of ([0-9]+) \|/);
  assert.ok(second, 'card lost its second-sample row');
  assert.deepEqual([Number(second[1]), Number(second[2]), Number(second[7])],
    [fresh.summary.n, fresh.summary.n_machine, fresh.summary.n_tested]);
  assertQuotes(second[4], 100 * fresh.summary.fpr_upper_95, 'second sample: 95 % upper bound (%)');
  assertQuotes(second[5], 100 * fresh.summary.uncertain, 'second sample: uncertain (%)');
  assertQuotes(second[6], 100 * fresh.summary.test_rejects, 'second sample: rejected by the test (%)');
  const total = rand.n + l.sample.ids_university_extra.length + fresh.ids.length;
  const flagged = l.labelled_machine.length + fresh.labelled_machine.length;
  const head = card.match(/(none|[0-9]+) of\n([0-9]+) essays by learners of English/);
  assert.ok(head, 'card lost its headline learner count');
  assert.equal(head[1] === 'none' ? 0 : Number(head[1]), flagged, 'essays labelled machine');
  assert.equal(Number(head[2]), total);
  // the page's "Where it fails" says the same (it once kept the numbers of an older model)
  const page = readFileSync(join(root, 'web/render.js'), 'utf8');
  const said = page.match(/in our tests on ([0-9]+) essays by learners of English \(([0-9]+) of them by university students\), (none|[0-9]+) showed a machine-like label/);
  assert.ok(said, 'the page lost its learner numbers');
  assert.equal(Number(said[1]), total);
  assert.equal(Number(said[2]), uni.n + fresh.summary.n);
  const anywhere = flagged + l.machine_paragraph_only.length + fresh.machine_paragraph_only.length;
  assert.equal(said[3] === 'none' ? 0 : Number(said[3]), anywhere, 'essays with a machine-like label anywhere');
});

test('model card quotes the shipped model file: its label thresholds', () => {
  const t = ttmMeta(join(root, 'models/telltale-small.ttm')).calibration.thresholds;
  const m = card.match(/thresholds human < ([0-9.]+), machine ≥ ([0-9.]+)/);
  assert.ok(m, 'card lost its "thresholds human < x, machine ≥ y"');
  assertQuotes(m[1], t.human_below, 'human threshold', 'the model file');
  assertQuotes(m[2], t.machine_above, 'machine threshold', 'the model file');
});

// The issue asks for the TF-IDF baseline beside every number; the card's side-by-side table must quote
// the report's numbers for both detectors, row by row (a rerun that moves one shows here).
test('model card quotes the report: the TF-IDF baseline beside telltale, row by row', () => {
  const r = JSON.parse(reportText);
  const t = r.baselines.tfidf_char14_lr;
  const section = card.slice(card.indexOf('### Baselines on the same test documents'), card.indexOf('## What was tried'));
  const numbers = (cell) => cell.match(/[0-9]+(?:\.[0-9]+)?/g) || [];
  const check = (label, telltale, tfidf, scale = 1) => {
    const line = section.split('\n').find((l) => l.startsWith(`| ${label}`));
    assert.ok(line, `the card's baseline table lost its row "${label}"`);
    const cells = line.split('|').slice(2, 4).map(numbers);
    for (const [got, want, who] of [[cells[0], telltale, 'telltale'], [cells[1], tfidf, 'TF-IDF']]) {
      assert.equal(got.length, want.length, `${label}, ${who}: ${got.length} numbers in the card, ${want.length} in the report`);
      got.forEach((w, i) => assertQuotes(w, scale * want[i], `${label}, ${who}`));
    }
  };
  const ts = r.two_sample_test;
  const tt = t.two_sample_test;
  const fdg = r.fast_detect_gpt_sets;
  const unseen = Object.keys(r.unseen_human_sources);
  const lodo = ['xsum', 'writing', 'squad', 'pubmed'];
  const logo = ['gpt-3.5-turbo', 'gpt-4', 'claude-3-opus', 'gemini-1.0-pro', 'palm-2', 'gpt-neox-20b'];
  check('document AUROC, pooled', [r.document.auroc], [t.auroc]);
  check('TPR at 1 % FPR', [r.document.tpr_at_1pct_fpr], [t.tpr_at_1pct_fpr]);
  check('human texts flagged', [r.document.fpr_default], [t.fpr_at_2pct_train_threshold], 100);
  check('machine texts flagged', [r.document.tpr_default], [t.tpr_at_2pct_train_threshold], 100);
  check('fast-detect-gpt sets: gpt-3.5-turbo / gpt-4', [fdg.per_generator['gpt-3.5-turbo'].auroc, fdg.per_generator['gpt-4'].auroc],
    [t.fast_detect_gpt_sets.per_generator['gpt-3.5-turbo'], t.fast_detect_gpt_sets.per_generator['gpt-4']]);
  check('fast-detect-gpt sets, pooled', [fdg.pooled.auroc], [t.fast_detect_gpt_sets.pooled]);
  check('sentence AUROC', [r.sentence.auroc], [t.sentence.auroc]);
  check('paragraph test, first 5 / 10 sentences', [ts.one_text_sets_of_5.power_mean, ts.one_text_sets_of_10.power_mean],
    [tt.one_text_sets_of_5.power_mean, tt.one_text_sets_of_10.power_mean]);
  check('its type-I error on human texts', [ts.one_text_sets_of_5.type1_error_human, ts.one_text_sets_of_10.type1_error_human],
    [tt.one_text_sets_of_5.type1_error_human, tt.one_text_sets_of_10.type1_error_human]);
  const p5 = ts.pooled_sets_of_5.pooled_null;
  const p10 = ts.pooled_sets_of_10.pooled_null;
  check('pooled sets of 5 / 10 against a null of pooled sets: power', [p5.power_mean, p10.power_mean],
    [tt.pooled_sets_of_5.power_mean, tt.pooled_sets_of_10.power_mean]);
  check('their type-I error', [p5.type1_error_human, p10.type1_error_human, p5.type1_error_human_untouched, p10.type1_error_human_untouched],
    [tt.pooled_sets_of_5.type1_error_human, tt.pooled_sets_of_10.type1_error_human,
      tt.pooled_sets_of_5.type1_error_human_untouched, tt.pooled_sets_of_10.type1_error_human_untouched]);
  check('unseen human sources flagged', unseen.map((k) => r.unseen_human_sources[k].fpr_default),
    unseen.map((k) => t.unseen_human_sources[k].fpr_at_2pct_train_threshold), 100);
  check('leave one domain out, AUROC', lodo.map((d) => r.leave_one_domain_out[d].auroc), lodo.map((d) => t.leave_one_domain_out[d].auroc));
  check('the same, the left-out domain', lodo.map((d) => r.leave_one_domain_out[d].fpr_default),
    lodo.map((d) => t.leave_one_domain_out[d].fpr_at_2pct_train_threshold), 100);
  check('leave one generator out, AUROC', logo.map((g) => r.leave_one_generator_out[g].auroc),
    logo.map((g) => t.leave_one_generator_out[g].auroc));
});
