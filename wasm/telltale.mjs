// telltale.mjs — load the telltale WebAssembly module and run the detector.
//
// One ES module for a web page, a Web Worker, a browser extension and Node 20+, with no bundler and
// no Emscripten JS glue: the module is built with -sSTANDALONE_WASM (see CMakeLists.txt) and this file
// provides the few imports it needs (a handful of WASI calls and env.tt_js_progress).
//
//   import { createDetector } from 'telltale';
//   const det = await createDetector({ model: 'models/telltale-small.ttm' });
//   const result = det.detect(text, { permutations: 200, seed: 1 });   // docs/result-schema.md
//   det.close();
//
// Everything runs synchronously inside detect(); run it in a Worker to keep a page responsive.
//
// The module's imports today (see WebAssembly.Module.imports): env.tt_js_progress (progress and
// cancellation, wasm/exports.c), wasi_snapshot_preview1.clock_time_get (timings_ms) and
// env.emscripten_notify_memory_growth (a no-op here). fd_write (stdout/stderr to the console),
// proc_exit, environ/args, random_get and a few fd stubs are provided for when the C code starts
// needing them; any other import is given a stub that throws, naming it.

const VERSION = '0.1.0';

// (func (result v128) i32.const 0 i32x4.splat i32.const 0 i32x4.splat i32x4.dot_i16x8_s)
// — validates only where WebAssembly SIMD (with the dot product the int8 kernels use) is supported.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x0f, 0x01, 0x0d, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x41, 0x00, 0xfd, 0x11,
  0xfd, 0xba, 0x01, 0x0b,
]);

const WASM_FILES = { simd: './dist/telltale.wasm', scalar: './dist/telltale-nosimd.wasm' };

const isNode = typeof process === 'object' && process !== null && !!(process.versions && process.versions.node);

function requireWebAssembly() {
  if (typeof WebAssembly !== 'object' || WebAssembly === null || typeof WebAssembly.instantiate !== 'function') {
    throw new Error('telltale needs WebAssembly, which this JavaScript environment does not provide '
      + '(it may be disabled, e.g. by a browser policy or "jitless" mode)');
  }
}

/** True when this engine supports WebAssembly SIMD (simd128 with i32x4.dot_i16x8_s). */
export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// ---- reading bytes: ArrayBuffer / typed array / Blob / Response / URL / path --------------------

function isUrlLike(s) {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && !/^[a-zA-Z]:[\\/]/.test(s); // not a Windows drive path
}

async function readSource(src, what) {
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  if (typeof Response !== 'undefined' && src instanceof Response) return readResponse(src, src.url || 'the response', what);
  if (typeof src === 'string' || src instanceof URL) {
    const s = String(src);
    if (isNode && (src instanceof URL ? src.protocol === 'file:' : !isUrlLike(s) || s.startsWith('file:'))) {
      const { readFile } = await import('node:fs/promises');
      const { fileURLToPath } = await import('node:url');
      const path = s.startsWith('file:') ? fileURLToPath(s) : s;
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        throw new Error(`${what}: cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
      }
    }
    if (typeof fetch !== 'function') throw new Error(`${what}: cannot load ${s}: fetch() is not available`);
    let resp;
    try {
      resp = await fetch(s);
    } catch (e) {
      throw new Error(`${what}: cannot fetch ${s}: ${e.message}`);
    }
    return readResponse(resp, s, what);
  }
  throw new TypeError(`${what}: expected an ArrayBuffer, a Uint8Array, a Blob, a URL or a path, got ${
    src === null ? 'null' : typeof src}`);
}

async function readResponse(resp, url, what) {
  if (!resp.ok) throw new Error(`${what}: cannot fetch ${url}: HTTP ${resp.status} ${resp.statusText || ''}`.trim());
  return new Uint8Array(await resp.arrayBuffer());
}

// ---- compiling the module ------------------------------------------------------------------------

const moduleCache = new Map(); // url string → Promise<WebAssembly.Module>

function compileFromUrl(url) {
  const key = String(url);
  if (!moduleCache.has(key)) {
    const p = (async () => {
      const bytes = await readSource(url, 'wasm');
      try {
        return await WebAssembly.compile(bytes);
      } catch (e) {
        throw new Error(`wasm: ${key} is not a valid WebAssembly module for this engine: ${e.message}`);
      }
    })();
    p.catch(() => moduleCache.delete(key)); // let a later call retry
    moduleCache.set(key, p);
  }
  return moduleCache.get(key);
}

async function compileModule(wasm, wasmUrl) {
  if (typeof WebAssembly.Module === 'function' && wasm instanceof WebAssembly.Module) return wasm;
  if (wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) {
    try {
      return await WebAssembly.compile(await readSource(wasm, 'wasm'));
    } catch (e) {
      throw new Error(`wasm: the given bytes are not a valid WebAssembly module for this engine: ${e.message}`);
    }
  }
  let kind;
  if (wasm === 'auto' || wasm === undefined) kind = simdSupported() ? 'simd' : 'scalar';
  else if (wasm === 'simd') {
    if (!simdSupported()) throw new Error("wasm: 'simd' was asked for, but this engine does not support WebAssembly SIMD (use wasm: 'auto' or 'scalar')");
    kind = 'simd';
  } else if (wasm === 'scalar') kind = 'scalar';
  else throw new TypeError(`wasm: expected 'auto', 'simd', 'scalar', an ArrayBuffer or a WebAssembly.Module, got ${String(wasm)}`);

  let url;
  if (wasmUrl === undefined || wasmUrl === null) url = new URL(WASM_FILES[kind], import.meta.url);
  else if (typeof wasmUrl === 'string' || wasmUrl instanceof URL) url = wasmUrl;
  else if (typeof wasmUrl === 'object' && wasmUrl[kind]) url = wasmUrl[kind];
  else throw new TypeError(`wasmUrl: expected a URL, a path, or { simd, scalar }, got ${String(wasmUrl)}`);
  return compileFromUrl(url);
}

// ---- the imports ---------------------------------------------------------------------------------

class WasmExit extends Error {
  constructor(code) {
    super(`telltale.wasm exited with status ${code}`);
    this.code = code;
  }
}

const WASI_ESUCCESS = 0, WASI_EBADF = 8, WASI_EINVAL = 28, WASI_ENOSYS = 52;

// Builds the import object for `module`. `env` holds the callbacks the instance needs: memory()
// (set after instantiation) and progress(done, total).
function makeImports(module, env) {
  const dv = () => new DataView(env.memory().buffer);
  const u8 = () => new Uint8Array(env.memory().buffer);
  const pending = { 1: '', 2: '' };
  const decoder = new TextDecoder();
  const t0 = Date.now();

  const wasi = {
    // Writes to stdout/stderr go to the console, line by line; other descriptors do not exist.
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      const view = dv();
      let n = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view.getUint32(iovs + 8 * i, true);
        const len = view.getUint32(iovs + 8 * i + 4, true);
        pending[fd] += decoder.decode(u8().subarray(ptr, ptr + len), { stream: true });
        n += len;
      }
      let nl;
      while ((nl = pending[fd].indexOf('\n')) >= 0) {
        const line = pending[fd].slice(0, nl);
        pending[fd] = pending[fd].slice(nl + 1);
        (fd === 2 ? console.error : console.log)(`telltale.wasm: ${line}`);
      }
      dv().setUint32(nwrittenPtr, n, true);
      return WASI_ESUCCESS;
    },
    fd_close: () => WASI_EBADF,
    fd_seek: () => WASI_EBADF,
    fd_read: () => WASI_EBADF,
    fd_fdstat_get: () => WASI_EBADF,
    // clock_time_get(id, precision: i64, out: *u64 nanoseconds)
    clock_time_get(id, _precision, outPtr) {
      let ns;
      if (id === 0) ns = BigInt(Date.now()) * 1000000n; // realtime
      else if (typeof performance === 'object' && performance.now) ns = BigInt(Math.round(performance.now() * 1e6));
      else ns = BigInt(Date.now() - t0) * 1000000n;
      dv().setBigUint64(outPtr, ns, true);
      return WASI_ESUCCESS;
    },
    clock_res_get(_id, outPtr) {
      dv().setBigUint64(outPtr, 1000n, true);
      return WASI_ESUCCESS;
    },
    environ_sizes_get(countPtr, sizePtr) {
      dv().setUint32(countPtr, 0, true);
      dv().setUint32(sizePtr, 0, true);
      return WASI_ESUCCESS;
    },
    environ_get: () => WASI_ESUCCESS,
    args_sizes_get(countPtr, sizePtr) {
      dv().setUint32(countPtr, 0, true);
      dv().setUint32(sizePtr, 0, true);
      return WASI_ESUCCESS;
    },
    args_get: () => WASI_ESUCCESS,
    random_get(ptr, len) {
      if (typeof crypto !== 'object' || !crypto.getRandomValues) return WASI_ENOSYS;
      for (let off = 0; off < len; off += 65536) {
        crypto.getRandomValues(u8().subarray(ptr + off, ptr + Math.min(len, off + 65536)));
      }
      return WASI_ESUCCESS;
    },
    proc_exit(code) {
      throw new WasmExit(code);
    },
    sched_yield: () => WASI_ESUCCESS,
  };
  const envFns = {
    // int tt_js_progress(tt_wasm *w, uint32_t done, uint32_t total): non-zero cancels.
    tt_js_progress: (_w, done, total) => (env.progress(done >>> 0, total >>> 0) ? 1 : 0),
    emscripten_notify_memory_growth: () => {}, // views are re-made from memory.buffer on each use
  };
  const provided = { wasi_snapshot_preview1: wasi, env: envFns };

  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const fn = provided[imp.module] && provided[imp.module][imp.name];
    if (imp.kind !== 'function') {
      throw new Error(`wasm: the module imports ${imp.kind} ${imp.module}.${imp.name}, which this loader does not provide`);
    }
    (imports[imp.module] ||= {})[imp.name] = fn || (() => {
      throw new Error(`wasm: the module called ${imp.module}.${imp.name}, which this loader does not provide`);
    });
  }
  // WASI calls that do not exist in this loader answer ENOSYS rather than throwing, where that is
  // the documented way to say "not supported".
  if (imports.wasi_snapshot_preview1) {
    for (const name of Object.keys(imports.wasi_snapshot_preview1)) {
      if (!wasi[name]) imports.wasi_snapshot_preview1[name] = () => WASI_ENOSYS;
    }
  }
  return imports;
}

// ---- the detector --------------------------------------------------------------------------------

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

function toBytes(text, what) {
  if (typeof text === 'string') return encoder.encode(text);
  if (text instanceof Uint8Array) return text;
  throw new TypeError(`${what}: expected a string (or UTF-8 bytes as a Uint8Array), got ${text === null ? 'null' : typeof text}`);
}

function seedHalves(seed) {
  let s;
  if (typeof seed === 'bigint') s = seed;
  else if (typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0) s = BigInt(seed);
  else throw new TypeError(`seed: expected a non-negative integer or BigInt, got ${String(seed)}`);
  if (s < 0n || s >= 1n << 64n) throw new RangeError(`seed: ${s} is outside 0 .. 2^64-1`);
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

/**
 * Create a detector.
 * @param {object} options
 * @param {ArrayBuffer|Uint8Array|Blob|Response|string|URL} options.model  the .ttm model (bytes, or a
 *   URL/path: fetched in browsers, read from disk in Node)
 * @param {'auto'|'simd'|'scalar'|ArrayBuffer|Uint8Array|WebAssembly.Module} [options.wasm='auto']
 * @param {string|URL|{simd: string|URL, scalar: string|URL}} [options.wasmUrl]  where the .wasm files
 *   are (default: dist/ beside this file)
 * @param {(done: number, total: number) => boolean|void} [options.onProgress]  default progress
 *   callback for detect(); return true to cancel
 */
export async function createDetector(options = {}) {
  requireWebAssembly();
  const { model, wasm = 'auto', wasmUrl, onProgress: defaultProgress } = options;
  if (model === undefined || model === null) throw new TypeError('createDetector: the model option is required');

  const [module, modelBytes] = await Promise.all([compileModule(wasm, wasmUrl), readSource(model, 'model')]);

  let progressHandler = null;
  let instance;
  const env = {
    memory: () => instance.exports.memory,
    progress: (done, total) => (progressHandler ? progressHandler(done, total) : false),
  };
  instance = await WebAssembly.instantiate(module, makeImports(module, env));
  const ex = instance.exports;
  for (const name of ['memory', 'malloc', 'free', 'ttw_new', 'ttw_open_model', 'ttw_detect_json', 'tt_free', 'tt_kernel_name']) {
    if (!ex[name]) throw new Error(`wasm: the module does not export ${name} (is it a telltale build?)`);
  }
  if (ex._initialize) ex._initialize(); // run C constructors (reactor module)

  const u8 = () => new Uint8Array(ex.memory.buffer);
  const cstr = (ptr) => {
    if (!ptr) return '';
    const m = u8();
    let end = ptr;
    while (m[end] !== 0) end++;
    return utf8.decode(m.subarray(ptr, end));
  };
  const alloc = (n, what) => {
    const p = ex.malloc(Math.max(1, n));
    if (!p) throw new Error(`${what}: out of WebAssembly memory (${n} bytes)`);
    return p;
  };
  const copyIn = (bytes, what) => {
    const p = alloc(bytes.length, what);
    u8().set(bytes, p);
    return p;
  };

  // The model bytes live in wasm memory for the detector's lifetime (tensors point into them).
  const w = ex.ttw_new();
  if (!w) throw new Error('wasm: out of memory creating the context');
  let modelPtr = 0;
  const cleanup = () => {
    ex.ttw_free(w);
    if (modelPtr) ex.free(modelPtr);
    modelPtr = 0;
  };
  let metadata;
  try {
    modelPtr = copyIn(modelBytes, 'model');
    if (ex.ttw_open_model(w, modelPtr, modelBytes.length) !== 0) throw modelFileError(cstr(ex.ttw_error(w)));
    try {
      metadata = JSON.parse(cstr(ex.ttw_metadata(w)));
    } catch (e) {
      throw new Error(`model file: metadata JSON: ${e.message}`);
    }
    if (metadata.detector !== undefined) {
      if (ex.ttw_open_detector(w, modelPtr, modelBytes.length) !== 0) throw modelFileError(cstr(ex.ttw_error(w)));
    }
  } catch (e) {
    cleanup();
    throw e;
  }

  const kernel = cstr(ex.tt_kernel_name());
  const dModel = ex.ttw_d_model(w);
  const info = Object.freeze({
    model: cstr(ex.ttw_model_name(w)) || metadata.name || '',
    version: cstr(ex.ttw_version()) || VERSION,
    simd: kernel.startsWith('wasm-simd'),
    kernel,
    detector: metadata.detector !== undefined,
    config: Object.freeze({
      vocabSize: ex.ttw_vocab_size(w), dModel, context: ex.ttw_context(w), bosId: ex.ttw_bos_id(w),
    }),
    metadata,
  });

  let closed = false;
  let busy = false;
  const enter = (what) => {
    if (closed) throw new Error(`${what}: the detector is closed`);
    if (busy) throw new Error(`${what}: the detector is busy (called again from inside a progress callback?)`);
    busy = true;
  };

  function detect(text, opts = {}) {
    const { permutations, seed, onProgress = defaultProgress, signal } = opts;
    const bytes = toBytes(text, 'detect');
    if (permutations !== undefined && !(Number.isInteger(permutations) && permutations > 0)) {
      throw new TypeError(`permutations: expected a positive integer, got ${String(permutations)}`);
    }
    const [lo, hi] = seed === undefined ? [0, 0] : seedHalves(seed);
    if (signal && signal.aborted) throw abortError('detect: aborted before it started');
    enter('detect');
    let textPtr = 0, jsonPtr = 0, thrown = null, cancelled = false;
    progressHandler = (done, total) => {
      try {
        if ((onProgress && onProgress(done, total)) || (signal && signal.aborted)) cancelled = true;
      } catch (e) {
        thrown = e;
        cancelled = true;
      }
      return cancelled;
    };
    try {
      textPtr = copyIn(bytes, 'detect');
      jsonPtr = ex.ttw_detect_json(w, textPtr, bytes.length, permutations || 0, seed === undefined ? 0 : 1,
        lo, hi, onProgress || signal ? 1 : 0);
      if (thrown) throw thrown;
      if (!jsonPtr) {
        const msg = cstr(ex.ttw_error(w));
        throw cancelled ? abortError(msg || 'detect: cancelled') : new Error(msg);
      }
      return JSON.parse(cstr(jsonPtr));
    } finally {
      if (jsonPtr) ex.tt_free(jsonPtr);
      if (textPtr) ex.free(textPtr);
      progressHandler = null;
      busy = false;
    }
  }

  function tokenize(text) {
    const bytes = toBytes(text, 'tokenize');
    enter('tokenize');
    let textPtr = 0;
    try {
      textPtr = copyIn(bytes, 'tokenize');
      const n = ex.ttw_tokenize(w, textPtr, bytes.length);
      if (n < 0) throw new Error(cstr(ex.ttw_error(w)));
      const buf = ex.memory.buffer;
      return {
        ids: n ? new Int32Array(buf, ex.ttw_token_ids(w), n).slice() : new Int32Array(0),
        start: n ? new Uint32Array(buf, ex.ttw_token_starts(w), n).slice() : new Uint32Array(0),
        end: n ? new Uint32Array(buf, ex.ttw_token_ends(w), n).slice() : new Uint32Array(0),
      };
    } finally {
      if (textPtr) ex.free(textPtr);
      busy = false;
    }
  }

  function forward(ids, { hidden: wantHidden = true, stats: wantStats = true } = {}) {
    const arr = ids instanceof Int32Array ? ids : Int32Array.from(ids);
    const n = arr.length;
    if (n === 0) throw new RangeError('forward: needs at least one token id');
    enter('forward');
    let idsPtr = 0, hidPtr = 0, statPtr = 0;
    try {
      idsPtr = alloc(n * 4, 'forward');
      new Int32Array(ex.memory.buffer, idsPtr, n).set(arr);
      if (wantHidden) hidPtr = alloc(n * dModel * 4, 'forward');
      if (wantStats && n > 1) statPtr = alloc((n - 1) * 16, 'forward');
      const st = ex.ttw_forward(w, idsPtr, n, hidPtr, statPtr);
      if (st !== 0) throw new Error(cstr(ex.ttw_error(w)));
      const buf = ex.memory.buffer;
      const out = { n, dModel, hidden: null, stats: null };
      if (hidPtr) out.hidden = new Float32Array(buf, hidPtr, n * dModel).slice();
      if (wantStats) {
        const m = n - 1;
        const s = { logprob: new Float32Array(m), rank: new Int32Array(m), entropy: new Float32Array(m), var: new Float32Array(m) };
        const dv = new DataView(buf);
        for (let i = 0; i < m; i++) {
          const p = statPtr + 16 * i;
          s.logprob[i] = dv.getFloat32(p, true);
          s.rank[i] = dv.getInt32(p + 4, true);
          s.entropy[i] = dv.getFloat32(p + 8, true);
          s.var[i] = dv.getFloat32(p + 12, true);
        }
        out.stats = s;
      }
      return out;
    } finally {
      for (const p of [idsPtr, hidPtr, statPtr]) if (p) ex.free(p);
      busy = false;
    }
  }

  function close() {
    if (closed) return;
    if (busy) throw new Error('close: the detector is busy');
    closed = true;
    cleanup();
  }

  return { info, detect, tokenize, forward, close };
}

// The C loader's message, said to be about the model file (unless it says so already: "model …").
function modelFileError(message) {
  return new Error(/^model\b/.test(message) ? message : `model file: ${message}`);
}

function abortError(message) {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

export default createDetector;
