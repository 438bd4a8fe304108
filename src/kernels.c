/* kernels.c — scalar reference kernels (int8 quantization and int8 × int8 matmul) and the dispatcher
 * that picks the fastest kernel available at run time (kernels_simd.c).
 *
 * Exactness: every kernel accumulates Σ w·xq in int32 (|w|,|xq| ≤ 127, so one term ≤ 16129 and
 * `in` up to 2^17 terms cannot overflow), then applies the same float epilogue in the same order:
 *     y = (float)acc * (ws[o] * xs[t]) + bias[o]
 * so the SIMD kernels give results bit-identical to tt_matmul_i8_ref. */
#include <math.h>

#include "engine.h"
#include "kernels_simd.h"

/* x: [rows, cols] float → xq: [rows, cols] int8, xs: [rows] with x ≈ xs·xq.
 * xs = max|x| / 127 (1 for an all-zero row, whose xq are all 0 — the same convention as
 * train/ttm.py's quantize_rows); xq = round-half-even(x / xs) clamped to [-127, 127].
 * Non-finite inputs (only possible from a model file with non-finite weights) never cause undefined
 * behaviour: NaN quotients become 0. */
void tt_quantize_rows_ref(const float *x, int rows, int cols, int8_t *xq, float *xs) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        int8_t *qr = xq + (size_t)r * cols;
        float amax = 0.0f;
        for (int c = 0; c < cols; c++) {
            float a = fabsf(xr[c]);
            if (a > amax) amax = a;
        }
        float s = amax > 0.0f ? amax / 127.0f : 1.0f;
        xs[r] = s;
        for (int c = 0; c < cols; c++) {
            float v = xr[c] / s;
            if (v != v) v = 0.0f; /* NaN (from a NaN or ±inf input): 0, never an undefined conversion */
            if (v > 127.0f) v = 127.0f;
            if (v < -127.0f) v = -127.0f;
            /* round half to even, as nearbyintf in the default rounding mode: for |v| < 2^22, adding
             * and subtracting 1.5·2^23 leaves v rounded to an integer (no libm call in the hot loop) */
            v = (v + 12582912.0f) - 12582912.0f;
            qr[c] = (int8_t)v;
        }
    }
}

void tt_quantize_rows(const float *x, int rows, int cols, int8_t *xq, float *xs) {
    tt_quantize_fn f = tt_simd_quantize_rows();
    if (f) f(x, rows, cols, xq, xs);
    else tt_quantize_rows_ref(x, rows, cols, xq, xs);
}

/* Reference: y[t][o] = (ws[o]·xs[t]) · Σ_i w[o][i]·xq[t][i] + bias[o]
 *   y: [T, out], xq: [T, in], xs: [T], w: [out, in], ws: [out], bias: [out] or NULL. */
void tt_matmul_i8_ref(float *y, const int8_t *xq, const float *xs, const int8_t *w, const float *ws,
                      const float *bias, int T, int in, int out) {
    for (int t = 0; t < T; t++) {
        const int8_t *xr = xq + (size_t)t * in;
        float *yr = y + (size_t)t * out;
        for (int o = 0; o < out; o++) {
            const int8_t *wr = w + (size_t)o * in;
            int32_t acc = 0;
            for (int i = 0; i < in; i++) acc += (int32_t)wr[i] * (int32_t)xr[i];
            yr[o] = tt_i8_epilogue(acc, ws[o], xs[t], bias ? bias[o] : 0.0f);
        }
    }
}

void tt_matmul_i8(float *y, const int8_t *xq, const float *xs, const int8_t *w, const float *ws,
                  const float *bias, int T, int in, int out) {
    tt_matmul_fn f = tt_simd_matmul_i8(NULL);
    if (f) f(y, xq, xs, w, ws, bias, T, in, out);
    else tt_matmul_i8_ref(y, xq, xs, w, ws, bias, T, in, out);
}

const char *tt_kernel_name(void) {
    const char *name = "scalar";
    if (tt_simd_matmul_i8(&name)) return name;
    return "scalar";
}
