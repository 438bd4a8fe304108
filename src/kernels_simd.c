/* kernels_simd.c — SIMD int8 × int8 → int32 matmul kernels (same contract as tt_matmul_i8_ref):
 *   y[t][o] = (ws[o]·xs[t]) · Σ_i w[o][i]·xq[t][i] + bias[o]
 *   y: [T, out], xq: [T, in], xs: [T], w: [out, in], ws: [out], bias: [out] or NULL.
 *
 * Both kernels sign-extend int8 to int16 and use a pairwise multiply-add into int32 lanes
 * (|product| ≤ 16129, a pair ≤ 32258: no saturation), so the int32 sums are exact and equal to the
 * scalar reference; the float epilogue is the shared tt_i8_epilogue, so outputs are bit-identical.
 * Blocking: blocks of TT_ROW_BLOCK output rows (their weights, ≤ 48 KiB for in ≤ 768, stay in L1/L2)
 * are the outer loop; inside a block, pairs of tokens, and for each pair 4 rows at a time (weights
 * loaded once for two tokens, activations once for four rows). Writing y a whole row segment at a
 * time matters for the LM head (out = V): one output row is 32 KiB away from the next, and writing
 * 4 floats into each of T rows in turn (rows outer, tokens inner) keeps T lines of the same L1 set
 * live at once. The 4 rows' int32 sums are reduced into one vector and the epilogue runs on 4 lanes
 * (the same IEEE operations in the same order as tt_i8_epilogue, so still bit-identical).
 * Tails (odd T, out % 4, in % 8/16/32) fall back to plain loops with the same arithmetic.
 *
 * x86 with AVX-VNNI: vpdpbusd multiplies unsigned by signed bytes, so activations are offset to
 * u8 = xq + 128 (an XOR with 0x80) and 128·Σ_i w[o][i] is subtracted from each sum; the int32
 * arithmetic wraps, and because the true sum fits in int32 the wrapped result is exact.
 *
 * Built only when SIMD is enabled (TT_NO_SIMD not defined): wasm simd128 under __wasm_simd128__,
 * AVX-VNNI or AVX2 on x86-64 selected at run time with __builtin_cpu_supports. Otherwise
 * tt_simd_matmul_i8 returns NULL and tt_matmul_i8 uses the scalar reference. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels_simd.h"

#define TT_ROW_BLOCK 64 /* output rows per block */

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

/* [Σ a0, Σ a1, Σ a2, Σ a3]: the four accumulators' lane sums in one vector (integer: exact). */
static inline v128_t reduce4_wasm(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
    v128_t s01 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
    v128_t s23 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
    return wasm_i32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5), wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
}

/* y[0..4) = tt_i8_epilogue(acc[k], ws[k], xs, bias[k]) on 4 lanes (same operations, same order). */
static inline void epilogue4_wasm(float *y, v128_t acc, const float *ws, float xs, const float *bias) {
    v128_t scale = wasm_f32x4_mul(wasm_v128_load(ws), wasm_f32x4_splat(xs));
    v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale);
    v = wasm_f32x4_add(v, bias ? wasm_v128_load(bias) : wasm_f32x4_splat(0.0f));
    wasm_v128_store(y, v);
}

/* One token × one row: Σ_i w[i]·x[i]. */
static inline int32_t dot1_wasm(const int8_t *w, const int8_t *x, int in) {
    v128_t acc = wasm_i32x4_splat(0);
    int i = 0;
    for (; i + 8 <= in; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(w + i), wasm_i16x8_load8x8(x + i)));
    return hsum_i32x4(acc) + dot_tail(w, x, i, in);
}

/* The pair of tokens' activations is sign-extended to int16 once per pair and block (xw, on the
 * stack, for in ≤ TT_WIDEN_MAX_IN) instead of once per 4 rows: plain loads in the inner loop, 10 %
 * faster; longer rows extend on the fly. */
#define TT_WIDEN_MAX_IN 1024
static void matmul_i8_wasm(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                           const float *ws, const float *bias, int T, int in, int out) {
    int16_t xw[2][TT_WIDEN_MAX_IN] __attribute__((aligned(16)));
    const int widen = in <= TT_WIDEN_MAX_IN;
    for (int ob = 0; ob < out; ob += TT_ROW_BLOCK) {
        int oe = ob + TT_ROW_BLOCK < out ? ob + TT_ROW_BLOCK : out;
        int t = 0;
        for (; t + 2 <= T; t += 2) {
            const int8_t *xa = xq + (size_t)t * in, *xb = xa + in;
            float *ya = y + (size_t)t * out, *yb = ya + out;
            if (widen)
                for (int i = 0; i + 8 <= in; i += 8) {
                    wasm_v128_store(xw[0] + i, wasm_i16x8_load8x8(xa + i));
                    wasm_v128_store(xw[1] + i, wasm_i16x8_load8x8(xb + i));
                }
            int o = ob;
            for (; o + 4 <= oe; o += 4) {
                const int8_t *w0 = w + (size_t)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
                v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
                v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                int i = 0;
                for (; i + 8 <= in; i += 8) {
                    v128_t x0 = widen ? wasm_v128_load(xw[0] + i) : wasm_i16x8_load8x8(xa + i);
                    v128_t x1 = widen ? wasm_v128_load(xw[1] + i) : wasm_i16x8_load8x8(xb + i);
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
                v128_t sa = reduce4_wasm(a0, a1, a2, a3), sb = reduce4_wasm(b0, b1, b2, b3);
                if (i < in) {
                    sa = wasm_i32x4_add(sa, wasm_i32x4_make(dot_tail(w0, xa, i, in), dot_tail(w1, xa, i, in),
                                                            dot_tail(w2, xa, i, in), dot_tail(w3, xa, i, in)));
                    sb = wasm_i32x4_add(sb, wasm_i32x4_make(dot_tail(w0, xb, i, in), dot_tail(w1, xb, i, in),
                                                            dot_tail(w2, xb, i, in), dot_tail(w3, xb, i, in)));
                }
                epilogue4_wasm(ya + o, sa, ws + o, xs[t], bias ? bias + o : NULL);
                epilogue4_wasm(yb + o, sb, ws + o, xs[t + 1], bias ? bias + o : NULL);
            }
            for (; o < oe; o++) {
                const int8_t *wr = w + (size_t)o * in;
                ya[o] = tt_i8_epilogue(dot1_wasm(wr, xa, in), ws[o], xs[t], bias ? bias[o] : 0.0f);
                yb[o] = tt_i8_epilogue(dot1_wasm(wr, xb, in), ws[o], xs[t + 1], bias ? bias[o] : 0.0f);
            }
        }
        for (; t < T; t++)
            for (int o = ob; o < oe; o++)
                y[(size_t)t * out + o] = tt_i8_epilogue(dot1_wasm(w + (size_t)o * in, xq + (size_t)t * in, in), ws[o],
                                                        xs[t], bias ? bias[o] : 0.0f);
    }
}

/* tt_quantize_rows_ref with 4 lanes: the same IEEE operations per element. pmax/pmin are
 * `a < b ? b : a` / `b < a ? b : a`, i.e. the reference's comparisons (a NaN |x| never wins the max). */
static void quantize_rows_wasm(const float *x, int rows, int cols, int8_t *xq, float *xs) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        int8_t *qr = xq + (size_t)r * cols;
        v128_t m = wasm_f32x4_splat(0.0f);
        int c = 0;
        for (; c + 4 <= cols; c += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(xr + c)));
        float amax = 0.0f;
        for (int k = 0; k < 4; k++) {
            float a = wasm_f32x4_extract_lane(m, 0);
            m = wasm_i32x4_shuffle(m, m, 1, 2, 3, 0);
            if (a > amax) amax = a;
        }
        for (; c < cols; c++) {
            float a = fabsf(xr[c]);
            if (a > amax) amax = a;
        }
        float s = amax > 0.0f ? amax / 127.0f : 1.0f;
        xs[r] = s;
        const v128_t vs = wasm_f32x4_splat(s), hi = wasm_f32x4_splat(127.0f), lo = wasm_f32x4_splat(-127.0f);
        const v128_t magic = wasm_f32x4_splat(12582912.0f);
        c = 0;
        for (; c + 16 <= cols; c += 16) {
            v128_t q[4];
            for (int k = 0; k < 4; k++) {
                v128_t v = wasm_f32x4_div(wasm_v128_load(xr + c + 4 * k), vs);
                v = wasm_v128_and(v, wasm_f32x4_eq(v, v));      /* NaN → 0 */
                v = wasm_f32x4_pmin(v, hi);                       /* v > 127 ? 127 : v */
                v = wasm_f32x4_pmax(v, lo);                       /* v < -127 ? -127 : v */
                v = wasm_f32x4_sub(wasm_f32x4_add(v, magic), magic); /* round half to even */
                q[k] = wasm_i32x4_trunc_sat_f32x4(v);
            }
            v128_t h0 = wasm_i16x8_narrow_i32x4(q[0], q[1]), h1 = wasm_i16x8_narrow_i32x4(q[2], q[3]);
            wasm_v128_store(qr + c, wasm_i8x16_narrow_i16x8(h0, h1));
        }
        for (; c < cols; c++) {
            float v = xr[c] / s;
            if (v != v) v = 0.0f;
            if (v > 127.0f) v = 127.0f;
            if (v < -127.0f) v = -127.0f;
            v = (v + 12582912.0f) - 12582912.0f;
            qr[c] = (int8_t)v;
        }
    }
}

tt_quantize_fn tt_simd_quantize_rows(void) { return quantize_rows_wasm; }

tt_matmul_fn tt_simd_matmul_i8(const char **name) {
    if (name) *name = "wasm-simd128";
    return matmul_i8_wasm;
}

int tt_simd_kernels(tt_matmul_fn *fns, const char **names, int cap) {
    if (cap < 1) return 0;
    fns[0] = matmul_i8_wasm;
    names[0] = "wasm-simd128";
    return 1;
}

#elif !defined(TT_NO_SIMD) && (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define TT_AVX2 __attribute__((target("avx2")))
#define TT_VNNI __attribute__((target("avx2,avxvnni")))

TT_AVX2 static inline int32_t hsum_i32x8(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E)); /* swap 64-bit halves */
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1)); /* swap 32-bit pairs */
    return _mm_cvtsi128_si32(s);
}

/* [Σ a0, Σ a1, Σ a2, Σ a3]: the four accumulators' lane sums in one vector (integer: exact). */
TT_AVX2 static inline __m128i reduce4_avx2(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
    __m128i r0 = _mm_add_epi32(_mm256_castsi256_si128(a0), _mm256_extracti128_si256(a0, 1));
    __m128i r1 = _mm_add_epi32(_mm256_castsi256_si128(a1), _mm256_extracti128_si256(a1, 1));
    __m128i r2 = _mm_add_epi32(_mm256_castsi256_si128(a2), _mm256_extracti128_si256(a2, 1));
    __m128i r3 = _mm_add_epi32(_mm256_castsi256_si128(a3), _mm256_extracti128_si256(a3, 1));
    return _mm_hadd_epi32(_mm_hadd_epi32(r0, r1), _mm_hadd_epi32(r2, r3));
}

/* y[0..4) = tt_i8_epilogue(acc[k], ws[k], xs, bias[k]) on 4 lanes (same operations, same order). */
TT_AVX2 static inline void epilogue4_x86(float *y, __m128i acc, const float *ws, float xs, const float *bias) {
    __m128 scale = _mm_mul_ps(_mm_loadu_ps(ws), _mm_set1_ps(xs));
    __m128 v = _mm_mul_ps(_mm_cvtepi32_ps(acc), scale);
    v = _mm_add_ps(v, bias ? _mm_loadu_ps(bias) : _mm_setzero_ps());
    _mm_storeu_ps(y, v);
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
    for (int ob = 0; ob < out; ob += TT_ROW_BLOCK) {
        int oe = ob + TT_ROW_BLOCK < out ? ob + TT_ROW_BLOCK : out;
        int t = 0;
        for (; t + 2 <= T; t += 2) {
            const int8_t *xa = xq + (size_t)t * in, *xb = xa + in;
            float *ya = y + (size_t)t * out, *yb = ya + out;
            int o = ob;
            for (; o + 4 <= oe; o += 4) {
                const int8_t *w0 = w + (size_t)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
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
                __m128i sa = reduce4_avx2(a0, a1, a2, a3), sb = reduce4_avx2(b0, b1, b2, b3);
                if (i < in) {
                    sa = _mm_add_epi32(sa, _mm_setr_epi32(dot_tail(w0, xa, i, in), dot_tail(w1, xa, i, in),
                                                          dot_tail(w2, xa, i, in), dot_tail(w3, xa, i, in)));
                    sb = _mm_add_epi32(sb, _mm_setr_epi32(dot_tail(w0, xb, i, in), dot_tail(w1, xb, i, in),
                                                          dot_tail(w2, xb, i, in), dot_tail(w3, xb, i, in)));
                }
                epilogue4_x86(ya + o, sa, ws + o, xs[t], bias ? bias + o : NULL);
                epilogue4_x86(yb + o, sb, ws + o, xs[t + 1], bias ? bias + o : NULL);
            }
            for (; o < oe; o++) {
                const int8_t *wr = w + (size_t)o * in;
                ya[o] = tt_i8_epilogue(dot1_avx2(wr, xa, in), ws[o], xs[t], bias ? bias[o] : 0.0f);
                yb[o] = tt_i8_epilogue(dot1_avx2(wr, xb, in), ws[o], xs[t + 1], bias ? bias[o] : 0.0f);
            }
        }
        for (; t < T; t++)
            for (int o = ob; o < oe; o++)
                y[(size_t)t * out + o] = tt_i8_epilogue(dot1_avx2(w + (size_t)o * in, xq + (size_t)t * in, in), ws[o],
                                                        xs[t], bias ? bias[o] : 0.0f);
    }
}

/* AVX-VNNI: Σ_i (xq[i] + 128)·w[i] over i < in32 (multiples of 32) with vpdpbusd, minus
 * 128·Σ_i w[i] (corr, per row, over the same range), plus the scalar tail over [in32, in). */
TT_VNNI static inline __m256i dpbusd(__m256i acc, __m256i u8, __m256i s8) {
    return _mm256_dpbusd_avx_epi32(acc, u8, s8);
}

TT_VNNI static inline __m256i load32_u8(const int8_t *p) { /* xq + 128 as unsigned bytes */
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)p), _mm256_set1_epi8((char)0x80));
}

TT_VNNI static inline int32_t dot1_vnni(const int8_t *w, const int8_t *x, int in32, int in, int32_t corr) {
    __m256i acc = _mm256_setzero_si256();
    for (int i = 0; i < in32; i += 32)
        acc = dpbusd(acc, load32_u8(x + i), _mm256_loadu_si256((const __m256i *)(const void *)(w + i)));
    return (int32_t)((uint32_t)hsum_i32x8(acc) - (uint32_t)corr) + dot_tail(w, x, in32, in);
}

/* rows [o_first, out) only (the packed kernel's leftover rows); matmul_i8_vnni is o_first = 0 */
TT_VNNI static void matmul_i8_vnni_rows(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                                        const float *ws, const float *bias, int T, int in, int out, int o_first) {
    int in32 = in & ~31;
    int32_t corr[TT_ROW_BLOCK]; /* 128·Σ_{i<in32} w[o][i] for the block's rows (fits: ≤ 128·127·in) */
    const __m256i ones = _mm256_set1_epi8(1);
    for (int ob = o_first; ob < out; ob += TT_ROW_BLOCK) {
        int oe = ob + TT_ROW_BLOCK < out ? ob + TT_ROW_BLOCK : out;
        for (int o = ob; o < oe; o++) {
            __m256i acc = _mm256_setzero_si256();
            for (int i = 0; i < in32; i += 32)
                acc = dpbusd(acc, ones, _mm256_loadu_si256((const __m256i *)(const void *)(w + (size_t)o * in + i)));
            corr[o - ob] = (int32_t)((uint32_t)hsum_i32x8(acc) << 7);
        }
        int t = 0;
        for (; t + 2 <= T; t += 2) {
            const int8_t *xa = xq + (size_t)t * in, *xb = xa + in;
            float *ya = y + (size_t)t * out, *yb = ya + out;
            int o = ob;
            for (; o + 4 <= oe; o += 4) {
                const int8_t *w0 = w + (size_t)o * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
                __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
                __m256i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int i = 0; i < in32; i += 32) {
                    __m256i x0 = load32_u8(xa + i), x1 = load32_u8(xb + i);
                    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(w0 + i));
                    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(w1 + i));
                    __m256i v2 = _mm256_loadu_si256((const __m256i *)(const void *)(w2 + i));
                    __m256i v3 = _mm256_loadu_si256((const __m256i *)(const void *)(w3 + i));
                    a0 = dpbusd(a0, x0, v0);
                    a1 = dpbusd(a1, x0, v1);
                    a2 = dpbusd(a2, x0, v2);
                    a3 = dpbusd(a3, x0, v3);
                    b0 = dpbusd(b0, x1, v0);
                    b1 = dpbusd(b1, x1, v1);
                    b2 = dpbusd(b2, x1, v2);
                    b3 = dpbusd(b3, x1, v3);
                }
                __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(corr + (o - ob)));
                __m128i sa = _mm_sub_epi32(reduce4_avx2(a0, a1, a2, a3), c);
                __m128i sb = _mm_sub_epi32(reduce4_avx2(b0, b1, b2, b3), c);
                if (in32 < in) {
                    sa = _mm_add_epi32(sa, _mm_setr_epi32(dot_tail(w0, xa, in32, in), dot_tail(w1, xa, in32, in),
                                                          dot_tail(w2, xa, in32, in), dot_tail(w3, xa, in32, in)));
                    sb = _mm_add_epi32(sb, _mm_setr_epi32(dot_tail(w0, xb, in32, in), dot_tail(w1, xb, in32, in),
                                                          dot_tail(w2, xb, in32, in), dot_tail(w3, xb, in32, in)));
                }
                epilogue4_x86(ya + o, sa, ws + o, xs[t], bias ? bias + o : NULL);
                epilogue4_x86(yb + o, sb, ws + o, xs[t + 1], bias ? bias + o : NULL);
            }
            for (; o < oe; o++) {
                const int8_t *wr = w + (size_t)o * in;
                ya[o] = tt_i8_epilogue(dot1_vnni(wr, xa, in32, in, corr[o - ob]), ws[o], xs[t], bias ? bias[o] : 0.0f);
                yb[o] = tt_i8_epilogue(dot1_vnni(wr, xb, in32, in, corr[o - ob]), ws[o], xs[t + 1], bias ? bias[o] : 0.0f);
            }
        }
        for (; t < T; t++)
            for (int o = ob; o < oe; o++)
                y[(size_t)t * out + o] = tt_i8_epilogue(dot1_vnni(w + (size_t)o * in, xq + (size_t)t * in, in32, in,
                                                                  corr[o - ob]),
                                                        ws[o], xs[t], bias ? bias[o] : 0.0f);
    }
}

/* tt_quantize_rows_ref with SSE2 (x86-64 baseline): the same IEEE operations per element.
 * maxps/minps return their second operand unless the first compares greater/less, i.e. the
 * reference's comparisons (a NaN |x| never wins the max; NaN quotients are zeroed first). */
static void quantize_rows_sse2(const float *x, int rows, int cols, int8_t *xq, float *xs) {
    const __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7FFFFFFF));
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        int8_t *qr = xq + (size_t)r * cols;
        __m128 m = _mm_setzero_ps();
        int c = 0;
        for (; c + 4 <= cols; c += 4) m = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(xr + c), absmask), m);
        float lanes[4], amax = 0.0f;
        _mm_storeu_ps(lanes, m);
        for (int k = 0; k < 4; k++)
            if (lanes[k] > amax) amax = lanes[k];
        for (; c < cols; c++) {
            float a = fabsf(xr[c]);
            if (a > amax) amax = a;
        }
        float s = amax > 0.0f ? amax / 127.0f : 1.0f;
        xs[r] = s;
        const __m128 vs = _mm_set1_ps(s), hi = _mm_set1_ps(127.0f), lo = _mm_set1_ps(-127.0f);
        const __m128 magic = _mm_set1_ps(12582912.0f);
        c = 0;
        for (; c + 16 <= cols; c += 16) {
            __m128i q[4];
            for (int k = 0; k < 4; k++) {
                __m128 v = _mm_div_ps(_mm_loadu_ps(xr + c + 4 * k), vs);
                v = _mm_and_ps(v, _mm_cmpord_ps(v, v));          /* NaN → 0 */
                v = _mm_min_ps(v, hi);                            /* v < 127 ? v : 127 */
                v = _mm_max_ps(v, lo);                            /* v > -127 ? v : -127 */
                v = _mm_sub_ps(_mm_add_ps(v, magic), magic);      /* round half to even */
                q[k] = _mm_cvttps_epi32(v);
            }
            __m128i h0 = _mm_packs_epi32(q[0], q[1]), h1 = _mm_packs_epi32(q[2], q[3]);
            _mm_storeu_si128((__m128i *)(void *)(qr + c), _mm_packs_epi16(h0, h1));
        }
        for (; c < cols; c++) {
            float v = xr[c] / s;
            if (v != v) v = 0.0f;
            if (v > 127.0f) v = 127.0f;
            if (v < -127.0f) v = -127.0f;
            v = (v + 12582912.0f) - 12582912.0f;
            qr[c] = (int8_t)v;
        }
    }
}

tt_quantize_fn tt_simd_quantize_rows(void) { return quantize_rows_sse2; }

TT_VNNI static void matmul_i8_vnni(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                                   const float *ws, const float *bias, int T, int in, int out) {
    matmul_i8_vnni_rows(y, xq, xs, w, ws, bias, T, in, out, 0);
}

/* AVX-VNNI with packed weights (the kernel used for in ≤ TT_PACK_MAX_IN): each block of 16 rows is
 * repacked per call into [in/4][16 rows][4 bytes] (16 KiB at most, on the stack), so one 32-byte load
 * holds 4 inputs of 8 rows and vpdpbusd against a broadcast of 4 activations gives 8 rows' partial
 * sums in 8 lanes: no horizontal reduction, and the epilogue runs on 8 rows at once. Tiles of
 * 16 rows × 4 tokens (8 accumulators). Activations are offset to u8 as in matmul_i8_vnni (a copy of
 * the 4 tokens' rows, XOR 0x80) and corr = 128·Σ w over the packed inputs is subtracted; inputs
 * past in4 = in & ~3, and leftover rows / tokens, go through the plain code with the same arithmetic. */
#define TT_PACK_MAX_IN 1024
#define TT_PACK_ROWS 16
#define TT_PACK_TOKENS 4

TT_VNNI static void matmul_i8_vnni_packed(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                                          const float *ws, const float *bias, int T, int in, int out) {
    if (in > TT_PACK_MAX_IN) {
        matmul_i8_vnni(y, xq, xs, w, ws, bias, T, in, out);
        return;
    }
    _Alignas(32) int8_t pw[TT_PACK_MAX_IN * TT_PACK_ROWS];     /* packed weights of one block */
    _Alignas(32) uint8_t xu[TT_PACK_MAX_IN * TT_PACK_TOKENS];  /* u8 activations of one token tile */
    _Alignas(32) int32_t corr[TT_PACK_ROWS];
    int in4 = in & ~3, n4 = in4 / 4;
    int ob = 0;
    for (; ob + TT_PACK_ROWS <= out; ob += TT_PACK_ROWS) {
        /* pack: pw[(i4·16 + r)·4 + b] = w[ob + r][4·i4 + b]; corr[r] = 128·Σ_{i<in4} w[ob + r][i] */
        for (int r = 0; r < TT_PACK_ROWS; r++) {
            const int8_t *wr = w + (size_t)(ob + r) * in;
            int32_t sum = 0;
            for (int i4 = 0; i4 < n4; i4++) {
                memcpy(pw + ((size_t)i4 * TT_PACK_ROWS + r) * 4, wr + 4 * i4, 4);
                sum += (int32_t)wr[4 * i4] + wr[4 * i4 + 1] + wr[4 * i4 + 2] + wr[4 * i4 + 3];
            }
            corr[r] = (int32_t)((uint32_t)sum << 7);
        }
        const __m256i c0 = _mm256_load_si256((const __m256i *)(const void *)corr);
        const __m256i c1 = _mm256_load_si256((const __m256i *)(const void *)(corr + 8));
        const __m256 ws0 = _mm256_loadu_ps(ws + ob), ws1 = _mm256_loadu_ps(ws + ob + 8);
        const __m256 b0 = bias ? _mm256_loadu_ps(bias + ob) : _mm256_setzero_ps();
        const __m256 b1 = bias ? _mm256_loadu_ps(bias + ob + 8) : _mm256_setzero_ps();
        int t = 0;
        for (; t + TT_PACK_TOKENS <= T; t += TT_PACK_TOKENS) {
            for (int k = 0; k < TT_PACK_TOKENS; k++) {
                const int8_t *xr = xq + (size_t)(t + k) * in;
                for (int i = 0; i < in4; i++) xu[k * TT_PACK_MAX_IN + i] = (uint8_t)(xr[i] ^ 0x80);
            }
            __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00;
            __m256i a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int i4 = 0; i4 < n4; i4++) {
                const int8_t *pp = pw + (size_t)i4 * TT_PACK_ROWS * 4;
                __m256i v0 = _mm256_load_si256((const __m256i *)(const void *)pp);
                __m256i v1 = _mm256_load_si256((const __m256i *)(const void *)(pp + 32));
                int32_t q0, q1, q2, q3;
                memcpy(&q0, xu + 0 * TT_PACK_MAX_IN + 4 * i4, 4);
                memcpy(&q1, xu + 1 * TT_PACK_MAX_IN + 4 * i4, 4);
                memcpy(&q2, xu + 2 * TT_PACK_MAX_IN + 4 * i4, 4);
                memcpy(&q3, xu + 3 * TT_PACK_MAX_IN + 4 * i4, 4);
                __m256i x0 = _mm256_set1_epi32(q0), x1 = _mm256_set1_epi32(q1);
                __m256i x2 = _mm256_set1_epi32(q2), x3 = _mm256_set1_epi32(q3);
                a00 = dpbusd(a00, x0, v0); a01 = dpbusd(a01, x0, v1);
                a10 = dpbusd(a10, x1, v0); a11 = dpbusd(a11, x1, v1);
                a20 = dpbusd(a20, x2, v0); a21 = dpbusd(a21, x2, v1);
                a30 = dpbusd(a30, x3, v0); a31 = dpbusd(a31, x3, v1);
            }
            __m256i acc[TT_PACK_TOKENS][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
            for (int k = 0; k < TT_PACK_TOKENS; k++) {
                __m256i s0 = _mm256_sub_epi32(acc[k][0], c0), s1 = _mm256_sub_epi32(acc[k][1], c1);
                const int8_t *xr = xq + (size_t)(t + k) * in;
                if (in4 < in) {
                    int32_t tail[TT_PACK_ROWS];
                    for (int r = 0; r < TT_PACK_ROWS; r++) tail[r] = dot_tail(w + (size_t)(ob + r) * in, xr, in4, in);
                    s0 = _mm256_add_epi32(s0, _mm256_loadu_si256((const __m256i *)(const void *)tail));
                    s1 = _mm256_add_epi32(s1, _mm256_loadu_si256((const __m256i *)(const void *)(tail + 8)));
                }
                /* tt_i8_epilogue on 8 lanes: scale = ws·xs; y = (float)acc·scale; y + bias */
                __m256 xsv = _mm256_set1_ps(xs[t + k]);
                float *yr = y + (size_t)(t + k) * out + ob;
                _mm256_storeu_ps(yr, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s0), _mm256_mul_ps(ws0, xsv)), b0));
                _mm256_storeu_ps(yr + 8, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s1), _mm256_mul_ps(ws1, xsv)), b1));
            }
        }
        for (; t < T; t++) { /* leftover tokens (T % 4): one token against the same packed block */
            const int8_t *xr = xq + (size_t)t * in;
            for (int i = 0; i < in4; i++) xu[i] = (uint8_t)(xr[i] ^ 0x80);
            __m256i a0 = _mm256_setzero_si256(), a1 = a0;
            for (int i4 = 0; i4 < n4; i4++) {
                const int8_t *pp = pw + (size_t)i4 * TT_PACK_ROWS * 4;
                int32_t q0;
                memcpy(&q0, xu + 4 * i4, 4);
                __m256i x0 = _mm256_set1_epi32(q0);
                a0 = dpbusd(a0, x0, _mm256_load_si256((const __m256i *)(const void *)pp));
                a1 = dpbusd(a1, x0, _mm256_load_si256((const __m256i *)(const void *)(pp + 32)));
            }
            __m256i s0 = _mm256_sub_epi32(a0, c0), s1 = _mm256_sub_epi32(a1, c1);
            if (in4 < in) {
                int32_t tail[TT_PACK_ROWS];
                for (int r = 0; r < TT_PACK_ROWS; r++) tail[r] = dot_tail(w + (size_t)(ob + r) * in, xr, in4, in);
                s0 = _mm256_add_epi32(s0, _mm256_loadu_si256((const __m256i *)(const void *)tail));
                s1 = _mm256_add_epi32(s1, _mm256_loadu_si256((const __m256i *)(const void *)(tail + 8)));
            }
            __m256 xsv = _mm256_set1_ps(xs[t]);
            float *yr = y + (size_t)t * out + ob;
            _mm256_storeu_ps(yr, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s0), _mm256_mul_ps(ws0, xsv)), b0));
            _mm256_storeu_ps(yr + 8, _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(s1), _mm256_mul_ps(ws1, xsv)), b1));
        }
    }
    if (ob < out) /* leftover rows (out % 16): the unpacked kernel on the last rows */
        matmul_i8_vnni_rows(y, xq, xs, w, ws, bias, T, in, out, ob);
}

tt_matmul_fn tt_simd_matmul_i8(const char **name) {
    tt_matmul_fn fns[2];
    const char *names[2];
    if (tt_simd_kernels(fns, names, 2) == 0) return NULL;
    if (name) *name = names[0];
    return fns[0];
}

/* AVX-VNNI: CPUID leaf 7 sub-leaf 1, EAX bit 4 (read directly: clang before 16 has no
 * __builtin_cpu_supports("avxvnni")); the OS's YMM support comes with the avx2 check. */
static int cpu_has_avxvnni(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a >> 4) & 1u;
}

int tt_simd_kernels(tt_matmul_fn *fns, const char **names, int cap) {
    int n = 0;
    if (n < cap && __builtin_cpu_supports("avx2") && cpu_has_avxvnni()) {
        fns[n] = matmul_i8_vnni_packed;
        names[n++] = "x86-avx-vnni";
    }
    if (n < cap && __builtin_cpu_supports("avx2")) {
        fns[n] = matmul_i8_avx2;
        names[n++] = "x86-avx2";
    }
    return n;
}

#else

tt_quantize_fn tt_simd_quantize_rows(void) { return NULL; }

tt_matmul_fn tt_simd_matmul_i8(const char **name) {
    (void)name;
    (void)dot_tail;
    return NULL;
}

int tt_simd_kernels(tt_matmul_fn *fns, const char **names, int cap) {
    (void)fns;
    (void)names;
    (void)cap;
    return 0;
}

#endif
