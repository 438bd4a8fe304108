/* fastexp.h — internal: tt_expf, an exp(x) for float written so that compilers vectorize loops that
 * call it (no branches, no table, no libm call, no float→int conversion), and that gives the same
 * bits natively and in wasm (plain IEEE float operations in a fixed order; no FMA contraction on
 * the targets telltale builds for).
 *
 * Method (Cody–Waite reduction + Cephes' degree-5 polynomial): x is clamped to [-87, 88] (so exp(x)
 * and 2^k stay normal floats), k = round(x·log2 e) via the 1.5·2^23 trick, r = x − k·ln2 in two
 * parts, exp(r) ≈ 1 + r + r²·P(r), and 2^k is built from its exponent bits. Relative error ≤ 2 ulp
 * on [-87, 88] (tests/c/test_kernels.c); below -87 it returns exp(-87) ≈ 1.6e-38 instead of a
 * smaller number or 0 (immaterial for softmax weights and tanh), above 88 exp(88). NaN gives NaN. */
#ifndef TELLTALE_FASTEXP_H
#define TELLTALE_FASTEXP_H

#include <stdint.h>
#include <string.h>

static inline float tt_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float magic = 12582912.0f; /* 1.5·2^23: adding it rounds to an integer, half to even */
    float kf = (x * 1.44269504088896341f + magic) - magic;
    float r = (x - kf * 0.693359375f) - kf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = (p * (r * r) + r) + 1.0f;
    /* 2^k: k is in [-126, 127]; (kf + magic)'s low mantissa bits hold k + 0x400000 (two's complement) */
    float kb = kf + magic;
    uint32_t bits;
    memcpy(&bits, &kb, sizeof bits);
    uint32_t e = ((bits - 0x4B400000u) + 127u) << 23; /* unsigned: a NaN's bits wrap harmlessly */
    float scale;
    memcpy(&scale, &e, sizeof scale);
    return y * scale;
}

#endif
