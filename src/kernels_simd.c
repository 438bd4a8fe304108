/* kernels_simd.c — SIMD int8 × int8 → int32 matmul kernels (same contract as tt_matmul_i8_ref):
 *   y[t][o] = (ws[o]·xs[t]) · Σ_i w[o][i]·xq[t][i] + bias[o]
 *   y: [T, out], xq: [T, in], xs: [T], w: [out, in], ws: [out], bias: [out] or NULL.
 *
 * Both kernels sign-extend int8 to int16 and use a pairwise multiply-add into int32 lanes
 * (|product| ≤ 16129, a pair ≤ 32258: no saturation), so the int32 sums are exact and equal to the
 * scalar reference; the float epilogue is the shared tt_i8_epilogue, so outputs are bit-identical.
 * Blocking: 4 output rows × 2 tokens per pass (weights loaded once for two tokens, activations once
 * for four rows); rows are the outer loop so a block of weights stays in L1 while tokens stream.
 * Tails (odd T, out % 4, in % 16 or in % 8) fall back to plain loops with the same arithmetic.
 *
 * Built only when SIMD is enabled (TT_NO_SIMD not defined): wasm simd128 under __wasm_simd128__,
 * AVX2 on x86-64 selected at run time with __builtin_cpu_supports. Otherwise tt_simd_matmul_i8
 * returns NULL and tt_matmul_i8 uses the scalar reference. */
#include <stddef.h>
#include <stdint.h>

#include "kernels_simd.h"

/* Scalar dot product of the i in [i0, in) tail, shared by both kernels. */
static inline int32_t dot_tail(const int8_t *w, const int8_t *x, int i0, int in) {
    int32_t acc = 0;
    for (int i = i0; i < in; i++) acc += (int32_t)w[i] * (int32_t)x[i];
    return acc;
}

#if !defined(TT_NO_SIMD) && defined(__wasm_simd128__)
#include <wasm_simd128.h>

static inline int32_t hsum_i32x4(v128_t v) {
    return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) +
           wasm_i32x4_extract_lane(v, 2) + wasm_i32x4_extract_lane(v, 3);
}

/* One token × one row: Σ_i w[i]·x[i]. */
static inline int32_t dot1_wasm(const int8_t *w, const int8_t *x, int in) {
    v128_t acc = wasm_i32x4_splat(0);
    int i = 0;
    for (; i + 8 <= in; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w + i), wasm_i16x8_load8x8(x + i)));
    return hsum_i32x4(acc) + dot_tail(w, x, i, in);
}

static void matmul_i8_wasm(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                           const float *ws, const float *bias, int T, int in, int out) {
    int o = 0;
    for (; o + 4 <= out; o += 4) {
        const int8_t *w0 = w + (size_t)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        int t = 0;
        for (; t + 2 <= T; t += 2) {
            const int8_t *xa = xq + (size_t)t * in, *xb = xa + in;
            v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
            v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int i = 0;
            for (; i + 8 <= in; i += 8) {
                v128_t x0 = wasm_i16x8_load8x8(xa + i), x1 = wasm_i16x8_load8x8(xb + i);
                v128_t v0 = wasm_i16x8_load8x8(w0 + i), v1 = wasm_i16x8_load8x8(w1 + i);
                v128_t v2 = wasm_i16x8_load8x8(w2 + i), v3 = wasm_i16x8_load8x8(w3 + i);
                a0 = wasm_i32x4_add(a0, wasm_i32x4_dot_i16x8(v0, x0));
                a1 = wasm_i32x4_add(a1, wasm_i32x4_dot_i16x8(v1, x0));
                a2 = wasm_i32x4_add(a2, wasm_i32x4_dot_i16x8(v2, x0));
                a3 = wasm_i32x4_add(a3, wasm_i32x4_dot_i16x8(v3, x0));
                b0 = wasm_i32x4_add(b0, wasm_i32x4_dot_i16x8(v0, x1));
                b1 = wasm_i32x4_add(b1, wasm_i32x4_dot_i16x8(v1, x1));
                b2 = wasm_i32x4_add(b2, wasm_i32x4_dot_i16x8(v2, x1));
                b3 = wasm_i32x4_add(b3, wasm_i32x4_dot_i16x8(v3, x1));
            }
            float *ya = y + (size_t)t * out + o, *yb = ya + out;
            const float *bb = bias ? bias + o : NULL;
            ya[0] = tt_i8_epilogue(hsum_i32x4(a0) + dot_tail(w0, xa, i, in), ws[o + 0], xs[t], bb ? bb[0] : 0.0f);
            ya[1] = tt_i8_epilogue(hsum_i32x4(a1) + dot_tail(w1, xa, i, in), ws[o + 1], xs[t], bb ? bb[1] : 0.0f);
            ya[2] = tt_i8_epilogue(hsum_i32x4(a2) + dot_tail(w2, xa, i, in), ws[o + 2], xs[t], bb ? bb[2] : 0.0f);
            ya[3] = tt_i8_epilogue(hsum_i32x4(a3) + dot_tail(w3, xa, i, in), ws[o + 3], xs[t], bb ? bb[3] : 0.0f);
            yb[0] = tt_i8_epilogue(hsum_i32x4(b0) + dot_tail(w0, xb, i, in), ws[o + 0], xs[t + 1], bb ? bb[0] : 0.0f);
            yb[1] = tt_i8_epilogue(hsum_i32x4(b1) + dot_tail(w1, xb, i, in), ws[o + 1], xs[t + 1], bb ? bb[1] : 0.0f);
            yb[2] = tt_i8_epilogue(hsum_i32x4(b2) + dot_tail(w2, xb, i, in), ws[o + 2], xs[t + 1], bb ? bb[2] : 0.0f);
            yb[3] = tt_i8_epilogue(hsum_i32x4(b3) + dot_tail(w3, xb, i, in), ws[o + 3], xs[t + 1], bb ? bb[3] : 0.0f);
        }
        for (; t < T; t++) {
            const int8_t *xa = xq + (size_t)t * in;
            for (int k = 0; k < 4; k++)
                y[(size_t)t * out + o + k] = tt_i8_epilogue(dot1_wasm(w0 + (size_t)k * in, xa, in), ws[o + k], xs[t],
                                                            bias ? bias[o + k] : 0.0f);
        }
    }
    for (; o < out; o++) {
        const int8_t *wr = w + (size_t)o * in;
        for (int t = 0; t < T; t++)
            y[(size_t)t * out + o] = tt_i8_epilogue(dot1_wasm(wr, xq + (size_t)t * in, in), ws[o], xs[t],
                                                    bias ? bias[o] : 0.0f);
    }
}

tt_matmul_fn tt_simd_matmul_i8(const char **name) {
    if (name) *name = "wasm-simd128";
    return matmul_i8_wasm;
}

#elif !defined(TT_NO_SIMD) && (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TT_AVX2 __attribute__((target("avx2")))

TT_AVX2 static inline int32_t hsum_i32x8(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E)); /* swap 64-bit halves */
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1)); /* swap 32-bit pairs */
    return _mm_cvtsi128_si32(s);
}

/* 16 int8 at p, sign-extended to 16 int16. */
TT_AVX2 static inline __m256i load16_i8_as_i16(const int8_t *p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* One token × one row: Σ_i w[i]·x[i]. */
TT_AVX2 static inline int32_t dot1_avx2(const int8_t *w, const int8_t *x, int in) {
    __m256i acc = _mm256_setzero_si256();
    int i = 0;
    for (; i + 16 <= in; i += 16)
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(load16_i8_as_i16(w + i), load16_i8_as_i16(x + i)));
    return hsum_i32x8(acc) + dot_tail(w, x, i, in);
}

TT_AVX2 static void matmul_i8_avx2(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                                   const float *ws, const float *bias, int T, int in, int out) {
    int o = 0;
    for (; o + 4 <= out; o += 4) {
        const int8_t *w0 = w + (size_t)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        int t = 0;
        for (; t + 2 <= T; t += 2) {
            const int8_t *xa = xq + (size_t)t * in, *xb = xa + in;
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            __m256i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int i = 0;
            for (; i + 16 <= in; i += 16) {
                __m256i x0 = load16_i8_as_i16(xa + i), x1 = load16_i8_as_i16(xb + i);
                __m256i v0 = load16_i8_as_i16(w0 + i), v1 = load16_i8_as_i16(w1 + i);
                __m256i v2 = load16_i8_as_i16(w2 + i), v3 = load16_i8_as_i16(w3 + i);
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(v0, x0));
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(v1, x0));
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(v2, x0));
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(v3, x0));
                b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(v0, x1));
                b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(v1, x1));
                b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(v2, x1));
                b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(v3, x1));
            }
            float *ya = y + (size_t)t * out + o, *yb = ya + out;
            const float *bb = bias ? bias + o : NULL;
            ya[0] = tt_i8_epilogue(hsum_i32x8(a0) + dot_tail(w0, xa, i, in), ws[o + 0], xs[t], bb ? bb[0] : 0.0f);
            ya[1] = tt_i8_epilogue(hsum_i32x8(a1) + dot_tail(w1, xa, i, in), ws[o + 1], xs[t], bb ? bb[1] : 0.0f);
            ya[2] = tt_i8_epilogue(hsum_i32x8(a2) + dot_tail(w2, xa, i, in), ws[o + 2], xs[t], bb ? bb[2] : 0.0f);
            ya[3] = tt_i8_epilogue(hsum_i32x8(a3) + dot_tail(w3, xa, i, in), ws[o + 3], xs[t], bb ? bb[3] : 0.0f);
            yb[0] = tt_i8_epilogue(hsum_i32x8(b0) + dot_tail(w0, xb, i, in), ws[o + 0], xs[t + 1], bb ? bb[0] : 0.0f);
            yb[1] = tt_i8_epilogue(hsum_i32x8(b1) + dot_tail(w1, xb, i, in), ws[o + 1], xs[t + 1], bb ? bb[1] : 0.0f);
            yb[2] = tt_i8_epilogue(hsum_i32x8(b2) + dot_tail(w2, xb, i, in), ws[o + 2], xs[t + 1], bb ? bb[2] : 0.0f);
            yb[3] = tt_i8_epilogue(hsum_i32x8(b3) + dot_tail(w3, xb, i, in), ws[o + 3], xs[t + 1], bb ? bb[3] : 0.0f);
        }
        for (; t < T; t++) {
            const int8_t *xa = xq + (size_t)t * in;
            for (int k = 0; k < 4; k++)
                y[(size_t)t * out + o + k] = tt_i8_epilogue(dot1_avx2(w0 + (size_t)k * in, xa, in), ws[o + k], xs[t],
                                                            bias ? bias[o + k] : 0.0f);
        }
    }
    for (; o < out; o++) {
        const int8_t *wr = w + (size_t)o * in;
        for (int t = 0; t < T; t++)
            y[(size_t)t * out + o] = tt_i8_epilogue(dot1_avx2(wr, xq + (size_t)t * in, in), ws[o], xs[t],
                                                    bias ? bias[o] : 0.0f);
    }
}

tt_matmul_fn tt_simd_matmul_i8(const char **name) {
    if (!__builtin_cpu_supports("avx2")) return NULL;
    if (name) *name = "x86-avx2";
    return matmul_i8_avx2;
}

#else

tt_matmul_fn tt_simd_matmul_i8(const char **name) {
    (void)name;
    (void)dot_tail;
    return NULL;
}

#endif
