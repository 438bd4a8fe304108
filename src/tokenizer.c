/* tokenizer.c — byte-level BPE with the `telltale-v1` pre-tokenizer (docs/model-format.md).
 *
 * Bytes are split into chunks of at most max_chunk bytes by the pre-tokenizer; BPE runs inside each
 * chunk: start with one token per byte and repeatedly merge the adjacent pair of lowest rank
 * (leftmost on ties) until no adjacent pair is a merge. The pair → rank lookup is the hash table built
 * at load (model.c); each chunk keeps the rank of every adjacent pair and recomputes only the two
 * pairs next to a merge, so a chunk of n bytes costs O(n²) comparisons at worst and n is ≤ max_chunk. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "model_internal.h"

enum { CL_S = 0, CL_L = 1, CL_D = 2, CL_P = 3 };

/* Byte class: S = space \t \n \v \f \r; L = A–Z a–z or ≥ 0x80; D = 0–9; P = everything else. */
static inline int byte_class(uint8_t b) {
    if (b == 0x20 || (b >= 0x09 && b <= 0x0D)) return CL_S;
    if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b >= 0x80) return CL_L;
    if (b >= '0' && b <= '9') return CL_D;
    return CL_P;
}

/* End (exclusive) of the chunk that starts at i: rules 1–3 of the pre-tokenizer, then the max_chunk
 * cut. Cutting a run into max_chunk pieces is the same as cutting at i + max_chunk and scanning again
 * from there (the rest of a run re-scans to the same run end). */
static size_t chunk_end(const uint8_t *s, size_t n, size_t i, size_t max_chunk) {
    size_t j;
    if (s[i] == 0x20 && i + 1 < n && byte_class(s[i + 1]) != CL_S) {
        /* rule 1: a space plus the run of the next byte's class */
        int c = byte_class(s[i + 1]);
        j = i + 2;
        while (j < n && byte_class(s[j]) == c) j++;
    } else if (byte_class(s[i]) == CL_S) {
        /* rule 2: a whitespace run; its final space goes to the next chunk if a non-space follows */
        j = i + 1;
        while (j < n && byte_class(s[j]) == CL_S) j++;
        if (j < n && s[j - 1] == 0x20 && j - i > 1) j--;
    } else {
        /* rule 3: a run of one class */
        int c = byte_class(s[i]);
        j = i + 1;
        while (j < n && byte_class(s[j]) == c) j++;
    }
    if (j - i > max_chunk) j = i + max_chunk;
    return j;
}

/* BPE on one chunk s[0..n) (n ≤ max_chunk). tok/len/rank are scratch of max_chunk entries.
 * Appends the tokens to out (ids, start = base + offset, end). Returns the number of tokens. */
static size_t bpe_chunk(const tt_model *m, const uint8_t *s, size_t n, uint32_t base, int32_t *tok, uint32_t *len,
                        int32_t *rank, int32_t *ids, uint32_t *start, uint32_t *end) {
    for (size_t k = 0; k < n; k++) {
        tok[k] = s[k];
        len[k] = 1;
    }
    size_t cnt = n;
    for (size_t k = 0; k + 1 < cnt; k++) rank[k] = tt_pair_rank(m, (uint32_t)tok[k], (uint32_t)tok[k + 1]);
    while (cnt > 1) {
        int32_t best = -1;
        size_t bi = 0;
        for (size_t k = 0; k + 1 < cnt; k++)
            if (rank[k] >= 0 && (best < 0 || rank[k] < best)) {
                best = rank[k];
                bi = k;
            }
        if (best < 0) break;
        tok[bi] = 256 + best;
        len[bi] += len[bi + 1];
        /* remove element bi+1 */
        memmove(tok + bi + 1, tok + bi + 2, (cnt - bi - 2) * sizeof *tok);
        memmove(len + bi + 1, len + bi + 2, (cnt - bi - 2) * sizeof *len);
        if (bi + 2 < cnt) memmove(rank + bi + 1, rank + bi + 2, (cnt - bi - 2 - 1) * sizeof *rank);
        cnt--;
        if (bi > 0) rank[bi - 1] = tt_pair_rank(m, (uint32_t)tok[bi - 1], (uint32_t)tok[bi]);
        if (bi + 1 < cnt) rank[bi] = tt_pair_rank(m, (uint32_t)tok[bi], (uint32_t)tok[bi + 1]);
    }
    uint32_t pos = base;
    for (size_t k = 0; k < cnt; k++) {
        ids[k] = tok[k];
        start[k] = pos;
        pos += len[k];
        end[k] = pos;
    }
    return cnt;
}

void tt_tokens_free(tt_tokens *t) {
    if (!t) return;
    free(t->ids);
    free(t->start);
    free(t->end);
    t->ids = NULL;
    t->start = t->end = NULL;
    t->n = 0;
}

tt_status tt_tokenize(const tt_model *m, const char *text, size_t len, tt_tokens *out, char *err, size_t err_len) {
    if (!out) {
        tt_seterr(err, err_len, "tt_tokenize: out is NULL");
        return TT_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    if (!m || (!text && len > 0)) {
        tt_seterr(err, err_len, "tt_tokenize: %s is NULL", m ? "text" : "model");
        return TT_ERR_ARG;
    }
    if (len > (size_t)UINT32_MAX) {
        tt_seterr(err, err_len, "tt_tokenize: %zu bytes is more than the 4 GiB byte offsets can address", len);
        return TT_ERR_TOO_LARGE;
    }
    if (len == 0) return TT_OK;
    size_t mc = (size_t)m->cfg.max_chunk;
    /* output arrays grow as needed (prose gives ~1 token per 4 bytes; at most 1 per byte) */
    size_t cap = len / 3 + mc + 16;
    if (cap > len) cap = len;
    out->ids = malloc(cap * sizeof *out->ids);
    out->start = malloc(cap * sizeof *out->start);
    out->end = malloc(cap * sizeof *out->end);
    int32_t *tok = malloc(mc * sizeof *tok);
    uint32_t *tl = malloc(mc * sizeof *tl);
    int32_t *rank = malloc(mc * sizeof *rank);
    if (!out->ids || !out->start || !out->end || !tok || !tl || !rank) goto oom;
    const uint8_t *s = (const uint8_t *)text;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = chunk_end(s, len, i, mc);
        if (n + (j - i) > cap) {
            size_t nc = cap + cap / 2 + mc;
            if (nc > len) nc = len;
            int32_t *ids = realloc(out->ids, nc * sizeof *ids);
            if (ids) out->ids = ids;
            uint32_t *st = realloc(out->start, nc * sizeof *st);
            if (st) out->start = st;
            uint32_t *en = realloc(out->end, nc * sizeof *en);
            if (en) out->end = en;
            if (!ids || !st || !en) goto oom;
            cap = nc;
        }
        n += bpe_chunk(m, s + i, j - i, (uint32_t)i, tok, tl, rank, out->ids + n, out->start + n, out->end + n);
        i = j;
    }
    free(tok);
    free(tl);
    free(rank);
    out->n = n;
    /* shrink to fit (failure to shrink is harmless) */
    int32_t *ids = realloc(out->ids, n * sizeof *ids);
    if (ids) out->ids = ids;
    uint32_t *st = realloc(out->start, n * sizeof *st);
    if (st) out->start = st;
    uint32_t *en = realloc(out->end, n * sizeof *en);
    if (en) out->end = en;
    return TT_OK;
oom:
    free(tok);
    free(tl);
    free(rank);
    tt_tokens_free(out);
    tt_seterr(err, err_len, "tt_tokenize: out of memory for the tokens of %zu bytes of text", len);
    return TT_ERR_NOMEM;
}

size_t tt_token_bytes(const tt_model *m, int id, char *buf, size_t cap) {
    if (!m || id < 0 || (uint32_t)id >= m->n_tok) return 0; /* BOS and unused ids have no bytes */
    size_t n = m->tok_len[id];
    if (buf && cap) memcpy(buf, m->tok_bytes + m->tok_off[id], n < cap ? n : cap);
    return n;
}
