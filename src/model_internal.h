/* model_internal.h — the layout of tt_model, shared by the engine's files (model.c, tokenizer.c,
 * forward.c). Not part of the API: everything else uses engine.h. */
#ifndef TELLTALE_MODEL_INTERNAL_H
#define TELLTALE_MODEL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* One transformer block's weights (pointers into the model buffer). Shapes: d = d_model, f = d_ff. */
typedef struct {
    const float *ln1_w, *ln1_b;        /* [d] */
    const int8_t *qkv_w;               /* [3d, d] int8, rows q (0..d), k (d..2d), v (2d..3d) */
    const float *qkv_s, *qkv_b;        /* [3d] per-row scale, bias */
    const int8_t *proj_w;              /* [d, d] */
    const float *proj_s, *proj_b;      /* [d] */
    const float *ln2_w, *ln2_b;        /* [d] */
    const int8_t *fc_w;                /* [f, d] */
    const float *fc_s, *fc_b;          /* [f] */
    const int8_t *mproj_w;             /* [d, f] */
    const float *mproj_s, *mproj_b;    /* [d] */
} tt_layer;

struct tt_model {
    uint8_t *owned;            /* the file's bytes when loaded by tt_model_load_file, else NULL */
    const uint8_t *buf;        /* the whole model file */
    size_t len;                /* its size in bytes */
    char *json;                /* NUL-terminated copy of the metadata JSON */
    tt_config cfg;             /* transformer + tokenizer configuration from the metadata */

    tt_tensor *tensors;        /* [n_tensors] in file order */
    uint32_t n_tensors;
    uint32_t *by_name;         /* [n_tensors] indices into tensors sorted by name (for lookup) */

    const int8_t *tok_emb;     /* [V, d] int8 token embedding (also the tied LM head) */
    const float *tok_scale;    /* [V] its per-row scales */
    const float *pos_emb;      /* [C, d] */
    tt_layer *layers;          /* [n_layers] */
    const float *lnf_w, *lnf_b;/* [d] final LayerNorm */
    const int32_t *merges;     /* [n_merges, 2] */

    /* tokenizer tables, built at load */
    uint32_t n_tok;            /* 256 + n_merges: ids that have bytes */
    uint32_t *tok_off;         /* [n_tok] offset of each token's bytes in tok_bytes */
    uint32_t *tok_len;         /* [n_tok] number of bytes of each token (≤ max_chunk for merges) */
    uint8_t *tok_bytes;        /* concatenated bytes of all tokens */
    uint64_t *pair_key;        /* [pair_cap] open-addressing hash: (a << 32 | b) → merge rank */
    int32_t *pair_rank;        /* [pair_cap] rank, -1 for an empty slot */
    uint32_t pair_bits;        /* pair_cap = 1 << pair_bits */
};

/* Merge rank of the pair (a, b), or -1 when (a, b) is not a merge. */
static inline int32_t tt_pair_rank(const struct tt_model *m, uint32_t a, uint32_t b) {
    uint64_t key = ((uint64_t)a << 32) | b;
    uint32_t mask = (1u << m->pair_bits) - 1u;
    uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - m->pair_bits));
    for (;;) {
        int32_t r = m->pair_rank[h];
        if (r < 0) return -1;
        if (m->pair_key[h] == key) return r;
        h = (h + 1) & mask;
    }
}

/* snprintf into err (if err_len > 0); used by all engine files. */
void tt_seterr(char *err, size_t err_len, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
