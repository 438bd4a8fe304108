// What the page and the extension say about a document (web/render.js `verdict`): one explanation per
// combination of label, score and two-sample test, each quoting the numbers it rests on.
//   node --test tests/js/render.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, formatScore, formatP } from '../../web/render.js';

const doc = (label, score, p, tested = true) => ({ label, score, p_value: p, tested });

test('machine: quotes the p-value and warns against accusing anyone', () => {
  const d = doc('machine', 0.991, 0.004);
  const v = verdict(d, 'human_null');
  assert.match(v.title, /^Looks machine-generated/);
  assert.ok(v.say.includes(formatP(0.004)), v.say);
  assert.match(v.say, /few human texts of this length that we measured look this machine-like/);
  assert.match(v.say, /non-native writing can look like this too/);
  assert.match(v.say, /Do not accuse anyone on this result alone/);
  assert.match(verdict(d, 'permutation').say, /the score, not the p-value, carries this verdict/);
});

test('human: says it proves nothing', () => {
  const v = verdict(doc('human', 0.08, 0.6), 'human_null');
  assert.match(v.title, /^Looks human-written/);
  assert.match(v.say, /does not prove a person wrote it/);
});

test('uncertain: each case explained with its own numbers, never as a half-accusation', () => {
  const cases = [
    // [document, what the explanation must say]
    [doc('uncertain', 0.4, null, false), /^Too few sentences could be scored/],
    [doc('uncertain', 0.3, 0.01), /^The two signals disagree: the score \(0\.30\) leans human-like, but the sentences look more machine-like than most human texts of this length.*writing in a second language/],
    [doc('uncertain', 0.9, 0.02), /^The sentences look more machine-like than most human texts of this length that we measured \(p = 0\.020\) and the score \(0\.90\) leans machine-like, but not far enough/],
    [doc('uncertain', 0.9, 0.3), /^The score \(0\.90\) leans machine-like, but the two-sample test found no clear difference from human writing/],
    [doc('uncertain', 0.3, 0.3), /^The score \(0\.30\) leans human-like, but not far enough for a conclusion: machine-generated text of some kinds scores this low too/],
  ];
  for (const [d, want] of cases) {
    const v = verdict(d, 'human_null');
    assert.match(v.title, /^Uncertain/);
    assert.match(v.say, want);
    assert.match(v.say, /not as a half-accusation\.$/);
    if (d.tested) assert.ok(v.say.includes(formatScore(d.score)), v.say);
  }
  assert.match(verdict(doc('uncertain', 0.3, 0.01), 'permutation').say, /the sentences differ from the human reference texts \(p = 0\.010\)/);
});

test('no scored sentence, or text the model cannot read: no reading of the score at all', () => {
  const none = verdict({ label: 'uncertain', score: null, p_value: null, tested: false }, 'human_null');
  assert.equal(none.title, 'No result');
  assert.match(none.say, /nothing to judge/);
  const warn = [{ code: 'too_short', message: '…' }, { code: 'not_english', message: 'Few English function words …' }];
  for (const d of [doc('uncertain', 0.3, 0.01), doc('uncertain', 0.9, 0.3), doc('uncertain', 0.4, null, false)]) {
    const v = verdict(d, 'human_null', warn);
    assert.match(v.title, /^Uncertain — this model cannot judge this text/);
    assert.match(v.say, /say nothing about who wrote this text/);
    assert.doesNotMatch(v.say, /leans|disagree/);
  }
  assert.match(verdict(doc('uncertain', 0.3, 0.3), 'human_null', [{ code: 'too_short', message: '…' }]).say, /^The score \(0\.30\) leans human-like/);
});

test('an unknown label reads as uncertain', () => {
  assert.match(verdict(doc('bogus', 0.5, 0.5), 'human_null').title, /^Uncertain/);
});
