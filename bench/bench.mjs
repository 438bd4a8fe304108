#!/usr/bin/env node
// bench.mjs — `npm run bench`: telltale's speed, one thread, against onnxruntime-web and -node.
//
//   node bench/bench.mjs [--model FILE] [--quick] [--no-browser] [--no-onnx] [--no-scaling]
//
// Writes bench/results.json (machine-readable), bench/results.md (the tables in README.md) and
// bench/scaling.png. What it measures, in order:
//   1. forward: final hidden states of 128, 512 and 2,048 tokens — telltale wasm SIMD, wasm scalar,
//      native (build/telltale-bench), onnxruntime-web (wasm, SIMD, 1 thread) and onnxruntime-node
//      (1 intra-op thread), after checking that they agree; the ONNX graph is the model file's
//      transformer with the dequantized int8 weights (train/export_onnx.py, cached in bench/onnx/).
//      Beyond the context (128) every engine runs the same windows (context C, stride C/2).
//   2. int8 matmul kernel GMAC/s (native SIMD + scalar, wasm SIMD + scalar) vs the whole model's.
//   3. end to end: detection of a 1,000-word text (wasm SIMD, wasm scalar, native); cold start in
//      Node and in headless Chromium; wasm memory after detection; download size (raw and gzip).
//   4. scaling: detection time from 100 to 20,000 words (table + PNG).
// Each timing: warm-up runs, then ≥ 20 runs (fewer for the long scaling texts and the browser, as
// stated in the output); median, min/max and quartiles. Nothing here is a test.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { createDetector } from '../wasm/telltale.mjs';
import { makeText, countWords } from './text.mjs';
import { linePlot } from './plot.mjs';
import { instantiateRaw, copyIn, cstr } from './wasm_raw.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const RUNS = QUICK ? 5 : 21, WARM = QUICK ? 1 : 3;
const SIZES = [128, 512, 2048];
const NATIVE_BENCH = join(root, 'build', 'telltale-bench');

function log(...a) { console.log('bench:', ...a); }
function fail(msg) { console.error(`bench: ${msg}`); process.exit(1); }

// ---- model ---------------------------------------------------------------------------------------
const MODEL_CANDIDATES = ['models/telltale-small.ttm', 'train/work/smoke.ttm', 'tests/fixtures/tiny-detector.ttm'];
const modelRel = opt('--model') || process.env.TELLTALE_BENCH_MODEL || MODEL_CANDIDATES.find((p) => existsSync(join(root, p)));
if (!modelRel) fail(`no model file: expected one of ${MODEL_CANDIDATES.join(', ')}`);
const modelPath = join(root, modelRel);
const modelBytes = readFileSync(modelPath);
const modelSha = createHash('sha256').update(modelBytes).digest('hex');
const modelMeta = JSON.parse(modelBytes.subarray(40, 40 + modelBytes.readUInt32LE(8)).toString('utf8'));
const cfg = modelMeta.model;
if (!existsSync(NATIVE_BENCH)) fail(`${NATIVE_BENCH} is missing: run npm run build`);

// ---- statistics ----------------------------------------------------------------------------------
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
function summarize(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x) => Math.round(x * 1000) / 1000;
  return { runs: s.length, median_ms: r(quantile(s, 0.5)), min_ms: r(s[0]), max_ms: r(s[s.length - 1]),
    q1_ms: r(quantile(s, 0.25)), q3_ms: r(quantile(s, 0.75)) };
}
async function timeRuns(fn, runs = RUNS, warm = WARM) {
  for (let i = 0; i < warm; i++) await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms;
}
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}
const native = (...args) => JSON.parse(sh(NATIVE_BENCH, args.map(String)));

// ---- the machine and the conditions --------------------------------------------------------------
const cpuModel = (/^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8')) || [])[1] || os.cpus()[0]?.model;
const busy = () => {
  const r = spawnSync('pgrep', ['-af', 'train/|pretrain.py|detector.py'], { encoding: 'utf8' });
  return (r.stdout || '').split('\n').filter((l) => l && !l.includes('pgrep')).map((l) => l.replace(/^\d+\s+/, ''));
};
const version = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).split('\n')[0].trim() : null;
};
const results = {
  date: new Date().toISOString(),
  command: 'npm run bench',
  machine: {
    nproc: Number(sh('nproc', []).trim()), cpu: cpuModel, node: process.version,
    cc: version('cc', ['--version']), emcc: version('emcc', ['--version']),
    chromium: version('/usr/bin/chromium', ['--version']),
  },
  conditions: { threads: 1, loadavg_start: os.loadavg().map((x) => +x.toFixed(2)), other_processes_start: busy() },
  model: { file: modelRel, sha256: modelSha, bytes: modelBytes.length, name: modelMeta.name, config: cfg },
  notes: [],
};
log(`model ${modelRel} (${modelBytes.length} bytes, d=${cfg.d_model}, layers=${cfg.n_layers}, context=${cfg.context})`);
if (results.conditions.other_processes_start.length) log(`warning: other CPU work is running: ${results.conditions.other_processes_start.join('; ')}`);

// ---- input ids -----------------------------------------------------------------------------------
const simd = await createDetector({ model: modelBytes, wasm: 'simd' });
const scalar = await createDetector({ model: modelBytes, wasm: 'scalar' });
if (!simd.info.simd) fail('the SIMD build did not load with SIMD kernels');
const longText = makeText(4000, 7);
const tok = simd.tokenize(longText);
if (tok.ids.length < SIZES[SIZES.length - 1]) fail('the generated text is too short');
const ids = new Int32Array(SIZES[SIZES.length - 1]);
ids[0] = cfg.bos_id;
ids.set(tok.ids.subarray(0, ids.length - 1), 1);
const tmp = mkdtempSync(join(os.tmpdir(), 'telltale-bench-'));
const idsFile = join(tmp, 'ids.i32');
writeFileSync(idsFile, Buffer.from(ids.buffer));
results.input = { text: 'bench/text.mjs makeText(4000, seed 7): English-like generated text', tokens_per_word: +(tok.ids.length / countWords(longText)).toFixed(3), first_id: 'bos' };

// Windows exactly as tt_forward makes them (docs/model-format.md): start 0, C/2, …; each window
// outputs the rows after the previous window's end.
function windows(n, C) {
  const out = [];
  const stride = C >> 1;
  let done = 0;
  for (let ws = 0; done < n; ws += stride) {
    const we = Math.min(ws + C, n);
    out.push({ ws, we, o0: done - ws });
    done = we;
  }
  return out;
}
// multiply-accumulates of the hidden-state forward (linear layers + attention; no LM head)
function forwardMacs(n) {
  const d = cfg.d_model, f = cfg.d_ff, L = cfg.n_layers;
  let macs = 0;
  for (const w of windows(n, cfg.context)) {
    const T = w.we - w.ws;
    macs += L * (T * d * (3 * d + d + 2 * f) + d * T * (T + 1)); // qkv, proj, fc, mlp.proj; QKᵀ + PV (causal)
  }
  return macs;
}

// ---- ONNX ----------------------------------------------------------------------------------------
let ortNode = null, ortWeb = null, ortNodeLm = null, ortWebLm = null, onnxPath = null;
if (!flag('--no-onnx')) {
  // two graphs: hidden states only, and hidden states + the tied LM head's logits (for the "+LM" rows)
  const base = join(root, 'bench', 'onnx', `${modelRel.replace(/[^A-Za-z0-9]+/g, '_')}-${modelSha.slice(0, 12)}`);
  onnxPath = `${base}-hidden.onnx`;
  const onnxLmPath = `${base}-logits.onnx`;
  for (const [p, extra] of [[onnxPath, []], [onnxLmPath, ['--logits']]]) {
    if (existsSync(p)) continue;
    log(`exporting ONNX → ${relative(root, p)}`);
    mkdirSync(dirname(p), { recursive: true });
    sh('/usr/bin/python3', ['train/export_onnx.py', modelPath, p, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const onnxBytes = readFileSync(onnxPath), onnxLmBytes = readFileSync(onnxLmPath);
  const ortn = await import('onnxruntime-node');
  const ortw = await import('onnxruntime-web');
  ortw.env.wasm.numThreads = 1;
  ortw.env.wasm.simd = true;
  const nodeOpts = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  const webOpts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const mk = (ort, sess) => async (idsN) => {
    const n = idsN.length, d = cfg.d_model;
    const out = new Float32Array(n * d);
    for (const w of windows(n, cfg.context)) {
      const slice = BigInt64Array.from(idsN.subarray(w.ws, w.we), (x) => BigInt(x));
      const r = await sess.run({ input_ids: new ort.Tensor('int64', slice, [1, w.we - w.ws]) });
      out.set(r.hidden.data.subarray(w.o0 * d), w.ws * d + w.o0 * d);
    }
    return out;
  };
  ortNode = mk(ortn, await ortn.InferenceSession.create(onnxBytes, nodeOpts));
  ortWeb = mk(ortw, await ortw.InferenceSession.create(onnxBytes, webOpts));
  ortNodeLm = mk(ortn, await ortn.InferenceSession.create(onnxLmBytes, nodeOpts));
  ortWebLm = mk(ortw, await ortw.InferenceSession.create(onnxLmBytes, webOpts));
  results.onnx = { file: relative(root, onnxPath), bytes: onnxBytes.length, file_logits: relative(root, onnxLmPath), bytes_logits: onnxLmBytes.length,
    onnxruntime_node: ortn.env.versions?.node || '1.30.0', onnxruntime_web: ortw.env.versions?.web,
    exported_by: 'train/export_onnx.py (torch.onnx.export, opset 14, fp32, dequantized int8 weights)' };
}

// ---- 1. agreement -------------------------------------------------------------------------------
// a: the reference (fp32 where one engine is fp32), b: the engine checked against it
function compare(a, b) {
  const d = cfg.d_model, n = a.length / d;
  let maxAbs = 0, sumAbs = 0, sumRef = 0, minCos = 1;
  for (let t = 0; t < n; t++) {
    let dot = 0, na = 0, nb = 0;
    for (let i = t * d; i < (t + 1) * d; i++) {
      const e = Math.abs(a[i] - b[i]);
      if (e > maxAbs) maxAbs = e;
      sumAbs += e;
      sumRef += Math.abs(a[i]);
      dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i];
    }
    minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
  }
  return { max_abs: +maxAbs.toExponential(3), mean_abs: +(sumAbs / a.length).toExponential(3),
    mean_abs_rel: +(sumAbs / Math.max(sumRef, 1e-30)).toExponential(3), min_token_cosine: +minCos.toFixed(6) };
}
// Tolerances. telltale quantizes each linear layer's input to int8 per token (the ONNX graph has
// the same int8 weights but float activations), so hidden states differ by quantization noise:
// tests/c/test_forward.c bounds it per element at 0.08 + 2 % for 2 layers. The noise grows with
// depth and with the weights: over 6 layers, after the final LayerNorm, it was ≈ 4 % of |h| with the
// CPU-fine-tuned blocks and is 6.1 % with the GPU-fine-tuned ones (512 tokens). `python3
// train/int8_noise.py` shows it is the quantization: PyTorch with the engine's int8 activations
// emulated lands as far from fp32 (6.6 % on one window, engine 6.6 %), within 1.5 % of the engine.
// So we require a mean |Δ| ≤ 10 % of the fp32 mean |h| and every token's hidden vector within
// cosine ≥ 0.98 of the fp32 one. A real bug (wrong window,
// weight, head split) moves values by O(1) — tens of percent — and cosines far below that. The
// telltale engines must agree bit for bit (same C code, same float order; tests/js/wasm.test.mjs),
// and the two onnxruntimes to float rounding (1e-4).
const TOL = { int8_vs_fp32: { mean_abs_rel: 0.10, min_token_cosine: 0.98 }, telltale_engines: { max_abs: 0 }, ort_vs_ort: { max_abs: 1e-4 } };
{
  const n = 512;
  const idsN = ids.subarray(0, n);
  const hS = simd.forward(idsN, { stats: false }).hidden;
  const hC = scalar.forward(idsN, { stats: false }).hidden;
  native('forward', modelPath, idsFile, n, 1, 0, 'hidden', join(tmp, 'hid'));
  const hBuf = readFileSync(join(tmp, `hid.${n}.f32`));
  const hN = new Float32Array(hBuf.buffer.slice(hBuf.byteOffset, hBuf.byteOffset + hBuf.length));
  const agree = { tokens: n, tolerance: TOL, wasm_scalar_vs_simd: compare(hC, hS), native_vs_wasm_simd: compare(hN, hS) };
  const ok = [agree.wasm_scalar_vs_simd.max_abs === 0, agree.native_vs_wasm_simd.max_abs === 0];
  if (ortNode) {
    const hON = await ortNode(idsN), hOW = await ortWeb(idsN);
    agree.onnx_node_vs_telltale = compare(hON, hS);
    agree.onnx_web_vs_telltale = compare(hOW, hS);
    agree.onnx_web_vs_onnx_node = compare(hOW, hON);
    for (const k of ['onnx_node_vs_telltale', 'onnx_web_vs_telltale'])
      ok.push(agree[k].mean_abs_rel <= TOL.int8_vs_fp32.mean_abs_rel && agree[k].min_token_cosine >= TOL.int8_vs_fp32.min_token_cosine);
    ok.push(agree.onnx_web_vs_onnx_node.max_abs <= TOL.ort_vs_ort.max_abs);
  }
  agree.ok = ok.every(Boolean);
  results.agreement = agree;
  log('agreement (512 tokens):', JSON.stringify(agree, (k, v) => (k === 'tolerance' ? undefined : v)));
  if (!agree.ok) fail('the engines do not agree on the hidden states: no timings taken (see above)');
}

// ---- 1. forward timings --------------------------------------------------------------------------
results.forward = [];
const addForward = (engine, n, ms, extra = {}) => {
  const s = summarize(ms);
  const row = { engine, tokens: n, windows: windows(n, cfg.context).length, ...s,
    effective_gmacs: +(forwardMacs(n) / (s.median_ms * 1e6)).toFixed(2), ...extra };
  results.forward.push(row);
  log(`forward ${engine.padEnd(22)} ${String(n).padStart(5)} tokens: median ${s.median_ms.toFixed(2)} ms [${s.min_ms.toFixed(2)} … ${s.max_ms.toFixed(2)}]`);
};
// Engines are interleaved: after the warm-up, each round times every engine once (in an order that
// rotates from round to round), so that load changes on the machine fall on all engines alike. The
// native engine runs as one child process per sample (it loads the model, does 1 warm-up forward
// and times 1; only the forward is timed).
let kernelName = null;
const nativeOnce = (n, mode, warm) => {
  const r = native('forward', modelPath, idsFile, n, 1, warm, mode);
  kernelName = r.kernel;
  return r.sizes[0].ms[0];
};
const LM = { note: 'hidden + LM head + token statistics' };
for (const n of SIZES) {
  const idsN = ids.subarray(0, n);
  const engines = [
    ['telltale wasm SIMD', () => simd.forward(idsN, { stats: false })],
    ['telltale wasm scalar', () => scalar.forward(idsN, { stats: false })],
    ['telltale native', null, 'hidden'],
    ['telltale wasm SIMD +LM', () => simd.forward(idsN, { stats: true }), null, LM],
    ['telltale native +LM', null, 'stats', LM],
  ];
  if (ortWeb) engines.push(['onnxruntime-web', () => ortWeb(idsN)]);
  if (ortNode) engines.push(['onnxruntime-node', () => ortNode(idsN)]);
  const LOGITS = { note: 'hidden + logits [T, V] (no softmax statistics)' };
  if (ortWebLm) engines.push(['onnxruntime-web +logits', () => ortWebLm(idsN), null, LOGITS]);
  if (ortNodeLm) engines.push(['onnxruntime-node +logits', () => ortNodeLm(idsN), null, LOGITS]);
  const samples = engines.map(() => []);
  for (const [, fn] of engines) if (fn) for (let i = 0; i < WARM; i++) await fn();
  for (let r = 0; r < RUNS; r++) {
    for (let j = 0; j < engines.length; j++) {
      const e = (j + r) % engines.length;
      const [, fn, mode] = engines[e];
      if (fn) {
        const t0 = performance.now();
        await fn();
        samples[e].push(performance.now() - t0);
      } else samples[e].push(nativeOnce(n, mode, 1));
    }
  }
  engines.forEach(([name, , mode, extra], e) => addForward(name, n, samples[e], { ...(mode ? { kernel: kernelName } : {}), ...(extra || {}) }));
}
const fwd = (engine, n) => results.forward.find((r) => r.engine === engine && r.tokens === n);
for (const r of results.forward) r.ratio_vs_wasm_simd = +(r.median_ms / fwd('telltale wasm SIMD', r.tokens).median_ms).toFixed(3);

// ---- 2. kernels ----------------------------------------------------------------------------------
{
  const d = cfg.d_model, f = cfg.d_ff, V = cfg.vocab_size, C = cfg.context;
  const shapes = [
    { name: 'attn.qkv', T: C, in: d, out: 3 * d }, { name: 'attn.proj', T: C, in: d, out: d },
    { name: 'mlp.fc', T: C, in: d, out: f }, { name: 'mlp.proj', T: C, in: f, out: d },
    { name: 'lm_head (64 tokens)', T: 64, in: d, out: V },
  ];
  const kr = native('kernel', shapes.map((s) => `${s.T}:${s.in}:${s.out}`).join(','), QUICK ? 5 : RUNS);
  const gmacs = (s, ms) => +((s.T * s.in * s.out) / (ms * 1e6)).toFixed(2);
  const rows = [];
  const wasmKernels = {};
  for (const [kind, file] of [['simd', 'telltale.wasm'], ['scalar', 'telltale-nosimd.wasm']]) {
    const ex = await instantiateRaw(join(root, 'wasm', 'dist', file));
    if (!ex.tt_matmul_i8) fail(`wasm/dist/${file} does not export tt_matmul_i8 (rebuild: npm run build)`);
    wasmKernels[kind] = { ex, name: cstr(ex, ex.tt_kernel_name()) };
  }
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % 255 - 127;
  function wasmKernelMs(ex, s, fn) {
    const xq = ex.malloc(s.T * s.in), w = ex.malloc(s.out * s.in), xs = ex.malloc(4 * s.T), ws = ex.malloc(4 * s.out);
    const b = ex.malloc(4 * s.out), y = ex.malloc(4 * s.T * s.out);
    const u8 = new Int8Array(ex.memory.buffer);
    for (let i = 0; i < s.T * s.in; i++) u8[xq + i] = rnd();
    for (let i = 0; i < s.out * s.in; i++) u8[w + i] = rnd();
    new Float32Array(ex.memory.buffer, xs, s.T).fill(0.01);
    new Float32Array(ex.memory.buffer, ws, s.out).fill(0.02);
    new Float32Array(ex.memory.buffer, b, s.out).fill(0.1);
    const call = () => fn(y, xq, xs, w, ws, b, s.T, s.in, s.out);
    let reps = 0;
    const t0 = performance.now();
    do { call(); reps++; } while (performance.now() - t0 < 20);
    reps = Math.max(1, Math.ceil(reps / 10));
    const ms = [];
    for (let r = 0; r < (QUICK ? 5 : RUNS); r++) {
      const a = performance.now();
      for (let j = 0; j < reps; j++) call();
      ms.push((performance.now() - a) / reps);
    }
    for (const p of [xq, w, xs, ws, b, y]) ex.free(p);
    return ms;
  }
  shapes.forEach((s, i) => {
    const k = kr.shapes[i];
    const row = { shape: s.name, T: s.T, in: s.in, out: s.out, macs: s.T * s.in * s.out };
    row.native_simd = { kernel: kr.kernel, ...summarize(k.simd_ms) };
    const avx2 = (k.each || []).find((e) => e.kernel === 'x86-avx2');
    if (avx2 && kr.kernel !== 'x86-avx2') row.native_avx2 = { kernel: 'x86-avx2', ...summarize(avx2.ms) };
    row.native_scalar = summarize(k.scalar_ms);
    row.wasm_simd = { kernel: wasmKernels.simd.name, ...summarize(wasmKernelMs(wasmKernels.simd.ex, s, wasmKernels.simd.ex.tt_matmul_i8)) };
    row.wasm_scalar = summarize(wasmKernelMs(wasmKernels.scalar.ex, s, wasmKernels.scalar.ex.tt_matmul_i8_ref));
    for (const e of ['native_simd', 'native_avx2', 'native_scalar', 'wasm_simd', 'wasm_scalar']) if (row[e]) row[e].gmacs = gmacs(s, row[e].median_ms);
    row.ratio_wasm_simd_over_scalar = +(row.wasm_simd.gmacs / row.wasm_scalar.gmacs).toFixed(2);
    row.ratio_native_over_wasm_simd = +(row.native_simd.gmacs / row.wasm_simd.gmacs).toFixed(2);
    rows.push(row);
    log(`kernel ${s.name.padEnd(20)} GMAC/s: native ${row.native_simd.gmacs} (scalar ${row.native_scalar.gmacs}), wasm SIMD ${row.wasm_simd.gmacs}, wasm scalar ${row.wasm_scalar.gmacs}`);
  });
  // the transformer body's four layers together (time-weighted, as the model runs them)
  const body = rows.slice(0, 4);
  const agg = (e) => +(body.reduce((a, r) => a + r.macs, 0) / (body.reduce((a, r) => a + r[e].median_ms, 0) * 1e6)).toFixed(2);
  const model = (e, n) => fwd(e, n)?.effective_gmacs;
  results.kernels = { shapes: rows, body_gmacs: { native_simd: agg('native_simd'), native_avx2: body[0].native_avx2 ? agg('native_avx2') : null,
    native_scalar: agg('native_scalar'), wasm_simd: agg('wasm_simd'), wasm_scalar: agg('wasm_scalar') },
    whole_model_gmacs_512: { native: model('telltale native', 512), wasm_simd: model('telltale wasm SIMD', 512), wasm_scalar: model('telltale wasm scalar', 512) } };
  const bg = results.kernels.body_gmacs;
  results.kernels.ratios = { kernel_wasm_simd_over_scalar: +(bg.wasm_simd / bg.wasm_scalar).toFixed(2), kernel_native_over_wasm_simd: +(bg.native_simd / bg.wasm_simd).toFixed(2),
    model_wasm_simd_over_scalar_512: +(fwd('telltale wasm scalar', 512).median_ms / fwd('telltale wasm SIMD', 512).median_ms).toFixed(2),
    model_wasm_simd_over_native_512: +(fwd('telltale wasm SIMD', 512).median_ms / fwd('telltale native', 512).median_ms).toFixed(2) };
}

// ---- 3. end to end -------------------------------------------------------------------------------
const text1000 = makeText(1000, 1);
const text1000File = join(tmp, 'w1000.txt');
writeFileSync(text1000File, text1000);
results.detect = [];
const hasDetector = simd.info.detector;
if (!hasDetector) results.notes.push('the model has no detector section: no detection timings');
if (hasDetector) {
  const tokens1000 = simd.tokenize(text1000).ids.length;
  let last;
  const addDetect = (engine, ms, extra) => {
    const row = { engine, words: 1000, tokens: tokens1000, ...summarize(ms), ...extra };
    results.detect.push(row);
    log(`detect 1000 words ${engine.padEnd(22)} median ${row.median_ms.toFixed(1)} ms [${row.min_ms.toFixed(1)} … ${row.max_ms.toFixed(1)}]`);
  };
  addDetect('telltale wasm SIMD', await timeRuns(() => { last = simd.detect(text1000); }), { phases_ms: simd.detect(text1000).timings_ms });
  addDetect('telltale wasm scalar', await timeRuns(() => { last = scalar.detect(text1000); }), { phases_ms: scalar.detect(text1000).timings_ms });
  const nrAll = native('detect', modelPath, text1000File, RUNS, WARM), nr = nrAll.texts[0];
  addDetect('telltale native', nr.ms, { kernel: native('forward', modelPath, idsFile, 1, 1, 0).kernel,
    phases_ms: { segment: nr.mean_ms_segment, features: nr.mean_ms_features, tests: nr.mean_ms_tests } });
  results.detect_text = { words: 1000, sentences: last.document.n_sentences, paragraphs: last.paragraphs.length, tokens: tokens1000, test: last.test, permutations: last.test === 'permutation' ? nrAll.permutations : null };

  // wasm memory after detection (the raw module: model bytes + engine + detector + result)
  const mem = {};
  for (const [kind, file] of [['simd', 'telltale.wasm']]) {
    const ex = await instantiateRaw(join(root, 'wasm', 'dist', file));
    const before = ex.memory.buffer.byteLength;
    const w = ex.ttw_new();
    const mp = copyIn(ex, modelBytes);
    if (ex.ttw_open_model(w, mp, modelBytes.length) || ex.ttw_open_detector(w, mp, modelBytes.length)) fail(`wasm: ${cstr(ex, ex.ttw_error(w))}`);
    const afterLoad = ex.memory.buffer.byteLength;
    const measure = (text) => {
      const bytes = new TextEncoder().encode(text);
      const tp = copyIn(ex, bytes);
      const j = ex.ttw_detect_json(w, tp, bytes.length, 0, 0, 0, 0, 0);
      if (!j) fail(`wasm detect: ${cstr(ex, ex.ttw_error(w))}`);
      ex.tt_free(j); ex.free(tp);
      return ex.memory.buffer.byteLength;
    };
    mem[kind] = { initial_bytes: before, after_model_load_bytes: afterLoad, after_detect_1000_words_bytes: measure(text1000),
      after_detect_20000_words_bytes: QUICK ? null : measure(makeText(20000, 3)) };
  }
  results.memory = { what: 'WebAssembly memory.buffer.byteLength (the high-water mark: wasm memory never shrinks)', ...mem.simd };
}

// download size
{
  const files = { 'telltale.wasm': join(root, 'wasm/dist/telltale.wasm'), 'telltale-nosimd.wasm': join(root, 'wasm/dist/telltale-nosimd.wasm'), model: modelPath };
  const size = {};
  for (const [k, p] of Object.entries(files)) {
    const b = readFileSync(p);
    size[k] = { raw: b.length, gzip: gzipSync(b, { level: 9 }).length };
  }
  size.total_simd = { raw: size['telltale.wasm'].raw + size.model.raw, gzip: size['telltale.wasm'].gzip + size.model.gzip };
  results.download = size;
}

// cold start: Node (fresh processes)
{
  const runs = QUICK ? 3 : 10;
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(JSON.parse(sh(process.execPath, ['bench/cold_node.mjs', modelPath, 'simd'])));
  results.cold_start = [{ engine: 'Node (fresh process), wasm SIMD', what: 'await createDetector({model: path}): read + compile .wasm, read model, instantiate, load model, open detector',
    ...summarize(rs.map((r) => r.create_ms)), import_ms: summarize(rs.map((r) => r.import_ms)) }];
  const nl = hasDetector ? native('load', modelPath, runs) : { ms: [] };
  if (hasDetector) results.cold_start.push({ engine: 'native tt_detector_open_file', what: 'read + CRC + tokenizer tables + detector (process already running)', ...summarize(nl.ms) });
  log(`cold start Node: median ${results.cold_start[0].median_ms.toFixed(1)} ms`);
}

// cold start + detection in headless Chromium
if (!flag('--no-browser') && existsSync('/usr/bin/chromium')) {
  const MIME = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.ttm': 'application/octet-stream' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!p.startsWith(root + sep) || !existsSync(p) || !statSync(p).isFile()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': MIME[extname(p)] || 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(p));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const { chromium } = await import('playwright-core');
  const runs = QUICK ? 2 : 7;
  const rs = [];
  for (let i = 0; i < runs; i++) {
    const profile = mkdtempSync(join(os.tmpdir(), 'telltale-bench-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run'] });
    try {
      const page = ctx.pages()[0] || await ctx.newPage();
      await page.goto(`http://127.0.0.1:${port}/bench/cold.html?model=/${modelRel}&runs=${i === 0 ? 5 : 3}&detect=${hasDetector ? 1 : 0}`);
      await page.waitForFunction(() => window.__bench, null, { timeout: 120000 });
      const r = await page.evaluate(() => window.__bench);
      if (r.error) fail(`chromium: ${r.error}`);
      rs.push(r);
    } finally {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
  server.close();
  results.cold_start.push({ engine: 'headless Chromium (fresh profile), wasm SIMD', browser: rs[0].user_agent,
    what: 'await createDetector({model: url}): fetch + compile .wasm, fetch model, instantiate, load model, open detector (local server, no cache)',
    ...summarize(rs.map((r) => r.create_ms)), ready_since_navigation_ms: summarize(rs.map((r) => r.ready_since_navigation_ms)) });
  const dms = rs.flatMap((r) => r.detect_ms);
  if (hasDetector) results.detect.push({ engine: 'telltale wasm SIMD in Chromium', words: 1000, ...summarize(dms), first_detect_ms: summarize(rs.map((r) => r.first_detect_ms)),
    note: `${rs.length} fresh browsers × ${rs.map((r) => r.detect_ms.length).join('/')} runs after a first (cold) detection` });
  log(`cold start Chromium: median ${results.cold_start[results.cold_start.length - 1].median_ms.toFixed(1)} ms${hasDetector ? `; detect ${summarize(dms).median_ms.toFixed(1)} ms` : ''}`);
}

// ---- 4. scaling ----------------------------------------------------------------------------------
if (hasDetector && !flag('--no-scaling')) {
  const WORDS = QUICK ? [100, 1000, 5000] : [100, 200, 500, 1000, 2000, 5000, 10000, 20000];
  const runsFor = (w) => (QUICK ? 2 : w <= 1000 ? 21 : w <= 5000 ? 9 : 5);
  results.scaling = [];
  const files = WORDS.map((w) => {
    const f = join(tmp, `s${w}.txt`);
    writeFileSync(f, makeText(w, 11));
    return f;
  });
  for (let k = 0; k < WORDS.length; k++) {
    const text = readFileSync(files[k], 'utf8');
    const ms = await timeRuns(() => simd.detect(text), runsFor(WORDS[k]), 1);
    const nr = native('detect', modelPath, files[k], runsFor(WORDS[k]), 1).texts[0];
    const row = { words: WORDS[k], tokens: simd.tokenize(text).ids.length, sentences: nr.sentences, runs: runsFor(WORDS[k]),
      wasm_simd: summarize(ms), native: summarize(nr.ms) };
    results.scaling.push(row);
    log(`scaling ${String(WORDS[k]).padStart(6)} words: wasm SIMD ${row.wasm_simd.median_ms.toFixed(1)} ms, native ${row.native.median_ms.toFixed(1)} ms`);
  }
  // least-squares line t = a + b·words for each engine, R², and ms/word at the longest vs at 1,000 words
  const fit = (key) => {
    const xs = results.scaling.map((r) => r.words), ys = results.scaling.map((r) => r[key].median_ms);
    const n = xs.length, mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
    const b = sxy / sxx, a = my - b * mx;
    const per = (w) => { const r = results.scaling.find((x) => x.words === w); return r ? r[key].median_ms / w : null; };
    const wMax = xs[xs.length - 1];
    return { intercept_ms: +a.toFixed(2), ms_per_1000_words: +(b * 1000).toFixed(2), r2: +((sxy * sxy) / (sxx * syy)).toFixed(5),
      ms_per_word_longest_over_1000: +(per(wMax) / per(1000)).toFixed(3) };
  };
  results.scaling_fit = { wasm_simd: fit('wasm_simd'), native: fit('native') };
  const xMax = WORDS[WORDS.length - 1];
  const png = linePlot({
    title: `telltale detection time vs text length (${modelMeta.name || 'model'}, one thread)`, xLabel: 'words', yLabel: 'ms (median)',
    series: [
      { name: 'wasm simd (node)', color: [200, 40, 40], points: results.scaling.map((r) => [r.words, r.wasm_simd.median_ms]) },
      { name: `native (${results.forward.find((r) => r.kernel)?.kernel || 'native'})`, color: [40, 40, 200], points: results.scaling.map((r) => [r.words, r.native.median_ms]) },
      { name: 'least-squares line, wasm simd', color: [120, 120, 120], dashed: true,
        points: [[0, results.scaling_fit.wasm_simd.intercept_ms], [xMax, results.scaling_fit.wasm_simd.intercept_ms + (results.scaling_fit.wasm_simd.ms_per_1000_words * xMax) / 1000]] },
    ] });
  writeFileSync(join(root, 'bench', 'scaling.png'), png);
  log('wrote bench/scaling.png');
}

// ---- targets -------------------------------------------------------------------------------------
{
  const t = [];
  const add = (target, measured, ok) => t.push({ target, measured, met: ok });
  const w512 = fwd('telltale wasm SIMD', 512), s512 = fwd('telltale wasm scalar', 512), n512 = fwd('telltale native', 512);
  const ow = fwd('onnxruntime-web', 512), on = fwd('onnxruntime-node', 512);
  if (ow) add('wasm SIMD ≥ 2× faster than onnxruntime-web at 512 tokens', `${(ow.median_ms / w512.median_ms).toFixed(2)}×`, ow.median_ms / w512.median_ms >= 2);
  if (on) add('native int8 no slower than onnxruntime-node at 512 tokens', `native ${n512.median_ms.toFixed(2)} ms vs ${on.median_ms.toFixed(2)} ms (${(on.median_ms / n512.median_ms).toFixed(2)}×)`, n512.median_ms <= on.median_ms);
  add('wasm SIMD ≥ 3× wasm scalar (512 tokens)', `${(s512.median_ms / w512.median_ms).toFixed(2)}×`, s512.median_ms / w512.median_ms >= 3);
  add('wasm SIMD within 1.5× of native (512 tokens)', `${(w512.median_ms / n512.median_ms).toFixed(2)}×`, w512.median_ms / n512.median_ms <= 1.5);
  const dw = results.detect.find((r) => r.engine === 'telltale wasm SIMD');
  if (dw) add('1,000-word detection ≤ 300 ms (wasm SIMD, Node)', `${dw.median_ms.toFixed(1)} ms`, dw.median_ms <= 300);
  const dc = results.detect.find((r) => r.engine === 'telltale wasm SIMD in Chromium');
  if (dc) add('1,000-word detection ≤ 300 ms (wasm SIMD, Chromium)', `${dc.median_ms.toFixed(1)} ms`, dc.median_ms <= 300);
  for (const c of results.cold_start.filter((c) => !c.engine.startsWith('native'))) add(`cold start ≤ 150 ms (${c.engine.split(' (')[0]})`, `${c.median_ms.toFixed(1)} ms`, c.median_ms <= 150);
  add('wasm + model ≤ 8 MB raw', `${(results.download.total_simd.raw / 1e6).toFixed(2)} MB (gzip ${(results.download.total_simd.gzip / 1e6).toFixed(2)} MB)`, results.download.total_simd.raw <= 8e6);
  results.targets = t;
}

results.conditions.loadavg_end = os.loadavg().map((x) => +x.toFixed(2));
results.conditions.other_processes_end = busy();
writeFileSync(join(root, 'bench', 'results.json'), JSON.stringify(results, null, 1) + '\n');
writeFileSync(join(root, 'bench', 'results.md'), markdown(results));
log('wrote bench/results.json and bench/results.md');
rmSync(tmp, { recursive: true, force: true });
simd.close();
scalar.close();

// ---- markdown ------------------------------------------------------------------------------------
function markdown(r) {
  const f = (x, d = 1) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));
  const L = [];
  L.push(`Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${r.command}\` on ${r.machine.cpu} (\`nproc\` = ${r.machine.nproc}), one thread, ` +
    `Node ${r.machine.node}, ${r.machine.chromium || 'no Chromium'}; model \`${r.model.file}\` (${r.model.name}, d=${r.model.config.d_model}, ` +
    `${r.model.config.n_layers} layers, context ${r.model.config.context}). Load average at start ${r.conditions.loadavg_start.join(' / ')}, at end ` +
    `${r.conditions.loadavg_end.join(' / ')}; other CPU work during the run: ${r.conditions.other_processes_start.length || r.conditions.other_processes_end.length ? (r.conditions.other_processes_start.concat(r.conditions.other_processes_end)).join('; ') : 'none found'}.`);
  L.push('');
  L.push(`**Forward pass** (final hidden states; median of ${RUNS} runs after ${WARM} warm-up, [min … max] ms; beyond ${r.model.config.context} tokens every engine runs the same ${r.model.config.context}-token windows with stride ${r.model.config.context / 2}):`);
  L.push('');
  const engines = [...new Set(r.forward.map((x) => x.engine))];
  L.push(`| engine | ${SIZES.map((n) => `${n} tokens`).join(' | ')} | ×wasm SIMD @512 | GMAC/s @512 |`);
  L.push(`|---|${SIZES.map(() => '---:').join('|')}|---:|---:|`);
  for (const e of engines) {
    const cells = SIZES.map((n) => { const x = r.forward.find((y) => y.engine === e && y.tokens === n); return x ? `${f(x.median_ms, 2)} [${f(x.min_ms, 2)} … ${f(x.max_ms, 2)}]` : '–'; });
    const x512 = r.forward.find((y) => y.engine === e && y.tokens === 512);
    L.push(`| ${e} | ${cells.join(' | ')} | ${f(x512?.ratio_vs_wasm_simd, 2)} | ${f(x512?.effective_gmacs, 1)} |`);
  }
  L.push('');
  L.push('"+LM": hidden states plus the tied LM head and the per-token statistics (log-prob, rank, entropy, variance) the detector uses; "+logits": the ONNX graph that also outputs the LM head\'s logits (no statistics; for every row of every window, where telltale computes the LM head once per output token). GMAC/s counts the linear layers and attention only (not the LM head).');
  if (r.agreement) {
    const a = r.agreement;
    L.push('');
    L.push(`**Agreement** (512 tokens, checked before timing): wasm scalar vs SIMD and native vs wasm max |Δ| = ${a.wasm_scalar_vs_simd.max_abs} / ${a.native_vs_wasm_simd.max_abs} (bit-identical);` +
      (a.onnx_node_vs_telltale ? ` onnxruntime (fp32) vs telltale (int8 activations): mean |Δ| ${a.onnx_node_vs_telltale.mean_abs} (${(100 * a.onnx_node_vs_telltale.mean_abs_rel).toFixed(1)} % of mean |h|), max |Δ| ${a.onnx_node_vs_telltale.max_abs}, min per-token cosine ${a.onnx_node_vs_telltale.min_token_cosine} ` +
        `(tolerance mean |Δ| ≤ ${100 * TOL.int8_vs_fp32.mean_abs_rel} % of mean |h|, cosine ≥ ${TOL.int8_vs_fp32.min_token_cosine}: the difference is telltale's per-token int8 quantization of each linear layer's input); onnxruntime-web vs -node max |Δ| ${a.onnx_web_vs_onnx_node.max_abs}.` : ''));
  }
  if (r.kernels) {
    L.push('');
    L.push('**int8 matmul kernel** (GMAC/s, median; T × in → out):');
    L.push('');
    const k0 = r.kernels.shapes[0];
    const avx2 = !!k0.native_avx2;
    L.push(`| shape | native SIMD (${k0.native_simd.kernel}) |${avx2 ? ' native x86-avx2 |' : ''} native scalar | wasm SIMD | wasm scalar | wasm SIMD/scalar | native/wasm SIMD |`);
    L.push(`|---|---:|${avx2 ? '---:|' : ''}---:|---:|---:|---:|---:|`);
    for (const k of r.kernels.shapes) L.push(`| ${k.shape} ${k.T}×${k.in}→${k.out} | ${f(k.native_simd.gmacs)} |${avx2 ? ` ${f(k.native_avx2?.gmacs)} |` : ''} ${f(k.native_scalar.gmacs)} | ${f(k.wasm_simd.gmacs)} | ${f(k.wasm_scalar.gmacs)} | ${f(k.ratio_wasm_simd_over_scalar, 2)} | ${f(k.ratio_native_over_wasm_simd, 2)} |`);
    const b = r.kernels.body_gmacs, m = r.kernels.whole_model_gmacs_512;
    L.push(`| transformer body (4 shapes) | ${f(b.native_simd)} |${avx2 ? ` ${f(b.native_avx2)} |` : ''} ${f(b.native_scalar)} | ${f(b.wasm_simd)} | ${f(b.wasm_scalar)} | ${f(b.wasm_simd / b.wasm_scalar, 2)} | ${f(b.native_simd / b.wasm_simd, 2)} |`);
    L.push(`| whole model, 512 tokens (effective) | ${f(m.native)} |${avx2 ? ' – |' : ''} – | ${f(m.wasm_simd)} | ${f(m.wasm_scalar)} | ${f(m.wasm_simd / m.wasm_scalar, 2)} | ${f(m.native / m.wasm_simd, 2)} |`);
    L.push('');
    L.push(`Native SIMD kernel: ${k0.native_simd.kernel}${avx2 ? ' (x86-avx2: the kernel CPUs without AVX-VNNI get)' : ''}; wasm: ${k0.wasm_simd.kernel}. The whole-model row divides the forward pass's multiply-accumulates (linear layers + attention) by its median time.`);
  }
  if (r.detect.length) {
    L.push('');
    L.push(`**End to end**: detection of a ${r.detect_text.words}-word text (${r.detect_text.tokens} tokens, ${r.detect_text.sentences} sentences, ${r.detect_text.paragraphs} paragraphs; segmentation + features + MMD tests ${r.detect_text.test === 'human_null' ? 'against the human null' : `with ${r.detect_text.permutations} permutations`}):`);
    L.push('');
    L.push('| engine | median ms | [min … max] | segment / features / tests ms |');
    L.push('|---|---:|---:|---|');
    for (const d of r.detect) L.push(`| ${d.engine} | ${f(d.median_ms)} | ${f(d.min_ms)} … ${f(d.max_ms)} | ${d.phases_ms ? [d.phases_ms.segment, d.phases_ms.features, d.phases_ms.tests].map((x) => f(x)).join(' / ') : d.note || ''} |`);
  }
  L.push('');
  L.push('| cold start | median ms | [min … max] | what |');
  L.push('|---|---:|---:|---|');
  for (const c of r.cold_start) L.push(`| ${c.engine} | ${f(c.median_ms)} | ${f(c.min_ms)} … ${f(c.max_ms)} | ${c.what} |`);
  L.push('');
  if (r.memory) L.push(`**wasm memory** (memory.buffer.byteLength): ${f(r.memory.after_model_load_bytes / 2 ** 20)} MiB after loading the model, ${f(r.memory.after_detect_1000_words_bytes / 2 ** 20)} MiB after detecting 1,000 words` + (r.memory.after_detect_20000_words_bytes ? `, ${f(r.memory.after_detect_20000_words_bytes / 2 ** 20)} MiB after 20,000 words.` : '.'));
  const dl = r.download;
  L.push('');
  L.push(`**Download**: telltale.wasm ${dl['telltale.wasm'].raw} B (gzip ${dl['telltale.wasm'].gzip}), telltale-nosimd.wasm ${dl['telltale-nosimd.wasm'].raw} B (gzip ${dl['telltale-nosimd.wasm'].gzip}), model ${dl.model.raw} B (gzip ${dl.model.gzip}); wasm + model ${f(dl.total_simd.raw / 1e6, 2)} MB raw, ${f(dl.total_simd.gzip / 1e6, 2)} MB gzip.`);
  if (r.scaling) {
    L.push('');
    L.push('**Scaling** (detection time vs text length, median ms; bench/scaling.png):');
    L.push('');
    L.push('| words | tokens | sentences | runs | wasm SIMD | native | wasm ms/1000 words |');
    L.push('|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of r.scaling) L.push(`| ${s.words} | ${s.tokens} | ${s.sentences} | ${s.runs} | ${f(s.wasm_simd.median_ms)} | ${f(s.native.median_ms)} | ${f((s.wasm_simd.median_ms / s.words) * 1000)} |`);
    const fw = r.scaling_fit.wasm_simd, fn = r.scaling_fit.native;
    L.push('');
    L.push(`Least-squares line: wasm SIMD ${f(fw.intercept_ms)} ms + ${f(fw.ms_per_1000_words)} ms per 1,000 words (R² ${fw.r2}); native ${f(fn.intercept_ms)} + ${f(fn.ms_per_1000_words)} (R² ${fn.r2}). ms/word at the longest text ÷ at 1,000 words: wasm ${fw.ms_per_word_longest_over_1000}, native ${fn.ms_per_word_longest_over_1000}.`);
  }
  L.push('');
  L.push('**Targets**:');
  L.push('');
  L.push('| target | measured | met |');
  L.push('|---|---|---|');
  for (const t of r.targets) L.push(`| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  for (const n of r.notes) L.push(`\nNote: ${n}`);
  return L.join('\n') + '\n';
}
