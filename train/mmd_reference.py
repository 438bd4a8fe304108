#!/usr/bin/env python3
"""NumPy reference for src/mmd.c: writes tests/fixtures/mmd_reference.txt.

Fixed, seeded data (X = "human" sentences, Y = shifted "machine" sentences; raw features x and deep
features phi) and, computed here in float64 from the float32 inputs, the kernel matrices, the
unbiased MMD^2, the MMD-MP statistic and variance and the single-instance sentence scores.
tests/c/test_mmd.c recomputes everything in C and compares (relative error <= 1e-5).

Formulas (docs/model-format.md, /work/shared/MMD-MP.md):
  k(a,b) = [(1-eps) exp(-|phi_a-phi_b|^2/sigma0) + eps] * exp(-|x_a-x_b|^2/sigma)
  MMD^2_u = sum_{i!=j} Kxx/(n(n-1)) + sum_{i!=j} Kyy/(m(m-1)) - 2 sum Kxy/(nm)
  MMD^2_MP = sum_{i!=j} Kxx/(n(n-1)) - 2 sum_{i!=j} Kxy/(n(n-1))          (n = m)
  H = Kxx - (Kxy + Kxy^T); V1 = |rowsum(H)/n|^2/n; V2 = sum(H)/n^2; var = 4(V1 - V2^2)
  s(y) = mean_{i!=j} Kxx - 2 mean_i k(x_i, y) + 1

Usage: /usr/bin/python3 train/mmd_reference.py [OUT]
"""
import sys
import numpy as np

N, D, P = 40, 16, 8
EPS, SIGMA, SIGMA0 = 0.1, 32.0, 10.0
M_SUB = 7  # a second, smaller Y (first M_SUB rows of Y) for n != m


def features(rng, n, shift, W):
    x = (rng.standard_normal((n, D)) + shift).astype(np.float32)
    phi = np.tanh(x.astype(np.float64) @ W).astype(np.float32)
    return x, phi


def kernel(xa, pa, xb, pb):
    xa, pa, xb, pb = (a.astype(np.float64) for a in (xa, pa, xb, pb))
    draw = ((xa[:, None, :] - xb[None, :, :]) ** 2).sum(-1)
    dphi = ((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1)
    return ((1 - EPS) * np.exp(-dphi / SIGMA0) + EPS) * np.exp(-draw / SIGMA)


def offdiag_mean(K):
    n = K.shape[0]
    return (K.sum() - np.trace(K)) / (n * (n - 1))


def mmd2_unbiased(kxx, kyy, kxy):
    return offdiag_mean(kxx) + offdiag_mean(kyy) - 2 * kxy.mean()


MASK = (1 << 64) - 1


def null_p_value(sizes, rows, m, stat):
    """The engine's human-null p-value (src/detect.c): sizes increasing, rows[r] the ascending float32
    statistics of human sets of sizes[r] sentences. Row of the largest size <= m; p = (1 + #{row >= stat})
    / (1 + len(row)); None when m is below every size."""
    r = [k for k, n in enumerate(sizes) if n <= m]
    if not r:
        return None
    row = np.asarray(rows[r[-1]], dtype=np.float32).astype(np.float64)
    return (1 + int((row >= stat).sum())) / (1 + len(row))


def xoshiro_first(seed, count):
    """splitmix64-seeded xoshiro256** (the permutation test's PRNG), first `count` outputs."""
    x, st = seed, []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        st.append(z ^ (z >> 31))
    rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & MASK
    out = []
    for _ in range(count):
        out.append((rotl((st[1] * 5) & MASK, 7) * 9) & MASK)
        t = (st[1] << 17) & MASK
        st[2] ^= st[0]; st[3] ^= st[1]; st[1] ^= st[2]; st[0] ^= st[3]
        st[2] ^= t
        st[3] = rotl(st[3], 45)
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/mmd_reference.txt"
    rng = np.random.default_rng(20261126)
    W = rng.standard_normal((D, P)) * 0.5
    X, PX = features(rng, N, 0.0, W)
    Y, PY = features(rng, N, 0.3, W)
    kxx, kyy, kxy = kernel(X, PX, X, PX), kernel(Y, PY, Y, PY), kernel(X, PX, Y, PY)
    kxx_mean = offdiag_mean(kxx)
    mmd2 = mmd2_unbiased(kxx, kyy, kxy)
    mmd2_sub = mmd2_unbiased(kxx, kyy[:M_SUB, :M_SUB], kxy[:, :M_SUB])
    n = N
    mmd2_mp = offdiag_mean(kxx) - 2 * (kxy.sum() - np.trace(kxy)) / (n * (n - 1))
    H = kxx - (kxy + kxy.T)
    V1 = np.dot(H.sum(1) / n, H.sum(1) / n) / n
    V2 = H.sum() / n / n
    var_mp = 4 * (V1 - V2 ** 2)
    scores = kxx_mean - 2 * kxy.mean(0) + 1
    with open(out, "w") as f:
        f.write("# mmd_reference v1, written by train/mmd_reference.py (seed 20261126)\n")
        f.write(f"{N} {N} {D} {P} {M_SUB}\n{EPS!r} {SIGMA!r} {SIGMA0!r}\n")
        for name, A in (("X", X), ("PX", PX), ("Y", Y), ("PY", PY)):
            f.write(f"# {name}\n")
            for row in A:
                f.write(" ".join("%.9g" % v for v in row) + "\n")
        f.write("# kxx_mean mmd2 mmd2_sub mmd2_mp var_mp\n")
        f.write(" ".join(repr(float(v)) for v in (kxx_mean, mmd2, mmd2_sub, mmd2_mp, var_mp)) + "\n")
        f.write("# scores of Y\n" + " ".join(repr(float(v)) for v in scores) + "\n")
        f.write("# kxy[0, 0..7]\n" + " ".join(repr(float(v)) for v in kxy[0, :8]) + "\n")
        f.write("# xoshiro256** seeded with splitmix64(1): first 4 outputs (hex)\n")
        f.write(" ".join("%016x" % v for v in xoshiro_first(1, 4)) + "\n")
    print(f"wrote {out}: mmd2={mmd2:.6g} mmd2_sub={mmd2_sub:.6g} mmd2_mp={mmd2_mp:.6g} var_mp={var_mp:.6g}")


if __name__ == "__main__":
    main()
