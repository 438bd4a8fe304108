/* engine.h — telltale's inference engine (internal API, shared by the detector, CLI, wasm and tests).
 *
 * Overview
 *   tt_model     the loaded model file: metadata, tensors, tokenizer (docs/model-format.md).
 *   tt_tokens    the result of tokenizing a byte string: ids and the byte range each covers.
 *   tt_forward   runs the int8 transformer over a whole token sequence at once (matrix-matrix),
 *                windowed when longer than the context; returns final hidden states and, when
 *                asked, per-token LM statistics.
 *
 * Ownership: every *_load, *_encode, *_new function returns memory the caller frees with the matching *_free.
 * Errors: functions that can fail take `char *err, size_t err_len` and write a message a person can
 * act on (which tensor / byte / field, what was expected, what was found); they return NULL or a
 * non-zero tt_status. No global state: everything lives in the structs.
 */
#ifndef TELLTALE_ENGINE_H
#define TELLTALE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Resource limits on what a model file may ask for (docs/model-format.md, docs/hardening.md): every
 * allocation the engine makes from file fields is either bounded by the file's size or by these. */
#define TT_MAX_CHUNK_LIMIT 1024u              /* tokenizer.max_chunk ≤ this (BPE costs O(max_chunk) per byte) */
#define TT_MAX_TOKEN_BYTES (64u << 20)        /* the bytes of all tokens together (tokenizer tables) */
#define TT_MAX_WINDOW_BYTES (512u << 20)      /* forward scratch for one context window (tt_state_new) */

typedef enum {
    TT_OK = 0,
    TT_ERR_IO = 1,        /* file could not be read */
    TT_ERR_FORMAT = 2,    /* model file malformed: bad magic, version, offsets, shapes, checksum */
    TT_ERR_NOMEM = 3,     /* allocation failed */
    TT_ERR_ARG = 4,       /* bad argument (NULL, size out of range) */
    TT_ERR_CANCELLED = 5, /* a progress callback asked to stop */
    TT_ERR_TOO_LARGE = 6  /* input beyond a documented limit */
} tt_status;

enum { TT_DTYPE_F32 = 0, TT_DTYPE_I8 = 1, TT_DTYPE_I32 = 2 };

typedef struct {
    char name[64];      /* NUL-terminated tensor name, e.g. "blocks.0.attn.qkv.weight" */
    uint32_t dtype;     /* TT_DTYPE_* */
    uint32_t ndim;      /* 1..4 */
    uint32_t shape[4];  /* unused dims are 1 */
    const void *data;   /* points into the model buffer (never copied), 64-byte aligned offset */
    size_t nbytes;      /* product(shape) * dtype size */
} tt_tensor;

typedef struct {
    int vocab_size;     /* V: number of token ids, bytes + merges + the BOS token */
    int d_model;        /* d: width of the residual stream */
    int n_layers;       /* number of transformer blocks */
    int n_heads;        /* attention heads; head size = d_model / n_heads */
    int d_ff;           /* f: hidden width of the MLP */
    int context;        /* C: maximum positions (pos_emb rows) */
    float norm_eps;     /* LayerNorm epsilon */
    int bos_id;         /* the one special token, prepended to every sequence */
    int n_merges;       /* BPE merges; token 256+r is merge r */
    int max_chunk;      /* pre-tokenizer chunk limit in bytes */
} tt_config;

typedef struct tt_model tt_model; /* opaque */

/* Load from a caller-owned buffer. The buffer must stay alive and unchanged until tt_model_free
 * (tensors point into it; no copy). The CRC-32 of the payload is verified. */
tt_model *tt_model_load_buffer(const void *buf, size_t len, char *err, size_t err_len);
/* Load from a file (the model owns the bytes it reads). */
tt_model *tt_model_load_file(const char *path, char *err, size_t err_len);
void tt_model_free(tt_model *m);

const tt_config *tt_model_config(const tt_model *m);
/* The metadata JSON text (NUL-terminated, owned by the model). */
const char *tt_model_metadata(const tt_model *m);
/* Find a tensor by name; NULL if absent. */
const tt_tensor *tt_model_tensor(const tt_model *m, const char *name);

/* ---- tokenizer ---------------------------------------------------------------------------- */

typedef struct {
    int32_t *ids;       /* [n] token ids */
    uint32_t *start;    /* [n] byte offset of the first byte the token covers */
    uint32_t *end;      /* [n] byte offset one past the last byte it covers */
    size_t n;           /* number of tokens */
} tt_tokens;

/* Encode `len` bytes (any bytes: invalid UTF-8 and NUL are tokenized as raw bytes). Returns
 * TT_OK and fills *out (caller frees with tt_tokens_free). Empty input gives n = 0. */
tt_status tt_tokenize(const tt_model *m, const char *text, size_t len, tt_tokens *out,
                      char *err, size_t err_len);
void tt_tokens_free(tt_tokens *t);
/* Bytes of one token id (for decoding / tests): writes up to cap bytes, returns the full length. */
size_t tt_token_bytes(const tt_model *m, int id, char *buf, size_t cap);

/* ---- forward ------------------------------------------------------------------------------ */

typedef struct {
    float logprob;      /* log p(observed next token) */
    int32_t rank;       /* 1 + number of tokens with a strictly larger logit */
    float entropy;      /* −Σ p log p of the predictive distribution */
    float var;          /* Σ p (log p)² − entropy²  (Fast-DetectGPT's analytic variance) */
} tt_tokstat;

/* Scratch buffers for the forward pass, sized for one window; reuse across calls. */
typedef struct tt_state tt_state;
tt_state *tt_state_new(const tt_model *m, char *err, size_t err_len);
void tt_state_free(tt_state *s);

/* Run the transformer over ids[0..n) (n ≥ 1; any length — windows of `context` with stride
 * context/2 beyond it).
 *   hidden: [n, d_model] final hidden states (after ln_f), or NULL
 *   stats:  [n-1] LM statistics: stats[i] is about ids[i+1] given ids[0..i], or NULL
 * Returns TT_OK, or an error (bad id, n = 0, allocation). */
tt_status tt_forward(const tt_model *m, tt_state *s, const int32_t *ids, size_t n,
                     float *hidden, tt_tokstat *stats, char *err, size_t err_len);

/* ---- kernels (kernels.c: scalar reference; kernels_simd.c: wasm SIMD128 / x86 when available) ---- */

/* Quantize rows of x [rows, cols] to int8 with one scale per row: x ≈ xs[r]·xq[r][c]. */
void tt_quantize_rows_ref(const float *x, int rows, int cols, int8_t *xq, float *xs); /* scalar reference */
void tt_quantize_rows(const float *x, int rows, int cols, int8_t *xq, float *xs);     /* SIMD when available, same bits */

/* y[t][o] = ws[o]·xs[t]·Σ_i w[o][i]·xq[t][i] + (bias ? bias[o] : 0)
 *   xq: [T, in] int8, xs: [T]; w: [out, in] int8, ws: [out]; y: [T, out] float. */
void tt_matmul_i8_ref(float *y, const int8_t *xq, const float *xs, const int8_t *w, const float *ws,
                      const float *bias, int T, int in, int out);
void tt_matmul_i8(float *y, const int8_t *xq, const float *xs, const int8_t *w, const float *ws,
                  const float *bias, int T, int in, int out);   /* fastest available kernel */
const char *tt_kernel_name(void); /* "wasm-simd128", "x86-avx-vnni", "x86-avx2" or "scalar" */

#ifdef __cplusplus
}
#endif
#endif
