/* test_mmd.c — MMD-MP kernel and statistics against the NumPy reference (train/mmd_reference.py),
 * and the permutation test's behaviour: type-I error ≈ α under the null, power under a shift,
 * determinism for a seed.
 * Usage: test_mmd FIXTURES_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmd.h"

static int failures = 0, checks = 0;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* Reads the next number, skipping '#' comment lines. */
static int next_tok(FILE *f, char *buf, size_t cap) {
    int c;
    for (;;) {
        c = fgetc(f);
        if (c == EOF) return 0;
        if (c == '#') { while ((c = fgetc(f)) != EOF && c != '\n') {} continue; }
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        break;
    }
    size_t n = 0;
    while (c != EOF && c != ' ' && c != '\n' && c != '\r' && c != '\t') { if (n + 1 < cap) buf[n++] = (char)c; c = fgetc(f); }
    buf[n] = 0;
    return 1;
}
static double next_num(FILE *f) { char b[64]; if (!next_tok(f, b, sizeof b)) { printf("fixture ended early\n"); exit(1); } return strtod(b, NULL); }

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-12); }

static void reference_parity(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/mmd_reference.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) { printf("cannot open %s\n", path); exit(1); }
    size_t n = (size_t)next_num(f), m = (size_t)next_num(f);
    int d = (int)next_num(f), p = (int)next_num(f);
    size_t msub = (size_t)next_num(f);
    tt_kernel k = {d, p, next_num(f), 0, 0};
    k.sigma = next_num(f); k.sigma0 = next_num(f);
    float *X = malloc(n * d * sizeof(float)), *PX = malloc(n * p * sizeof(float));
    float *Y = malloc(m * d * sizeof(float)), *PY = malloc(m * p * sizeof(float));
    for (size_t i = 0; i < n * d; i++) X[i] = (float)next_num(f);
    for (size_t i = 0; i < n * p; i++) PX[i] = (float)next_num(f);
    for (size_t i = 0; i < m * d; i++) Y[i] = (float)next_num(f);
    for (size_t i = 0; i < m * p; i++) PY[i] = (float)next_num(f);
    double want_kxx_mean = next_num(f), want_mmd2 = next_num(f), want_sub = next_num(f);
    double want_mp = next_num(f), want_var = next_num(f);
    double *want_scores = malloc(m * sizeof(double));
    for (size_t j = 0; j < m; j++) want_scores[j] = next_num(f);
    double want_k0[8];
    for (int j = 0; j < 8; j++) want_k0[j] = next_num(f);
    char hex[4][32];
    for (int j = 0; j < 4; j++) next_tok(f, hex[j], sizeof hex[j]);
    fclose(f);

    double *kxx = malloc(n * n * sizeof(double)), *kyy = malloc(m * m * sizeof(double)), *kxy = malloc(n * m * sizeof(double));
    tt_kernel_matrix(&k, X, PX, n, X, PX, n, kxx);
    tt_kernel_matrix(&k, Y, PY, m, Y, PY, m, kyy);
    tt_kernel_matrix(&k, X, PX, n, Y, PY, m, kxy);
    for (int j = 0; j < 8; j++) CHECK(rel(kxy[j], want_k0[j]) <= 1e-5, "k(x0, y%d) = %.10g, want %.10g", j, kxy[j], want_k0[j]);
    CHECK(fabs(tt_kernel_eval(&k, X, PX, X, PX) - 1.0) < 1e-12, "k(a, a) = 1");
    double kxx_mean = tt_kernel_offdiag_mean(kxx, n);
    CHECK(rel(kxx_mean, want_kxx_mean) <= 1e-5, "kxx_mean %.10g, want %.10g", kxx_mean, want_kxx_mean);
    tt_mmd_blocks b = {n, m, kxx, kxy, kyy};
    double mmd2 = tt_mmd2_unbiased(&b);
    CHECK(rel(mmd2, want_mmd2) <= 1e-5, "mmd2 %.10g, want %.10g", mmd2, want_mmd2);
    /* n != m: Y = first msub rows (sub-blocks copied out) */
    double *kyy_s = malloc(msub * msub * sizeof(double)), *kxy_s = malloc(n * msub * sizeof(double));
    for (size_t i = 0; i < msub; i++) for (size_t j = 0; j < msub; j++) kyy_s[i * msub + j] = kyy[i * m + j];
    for (size_t i = 0; i < n; i++) for (size_t j = 0; j < msub; j++) kxy_s[i * msub + j] = kxy[i * m + j];
    tt_mmd_blocks bs = {n, msub, kxx, kxy_s, kyy_s};
    double sub = tt_mmd2_unbiased(&bs);
    CHECK(rel(sub, want_sub) <= 1e-5, "mmd2 (m=%zu) %.10g, want %.10g", msub, sub, want_sub);
    double mp, var;
    tt_mmd_mp_stats(kxx, kxy, n, &mp, &var);
    CHECK(rel(mp, want_mp) <= 1e-5, "mmd2_mp %.10g, want %.10g", mp, want_mp);
    CHECK(rel(var, want_var) <= 1e-5, "var_mp %.10g, want %.10g", var, want_var);
    double *col = malloc(n * sizeof(double));
    for (size_t j = 0; j < m; j++) {
        for (size_t i = 0; i < n; i++) col[i] = kxy[i * m + j];
        double s = tt_sentence_score(kxx_mean, col, n);
        CHECK(rel(s, want_scores[j]) <= 1e-5, "score of y%zu %.10g, want %.10g", j, s, want_scores[j]);
    }
    /* the permutation test reports the same observed statistic */
    tt_rng r; tt_rng_seed(&r, 7);
    tt_mmd_test t; char err[200];
    CHECK(tt_mmd_perm_test(&b, 200, &r, &t, err, sizeof err) == TT_OK, "perm test: %s", err);
    CHECK(rel(t.mmd2, want_mmd2) <= 1e-5 && t.permutations == 200 && t.p_value > 0 && t.p_value <= 1, "perm test result");
    /* PRNG matches the Python implementation */
    tt_rng_seed(&r, 1);
    for (int j = 0; j < 4; j++) {
        char got[32]; snprintf(got, sizeof got, "%016llx", (unsigned long long)tt_rng_next(&r));
        CHECK(strcmp(got, hex[j]) == 0, "xoshiro output %d: %s, want %s", j, got, hex[j]);
    }
    free(X); free(PX); free(Y); free(PY); free(want_scores); free(kxx); free(kyy); free(kxy);
    free(kyy_s); free(kxy_s); free(col);
}

/* Synthetic sentences: raw x ~ N(shift, I_d), deep φ = tanh(W x). */
enum { SD = 8, SP = 4 };
static void draw(tt_rng *r, size_t cnt, double shift, const double *W, float *x, float *phi) {
    for (size_t i = 0; i < cnt; i++) {
        for (int a = 0; a < SD; a++) x[i * SD + a] = (float)(tt_rng_normal(r) + shift);
        for (int c = 0; c < SP; c++) {
            double s = 0;
            for (int a = 0; a < SD; a++) s += W[c * SD + a] * x[i * SD + a];
            phi[i * SP + c] = (float)tanh(s);
        }
    }
}

/* Fraction of trials with p ≤ alpha. */
static int rejections(size_t n, size_t m, double shift, int trials, int perms, double alpha, uint64_t seed) {
    tt_kernel k = {SD, SP, 0.1, 2.0 * SD, 4.0};
    tt_rng r; tt_rng_seed(&r, seed);
    double W[SP * SD];
    for (int i = 0; i < SP * SD; i++) W[i] = 0.5 * tt_rng_normal(&r);
    float *x = malloc(n * SD * sizeof(float)), *px = malloc(n * SP * sizeof(float));
    float *y = malloc(m * SD * sizeof(float)), *py = malloc(m * SP * sizeof(float));
    double *kxx = malloc(n * n * sizeof(double)), *kxy = malloc(n * m * sizeof(double)), *kyy = malloc(m * m * sizeof(double));
    int rej = 0;
    for (int t = 0; t < trials; t++) {
        draw(&r, n, 0.0, W, x, px);
        draw(&r, m, shift, W, y, py);
        tt_kernel_matrix(&k, x, px, n, x, px, n, kxx);
        tt_kernel_matrix(&k, x, px, n, y, py, m, kxy);
        tt_kernel_matrix(&k, y, py, m, y, py, m, kyy);
        tt_mmd_blocks b = {n, m, kxx, kxy, kyy};
        tt_mmd_test res; char err[200];
        if (tt_mmd_perm_test(&b, perms, &r, &res, err, sizeof err) != TT_OK) { printf("%s\n", err); exit(1); }
        if (res.p_value <= alpha) rej++;
    }
    free(x); free(px); free(y); free(py); free(kxx); free(kxy); free(kyy);
    return rej;
}

static void null_and_power(void) {
    const int trials = 500;
    const double alpha = 0.05;
    double mean = trials * alpha, sd = sqrt(trials * alpha * (1 - alpha));
    /* Y the smaller side (the detector's case) and Y the larger side (other branch) */
    int r1 = rejections(40, 8, 0.0, trials, 200, alpha, 11);
    int r2 = rejections(6, 30, 0.0, trials, 200, alpha, 12);
    printf("type-I error: %d/%d (n=40, m=8) and %d/%d (n=6, m=30) at alpha=%.2f (expected %.1f ± %.1f)\n",
           r1, trials, r2, trials, alpha, mean, 3 * sd);
    CHECK(fabs(r1 - mean) <= 3 * sd, "type-I rejections %d not within %.1f ± %.1f", r1, mean, 3 * sd);
    CHECK(fabs(r2 - mean) <= 3 * sd, "type-I rejections %d not within %.1f ± %.1f", r2, mean, 3 * sd);
    int pw = rejections(40, 8, 1.0, 100, 200, alpha, 13);
    printf("power at shift 1.0 (n=40, m=8): %d/100\n", pw);
    CHECK(pw >= 80, "power %d/100 under a clear shift", pw);
}

static void determinism_and_errors(void) {
    tt_kernel k = {SD, SP, 0.1, 16.0, 4.0};
    tt_rng r; tt_rng_seed(&r, 5);
    double W[SP * SD];
    for (int i = 0; i < SP * SD; i++) W[i] = 0.5 * tt_rng_normal(&r);
    float x[30 * SD], px[30 * SP], y[5 * SD], py[5 * SP];
    draw(&r, 30, 0, W, x, px); draw(&r, 5, 0.4, W, y, py);
    double kxx[900], kxy[150], kyy[25];
    tt_kernel_matrix(&k, x, px, 30, x, px, 30, kxx);
    tt_kernel_matrix(&k, x, px, 30, y, py, 5, kxy);
    tt_kernel_matrix(&k, y, py, 5, y, py, 5, kyy);
    tt_mmd_blocks b = {30, 5, kxx, kxy, kyy};
    tt_mmd_test a1, a2, a3; char err[200];
    tt_rng s1, s2, s3; tt_rng_seed(&s1, 42); tt_rng_seed(&s2, 42); tt_rng_seed(&s3, 43);
    tt_mmd_perm_test(&b, 500, &s1, &a1, err, sizeof err);
    tt_mmd_perm_test(&b, 500, &s2, &a2, err, sizeof err);
    tt_mmd_perm_test(&b, 500, &s3, &a3, err, sizeof err);
    CHECK(a1.exceed == a2.exceed && a1.p_value == a2.p_value, "same seed, same p (%g vs %g)", a1.p_value, a2.p_value);
    CHECK(fabs(a1.p_value - a3.p_value) < 0.1, "different seeds agree roughly (%g vs %g)", a1.p_value, a3.p_value);
    tt_mmd_blocks bad = {30, 1, kxx, kxy, kyy};
    CHECK(tt_mmd_perm_test(&bad, 200, &s1, &a1, err, sizeof err) == TT_ERR_ARG && strstr(err, "m=1"), "m=1 refused: %s", err);
    /* tt_rng_below is uniform: chi-square over 7 bins, 70000 draws (df 6; 22.5 is p ≈ 0.001) */
    long bins[7] = {0};
    for (int i = 0; i < 70000; i++) bins[tt_rng_below(&s1, 7)]++;
    double chi = 0;
    for (int i = 0; i < 7; i++) chi += (bins[i] - 10000.0) * (bins[i] - 10000.0) / 10000.0;
    CHECK(chi < 22.5, "rng_below chi-square %.2f", chi);
}

/* tt_det_exp agrees with libm's exp to ~1 ulp (it exists to be bit-identical across C libraries) */
static void det_exp(void) {
    tt_rng r; tt_rng_seed(&r, 3);
    double worst = 0;
    for (int i = 0; i < 100000; i++) {
        double x = (tt_rng_uniform(&r) * 2 - 1) * (i % 2 ? 700 : 5);
        worst = fmax(worst, fabs(tt_det_exp(x) - exp(x)) / exp(x));
    }
    CHECK(worst < 1e-14, "tt_det_exp relative error %g", worst);
    CHECK(tt_det_exp(0) == 1.0 && tt_det_exp(-800) == 0.0 && isinf(tt_det_exp(800)) && isnan(tt_det_exp(NAN)), "tt_det_exp edges");
}

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: test_mmd FIXTURES_DIR\n"); return 2; }
    reference_parity(argv[1]);
    determinism_and_errors();
    det_exp();
    null_and_power();
    printf("test_mmd: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
