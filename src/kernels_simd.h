/* kernels_simd.h — internal: the SIMD int8 matmul kernels (kernels_simd.c) and the shared epilogue. */
#ifndef TELLTALE_KERNELS_SIMD_H
#define TELLTALE_KERNELS_SIMD_H

#include <stdint.h>

/* Same signature as tt_matmul_i8_ref (engine.h). */
typedef void (*tt_matmul_fn)(float *y, const int8_t *xq, const float *xs, const int8_t *w,
                             const float *ws, const float *bias, int T, int in, int out);

/* The SIMD kernel usable on this machine (checked at run time on x86), or NULL when none is
 * compiled in (TT_NO_SIMD, or no simd128 / x86) or the CPU lacks it. If name is not NULL and a
 * kernel is returned, *name gets its name ("wasm-simd128", "x86-avx-vnni", "x86-avx2"). */
tt_matmul_fn tt_simd_matmul_i8(const char **name);

/* Every SIMD kernel usable on this machine, fastest first (the first is tt_simd_matmul_i8's), so
 * tests can check each against the scalar reference: fills up to cap entries, returns the count. */
int tt_simd_kernels(tt_matmul_fn *fns, const char **names, int cap);

/* Same signature as tt_quantize_rows_ref (engine.h). */
typedef void (*tt_quantize_fn)(const float *x, int rows, int cols, int8_t *xq, float *xs);

/* The SIMD row quantizer (SSE2 on x86-64, simd128 in wasm), bit-identical to tt_quantize_rows_ref,
 * or NULL when SIMD is not compiled in. */
tt_quantize_fn tt_simd_quantize_rows(void);

/* The float epilogue every kernel applies, in this exact order, so all kernels agree bit for bit. */
static inline float tt_i8_epilogue(int32_t acc, float ws, float xs, float bias) {
    float scale = ws * xs;
    float y = (float)acc * scale;
    return y + bias;
}

#endif
