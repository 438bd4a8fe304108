/* forward.c — the transformer forward pass (docs/model-format.md, "Transformer").
 *
 * GPT-2 style pre-norm decoder run over a whole window at once: the linear layers are matrix-matrix
 * int8 products (activations quantized per row by tt_quantize_rows, weights per output row, int32
 * accumulation in tt_matmul_i8); LayerNorm, attention, GELU and the softmax statistics are float.
 * Shapes in comments: T = tokens in the window (≤ C), d = d_model, f = d_ff, V = vocab_size,
 * nh = n_heads, hs = d / nh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fastexp.h"
#include "kernels_simd.h"
#include "model_internal.h"

/* x86-64 with GCC: the float loops also get an AVX2 clone picked at load time (ifunc), so they run
 * 8 lanes wide where the CPU has AVX2. AVX2 without FMA: the same IEEE operations, the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && !defined(TT_NO_SIMD)
#define TT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TT_CLONES
#endif

struct tt_state {
    int C, d, f, V;     /* sizes it was made for: context, d_model, d_ff, vocab_size */
    float *h;           /* [C, d] residual stream */
    float *a;           /* [C, d] LayerNorm output (input of the next linear layer) */
    float *qkv;         /* [C, 3d] q | k | v per token */
    float *att;         /* [C, d] attention output (heads concatenated) */
    float *y;           /* [C, d] output of a projection, added to h */
    float *ff;          /* [C, f] MLP hidden */
    float *p;           /* [C] attention weights of one query */
    float *kt;          /* [(C+16)·d] one head's keys transposed, [hs, T rounded up to 16] */
    int8_t *xq;         /* [C, max(d, f)] quantized activations */
    float *xs;          /* [C] their per-row scales */
    float *logits;      /* [C, V] LM head output */
    float *ev;          /* [V] exp(logit − max) of one row */
    tt_matmul_fn matmul;     /* tt_matmul_i8's choice, resolved once here (CPU detection is not free) */
    tt_quantize_fn quantize; /* tt_quantize_rows's choice (NULL: the scalar reference) */
};

void tt_state_free(tt_state *s) {
    if (!s) return;
    free(s->h);
    free(s->a);
    free(s->qkv);
    free(s->att);
    free(s->y);
    free(s->ff);
    free(s->p);
    free(s->kt);
    free(s->xq);
    free(s->xs);
    free(s->logits);
    free(s->ev);
    free(s);
}

tt_state *tt_state_new(const tt_model *m, char *err, size_t err_len) {
    if (!m) {
        tt_seterr(err, err_len, "tt_state_new: model is NULL");
        return NULL;
    }
    const tt_config *c = &m->cfg;
    size_t C = (size_t)c->context, d = (size_t)c->d_model, f = (size_t)c->d_ff, V = (size_t)c->vocab_size;
    tt_state *s = calloc(1, sizeof *s);
    if (!s) goto oom;
    s->C = c->context;
    s->d = c->d_model;
    s->f = c->d_ff;
    s->V = c->vocab_size;
    s->h = malloc(C * d * sizeof(float));
    s->a = malloc(C * d * sizeof(float));
    s->qkv = malloc(C * 3 * d * sizeof(float));
    s->att = malloc(C * d * sizeof(float));
    s->y = malloc(C * d * sizeof(float));
    s->ff = malloc(C * f * sizeof(float));
    s->p = malloc(C * sizeof(float));
    s->kt = malloc((C + 16) * d * sizeof(float)); /* [hs, C rounded up to 16] per head */
    s->xq = malloc(C * (d > f ? d : f));
    s->xs = malloc(C * sizeof(float));
    s->logits = malloc(C * V * sizeof(float));
    s->ev = malloc(V * sizeof(float));
    s->matmul = tt_simd_matmul_i8(NULL);
    if (!s->matmul) s->matmul = tt_matmul_i8_ref;
    s->quantize = tt_simd_quantize_rows();
    if (!s->quantize) s->quantize = tt_quantize_rows_ref;
    if (!s->h || !s->a || !s->qkv || !s->att || !s->y || !s->ff || !s->p || !s->kt || !s->xq || !s->xs || !s->logits || !s->ev) goto oom;
    return s;
oom:
    tt_state_free(s);
    tt_seterr(err, err_len, "tt_state_new: out of memory for a %zu-token window", C);
    return NULL;
}

/* ---- layers ------------------------------------------------------------------------------- */

/* y = x·Wᵀ + b with int8 weights: x [T, in] → y [T, out]; w [out, in] int8, ws/b [out]. */
static void linear_i8(tt_state *s, float *y, const float *x, int T, int in, int out, const int8_t *w,
                      const float *ws, const float *b) {
    s->quantize(x, T, in, s->xq, s->xs);                      /* = tt_quantize_rows */
    s->matmul(y, s->xq, s->xs, w, ws, b, T, in, out);          /* = tt_matmul_i8 */
}

/* LayerNorm over the last dim: x [T, d] → y [T, d]; (x − mean) / sqrt(var + eps) · w + b, biased var. */
TT_CLONES static void layernorm(float *y, const float *x, int T, int d, const float *w, const float *b, float eps) {
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * d;
        float *yr = y + (size_t)t * d;
        /* both sums in 4 interleaved partial sums (i mod 4) combined in a fixed order: no single
         * chain of dependent double additions, and the same result on every platform */
        double ps[4] = {0, 0, 0, 0}, pv[4] = {0, 0, 0, 0};
        int i = 0;
        for (; i + 4 <= d; i += 4)
            for (int k = 0; k < 4; k++) ps[k] += xr[i + k];
        for (; i < d; i++) ps[0] += xr[i];
        double mean = ((ps[0] + ps[1]) + (ps[2] + ps[3])) / d;
        for (i = 0; i + 4 <= d; i += 4)
            for (int k = 0; k < 4; k++) {
                double z = xr[i + k] - mean;
                pv[k] += z * z;
            }
        for (; i < d; i++) {
            double z = xr[i] - mean;
            pv[0] += z * z;
        }
        double var = ((pv[0] + pv[1]) + (pv[2] + pv[3])) / d;
        float inv = (float)(1.0 / sqrt(var + (double)eps));
        float mu = (float)mean;
        for (i = 0; i < d; i++) yr[i] = (xr[i] - mu) * inv * w[i] + b[i];
    }
}

/* GELU, tanh approximation, in place: x [n]. tanh(u) is computed as 1 − 2/(exp(2u) + 1) with
 * tt_expf (fastexp.h: vectorizes, same bits native and wasm; for u → ±∞ it gives exactly ±1, and
 * the difference from tanhf is a few ulp). */
TT_CLONES static void gelu_tanh(float *x, size_t n) {
    const float k = 0.7978845608028654f; /* sqrt(2/π) */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = k * (v + 0.044715f * v * v * v);
        float th = 1.0f - 2.0f / (tt_expf(2.0f * u) + 1.0f);
        x[i] = 0.5f * v * (1.0f + th);
    }
}

/* Causal multi-head attention: qkv [T, 3d] (q | k | v) → out [T, d]; p: scratch [T];
 * kt: scratch [hs, Tp] (Tp = T rounded up to 16; the padding columns are zero).
 * For head h and query t: softmax over k ≤ t of q_t·k_k / sqrt(hs), then Σ_k p_k v_k.
 * The head's keys are transposed into kt so the scores of one query are accumulated over k in
 * independent lanes; both products run in register blocks of 16 (16 keys × all j for the scores,
 * all keys × 16 output dims for p·V), so each float sum is still formed in the same order
 * (from 0, over j resp. over k ascending: the same bits as the plain loops) while the inner loops
 * vectorize without storing partial sums to memory. */
#define TT_ATT_BLOCK 16

/* 8 floats as one value: GCC/Clang vector extensions (one AVX register in the AVX2 clones, two SSE
 * registers otherwise, two v128 under -msimd128, scalar code without SIMD); element-wise IEEE
 * operations, so the same bits as the scalar loops. */
#if defined(__GNUC__) || defined(__clang__)
typedef float tt_v8 __attribute__((vector_size(32)));
typedef float tt_v8u __attribute__((vector_size(32), aligned(4)));
/* macros, not functions: a function returning a 32-byte vector would change the ABI without AVX */
#define tt_load8(p) (*(const tt_v8u *)(const void *)(p))
#define tt_store8(p, v) (*(tt_v8u *)(void *)(p) = (v))
#else
#error "attention() needs GCC or Clang vector extensions"
#endif
TT_CLONES static void attention(float *out, const float *qkv, float *p, float *kt, int T, int d, int nh) {
    int hs = d / nh, Tp = (T + TT_ATT_BLOCK - 1) / TT_ATT_BLOCK * TT_ATT_BLOCK;
    float scale = 1.0f / sqrtf((float)hs);
    size_t stride = 3 * (size_t)d;
    for (int h = 0; h < nh; h++) {
        for (int j = 0; j < hs; j++) {
            float *row = kt + (size_t)j * Tp;
            for (int k = 0; k < T; k++) row[k] = qkv[(size_t)k * stride + d + (size_t)h * hs + j];
            for (int k = T; k < Tp; k++) row[k] = 0.0f;
        }
        for (int t = 0; t < T; t++) {
            const float *q = qkv + (size_t)t * stride + (size_t)h * hs;
            for (int k0 = 0; k0 <= t; k0 += TT_ATT_BLOCK) { /* scores of keys k0 .. k0+15 */
                tt_v8 a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0;
                for (int j = 0; j < hs; j++) {
                    float qj = q[j];
                    tt_v8 qv = {qj, qj, qj, qj, qj, qj, qj, qj};
                    const float *kr = kt + (size_t)j * Tp + k0;
                    a0 += qv * tt_load8(kr);
                    a1 += qv * tt_load8(kr + 8);
                }
                float acc[TT_ATT_BLOCK];
                tt_store8(acc, a0), tt_store8(acc + 8, a1);
                int kn = t + 1 - k0 < TT_ATT_BLOCK ? t + 1 - k0 : TT_ATT_BLOCK;
                for (int u = 0; u < kn; u++) p[k0 + u] = acc[u];
            }
            /* max in 4 interleaved partial maxima (exact: the same max), the sum in 4 interleaved
             * partial sums combined in a fixed order (same result on every platform) */
            float pm[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}, psum[4] = {0, 0, 0, 0};
            int n = t + 1, k = 0;
            for (k = 0; k < n; k++) p[k] *= scale;
            for (k = 0; k + 4 <= n; k += 4)
                for (int u = 0; u < 4; u++) pm[u] = p[k + u] > pm[u] ? p[k + u] : pm[u];
            for (; k < n; k++) pm[0] = p[k] > pm[0] ? p[k] : pm[0];
            float m01 = pm[1] > pm[0] ? pm[1] : pm[0], m23 = pm[3] > pm[2] ? pm[3] : pm[2];
            float mx = m23 > m01 ? m23 : m01;
            for (k = 0; k < n; k++) p[k] = tt_expf(p[k] - mx); /* vectorizes */
            for (k = 0; k + 4 <= n; k += 4)
                for (int u = 0; u < 4; u++) psum[u] += p[k + u];
            for (; k < n; k++) psum[0] += p[k];
            float sum = (psum[0] + psum[1]) + (psum[2] + psum[3]);
            float inv = 1.0f / sum;
            float *o = out + (size_t)t * d + (size_t)h * hs;
            const float *vh = qkv + 2 * (size_t)d + (size_t)h * hs;
            int j0 = 0;
            for (; j0 + TT_ATT_BLOCK <= hs; j0 += TT_ATT_BLOCK) { /* output dims j0 .. j0+15 */
                tt_v8 a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0;
                for (int k = 0; k <= t; k++) {
                    const float *v = vh + (size_t)k * stride + j0;
                    float w = p[k] * inv;
                    tt_v8 wv = {w, w, w, w, w, w, w, w};
                    a0 += wv * tt_load8(v);
                    a1 += wv * tt_load8(v + 8);
                }
                tt_store8(o + j0, a0), tt_store8(o + j0 + 8, a1);
            }
            for (; j0 < hs; j0++) {
                float a = 0.0f;
                for (int k = 0; k <= t; k++) a += (p[k] * inv) * vh[(size_t)k * stride + j0];
                o[j0] = a;
            }
        }
    }
}

/* h += b (both [n]). */
TT_CLONES static void add_inplace(float *h, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) h[i] += b[i];
}

/* One transformer block on the residual stream s->h [T, d]. */
static void block(const tt_model *m, const tt_layer *l, tt_state *s, int T) {
    const tt_config *c = &m->cfg;
    int d = c->d_model, f = c->d_ff;
    layernorm(s->a, s->h, T, d, l->ln1_w, l->ln1_b, c->norm_eps);               /* a: [T, d] */
    linear_i8(s, s->qkv, s->a, T, d, 3 * d, l->qkv_w, l->qkv_s, l->qkv_b);       /* qkv: [T, 3d] */
    attention(s->att, s->qkv, s->p, s->kt, T, d, c->n_heads);                            /* att: [T, d] */
    linear_i8(s, s->y, s->att, T, d, d, l->proj_w, l->proj_s, l->proj_b);         /* y: [T, d] */
    add_inplace(s->h, s->y, (size_t)T * d);
    layernorm(s->a, s->h, T, d, l->ln2_w, l->ln2_b, c->norm_eps);               /* a: [T, d] */
    linear_i8(s, s->ff, s->a, T, d, f, l->fc_w, l->fc_s, l->fc_b);               /* ff: [T, f] */
    gelu_tanh(s->ff, (size_t)T * f);
    linear_i8(s, s->y, s->ff, T, f, d, l->mproj_w, l->mproj_s, l->mproj_b);       /* y: [T, d] */
    add_inplace(s->h, s->y, (size_t)T * d);
}

/* Embedding: ids [T] → s->h [T, d] = dequant(tok_emb[id]) + pos_emb[t] (positions from 0 per window). */
static void embed(const tt_model *m, tt_state *s, const int32_t *ids, int T) {
    int d = m->cfg.d_model;
    for (int t = 0; t < T; t++) {
        const int8_t *e = m->tok_emb + (size_t)ids[t] * d;
        float sc = m->tok_scale[ids[t]];
        const float *pe = m->pos_emb + (size_t)t * d;
        float *h = s->h + (size_t)t * d;
        for (int i = 0; i < d; i++) h[i] = sc * (float)e[i] + pe[i];
    }
}

/* LM statistics from one row of logits [V] for the observed next token `next`; e: scratch [V].
 * With z_j = logit_j − max, e_j = exp(z_j) (tt_expf, float), S = Σ e, A = Σ e·z, B = Σ e·z² (double):
 *   log p_j = z_j − log S,  H = −Σ p log p = log S − A/S,  var = Σ p (log p)² − H² = B/S − (A/S)².
 * The three sums are accumulated in 4 interleaved partial sums each (j mod 4), combined in a fixed
 * order, so the loops vectorize and the result is the same on every platform. */
TT_CLONES static void token_stat(const float *logits, float *e, int V, int next, tt_tokstat *st) {
    float obs = logits[next], mx = logits[0];
    int32_t rank = 1;
    for (int j = 0; j < V; j++) {
        mx = logits[j] > mx ? logits[j] : mx;
        rank += logits[j] > obs;
    }
    for (int j = 0; j < V; j++) e[j] = tt_expf(logits[j] - mx); /* vectorizes */
    double s[4] = {0, 0, 0, 0}, a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
    int j = 0;
    for (; j + 4 <= V; j += 4)
        for (int k = 0; k < 4; k++) {
            double ek = e[j + k], zk = (double)(logits[j + k] - mx), ez = ek * zk;
            s[k] += ek;
            a[k] += ez;
            b[k] += ez * zk;
        }
    for (; j < V; j++) {
        double ek = e[j], zk = (double)(logits[j] - mx), ez = ek * zk;
        s[0] += ek;
        a[0] += ez;
        b[0] += ez * zk;
    }
    double S = (s[0] + s[1]) + (s[2] + s[3]), A = (a[0] + a[1]) + (a[2] + a[3]), B = (b[0] + b[1]) + (b[2] + b[3]);
    double lsum = log(S), am = A / S;
    st->logprob = (float)((double)(obs - mx) - lsum);
    st->rank = rank;
    st->entropy = (float)(lsum - am);
    st->var = (float)(B / S - am * am);
}

/* One window: ids [T] (T ≤ C). Writes rows [o0, T) of the window: hidden rows to hid [T-o0, d]
 * and stats for those rows whose next token exists (next[k] for row o0+k, or -1 when none). */
static void window(const tt_model *m, tt_state *s, const int32_t *ids, int T, int o0, float *hid,
                   tt_tokstat *stats, const int32_t *next, int n_next) {
    const tt_config *c = &m->cfg;
    int d = c->d_model, V = c->vocab_size;
    embed(m, s, ids, T);                                                          /* h: [T, d] */
    for (int L = 0; L < c->n_layers; L++) block(m, &m->layers[L], s, T);
    int R = T - o0;                                                               /* rows wanted */
    float *hf = s->a + (size_t)o0 * d;                                            /* [R, d] */
    layernorm(hf, s->h + (size_t)o0 * d, R, d, m->lnf_w, m->lnf_b, c->norm_eps);
    if (hid) memcpy(hid, hf, (size_t)R * d * sizeof(float));
    if (stats && n_next > 0) {
        /* tied head: logits [n_next, V] = hidden · dequant(tok_emb)ᵀ */
        linear_i8(s, s->logits, hf, n_next, d, V, m->tok_emb, m->tok_scale, NULL);
        for (int k = 0; k < n_next; k++) token_stat(s->logits + (size_t)k * V, s->ev, V, next[k], &stats[k]);
    }
}

tt_status tt_forward(const tt_model *m, tt_state *s, const int32_t *ids, size_t n, float *hidden, tt_tokstat *stats,
                     char *err, size_t err_len) {
    if (!m || !s || !ids) {
        tt_seterr(err, err_len, "tt_forward: %s is NULL", !m ? "model" : !s ? "state" : "ids");
        return TT_ERR_ARG;
    }
    const tt_config *c = &m->cfg;
    if (s->C != c->context || s->d != c->d_model || s->f != c->d_ff || s->V != c->vocab_size) {
        tt_seterr(err, err_len, "tt_forward: the state was made for another model");
        return TT_ERR_ARG;
    }
    if (n == 0) {
        tt_seterr(err, err_len, "tt_forward: expected at least one token, found 0");
        return TT_ERR_ARG;
    }
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= c->vocab_size) {
            tt_seterr(err, err_len, "tt_forward: token %zu: expected an id in [0, %d), found %d", i, c->vocab_size,
                      (int)ids[i]);
            return TT_ERR_ARG;
        }
    size_t C = (size_t)c->context, stride = C / 2, d = (size_t)c->d_model;
    /* Windows start at 0, stride, 2·stride, …; each outputs the tokens after the previous window's
     * end, i.e. the first window all its tokens and each later one its tokens from position C − stride
     * on: for every token that is the window where it has the most left context. */
    size_t done = 0;
    for (size_t ws = 0; done < n; ws += stride) {
        size_t we = ws + C < n ? ws + C : n;
        int T = (int)(we - ws), o0 = (int)(done - ws);
        /* stats rows: positions done..we-1 that have a next token (position < n-1) */
        size_t last = we < n ? we : n - 1; /* exclusive end of rows with a next token */
        int n_next = last > done ? (int)(last - done) : 0;
        window(m, s, ids + ws, T, o0, hidden ? hidden + done * d : NULL, stats ? stats + done : NULL, ids + done + 1,
               n_next);
        done = we;
    }
    return TT_OK;
}
