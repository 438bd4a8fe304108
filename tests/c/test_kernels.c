/* test_kernels.c — int8 kernels: quantization against hand-computed values, the scalar reference
 * against an independent double-precision computation, and the dispatched (SIMD) kernel against the
 * reference on random shapes including odd sizes — bit-identical, since both accumulate exactly in
 * int32 and share the float epilogue. */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "fastexp.h"
#include "kernels_simd.h"
#include "test_util.h"

/* the SIMD quantizer (when compiled in) against the scalar reference, bit for bit: random rows of
 * every length around the vector widths, exact halves, values beyond the clamp, ±0, NaN and ±inf */
static void test_quantize_simd(void) {
    tt_quantize_fn f = tt_simd_quantize_rows();
    if (!f) return;
    uint64_t r = 99;
    for (int cols = 1; cols <= 70; cols++)
        for (int rows = 1; rows <= 3; rows++) {
            float x[3 * 70];
            int8_t q0[3 * 70], q1[3 * 70];
            float s0[3], s1[3];
            for (int i = 0; i < rows * cols; i++) {
                uint64_t k = tt_rand(&r);
                float v = (float)((double)(k >> 11) / 9007199254740992.0 * 8.0 - 4.0);
                switch (k % 23) {
                case 0: v = 0.5f * (float)((int)(k >> 40) % 255 - 127) / 127.0f * 4.0f; break; /* halves */
                case 1: v = -0.0f; break;
                case 2: if (cols > 5) v = NAN; break;
                case 3: if (cols > 9) v = (k & 64) ? INFINITY : -INFINITY; break;
                default: break;
                }
                x[i] = v;
            }
            if (cols == 7) for (int i = 0; i < rows * cols; i++) x[i] = 0.0f; /* all-zero rows */
            tt_quantize_rows_ref(x, rows, cols, q0, s0);
            memset(q1, 0x55, sizeof q1);
            f(x, rows, cols, q1, s1);
            CHECK(memcmp(q0, q1, (size_t)(rows * cols)) == 0 && memcmp(s0, s1, sizeof(float) * (size_t)rows) == 0,
                  "SIMD quantize != reference for rows=%d cols=%d", rows, cols);
        }
}

/* tt_expf (fastexp.h) against exp in double: ≤ 2 ulp on [-87, 88], the documented ends beyond it,
 * NaN stays NaN, exp(0) = 1 exactly */
static void test_expf(void) {
    double worst = 0;
    for (float x = -87.0f; x <= 88.0f; x += 0.000731f + fabsf(x) * 1e-5f) {
        double want = exp((double)x);
        double ulp = (double)nextafterf((float)want, INFINITY) - (double)(float)want;
        double e = fabs((double)tt_expf(x) - want) / ulp;
        if (e > worst) worst = e;
    }
    printf("tt_expf: max error %.2f ulp on [-87, 88]\n", worst);
    CHECK(worst <= 2.0, "tt_expf error %.2f ulp", worst);
    CHECK(tt_expf(0.0f) == 1.0f, "tt_expf(0) = %.9g", tt_expf(0.0f));
    CHECK(tt_expf(-1000.0f) == tt_expf(-87.0f) && tt_expf(-87.0f) > 0.0f, "tt_expf below -87");
    CHECK(tt_expf(1000.0f) == tt_expf(88.0f) && isfinite(tt_expf(88.0f)), "tt_expf above 88");
    CHECK(isnan(tt_expf(NAN)), "tt_expf(NaN) is not NaN");
}

static void test_quantize(void) {
    /* max|x| = 2 → xs = 2/127; x/xs = 63.5 → 64 (half to even), -127, 31.75 → 32, 0 */
    const float x[4] = {1.0f, -2.0f, 0.5f, 0.0f};
    int8_t q[4];
    float s;
    tt_quantize_rows(x, 1, 4, q, &s);
    CHECK(s == 2.0f / 127.0f, "xs = %g", s);
    CHECK(q[0] == 64 && q[1] == -127 && q[2] == 32 && q[3] == 0, "q = %d %d %d %d", q[0], q[1], q[2], q[3]);
    /* an all-zero row quantizes to zeros (scale 1 by convention) */
    const float z[3] = {0, 0, 0};
    int8_t qz[3] = {1, 1, 1};
    tt_quantize_rows(z, 1, 3, qz, &s);
    CHECK(qz[0] == 0 && qz[1] == 0 && qz[2] == 0 && s == 1.0f, "zero row: %d %d %d scale %g", qz[0], qz[1], qz[2], s);
    /* non-finite inputs: defined results, no undefined float→int conversion (checked under UBSan) */
    const float bad[4] = {NAN, 1.0f, -INFINITY, 2.0f};
    int8_t qb[4];
    tt_quantize_rows(bad, 1, 4, qb, &s);
    CHECK(qb[0] == 0 && qb[1] == 0 && qb[2] == 0 && qb[3] == 0, "non-finite row: %d %d %d %d", qb[0], qb[1], qb[2], qb[3]);
    /* round trip error ≤ xs/2 per element on random rows */
    uint64_t r = 7;
    float xr[3 * 37];
    int8_t xq[3 * 37];
    float xs[3];
    for (int i = 0; i < 3 * 37; i++) xr[i] = (float)((double)(tt_rand(&r) >> 11) / 9007199254740992.0 * 6.0 - 3.0);
    tt_quantize_rows(xr, 3, 37, xq, xs);
    for (int t = 0; t < 3; t++) {
        float amax = 0;
        for (int i = 0; i < 37; i++) amax = fmaxf(amax, fabsf(xr[t * 37 + i]));
        CHECK(fabsf(xs[t] - amax / 127.0f) <= 1e-7f * amax, "row %d scale", t);
        for (int i = 0; i < 37; i++)
            CHECK(fabsf(xs[t] * xq[t * 37 + i] - xr[t * 37 + i]) <= 0.5001f * xs[t], "row %d col %d", t, i);
    }
}

/* Reference vs an independent double computation; SIMD vs reference bit for bit. */
static void test_matmul(int T, int in, int out, int with_bias, uint64_t seed) {
    uint64_t r = seed;
    int8_t *xq = malloc((size_t)T * in), *w = malloc((size_t)out * in);
    float *xs = malloc(sizeof(float) * T), *ws = malloc(sizeof(float) * out), *b = malloc(sizeof(float) * out);
    float *y0 = malloc(sizeof(float) * T * out), *y1 = malloc(sizeof(float) * T * out);
    for (int i = 0; i < T * in; i++) xq[i] = (int8_t)((int)(tt_rand(&r) % 255) - 127);
    for (int i = 0; i < out * in; i++) w[i] = (int8_t)((int)(tt_rand(&r) % 255) - 127);
    /* extremes in the first row: all +127 × -127 to exercise the largest sums */
    if (T > 0 && out > 0)
        for (int i = 0; i < in; i++) {
            xq[i] = 127;
            w[i] = -127;
        }
    for (int t = 0; t < T; t++) xs[t] = (float)(tt_rand(&r) % 1000 + 1) / 50000.0f;
    for (int o = 0; o < out; o++) {
        ws[o] = (float)(tt_rand(&r) % 1000 + 1) / 70000.0f;
        b[o] = (float)((int)(tt_rand(&r) % 2001) - 1000) / 1000.0f;
    }
    const float *bias = with_bias ? b : NULL;
    tt_matmul_i8_ref(y0, xq, xs, w, ws, bias, T, in, out);
    int bad = 0;
    for (int t = 0; t < T && !bad; t++)
        for (int o = 0; o < out; o++) {
            int64_t acc = 0;
            for (int i = 0; i < in; i++) acc += (int64_t)w[(size_t)o * in + i] * xq[(size_t)t * in + i];
            double want = (double)acc * ((double)ws[o] * xs[t]) + (bias ? bias[o] : 0.0);
            double got = y0[(size_t)t * out + o];
            if (fabs(got - want) > 1e-5 * (fabs(want) + 1.0)) {
                CHECK(0, "ref T=%d in=%d out=%d at [%d][%d]: %g vs %g", T, in, out, t, o, got, want);
                bad = 1;
                break;
            }
        }
    tt_matmul_fn simd[4];
    const char *simd_names[4];
    int n_simd = tt_simd_kernels(simd, simd_names, 4); /* every SIMD kernel this CPU can run */
    for (int k = 0; k < n_simd; k++) {
        memset(y1, 0xFF, sizeof(float) * T * out);
        simd[k](y1, xq, xs, w, ws, bias, T, in, out);
        CHECK(memcmp(y0, y1, sizeof(float) * T * out) == 0, "%s != ref bitwise for T=%d in=%d out=%d bias=%d",
              simd_names[k], T, in, out, with_bias);
    }
    memset(y1, 0xFF, sizeof(float) * T * out);
    tt_matmul_i8(y1, xq, xs, w, ws, bias, T, in, out);
    CHECK(memcmp(y0, y1, sizeof(float) * T * out) == 0, "tt_matmul_i8 != ref bitwise for T=%d in=%d out=%d", T, in, out);
    free(xq);
    free(w);
    free(xs);
    free(ws);
    free(b);
    free(y0);
    free(y1);
}

int main(void) {
    const char *name = tt_kernel_name();
    printf("kernel: %s\n", name);
    CHECK(strcmp(name, "scalar") == 0 || strcmp(name, "x86-avx2") == 0 || strcmp(name, "x86-avx-vnni") == 0 ||
              strcmp(name, "wasm-simd128") == 0,
          "unknown kernel name %s", name);
    {
        tt_matmul_fn fns[4];
        const char *names[4];
        int n = tt_simd_kernels(fns, names, 4);
        for (int k = 0; k < n; k++) printf("  also tested: %s\n", names[k]);
    }
#ifdef TT_NO_SIMD
    CHECK(strcmp(name, "scalar") == 0, "TT_SIMD=OFF must select the scalar kernel, got %s", name);
#endif
    test_quantize();
    test_quantize_simd();
    test_expf();
    /* edge shapes: every small size around the SIMD widths (8, 16) and blocking (4 rows, 2 tokens) */
    int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33};
    int ns = (int)(sizeof sizes / sizeof sizes[0]);
    uint64_t seed = 1;
    for (int a = 0; a < ns; a++)
        for (int c = 0; c < ns; c += 3) test_matmul(sizes[a % 5 + 1], sizes[a], sizes[c], (a + c) & 1, seed++);
    /* random shapes, odd sizes included, and model-like ones */
    uint64_t r = 42;
    for (int k = 0; k < 60; k++) {
        int T = 1 + (int)(tt_rand(&r) % 40), in = 1 + (int)(tt_rand(&r) % 300), out = 1 + (int)(tt_rand(&r) % 70);
        test_matmul(T, in, out, (int)(tt_rand(&r) & 1), seed++);
    }
    test_matmul(33, 256, 768, 1, seed++);
    test_matmul(17, 1024, 256, 1, seed++);
    test_matmul(5, 4099, 9, 0, seed++); /* long rows: 4099·127² stays far inside int32 */
    test_matmul(9, 100, 200, 1, seed++);  /* several 64-row blocks, a partial last block, in % 32 ≠ 0 */
    test_matmul(64, 192, 8192 / 16 + 3, 0, seed++); /* LM-head-like: many blocks, out % 4 ≠ 0 */
    TEST_DONE("test_kernels");
}
