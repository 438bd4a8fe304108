// render.js — draws a telltale result (docs/result-schema.md) into the DOM.
// Shared by the page (web/app.js) and the extension's result window (web/extension/result.js).
// No innerHTML: all text goes in through textContent, so nothing from the input can become markup.

/** Colour bands for a score (calibrated P(machine)): blue = human-like … orange = machine-like. */
export const BANDS = [
  { cls: 'b0', from: 0.0, to: 0.2, name: 'very human-like' },
  { cls: 'b1', from: 0.2, to: 0.4, name: 'human-like' },
  { cls: 'b2', from: 0.4, to: 0.6, name: 'in between' },
  { cls: 'b3', from: 0.6, to: 0.8, name: 'machine-like' },
  { cls: 'b4', from: 0.8, to: 1.0, name: 'very machine-like' },
];

export function bandOf(score) {
  if (score == null || !Number.isFinite(score)) return null;
  const i = Math.min(BANDS.length - 1, Math.max(0, Math.floor(score * BANDS.length)));
  return BANDS[i];
}

/**
 * The colour band of a sentence: its score's band, except that a sentence labelled "uncertain" never
 * gets the strongest colours (b0, b4) — strong colour only where the model commits to a label.
 */
export function sentenceBand(score, label) {
  const b = bandOf(score);
  if (!b || label !== 'uncertain') return b;
  const i = BANDS.indexOf(b);
  return BANDS[Math.min(3, Math.max(1, i))];
}

/** A score as shown to people: two decimals, never a flat 0 or 1 (no calibrated estimate is that
 * sure), or an em dash when not scored. */
export function formatScore(s) {
  if (s == null || !Number.isFinite(s)) return '—';
  if (s >= 0.995) return '> 0.99';
  if (s < 0.005) return '< 0.01';
  return s.toFixed(2);
}

/** A p-value as shown: "p = 0.004", "p < 0.001" or "not tested". */
export function formatP(p) {
  if (p == null || !Number.isFinite(p)) return 'not tested';
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

export function formatMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return '—';
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 10000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Words for a label. Unscored sentences carry "uncertain" with a null score. */
export function labelWord(label, score) {
  if (score === null) return 'not scored (too short)';
  return { human: 'human-like', machine: 'machine-like', uncertain: 'uncertain' }[label] || String(label);
}

const VERDICT = {
  machine: {
    title: 'Looks machine-generated (to this model)',
    say: (d, test) => `Taken together, the sentences differ from the human reference texts the way machine-generated text usually does${d.tested ? ` (${formatP(d.p_value)}${test === 'human_null' ? ': few human texts of this length that we measured look this machine-like' : '; but a single person’s text usually differs from the mixed human reference too, so the score, not the p-value, carries this verdict'})` : ''}. This is statistical evidence, not proof: formal, heavily edited, translated or non-native writing can look like this too. Do not accuse anyone on this result alone — talk to the writer, look at drafts and sources.`,
  },
  human: {
    title: 'Looks human-written (to this model)',
    say: () => 'Nothing here looks clearly machine-generated to this model. That does not prove a person wrote it: paraphrased, edited or prompted-to-sound-casual machine text can pass.',
  },
  uncertain: {
    title: 'Uncertain — no conclusion',
    say: (d, test) => {
      if (!d.tested) return 'Too few sentences could be scored for a reliable test. Treat this as no result, not as a half-accusation.';
      const end = ' Treat this as no result, not as a half-accusation.';
      const differs = d.p_value != null && d.p_value < 0.05;
      const score = formatScore(d.score);
      const found = test === 'human_null'
        ? `the sentences look more machine-like than most human texts of this length that we measured (${formatP(d.p_value)})`
        : `the sentences differ from the human reference texts (${formatP(d.p_value)})`;
      if (differs && d.score < 0.5) {
        return `The two signals disagree: the score (${score}) leans human-like, but ${found} — differences like this also come from topic, genre, personal style or writing in a second language.${end}`;
      }
      if (differs) {
        return `${found[0].toUpperCase()}${found.slice(1)} and the score (${score}) leans machine-like, but not far enough for a conclusion: differences like this also come from topic, genre, personal style or writing in a second language.${end}`;
      }
      if (d.score >= 0.5) {
        return `The score (${score}) leans machine-like, but the two-sample test found no clear difference from human writing (${formatP(d.p_value)}).${end}`;
      }
      return `The score (${score}) leans human-like, but not far enough for a conclusion: machine-generated text of some kinds scores this low too.${end}`;
    },
  },
};

/**
 * The document verdict as the page words it: { title, say } for a result's `document` (label, score,
 * p_value, tested), the result's `test` ("human_null" or "permutation") and its `warnings`
 * ([{code, message}]): text the model cannot read (not_english) or with no scored sentence gets no
 * reading of its score at all.
 */
export function verdict(d, test, warnings = []) {
  if (d.score == null) {
    return { title: 'No result', say: 'No sentence was long enough to score (five words or more), so there is nothing to judge. Paste more of the text.' };
  }
  if (warnings.some((w) => w && w.code === 'not_english')) {
    return {
      title: 'Uncertain — this model cannot judge this text',
      say: 'This does not look like English prose (see the warning), and the model was trained on English prose only: its score and test say nothing about who wrote this text. Treat this as no result.',
    };
  }
  const v = VERDICT[d.label] || VERDICT.uncertain;
  return { title: v.title, say: v.say(d, test) };
}

function h(doc, tag, attrs = {}, ...children) {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role' || k === 'tabindex' || k === 'title' || k === 'id') el.setAttribute(k, String(v));
    else el[k] = v;
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(typeof c === 'string' ? doc.createTextNode(c) : c);
  }
  return el;
}

/** The legend: colour bands and the line style that marks each label. */
export function renderLegend(doc) {
  return h(doc, 'div', { class: 'legend', role: 'group', 'aria-label': 'Legend' },
    h(doc, 'span', { class: 'legend-title', text: 'Sentence score:' }),
    h(doc, 'ul', { class: 'legend-bands' },
      BANDS.map((b) => h(doc, 'li', {},
        h(doc, 'span', { class: `swatch ${b.cls}`, 'aria-hidden': 'true' }),
        `${b.from.toFixed(1)}–${b.to.toFixed(1)} ${b.name}`))),
    h(doc, 'span', { class: 'legend-title', text: 'Label:' }),
    h(doc, 'ul', { class: 'legend-labels' },
      h(doc, 'li', {}, h(doc, 'span', { class: 'sample l-machine', text: 'solid underline' }), ' machine-like'),
      h(doc, 'li', {}, h(doc, 'span', { class: 'sample l-uncertain', text: 'dashed underline' }), ' uncertain'),
      h(doc, 'li', {}, h(doc, 'span', { class: 'sample l-human', text: 'dotted underline' }), ' human-like'),
      h(doc, 'li', {}, h(doc, 'span', { class: 'sample unscored', text: 'grey, boxed' }), ' not scored (too short)')),
    h(doc, 'span', { class: 'legend-note', text: 'The strongest colours are used only where a sentence is labelled human-like or machine-like; uncertain sentences stay pale.' }));
}

/** A paragraph's numbers; the statistic shown is the one its test used (docs/result-schema.md). */
function unitLine(u, test) {
  const parts = [`score ${formatScore(u.score)}`];
  parts.push(u.tested ? formatP(u.p_value) : 'not tested (too few sentences)');
  if (u.tested && test === 'human_null' && u.mmd2_mp != null) parts.push(`MMD-MP ${u.mmd2_mp.toFixed(4)}`);
  else if (u.tested && u.mmd2 != null) parts.push(`MMD² ${u.mmd2.toFixed(4)}`);
  parts.push(`${u.n_sentences} scored sentence${u.n_sentences === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

function sentenceDescription(s, i, n) {
  return `Sentence ${i + 1} of ${n}: ${labelWord(s.label, s.score)}` +
    (s.score == null ? '' : `, score ${formatScore(s.score)}`);
}

/**
 * Render result for text into root (its previous content is replaced).
 * opts: { elapsedMs, info: {model, version, simd}, onSentenceFocus(description) }
 * Returns the root element.
 */
export function renderResult(root, text, result, opts = {}) {
  const doc = root.ownerDocument;
  root.replaceChildren();
  const d = result.document;
  const v = verdict(d, result.test, result.warnings || []);

  // Document verdict.
  root.append(h(doc, 'section', { class: `verdict l-${d.label}`, 'aria-labelledby': 'verdict-title', 'data-label': d.label, 'data-score': d.score, 'data-p': d.p_value },
    h(doc, 'h2', { id: 'verdict-title' },
      h(doc, 'span', { class: `badge l-${d.label}`, text: { machine: 'MACHINE?', human: 'HUMAN?', uncertain: 'UNCERTAIN' }[d.label] || d.label }),
      ' ', v.title),
    h(doc, 'p', { class: 'numbers' },
      h(doc, 'span', { class: 'num', 'data-field': 'score' }, 'Score ', h(doc, 'strong', { text: formatScore(d.score) }), ' (0 = human-like, 1 = machine-like)'),
      h(doc, 'span', { class: 'num', 'data-field': 'p' }, 'Two-sample test: ', h(doc, 'strong', { text: formatP(d.p_value) })),
      h(doc, 'span', { class: 'num', 'data-field': 'n' }, `${d.n_sentences} scored sentence${d.n_sentences === 1 ? '' : 's'}`)),
    h(doc, 'p', { class: 'say', text: v.say })));

  // Warnings.
  if (result.warnings && result.warnings.length) {
    root.append(h(doc, 'section', { class: 'warnings', 'aria-label': 'Warnings' },
      h(doc, 'h3', { text: 'Warnings' }),
      h(doc, 'ul', {}, result.warnings.map((w) =>
        h(doc, 'li', { 'data-code': w.code }, h(doc, 'span', { class: 'warn-icon', 'aria-hidden': 'true', text: '⚠' }), ' ', w.message)))));
  }

  // Legend + annotated text, paragraph by paragraph.
  const nSent = result.paragraphs.reduce((a, p) => a + p.sentences.length, 0);
  const HINT = 'Hover over, tap or tab to a sentence to see its score.';
  const info = h(doc, 'p', { class: 'sentence-info', 'aria-live': 'polite', text: HINT });
  const about = new Map(); // mark → its description, for the info line
  const canHover = doc.defaultView?.matchMedia ? doc.defaultView.matchMedia('(hover: hover)').matches : true;
  const annotated = h(doc, 'section', { class: 'annotated', 'aria-label': 'Your text, sentence by sentence' },
    h(doc, 'h3', { text: 'Sentence by sentence' }), renderLegend(doc), info);
  let k = 0;
  result.paragraphs.forEach((p, pi) => {
    const body = h(doc, 'p', { class: 'para-text' });
    let pos = p.start16;
    for (const s of p.sentences) {
      const a = Math.max(s.start16, pos);
      if (a > pos) body.append(text.slice(pos, a));
      const band = sentenceBand(s.score, s.label);
      const desc = sentenceDescription(s, k, nSent);
      const mark = h(doc, 'mark', {
        class: `sent ${band ? band.cls : 'unscored'} l-${s.score == null ? 'none' : s.label}`,
        tabindex: 0,
        title: desc,
        'aria-label': desc,
        'data-start16': s.start16, 'data-end16': s.end16,
        'data-score': s.score == null ? '' : s.score,
        'data-label': s.label,
        'data-index': k,
      }, text.slice(a, s.end16));
      about.set(mark, desc + (s.raw == null ? '' : ` (raw MMD-MP score ${s.raw.toFixed(3)})`));
      const show = () => { info.textContent = about.get(mark); };
      mark.addEventListener('focus', show);
      if (canHover) {
        // (Touch screens have no real hover; a tap focuses the sentence instead.)
        mark.addEventListener('mouseenter', show);
        // Leaving with the mouse goes back to the focused sentence, so the line never contradicts focus.
        mark.addEventListener('mouseleave', () => { info.textContent = about.get(doc.activeElement) || HINT; });
      }
      body.append(mark);
      pos = Math.max(pos, s.end16);
      k++;
    }
    if (p.end16 > pos) body.append(text.slice(pos, p.end16));
    annotated.append(h(doc, 'section', {
      class: `para l-${p.label}`, 'aria-label': `Paragraph ${pi + 1}`,
      'data-start16': p.start16, 'data-end16': p.end16, 'data-score': p.score, 'data-label': p.label,
      'data-p': p.p_value == null ? '' : p.p_value, 'data-tested': p.tested,
    },
    h(doc, 'div', { class: 'para-head' },
      h(doc, 'span', { class: 'para-name', text: `Paragraph ${pi + 1}` }),
      // A paragraph without its own test leans on a few sentence scores: say so in the badge.
      h(doc, 'span', { class: `badge small l-${p.label}`, text: labelWord(p.label) + (!p.tested && p.label !== 'uncertain' ? ', untested' : '') }),
      h(doc, 'span', { class: 'para-nums', text: unitLine(p, result.test) })),
    body));
  });
  if (!result.paragraphs.length) annotated.append(h(doc, 'p', { class: 'muted', text: 'No sentences were found.' }));
  root.append(annotated);

  // Timings.
  const t = result.timings_ms || {};
  const bits = [
    `segment ${formatMs(t.segment)}`, `features ${formatMs(t.features)}`, `tests ${formatMs(t.tests)}`,
    `engine total ${formatMs(t.total)}`,
  ];
  if (opts.elapsedMs != null) bits.push(`round trip ${formatMs(opts.elapsedMs)}`);
  const who = [result.model, result.version].filter(Boolean).join(' ');
  root.append(h(doc, 'p', { class: 'timings' },
    h(doc, 'span', { text: `Timings: ${bits.join(' · ')}` }),
    who ? h(doc, 'span', { text: ` — model ${who}${opts.info ? (opts.info.simd ? ', WebAssembly SIMD' : ', WebAssembly (no SIMD)') : ''}` }) : null));
  return root;
}

/**
 * "What do these numbers mean, and when are they wrong?" — the plain explanation shown under the
 * result on the page and in the extension. Returns a <details> element.
 */
export function renderAbout(doc, { open = false } = {}) {
  const li = (title, text) => h(doc, 'li', {}, h(doc, 'strong', { text: title }), ` ${text}`);
  return h(doc, 'details', { id: 'about', open },
    h(doc, 'summary', { text: 'What do these numbers mean, and when are they wrong?' }),
    h(doc, 'h3', { text: 'What is measured' }),
    h(doc, 'p', { text: 'A small language model reads each sentence. A second, trained part (an “MMD-MP deep kernel”) compares how those sentences look to the model with a set of sentences known to be written by people.' }),
    h(doc, 'ul', {},
      li('Sentence score (0 to 1):', 'how machine-like one sentence looks; 0 is very human-like, 1 very machine-like. One sentence is very little evidence: do not read much into a single colour.'),
      li('Paragraph and document score (0 to 1):', 'the model’s estimate of the chance that the text is machine-generated, calibrated on held-out texts that were about half human and half machine. It weighs the evidence of more sentences more, so a short paragraph’s score stays nearer the middle than a long text’s. Where most texts are written by people (a class, a magazine’s submissions), a high score is weaker evidence than the number suggests.'),
      li('p-value:', 'a two-sample test compares the sentences, taken together, with the human reference sentences, and then asks how unusual that comparison is for human writing: p is the share of held-out human texts with the same number of sentences that looked at least as machine-like. In our tests p fell below 0.05 for about 1 human text in 30 of the kinds the model was calibrated on (news, stories, essays, reviews, abstracts), 1 in 10 to 1 in 5 when a tool had reworded the human text (so 7 to 10 in 100 of all the held-out human texts, which include many reworded ones), 1 in 4 to 2 in 5 for kinds it never saw (1960s published prose, political speeches), about 1 in 2 for encyclopedia article openings, and 3 to 4 in 10 for essays by university students writing in English as a second language (1 in 16 for high-school learners). A small p is a reason to look closer, not proof; a large p says nothing either way.'),
      li('Labels:', '“machine-like” only for a score that at most about 1 in 100 human texts of each kind the model was calibrated on reach, and only when the two-sample test agrees; “human-like” only for a score that at most 1 in 10 texts of each machine generator it was calibrated on get (about 6 in 10 human texts of the kinds it was trained on do, far fewer of other kinds). Everything between is “uncertain”.'),
      li('Uncertain', 'means the evidence is too weak. It is not a half-accusation.')),
    h(doc, 'h3', { text: 'Where it fails' }),
    h(doc, 'ul', {},
      li('Short texts:', 'under about 150 words there are too few sentences; results are labelled uncertain or come with a warning.'),
      li('Non-native writers:', 'in our tests on 639 essays by learners of English (488 of them by university students), none showed a machine-like label, but about 3 in 4 were “uncertain” (8 in 10 of the university students’ essays, against 4 in 10 of our other human test texts) and 3 to 4 in 10 of the university students’ essays had p below 0.05. Formal, careful second-language English looks more machine-like to this model; detectors like this one are known to flag non-native writers unfairly.'),
      li('Formal and academic writing,', 'templates, legal or technical text and heavily edited prose look machine-like too.'),
      li('Paraphrasing:', 'machine text reworded by a person or another tool often passes as human. A “human” result proves nothing.'),
      li('Other languages, code, lists, tables:', 'the model was trained on English prose; you will see a warning and the result is unreliable.'),
      li('New generators:', 'the model is small and learned from particular machine-generated texts; other or newer generators may not look like them.')),
    h(doc, 'h3', { text: 'How to use it fairly' }),
    h(doc, 'p', { text: 'Never accuse anyone because of this result alone. Use it, at most, as a reason to look more closely: talk to the writer, look at drafts, notes and sources. Checking your own text? A machine-like score on text you wrote yourself is a known failure, not a verdict on you.' }));
}
