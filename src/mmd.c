/* mmd.c — MMD-MP deep kernel, MMD statistics, permutation test (see mmd.h). */
#include "mmd.h"

#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- PRNG: splitmix64 seeding, xoshiro256** ------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void tt_rng_seed(tt_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

uint64_t tt_rng_next(tt_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t tt_rng_below(tt_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n: reject the first `threshold` values */
    for (;;) {
        uint64_t v = tt_rng_next(r);
        if (v >= threshold) return v % n;
    }
}

double tt_rng_uniform(tt_rng *r) { return (double)(tt_rng_next(r) >> 11) * 0x1.0p-53; }

double tt_rng_normal(tt_rng *r) {
    double u1 = tt_rng_uniform(r), u2 = tt_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

/* ---- deterministic exp --------------------------------------------------------------------- */

double tt_det_exp(double x) {
    if (x != x) return x;
    if (x > 709.0) return HUGE_VAL;
    if (x < -745.0) return 0.0;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    double k = floor(x * 1.44269504088896338700 + 0.5);
    double r = (x - k * ln2_hi) - k * ln2_lo; /* |r| ≤ ln2/2 */
    double p = 1.0 / 6227020800.0;            /* 1/13! */
    static const double inv_fact[13] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
        1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600};
    for (int i = 12; i >= 0; i--) p = p * r + inv_fact[i];
    int ki = (int)k;
    if (ki < -1000 || ki > 1000) return ldexp(p, ki); /* subnormal or near overflow: let ldexp round */
    /* p · 2^k with 2^k from its exponent bits: exact (a normal result), so equal to ldexp, minus a call */
    uint64_t bits = (uint64_t)(ki + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* ---- kernel -------------------------------------------------------------------------------- */

/* ‖a − b‖² in double, as 4 interleaved partial sums (i mod 4) combined in a fixed order: the loop
 * vectorizes, the result is the same on every platform, and sqdist(a, b) == sqdist(b, a) exactly. */
static double sqdist(const float *a, const float *b, int n) {
    double s[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            double t = (double)a[i + k] - (double)b[i + k];
            s[k] += t * t;
        }
    for (; i < n; i++) {
        double t = (double)a[i] - (double)b[i];
        s[0] += t * t;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

double tt_kernel_eval(const tt_kernel *k, const float *xa, const float *pa, const float *xb, const float *pb) {
    double dphi = sqdist(pa, pb, k->p);   /* ‖φa − φb‖² */
    double draw = sqdist(xa, xb, k->d);   /* ‖xa − xb‖² */
    return ((1.0 - k->eps) * tt_det_exp(-dphi / k->sigma0) + k->eps) * tt_det_exp(-draw / k->sigma);
}

void tt_kernel_matrix(const tt_kernel *k, const float *xa, const float *pa, size_t na,
                      const float *xb, const float *pb, size_t nb, double *K) {
    if (xa == xb && pa == pb && na == nb) {
        /* K(X, X): k is symmetric bit for bit (sqdist(a, b) == sqdist(b, a)), so compute the upper
         * triangle and mirror it (the reference matrix at open, Kyy per test: half the work) */
        for (size_t i = 0; i < na; i++)
            for (size_t j = i; j < na; j++)
                K[i * na + j] = K[j * na + i] = tt_kernel_eval(k, xa + i * (size_t)k->d, pa + i * (size_t)k->p,
                                                               xa + j * (size_t)k->d, pa + j * (size_t)k->p);
        return;
    }
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            K[i * nb + j] = tt_kernel_eval(k, xa + i * (size_t)k->d, pa + i * (size_t)k->p,
                                           xb + j * (size_t)k->d, pb + j * (size_t)k->p);
}

double tt_kernel_offdiag_mean(const double *K, size_t n) {
    if (n < 2) return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j) s += K[i * n + j];
    return s / ((double)n * (double)(n - 1));
}

double tt_sentence_score(double kxx_mean, const double *krow, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += krow[i];
    return kxx_mean - 2.0 * (n ? s / (double)n : 0) + 1.0;
}

/* ---- statistics ---------------------------------------------------------------------------- */

double tt_mmd2_unbiased(const tt_mmd_blocks *b) {
    size_t n = b->n, m = b->m;
    double sxy = 0;
    for (size_t i = 0; i < n * m; i++) sxy += b->kxy[i];
    return tt_kernel_offdiag_mean(b->kxx, n) + tt_kernel_offdiag_mean(b->kyy, m) -
           2.0 * sxy / ((double)n * (double)m);
}

void tt_mmd_mp_stats(const double *kxx, const double *kxy, size_t n, double *mmd2_mp, double *var) {
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j) { sxx += kxx[i * n + j]; sxy += kxy[i * n + j]; }
    double denom = (double)n * (double)(n - 1);
    if (mmd2_mp) *mmd2_mp = sxx / denom - 2.0 * sxy / denom;
    if (var) {
        double v1 = 0, total = 0;
        for (size_t i = 0; i < n; i++) {
            double row = 0; /* rowsum of H = Kxx − (Kxy + Kxyᵀ) */
            for (size_t j = 0; j < n; j++) row += kxx[i * n + j] - kxy[i * n + j] - kxy[j * n + i];
            total += row;
            double r = row / (double)n;
            v1 += r * r;
        }
        v1 /= (double)n;
        double v2 = total / ((double)n * (double)n);
        *var = 4.0 * (v1 - v2 * v2);
    }
}

/* Entry (i, j) of the pooled matrix, X = indices 0..n-1, Y = n..n+m-1. */
static double pooled(const tt_mmd_blocks *b, size_t i, size_t j) {
    size_t n = b->n, m = b->m;
    if (i < n) return j < n ? b->kxx[i * n + j] : b->kxy[i * m + (j - n)];
    return j < n ? b->kxy[j * m + (i - n)] : b->kyy[(i - n) * m + (j - n)];
}

/* Statistic for the split where the k = min(n, m) indices sub[0..k) form the smaller side.
 * rows[i] = Σ_{j≠i} K_ij over the pool, total = Σ_{i≠j} K_ij. */
static double split_stat(const tt_mmd_blocks *b, const size_t *sub, size_t k, const double *rows, double total) {
    size_t n = b->n, m = b->m;
    double sin = 0, rsum = 0;  /* ordered pairs inside the subset; row sums over it */
    for (size_t a = 0; a < k; a++) {
        rsum += rows[sub[a]];
        for (size_t c = a + 1; c < k; c++) sin += pooled(b, sub[a], sub[c]);
    }
    sin *= 2.0;
    double scross = rsum - sin;              /* ordered pairs subset × rest, counted once */
    double sout = total - sin - 2.0 * scross; /* ordered pairs inside the rest */
    double sxx, syy;
    if (m <= n) { syy = sin; sxx = sout; } else { sxx = sin; syy = sout; }
    return sxx / ((double)n * (double)(n - 1)) + syy / ((double)m * (double)(m - 1)) -
           2.0 * scross / ((double)n * (double)m);
}

tt_status tt_mmd_perm_test(const tt_mmd_blocks *b, int permutations, tt_rng *rng, tt_mmd_test *out,
                           char *err, size_t err_len) {
    size_t n = b->n, m = b->m, N = n + m;
    if (n < 2 || m < 2 || permutations < 1) {
        if (err && err_len) snprintf(err, err_len, "mmd: permutation test needs n ≥ 2, m ≥ 2 and ≥ 1 permutation (got n=%zu, m=%zu, permutations=%d)", n, m, permutations);
        return TT_ERR_ARG;
    }
    double *rows = malloc(N * sizeof *rows);
    size_t *idx = malloc(N * sizeof *idx);
    if (!rows || !idx) {
        free(rows); free(idx);
        if (err && err_len) snprintf(err, err_len, "mmd: out of memory for a pooled sample of %zu", N);
        return TT_ERR_NOMEM;
    }
    double total = 0;
    for (size_t i = 0; i < N; i++) {
        double r = 0;
        for (size_t j = 0; j < N; j++) if (j != i) r += pooled(b, i, j);
        rows[i] = r;
        total += r;
    }
    size_t k = m <= n ? m : n;
    /* observed split: the smaller side in its original place */
    for (size_t i = 0; i < N; i++) idx[i] = i;
    size_t *obs = m <= n ? idx + n : idx;
    double stat = split_stat(b, obs, k, rows, total);
    double tol = 1e-12 * (fabs(stat) + 1e-12);
    int exceed = 0;
    for (int r = 0; r < permutations; r++) {
        for (size_t t = 0; t < k; t++) { /* partial Fisher–Yates: idx[0..k) becomes a uniform k-subset */
            size_t u = t + (size_t)tt_rng_below(rng, N - t);
            size_t tmp = idx[t]; idx[t] = idx[u]; idx[u] = tmp;
        }
        if (split_stat(b, idx, k, rows, total) >= stat - tol) exceed++;
    }
    out->mmd2 = tt_mmd2_unbiased(b);
    out->permutations = permutations;
    out->exceed = exceed;
    out->p_value = (1.0 + exceed) / (1.0 + permutations);
    free(rows); free(idx);
    return TT_OK;
}
