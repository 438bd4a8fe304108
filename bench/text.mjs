// text.mjs — deterministic English-like benchmark text (bench/bench.mjs).
//
// makeText(words, seed) returns a text of exactly `words` words: sentences of 6–24 words drawn from a
// fixed list of common English words (with the odd comma), ending in '.', '?' or '!', grouped into
// paragraphs of 3–7 sentences separated by blank lines. Timing depends on the number of words,
// sentences, paragraphs and tokens, not on what the text says, so a generated text stands in for a
// real one (the bench does not read the training data; docs/hacking.md: only train/eval read it).
// The bench reports the token count per word it got.

const WORDS = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have ' +
  'an they you were their one all we can her has there been if more when will would who so no she other ' +
  'its time people into than only some could them these may first then do any like my now over such our ' +
  'man me even most made after also did many before must through back years where much your way well ' +
  'down should because each just those how too little state good very make world still own see men work ' +
  'long here get both between life being under never day same another know while last might us great old ' +
  'year off come since against go came right used take three himself few house use during without again ' +
  'place american around however home small found thought went say part once general high upon school ' +
  'every does got united left number course war until always away something fact though water less public ' +
  'put thing almost hand enough far took head yet government system better set told nothing night end why ' +
  'called eyes find going look asked later knew point next program city business give group toward young ' +
  'days let room president side social given present several order national possible rather second face per ' +
  'among form important often things looked early white case john become large big need four within felt ' +
  'along children saw best church ever least power development light thing seemed family interest want ' +
  'members mind country area others done turned although open problem sense service certain began different ' +
  'kind behind research market language history morning question evidence attention careful river mountain ' +
  'garden window letter teacher student machine language model network quickly slowly perhaps suddenly'
).split(' ');

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeText(words, seed = 1) {
  const rnd = mulberry32(seed);
  const pick = (n) => Math.floor(rnd() * n);
  const paragraphs = [];
  let left = words;
  while (left > 0) {
    const sentences = [];
    const nSent = 3 + pick(5);
    for (let s = 0; s < nSent && left > 0; s++) {
      let n = Math.min(left, 6 + pick(19));
      if (left - n > 0 && left - n < 6) n = left; // no tiny last sentence
      left -= n;
      const w = [];
      for (let i = 0; i < n; i++) {
        let word = WORDS[pick(WORDS.length)];
        if (i === 0) word = word[0].toUpperCase() + word.slice(1);
        if (i > 2 && i < n - 2 && rnd() < 0.06) word += ',';
        w.push(word);
      }
      const r = rnd();
      sentences.push(w.join(' ') + (r < 0.85 ? '.' : r < 0.95 ? '?' : '!'));
    }
    paragraphs.push(sentences.join(' '));
  }
  return paragraphs.join('\n\n') + '\n';
}

export function countWords(text) {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}
