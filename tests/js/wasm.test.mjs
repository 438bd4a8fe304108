// wasm vs native: both WebAssembly builds (wasm/dist/telltale.wasm with SIMD, telltale-nosimd.wasm
// scalar) against the native engine on the engine's test model (tests/fixtures/tiny.ttm).
// The native side is build/tt_wasm_ref (tests/js/native_ref.c: the same wasm/exports.c functions
// compiled natively) and the CLI build/telltale. Run after `node scripts/build.mjs` (npm test does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDetector } from '../../wasm/telltale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TINY = join(root, 'tests/fixtures/tiny.ttm');
const TINY_DET = join(root, 'tests/fixtures/tiny-detector.ttm');
const REF = join(root, 'build/tt_wasm_ref');
const CLI = join(root, 'build/telltale');
const BUILDS = { scalar: join(root, 'wasm/dist/telltale-nosimd.wasm'), simd: join(root, 'wasm/dist/telltale.wasm') };

function native(model, mode, input) {
  const r = spawnSync(REF, [model, mode], { input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  const out = r.stdout.toString();
  if (r.status !== 0 && r.status !== 2) throw new Error(`${REF} ${mode} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(out);
}

const f32bits = (x) => {
  const b = new Uint32Array(1);
  new Float32Array(b.buffer)[0] = x;
  return b[0];
};

// A deterministic generator (xorshift32) for test inputs.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

const enc = new TextEncoder();
function texts() {
  const r = rng(7);
  const mixed = new Uint8Array(3000);
  const alphabet = enc.encode('abcXYZ019 ,.;!?\t\n\r  éü—日本😀');
  for (let i = 0; i < mixed.length; i++) mixed[i] = r() % 5 === 0 ? r() & 0xff : alphabet[r() % alphabet.length];
  return {
    plain: 'Hello, world! This is a test of the tokenizer.\n\nA second paragraph, with 123 numbers.',
    unicode: 'Café naïve — 日本語のテキスト 😀 emoji; Ünïcödé ǅ',
    spaces: '  a\t\tb \n\n  c   d\r\n  \v\f end   ',
    longRuns: `${'x'.repeat(100)} ${'7'.repeat(70)} ${'!?'.repeat(40)} ${' '.repeat(50)}z`,
    invalid: new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x80, 0x20, 0x20, 0xc3, 0x28, 0xe2, 0x82, 0x00, 0x0a]),
    empty: '',
    mixed,
  };
}

const bytesOf = (t) => (typeof t === 'string' ? enc.encode(t) : t);
const haveTiny = existsSync(TINY);
const skipTiny = haveTiny ? false : 'tests/fixtures/tiny.ttm is not there yet (the engine developer makes it)';

for (const [kind, wasmPath] of Object.entries(BUILDS)) {
  test(`${kind} build: module is built and loads the tiny model`, { skip: skipTiny }, async () => {
    assert.ok(existsSync(wasmPath), `${wasmPath} missing: run node scripts/build.mjs wasm`);
    const det = await createDetector({ model: TINY, wasm: kind });
    try {
      assert.equal(det.info.kernel, kind === 'simd' ? 'wasm-simd128' : 'scalar');
      assert.equal(det.info.simd, kind === 'simd');
      assert.equal(det.info.version, '0.1.0');
      const meta = JSON.parse(JSON.stringify(det.info.metadata));
      assert.equal(det.info.config.dModel, meta.model.d_model);
      assert.equal(det.info.config.vocabSize, meta.model.vocab_size);
    } finally {
      det.close();
    }
  });

  test(`${kind} build: token ids and byte ranges identical to native`, { skip: skipTiny }, async () => {
    const det = await createDetector({ model: TINY, wasm: kind });
    try {
      for (const [name, t] of Object.entries(texts())) {
        const w = det.tokenize(t);
        const n = native(TINY, 'tokenize', bytesOf(t));
        assert.ok(!n.error, n.error);
        assert.deepEqual(Array.from(w.ids), n.ids, `${name}: ids`);
        assert.deepEqual(Array.from(w.start), n.start, `${name}: start`);
        assert.deepEqual(Array.from(w.end), n.end, `${name}: end`);
        if (bytesOf(t).length) assert.ok(w.ids.length > 0, `${name}: no tokens`);
      }
    } finally {
      det.close();
    }
  });
}

// Sequences for the forward comparison: a real text, one longer than the context (windowed), and
// random ids covering the whole vocabulary.
async function sequences(det) {
  const { bosId, context, vocabSize } = det.info.config;
  const t = texts();
  const withBos = (ids) => Int32Array.from([bosId, ...ids]);
  const r = rng(11);
  const longText = enc.encode(Object.values(t).filter((x) => typeof x === 'string').join(' ').repeat(4));
  let longIds = det.tokenize(longText).ids;
  if (longIds.length < 2 * context + 5) throw new Error('long text too short for the windowing test');
  longIds = longIds.slice(0, 2 * context + 5);
  return {
    text: withBos(det.tokenize(t.plain).ids),
    single: Int32Array.from([bosId]),
    windowed: withBos(longIds),
    random: Int32Array.from({ length: context + 7 }, () => r() % vocabSize),
  };
}

// Compares a wasm forward() result with the native one (floats as bit patterns). Ranks must be equal;
// returns, for hidden states and LM statistics apart, how many floats differ and by how much.
function compareForward(w, n, label) {
  const acc = () => ({ differ: 0, total: 0, maxAbs: 0, maxRel: 0, maxUlp: 0 });
  const res = { hidden: acc(), stats: acc() };
  const cmp = (c, a, bitsB, what) => {
    c.total++;
    const ba = f32bits(a);
    if (ba === bitsB) return;
    c.differ++;
    const b = new Float32Array(new Uint32Array([bitsB]).buffer)[0];
    assert.ok(Number.isFinite(a) && Number.isFinite(b), `${label} ${what}: non-finite ${a} vs ${b}`);
    c.maxAbs = Math.max(c.maxAbs, Math.abs(a - b));
    c.maxRel = Math.max(c.maxRel, Math.abs(a - b) / Math.max(1, Math.abs(b)));
    c.maxUlp = (ba >>> 31) === (bitsB >>> 31) ? Math.max(c.maxUlp, Math.abs(ba - bitsB)) : Infinity;
  };
  assert.equal(w.hidden.length, n.hidden.length, `${label}: hidden size`);
  for (let i = 0; i < w.hidden.length; i++) cmp(res.hidden, w.hidden[i], n.hidden[i], `hidden[${i}]`);
  assert.equal(w.stats.logprob.length, n.stats.length, `${label}: stats size`);
  for (let i = 0; i < n.stats.length; i++) {
    cmp(res.stats, w.stats.logprob[i], n.stats[i][0], `logprob[${i}]`);
    assert.equal(w.stats.rank[i], n.stats[i][1], `${label}: rank[${i}]`);
    cmp(res.stats, w.stats.entropy[i], n.stats[i][2], `entropy[${i}]`);
    cmp(res.stats, w.stats.var[i], n.stats[i][3], `var[${i}]`);
  }
  return res;
}
const describe1 = (c) => (c.differ === 0 ? `bit-identical (${c.total})`
  : `${c.differ}/${c.total} differ, max |Δ| ${c.maxAbs.toExponential(2)}, max ${c.maxUlp} ulp`);
const describe = (r) => `hidden ${describe1(r.hidden)}, stats ${describe1(r.stats)}`;

// Native vs wasm. The int8 matmuls accumulate exactly in int32 and every kernel (scalar, AVX2/VNNI,
// simd128) shares one float epilogue; the float code around them is the same C and uses only
// IEEE-exact operations, sqrt (correctly rounded) and the engine's own tt_expf (src/fastexp.h) for
// GELU's tanh and the softmaxes, so the hidden states must be bit-identical across native, wasm
// scalar and wasm SIMD. (Before tt_expf they were not: glibc and musl round tanhf differently in the
// last bit — measured on 2M inputs in [-12, 12] — which moved hidden states by up to 16 ulp.)
// The LM statistics still call the C library's double log(), where glibc (native) and musl
// (Emscripten) may differ in the last bit of the double; after rounding to float that almost never
// shows (it did not on these sequences), but it may, so they get a tolerance of 1e-5 relative to
// max(1, |x|), far below what any real bug produces, and their ranks must be equal. SIMD vs scalar
// wasm (same C library) must be bit-identical everywhere.
const STATS_TOL = 1e-5;
// Detection results printed from those numbers (6 significant digits) get the looser NATIVE_TOL.
const NATIVE_TOL = 1e-4;

test('forward: hidden states and LM statistics, wasm scalar and SIMD vs native', { skip: skipTiny }, async (t) => {
  const scalar = await createDetector({ model: TINY, wasm: 'scalar' });
  const simd = await createDetector({ model: TINY, wasm: 'simd' });
  try {
    for (const [name, ids] of Object.entries(await sequences(scalar))) {
      const n = native(TINY, 'forward', Array.from(ids).join(' '));
      assert.ok(!n.error, n.error);
      const ws = scalar.forward(ids);
      const wv = simd.forward(ids);
      const a = compareForward(ws, n, `${name} scalar-vs-native`);
      const b = compareForward(wv, n, `${name} simd-vs-native`);
      const nv = { hidden: Array.from(ws.hidden, f32bits), stats: Array.from(ws.stats.logprob, (_, i) => [
        f32bits(ws.stats.logprob[i]), ws.stats.rank[i], f32bits(ws.stats.entropy[i]), f32bits(ws.stats.var[i])]) };
      const c = compareForward(wv, nv, `${name} simd-vs-scalar`);
      t.diagnostic(`${name} (n=${ids.length}; native kernel ${n.kernel}): wasm scalar vs native: ${describe(a)}; `
        + `wasm SIMD vs native: ${describe(b)}; wasm SIMD vs wasm scalar: ${describe(c)}`);
      assert.equal(c.hidden.differ + c.stats.differ, 0, `${name}: the SIMD and scalar wasm builds differ (${describe(c)})`);
      assert.equal(a.hidden.differ, 0, `${name}: scalar wasm hidden states differ from native (${describe(a)})`);
      assert.equal(b.hidden.differ, 0, `${name}: SIMD wasm hidden states differ from native (${describe(b)})`);
      assert.ok(a.stats.maxRel <= STATS_TOL, `${name}: scalar wasm LM stats vs native beyond tolerance (${describe(a)})`);
      assert.ok(b.stats.maxRel <= STATS_TOL, `${name}: SIMD wasm LM stats vs native beyond tolerance (${describe(b)})`);
    }
  } finally {
    scalar.close();
    simd.close();
  }
});

test('forward: bad ids give the engine\'s message', { skip: skipTiny }, async () => {
  const det = await createDetector({ model: TINY, wasm: 'scalar' });
  try {
    const V = det.info.config.vocabSize;
    const n = native(TINY, 'forward', `1 2 ${V}`);
    assert.ok(n.error, 'native accepted an out-of-range id');
    assert.throws(() => det.forward([1, 2, V]), (e) => e instanceof Error && e.message === n.error);
    assert.throws(() => det.forward([]), RangeError);
    // the detector still works after an error
    assert.equal(det.forward([1, 2]).hidden.length, 2 * det.info.config.dModel);
  } finally {
    det.close();
  }
});

// Corruptions of the tiny model and what must happen: the loader's message, as native gives it.
function corruptions(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = dv.getUint32(8, true);
  const payloadOff = Number(dv.getBigUint64(16, true));
  const out = {};
  const copy = () => bytes.slice();
  let b = copy(); b[0] = 0x58; out['bad magic'] = b;
  b = copy(); new DataView(b.buffer).setUint32(4, 2, true); out['version 2'] = b;
  out.truncated = bytes.slice(0, Math.floor(bytes.length * 0.75));
  out['header only'] = bytes.slice(0, 20);
  b = copy(); b[payloadOff + 100] ^= 0x5a; out['payload byte flipped (CRC)'] = b;
  // the first tensor's shape[0] halved, and the CRC left alone (the payload is unchanged)
  b = copy();
  const tdv = new DataView(b.buffer);
  const t0 = 40 + jsonLen;
  tdv.setUint32(t0 + 72, Math.max(1, tdv.getUint32(t0 + 72, true) >>> 1), true);
  out['tensor shape changed'] = b;
  return out;
}

test('corrupted models: the loader\'s message, the same as native, and no crash', { skip: skipTiny }, async (t) => {
  const good = new Uint8Array(readFileSync(TINY));
  for (const [name, bytes] of Object.entries(corruptions(good))) {
    const n = native('-', 'open', bytes);
    assert.ok(n.error, `${name}: native accepted it`);
    for (const kind of ['scalar', 'simd']) {
      await assert.rejects(createDetector({ model: bytes, wasm: kind }), (e) => {
        assert.ok(e instanceof Error);
        // the C message, said (once) to be about the model file
        assert.equal(e.message, /^model\b/.test(n.error) ? n.error : `model file: ${n.error}`, `${name} (${kind})`);
        return true;
      });
    }
    t.diagnostic(`${name}: ${n.error}`);
  }
  // the detector's own checks, on the detector fixture: a detector tensor of the wrong shape
  if (existsSync(TINY_DET)) {
    const det0 = new Uint8Array(readFileSync(TINY_DET));
    const bad = det0.slice();
    const dv = new DataView(bad.buffer);
    const table = 40 + dv.getUint32(8, true);
    let hit = false;
    for (let i = 0; i < dv.getUint32(12, true); i++) {
      const e = table + 96 * i;
      const name = new TextDecoder().decode(bad.subarray(e, e + 64)).replace(/\0+$/, '');
      if (name === 'detector.fc2.weight') {
        dv.setUint32(e + 72, dv.getUint32(e + 72, true) >>> 1, true); // halve shape[0]
        hit = true;
      }
    }
    assert.ok(hit, 'detector.fc2.weight not found in the detector fixture');
    const n = native('-', 'open', bad);
    assert.ok(n.error, 'native accepted a detector tensor of the wrong shape');
    await assert.rejects(createDetector({ model: bad, wasm: 'simd' }),
      (e) => e.message === (/^model\b/.test(n.error) ? n.error : `model file: ${n.error}`));
    t.diagnostic(`detector tensor shape: ${n.error}`);
  }
  // the module cache is not poisoned: the good model still loads
  const det = await createDetector({ model: good, wasm: 'scalar' });
  assert.ok(det.tokenize('ok').ids.length > 0);
  det.close();
});

// Compares two detection results: same keys, strings, booleans, nulls and integers (offsets,
// counts) exactly; other numbers within NATIVE_TOL (they are computed from the LM statistics too,
// see above), p-values within two permutation steps.
function assertSameResult(a, b, path, permutations) {
  if (typeof b === 'number' && typeof a === 'number') {
    const key = path.slice(path.lastIndexOf('.') + 1);
    if (/^(start|end|start16|end16|n_sentences)$/.test(key)) assert.equal(a, b, path);
    else if (key === 'p_value') assert.ok(Math.abs(a - b) <= 2 / (permutations + 1) + 1e-12, `${path}: ${a} vs ${b}`);
    else assert.ok(Math.abs(a - b) <= NATIVE_TOL * Math.max(1, Math.abs(b)), `${path}: ${a} vs ${b}`);
    return;
  }
  if (a === null || b === null || typeof b !== 'object') {
    assert.equal(a, b, path);
    return;
  }
  assert.equal(Array.isArray(a), Array.isArray(b), path);
  assert.deepEqual(Object.keys(a), Object.keys(b), `${path}: keys`);
  for (const k of Object.keys(b)) assertSameResult(a[k], b[k], `${path}.${k}`, permutations);
}

// Detection: the wasm JSON equals the native CLI's, timings aside.
const haveDet = existsSync(TINY_DET);
test('detect: wasm JSON equals `telltale detect --json` (timings excluded)',
  { skip: haveDet ? false : 'tests/fixtures/tiny-detector.ttm is not there yet (the detector developer makes it)' }, async (t) => {
    assert.ok(existsSync(CLI), `${CLI} missing: run node scripts/build.mjs native`);
    const docs = {
      prose: 'The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new bridge. '
        + 'The chair promised a detailed report before the next meeting. Nobody expected the vote to be close.\n\n'
        + 'In the second paragraph we talk about something else entirely. The weather was mild and the streets were quiet. '
        + 'A dog barked somewhere in the distance while the baker opened his shop.',
      short: 'Too short.',
      empty: '',
      unicode: 'Ça va? Très bien, merci — und dir? 日本語の文章もあります。 This sentence is in English, mostly. Emoji 😀 here.',
    };
    let compared = 0, exact = 0;
    for (const kind of ['scalar', 'simd']) {
      const det = await createDetector({ model: TINY_DET, wasm: kind });
      try {
        for (const [name, text] of Object.entries(docs)) {
          for (const opts of [{}, { permutations: 50, seed: 42 }]) {
            const args = ['detect', '--json', '--model', TINY_DET];
            if (opts.permutations) args.push('--permutations', String(opts.permutations), '--seed', String(opts.seed));
            const r = spawnSync(CLI, args, { input: text });
            assert.equal(r.status, 0, `CLI failed: ${r.stderr}`);
            const nat = JSON.parse(r.stdout.toString());
            const w = det.detect(text, opts);
            delete nat.timings_ms;
            delete w.timings_ms;
            assertSameResult(w, nat, `${name} ${JSON.stringify(opts)} (${kind})`, opts.permutations || 200);
            compared++;
            if (JSON.stringify(w) === JSON.stringify(nat)) exact++;
          }
        }
      } finally {
        det.close();
      }
    }
    t.diagnostic(`scalar and SIMD wasm match the native CLI on ${compared} runs (4 documents × 2 settings × 2 builds); `
      + `${exact} of them byte-identical JSON`);
  });

// The shipped model, when it is there: the same agreement on real weights (4 layers, d = 256).
const SHIPPED = join(root, 'models/telltale-small.ttm');
test('shipped model: wasm detection equals the native CLI', {
  skip: existsSync(SHIPPED) ? false : 'models/telltale-small.ttm is not there yet (npm run train makes it)',
  timeout: 300000,
}, async (t) => {
  const text = 'The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new bridge. '
    + 'The chair promised a detailed report before the next meeting. Nobody expected the vote to be close.\n\n'
    + 'Artificial intelligence has transformed numerous industries in recent years. It is important to note that these '
    + 'advancements bring both opportunities and challenges. Furthermore, organizations must carefully consider ethical implications.';
  const r = spawnSync(CLI, ['detect', '--json', '--model', SHIPPED, '--permutations', '100', '--seed', '3'], { input: text });
  assert.equal(r.status, 0, `CLI failed: ${r.stderr}`);
  const nat = JSON.parse(r.stdout.toString());
  delete nat.timings_ms;
  const long = text.repeat(3); // > 2 windows of the shipped context
  const nTok = native(SHIPPED, 'tokenize', long);
  for (const kind of ['scalar', 'simd']) {
    const det = await createDetector({ model: SHIPPED, wasm: kind });
    try {
      const tok = det.tokenize(long);
      assert.deepEqual(Array.from(tok.ids), nTok.ids, `shipped (${kind}): token ids`);
      const ids = Int32Array.from([det.info.config.bosId, ...tok.ids]);
      const nFwd = native(SHIPPED, 'forward', Array.from(ids).join(' '));
      const c = compareForward(det.forward(ids), nFwd, `shipped (${kind})`);
      t.diagnostic(`${kind}: forward of ${ids.length} tokens vs native (${nFwd.kernel}): ${describe(c)}`);
      assert.equal(c.hidden.differ, 0, `shipped (${kind}): hidden states differ from native (${describe(c)})`);
      assert.ok(c.stats.maxRel <= STATS_TOL, `shipped (${kind}): LM stats beyond tolerance (${describe(c)})`);
      const w = det.detect(text, { permutations: 100, seed: 3 });
      t.diagnostic(`${kind}: ${w.document.label} ${w.document.score} (native ${nat.document.label} ${nat.document.score}); wasm engine ${w.timings_ms.total} ms`);
      delete w.timings_ms;
      assertSameResult(w, nat, `shipped (${kind})`, 100);
    } finally {
      det.close();
    }
  }
});
