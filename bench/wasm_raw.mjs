// wasm_raw.mjs — the telltale wasm module instantiated directly (no createDetector), for the parts of
// the bench that need the instance itself: the int8 kernels' GMAC/s and the wasm memory size.
// The imports mirror what wasm/telltale.mjs provides; progress is never requested here.
import { readFileSync } from 'node:fs';

export async function instantiateRaw(wasmPath) {
  const module = await WebAssembly.compile(readFileSync(wasmPath));
  let instance;
  const mem = () => instance.exports.memory;
  const wasi = {
    clock_time_get(_id, _prec, out) {
      new DataView(mem().buffer).setBigUint64(out, BigInt(Math.round(performance.now() * 1e6)), true);
      return 0;
    },
    fd_write(_fd, iovs, n, nw) {
      const dv = new DataView(mem().buffer);
      let total = 0;
      for (let i = 0; i < n; i++) total += dv.getUint32(iovs + 8 * i + 4, true);
      dv.setUint32(nw, total, true);
      return 0;
    },
    proc_exit(code) { throw new Error(`wasm exited with ${code}`); },
  };
  const env = { tt_js_progress: () => 0, emscripten_notify_memory_growth: () => {} };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const table = imp.module === 'env' ? env : wasi;
    (imports[imp.module] ||= {})[imp.name] = table[imp.name] || (() => 52 /* ENOSYS */);
  }
  instance = await WebAssembly.instantiate(module, imports);
  if (instance.exports._initialize) instance.exports._initialize();
  return instance.exports;
}

/** Copies bytes into wasm memory (malloc); returns the pointer. */
export function copyIn(ex, bytes) {
  const p = ex.malloc(Math.max(1, bytes.length));
  if (!p) throw new Error(`wasm: out of memory (${bytes.length} bytes)`);
  new Uint8Array(ex.memory.buffer).set(bytes, p);
  return p;
}

export function cstr(ex, ptr) {
  const m = new Uint8Array(ex.memory.buffer);
  let e = ptr;
  while (m[e]) e++;
  return new TextDecoder().decode(m.subarray(ptr, e));
}
