/* mmd.h — the MMD-MP deep kernel, MMD statistics and the seeded permutation test.
 *
 * Overview
 *   A sentence is described by two feature vectors: the raw feature x ∈ R^d (mean final hidden
 *   state) and the deep feature φ ∈ R^p (the detector network's output). The kernel is
 *     k(a, b) = [(1 − ε)·exp(−‖φa − φb‖²/σ0) + ε] · exp(−‖xa − xb‖²/σ)        (docs/model-format.md)
 *   X is the human reference set (n sentences), Y the sentences under test (m sentences).
 *   Kernel matrices are row-major doubles. All sums are in double precision.
 *
 *   tt_mmd2_unbiased   full two-sample MMD² (test time): U-statistics for Kxx and Kyy (no diagonal),
 *                      plain mean of Kxy.
 *   tt_mmd_mp_stats    the MMD-MP training statistic and its variance estimate (n = m), for parity
 *                      with the training code and tests (see /work/shared/MMD-MP.md).
 *   tt_mmd_perm_test   permutation test over the pooled sample X ∪ Y: the pooled kernel matrix is
 *                      given once (as blocks); each permutation draws a random relabelling and
 *                      re-sums. p = (1 + #{perm stat ≥ observed}) / (1 + permutations).
 *
 * Randomness: tt_rng (xoshiro256**, seeded through splitmix64) lives in a caller-owned struct, so
 * the same seed gives the same draws on every platform.
 */
#ifndef TELLTALE_MMD_H
#define TELLTALE_MMD_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PRNG ---------------------------------------------------------------------------------- */

typedef struct { uint64_t s[4]; /* xoshiro256** state, never all zero */ } tt_rng;
void tt_rng_seed(tt_rng *r, uint64_t seed);          /* state from four splitmix64 outputs */
uint64_t tt_rng_next(tt_rng *r);                      /* next 64 random bits */
uint64_t tt_rng_below(tt_rng *r, uint64_t n);         /* uniform in [0, n), n ≥ 1, unbiased */
double tt_rng_uniform(tt_rng *r);                     /* uniform in [0, 1), 53 bits */
double tt_rng_normal(tt_rng *r);                      /* standard normal (Box–Muller) */

/* exp(x) computed with IEEE double arithmetic only (Cody–Waite reduction, degree-13 Taylor, ldexp),
 * so native and WebAssembly builds give bit-identical results (libm's exp may differ in the last
 * bit between C libraries). Relative error below 1e-15. */
double tt_det_exp(double x);

/* ---- kernel -------------------------------------------------------------------------------- */

typedef struct {
    int d;          /* raw feature size (d_model) */
    int p;          /* deep feature size (phi_dim) */
    double eps;     /* ε: weight of the raw-only part, in [0, 1] */
    double sigma;   /* σ: bandwidth of the raw Gaussian (> 0) */
    double sigma0;  /* σ0: bandwidth of the deep Gaussian (> 0) */
} tt_kernel;

/* k(a, b) for raw features xa, xb [d] and deep features pa, pb [p]. */
double tt_kernel_eval(const tt_kernel *k, const float *xa, const float *pa, const float *xb, const float *pb);

/* K[i·nb + j] = k(a_i, b_j).  xa: [na, d], pa: [na, p], xb: [nb, d], pb: [nb, p], K: [na, nb]. */
void tt_kernel_matrix(const tt_kernel *k, const float *xa, const float *pa, size_t na,
                      const float *xb, const float *pb, size_t nb, double *K);

/* Mean of K over distinct pairs (i ≠ j) of a square [n, n] matrix (n ≥ 2). */
double tt_kernel_offdiag_mean(const double *K, size_t n);

/* Single-instance score of a sentence y: s(y) = kxx_mean − 2·mean_i k(x_i, y) + 1, where
 * krow[i] = k(x_i, y) for the n reference sentences. Higher = more machine-like. */
double tt_sentence_score(double kxx_mean, const double *krow, size_t n);

/* ---- statistics ---------------------------------------------------------------------------- */

/* The pooled kernel matrix of X ∪ Y as blocks (X first). */
typedef struct {
    size_t n, m;        /* |X| ≥ 2, |Y| ≥ 2 */
    const double *kxx;  /* [n, n] */
    const double *kxy;  /* [n, m]: kxy[i·m + j] = k(x_i, y_j) */
    const double *kyy;  /* [m, m] */
} tt_mmd_blocks;

/* Unbiased MMD² = Σ_{i≠j} Kxx/(n(n−1)) + Σ_{i≠j} Kyy/(m(m−1)) − 2·Σ Kxy/(n·m). */
double tt_mmd2_unbiased(const tt_mmd_blocks *b);

/* MMD-MP statistic and variance for n = m (training parity):
 *   mmd2_mp = Σ_{i≠j} Kxx/(n(n−1)) − 2·Σ_{i≠j} Kxy/(n(n−1))      (Kyy dropped, diagonal of Kxy dropped)
 *   H = Kxx − (Kxy + Kxyᵀ);  V1 = ‖rowsum(H)/n‖²/n;  V2 = ΣH/n²;  var = 4·(V1 − V2²)
 * kxx, kxy: [n, n]. */
void tt_mmd_mp_stats(const double *kxx, const double *kxy, size_t n, double *mmd2_mp, double *var);

typedef struct {
    double mmd2;        /* observed unbiased MMD² */
    double p_value;     /* (1 + exceed) / (1 + permutations) */
    int permutations;   /* rounds run */
    int exceed;         /* rounds whose statistic was ≥ the observed one */
} tt_mmd_test;

/* Permutation test of H0: X and Y come from the same distribution. Each round draws a uniformly
 * random split of the pooled N = n + m sentences into sizes n and m (partial Fisher–Yates on the
 * smaller side) and recomputes the statistic from the pooled row sums in O(min(n,m)²).
 * Returns TT_OK, TT_ERR_ARG (n or m < 2, permutations < 1) or TT_ERR_NOMEM. */
tt_status tt_mmd_perm_test(const tt_mmd_blocks *b, int permutations, tt_rng *rng, tt_mmd_test *out,
                           char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif
