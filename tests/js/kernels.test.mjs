// kernels.test.mjs — the wasm SIMD int8 matmul (wasm/dist/telltale.wasm, exported as tt_matmul_i8)
// against the scalar reference compiled into the same module (tt_matmul_i8_ref), bit for bit, on
// shapes around the kernel's widths and blocks: in % 8 (scalar tail), odd T (single-token tail),
// out % 4 and out > 64 (row blocks), in > 1024 (activations extended on the fly), extreme values.
// tests/c/test_kernels.c does the same for the native kernels; the wasm ones only run here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instantiateRaw } from '../../bench/wasm_raw.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHAPES = [[1, 1, 1], [3, 7, 5], [5, 17, 9], [7, 100, 67], [2, 1030, 13], [9, 1029, 70], [33, 192, 130],
  [4, 8, 4], [6, 9, 131], [128, 192, 64], [17, 768, 65], [2, 1024, 4], [3, 1025, 8]];

for (const file of ['telltale.wasm', 'telltale-nosimd.wasm']) {
  const path = join(root, 'wasm', 'dist', file);
  test(`${file}: tt_matmul_i8 equals tt_matmul_i8_ref bit for bit`, { skip: existsSync(path) ? false : `${path} is not built` }, async () => {
    const ex = await instantiateRaw(path);
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % 255 - 127;
    for (const [k, [T, inn, out]] of SHAPES.entries()) {
      const xq = ex.malloc(T * inn), w = ex.malloc(out * inn), xs = ex.malloc(4 * T), ws = ex.malloc(4 * out);
      const b = ex.malloc(4 * out), y0 = ex.malloc(4 * T * out), y1 = ex.malloc(4 * T * out);
      const i8 = new Int8Array(ex.memory.buffer);
      for (let i = 0; i < T * inn; i++) i8[xq + i] = k === 0 ? 127 : rnd();
      for (let i = 0; i < out * inn; i++) i8[w + i] = k === 0 ? -127 : rnd();
      const f = new Float32Array(ex.memory.buffer);
      for (let i = 0; i < T; i++) f[xs / 4 + i] = 0.01 + i * 1e-3;
      for (let i = 0; i < out; i++) { f[ws / 4 + i] = 0.02 + i * 1e-4; f[b / 4 + i] = (i % 7) * 0.1 - 0.3; }
      const bias = k % 2 ? 0 : b; // NULL bias on every other shape
      ex.tt_matmul_i8_ref(y0, xq, xs, w, ws, bias, T, inn, out);
      new Uint8Array(ex.memory.buffer, y1, 4 * T * out).fill(0xff);
      ex.tt_matmul_i8(y1, xq, xs, w, ws, bias, T, inn, out);
      const u = new Uint32Array(ex.memory.buffer);
      for (let i = 0; i < T * out; i++) {
        if (u[y0 / 4 + i] !== u[y1 / 4 + i]) assert.fail(`T=${T} in=${inn} out=${out}: output ${i} differs`);
      }
      for (const p of [xq, w, xs, ws, b, y0, y1]) ex.free(p);
    }
  });
}
