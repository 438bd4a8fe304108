/* model.c — loads and validates a telltale model file (docs/model-format.md, version 1).
 *
 * The loader never reads outside the buffer: every size and offset from the file is checked with
 * overflow-safe arithmetic before it is used. Tensors point into the buffer (no copy). Everything the
 * transformer and tokenizer need must be present with exactly the dtype and shape the metadata
 * implies; any failure returns NULL with a message naming the field or tensor, expected vs found. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TT_CJSON_LOCAL
#include "cJSON.h"
#else
#include <cjson/cJSON.h>
#endif

#include "engine.h"
#include "model_internal.h"

#define TT_HEADER_SIZE 40u
#define TT_ENTRY_SIZE 96u
#define TT_MAX_TENSORS 4096u
#define TT_ALIGN 64u

void tt_seterr(char *err, size_t err_len, const char *fmt, ...) {
    if (!err || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static uint32_t rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd_u64(const uint8_t *p) { return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32; }

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; the same as zlib's crc32). The table is
 * computed on the stack on each call (256 entries: negligible next to hashing megabytes). */
/* CRC-32 (IEEE, reflected, zlib's crc32), slicing-by-8: eight bytes per step through eight 256-entry
 * tables (t[k][b] = CRC of byte b followed by k zero bytes); the byte-at-a-time loop for the tail.
 * About 5× faster than one table (the checksum is part of every cold start). */
static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
    static const uint32_t poly = 0xEDB88320u;
    uint32_t t[8][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? poly ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++) t[k][i] = t[0][t[k - 1][i] & 0xFFu] ^ (t[k - 1][i] >> 8);
    uint32_t crc = 0xFFFFFFFFu;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24);
        uint32_t hi = (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 | (uint32_t)p[i + 6] << 16 | (uint32_t)p[i + 7] << 24;
        crc = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
              t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
    }
    for (; i < n; i++) crc = t[0][(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static const char *dtype_name(uint32_t dt) {
    switch (dt) {
    case TT_DTYPE_F32: return "f32";
    case TT_DTYPE_I8: return "i8";
    case TT_DTYPE_I32: return "i32";
    default: return "?";
    }
}
static size_t dtype_size(uint32_t dt) { return dt == TT_DTYPE_I8 ? 1 : 4; }

/* "[a, b]" for a shape (ndim dims). */
static void fmt_shape(char *out, size_t cap, uint32_t ndim, const uint32_t *shape) {
    size_t k = 0;
    k += (size_t)snprintf(out + k, cap - k, "[");
    for (uint32_t i = 0; i < ndim && i < 4 && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, i ? ", %u" : "%u", shape[i]);
    if (k < cap) snprintf(out + k, cap - k, "]");
}

/* ---- metadata ------------------------------------------------------------------------------ */

static const cJSON *get_obj(const cJSON *root, const char *key, char *err, size_t err_len) {
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsObject(o)) {
        tt_seterr(err, err_len, "metadata: expected an object \"%s\", found %s", key, o ? "another type" : "nothing");
        return NULL;
    }
    return o;
}

static int get_int(const cJSON *obj, const char *where, const char *key, long lo, long hi, int *out,
                   char *err, size_t err_len) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v)) {
        tt_seterr(err, err_len, "metadata: %s.%s: expected an integer in [%ld, %ld], found %s", where, key, lo, hi,
                  v ? "a non-number" : "nothing");
        return 0;
    }
    double d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || d != floor(d)) {
        tt_seterr(err, err_len, "metadata: %s.%s: expected an integer in [%ld, %ld], found %g", where, key, lo, hi, d);
        return 0;
    }
    *out = (int)d;
    return 1;
}

static int expect_str(const cJSON *obj, const char *where, const char *key, const char *want, char *err,
                      size_t err_len) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0) {
        tt_seterr(err, err_len, "metadata: %s%s%s: expected \"%s\", found %s%s%s", where, *where ? "." : "", key, want,
                  cJSON_IsString(v) ? "\"" : "", cJSON_IsString(v) ? v->valuestring : (v ? "a non-string" : "nothing"),
                  cJSON_IsString(v) ? "\"" : "");
        return 0;
    }
    return 1;
}

static int parse_metadata(const char *json, size_t json_len, tt_config *c, char *err, size_t err_len) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, json_len, &end, 0);
    /* only whitespace may follow the object inside json_len */
    while (root && end && end < json + json_len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
    if (root && end != json + json_len) {
        tt_seterr(err, err_len, "metadata: expected the JSON object to fill json_len = %zu bytes, found %ld bytes after it",
                  json_len, end ? (long)(json + json_len - end) : -1L);
        cJSON_Delete(root);
        return 0;
    }
    if (!root || !cJSON_IsObject(root)) {
        const char *at = end; /* on a parse error cJSON points it at the error */
        long off = (at && at >= json && at <= json + json_len) ? (long)(at - json) : -1;
        tt_seterr(err, err_len, "metadata: expected a JSON object, found invalid JSON (near byte %ld of %zu)", off,
                  json_len);
        cJSON_Delete(root);
        return 0;
    }
    int ok = 0, version = 0;
    const cJSON *mo, *to, *eps;
    if (!expect_str(root, "", "format", "telltale-model", err, err_len)) goto done;
    if (!get_int(root, "metadata", "version", 1, 1, &version, err, err_len)) goto done;
    if (!(mo = get_obj(root, "model", err, err_len))) goto done;
    if (!(to = get_obj(root, "tokenizer", err, err_len))) goto done;
    if (!get_int(mo, "model", "vocab_size", 257, 1 << 20, &c->vocab_size, err, err_len)) goto done;
    if (!get_int(mo, "model", "d_model", 1, 1 << 14, &c->d_model, err, err_len)) goto done;
    if (!get_int(mo, "model", "n_layers", 1, 256, &c->n_layers, err, err_len)) goto done;
    if (!get_int(mo, "model", "n_heads", 1, c->d_model, &c->n_heads, err, err_len)) goto done;
    if (!get_int(mo, "model", "d_ff", 1, 1 << 16, &c->d_ff, err, err_len)) goto done;
    if (!get_int(mo, "model", "context", 2, 1 << 14, &c->context, err, err_len)) goto done;
    if (!get_int(mo, "model", "bos_id", 0, c->vocab_size - 1, &c->bos_id, err, err_len)) goto done;
    eps = cJSON_GetObjectItemCaseSensitive(mo, "norm_eps");
    /* at least 1e-12 so that it stays a positive normal float (1e-85 would round to 0) */
    if (!cJSON_IsNumber(eps) || !(eps->valuedouble >= 1e-12 && eps->valuedouble < 1.0)) {
        tt_seterr(err, err_len, "metadata: model.norm_eps: expected a number in [1e-12, 1), found %s",
                  cJSON_IsNumber(eps) ? "a number outside it" : (eps ? "a non-number" : "nothing"));
        goto done;
    }
    c->norm_eps = (float)eps->valuedouble;
    if (c->d_model % c->n_heads != 0) {
        tt_seterr(err, err_len, "metadata: model.d_model = %d must be a multiple of model.n_heads = %d", c->d_model,
                  c->n_heads);
        goto done;
    }
    if (!expect_str(to, "tokenizer", "type", "byte-bpe", err, err_len)) goto done;
    if (!expect_str(to, "tokenizer", "pretokenizer", "telltale-v1", err, err_len)) goto done;
    if (!get_int(to, "tokenizer", "n_merges", 0, c->vocab_size - 257, &c->n_merges, err, err_len)) goto done;
    if (!get_int(to, "tokenizer", "max_chunk", 1, TT_MAX_CHUNK_LIMIT, &c->max_chunk, err, err_len)) goto done;
    if (c->bos_id < 256 + c->n_merges) {
        tt_seterr(err, err_len, "metadata: model.bos_id = %d collides with a byte or merge token (expected ≥ %d)",
                  c->bos_id, 256 + c->n_merges);
        goto done;
    }
    {
        /* scratch of one forward window (tt_state_new): C·(8d + f + V + 2) + V floats and C·max(d, f)
         * int8; bounded here, since C·V can be far larger than the tensors that imply C and V */
        uint64_t C = (uint64_t)c->context, d = (uint64_t)c->d_model, f = (uint64_t)c->d_ff, V = (uint64_t)c->vocab_size;
        uint64_t work = 4 * (C * (8 * d + f + V + 2) + V) + C * (d > f ? d : f);
        if (work > TT_MAX_WINDOW_BYTES) {
            tt_seterr(err, err_len,
                      "metadata: model.context = %d with d_model = %d, d_ff = %d, vocab_size = %d needs %llu MiB of "
                      "forward scratch per window, more than the %u MiB limit (TT_MAX_WINDOW_BYTES)",
                      c->context, c->d_model, c->d_ff, c->vocab_size, (unsigned long long)(work >> 20),
                      TT_MAX_WINDOW_BYTES >> 20);
            goto done;
        }
    }
    ok = 1;
done:
    cJSON_Delete(root);
    return ok;
}

/* ---- tensors ------------------------------------------------------------------------------- */

/* Order of tensors a and b by name (by_data = 0) or by data address (by_data = 1). */
static int cmp_tensor(uint32_t a, uint32_t b, const tt_tensor *t, int by_data) {
    if (by_data) {
        const uint8_t *pa = t[a].data, *pb = t[b].data;
        return pa < pb ? -1 : pa > pb;
    }
    return strcmp(t[a].name, t[b].name);
}

/* Stable merge sort of tensor indices (qsort has no context argument in C11); tmp: [n] scratch. */
static void sort_tensors(uint32_t *idx, uint32_t *tmp, uint32_t n, const tt_tensor *t, int by_data) {
    if (n < 2) return;
    uint32_t h = n / 2;
    sort_tensors(idx, tmp, h, t, by_data);
    sort_tensors(idx + h, tmp, n - h, t, by_data);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp_tensor(idx[j], idx[i], t, by_data) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

const tt_tensor *tt_model_tensor(const tt_model *m, const char *name) {
    if (!m || !name) return NULL;
    uint32_t lo = 0, hi = m->n_tensors;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const tt_tensor *t = &m->tensors[m->by_name[mid]];
        int c = strcmp(t->name, name);
        if (c == 0) return t;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The tensor `name` with exactly dtype and shape (ndim dims), or NULL with a message. */
static const void *need(const tt_model *m, const char *name, uint32_t dtype, uint32_t ndim, uint32_t d0, uint32_t d1,
                        char *err, size_t err_len) {
    uint32_t want[4] = {d0, ndim > 1 ? d1 : 1, 1, 1};
    char ws[64], fs[64];
    fmt_shape(ws, sizeof ws, ndim, want);
    const tt_tensor *t = tt_model_tensor(m, name);
    if (!t) {
        tt_seterr(err, err_len, "tensor '%s': expected %s %s, found no such tensor", name, dtype_name(dtype), ws);
        return NULL;
    }
    if (t->dtype != dtype || t->ndim != ndim || memcmp(t->shape, want, sizeof want) != 0) {
        fmt_shape(fs, sizeof fs, t->ndim, t->shape);
        tt_seterr(err, err_len, "tensor '%s': expected %s %s, found %s %s", name, dtype_name(dtype), ws,
                  dtype_name(t->dtype), fs);
        return NULL;
    }
    return t->data;
}

static int bind_transformer(tt_model *m, char *err, size_t err_len) {
    const tt_config *c = &m->cfg;
    uint32_t V = (uint32_t)c->vocab_size, d = (uint32_t)c->d_model, f = (uint32_t)c->d_ff, C = (uint32_t)c->context;
    if (!(m->tok_emb = need(m, "tok_emb", TT_DTYPE_I8, 2, V, d, err, err_len))) return 0;
    if (!(m->tok_scale = need(m, "tok_emb.scale", TT_DTYPE_F32, 1, V, 0, err, err_len))) return 0;
    if (!(m->pos_emb = need(m, "pos_emb", TT_DTYPE_F32, 2, C, d, err, err_len))) return 0;
    if (!(m->lnf_w = need(m, "ln_f.weight", TT_DTYPE_F32, 1, d, 0, err, err_len))) return 0;
    if (!(m->lnf_b = need(m, "ln_f.bias", TT_DTYPE_F32, 1, d, 0, err, err_len))) return 0;
    m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
    if (!m->layers) {
        tt_seterr(err, err_len, "out of memory for %d layers", c->n_layers);
        return 0;
    }
    for (int L = 0; L < c->n_layers; L++) {
        tt_layer *l = &m->layers[L];
        char n[64];
#define NEED(field, suffix, dt, nd, a, b)                                               \
    do {                                                                              \
        snprintf(n, sizeof n, "blocks.%d.%s", L, suffix);                             \
        if (!(l->field = need(m, n, dt, nd, a, b, err, err_len))) return 0;            \
    } while (0)
        NEED(ln1_w, "ln1.weight", TT_DTYPE_F32, 1, d, 0);
        NEED(ln1_b, "ln1.bias", TT_DTYPE_F32, 1, d, 0);
        NEED(qkv_w, "attn.qkv.weight", TT_DTYPE_I8, 2, 3 * d, d);
        NEED(qkv_s, "attn.qkv.scale", TT_DTYPE_F32, 1, 3 * d, 0);
        NEED(qkv_b, "attn.qkv.bias", TT_DTYPE_F32, 1, 3 * d, 0);
        NEED(proj_w, "attn.proj.weight", TT_DTYPE_I8, 2, d, d);
        NEED(proj_s, "attn.proj.scale", TT_DTYPE_F32, 1, d, 0);
        NEED(proj_b, "attn.proj.bias", TT_DTYPE_F32, 1, d, 0);
        NEED(ln2_w, "ln2.weight", TT_DTYPE_F32, 1, d, 0);
        NEED(ln2_b, "ln2.bias", TT_DTYPE_F32, 1, d, 0);
        NEED(fc_w, "mlp.fc.weight", TT_DTYPE_I8, 2, f, d);
        NEED(fc_s, "mlp.fc.scale", TT_DTYPE_F32, 1, f, 0);
        NEED(fc_b, "mlp.fc.bias", TT_DTYPE_F32, 1, f, 0);
        NEED(mproj_w, "mlp.proj.weight", TT_DTYPE_I8, 2, d, f);
        NEED(mproj_s, "mlp.proj.scale", TT_DTYPE_F32, 1, d, 0);
        NEED(mproj_b, "mlp.proj.bias", TT_DTYPE_F32, 1, d, 0);
#undef NEED
    }
    return 1;
}

/* Validates the merges and builds the tokenizer tables: token bytes and the pair → rank hash. */
static int build_tokenizer(tt_model *m, char *err, size_t err_len) {
    const tt_config *c = &m->cfg;
    uint32_t nm = (uint32_t)c->n_merges;
    /* A merges tensor of shape [0, 2] is allowed for a byte-only tokenizer. */
    const tt_tensor *t = tt_model_tensor(m, "tokenizer.merges");
    uint32_t want[4] = {nm, 2, 1, 1};
    if (!t || t->dtype != TT_DTYPE_I32 || t->ndim != 2 || memcmp(t->shape, want, sizeof want) != 0) {
        char fs[64] = "no such tensor";
        if (t) {
            char sh[48];
            fmt_shape(sh, sizeof sh, t->ndim, t->shape);
            snprintf(fs, sizeof fs, "%s %s", dtype_name(t->dtype), sh);
        }
        tt_seterr(err, err_len, "tensor 'tokenizer.merges': expected i32 [%u, 2], found %s", nm, fs);
        return 0;
    }
    m->merges = t->data;
    m->n_tok = 256 + nm;
    m->tok_off = malloc(m->n_tok * sizeof *m->tok_off);
    m->tok_len = malloc(m->n_tok * sizeof *m->tok_len);
    uint32_t bits = 4;
    while ((1u << bits) < 2u * nm) bits++;
    m->pair_bits = bits;
    m->pair_key = malloc(((size_t)1 << bits) * sizeof *m->pair_key);
    m->pair_rank = malloc(((size_t)1 << bits) * sizeof *m->pair_rank);
    if (!m->tok_off || !m->tok_len || !m->pair_key || !m->pair_rank) {
        tt_seterr(err, err_len, "out of memory for the tokenizer (%u merges)", nm);
        return 0;
    }
    memset(m->pair_rank, 0xFF, ((size_t)1 << bits) * sizeof *m->pair_rank); /* all -1: empty */
    /* token lengths first (each ≤ max_chunk; the byte pool, their sum, ≤ TT_MAX_TOKEN_BYTES) */
    size_t total = 256;
    for (uint32_t i = 0; i < 256; i++) m->tok_len[i] = 1;
    for (uint32_t r = 0; r < nm; r++) {
        int32_t a = m->merges[2 * r], b = m->merges[2 * r + 1];
        uint32_t id = 256 + r;
        if (a < 0 || (uint32_t)a >= id || b < 0 || (uint32_t)b >= id) {
            tt_seterr(err, err_len,
                      "tensor 'tokenizer.merges': merge %u = (%d, %d): expected token ids in [0, %u) (a merge may "
                      "only use bytes and earlier merges)", r, a, b, id);
            return 0;
        }
        uint32_t len = m->tok_len[a] + m->tok_len[b];
        if (len > (uint32_t)c->max_chunk) {
            tt_seterr(err, err_len,
                      "tensor 'tokenizer.merges': merge %u = (%d, %d) makes a %u-byte token, longer than "
                      "tokenizer.max_chunk = %d (it could never be produced)", r, a, b, len, c->max_chunk);
            return 0;
        }
        m->tok_len[id] = len;
        total += len;
        if (total > TT_MAX_TOKEN_BYTES) {
            tt_seterr(err, err_len,
                      "tensor 'tokenizer.merges': the tokens of merges 0..%u spell more than %u MiB in total "
                      "(TT_MAX_TOKEN_BYTES); expected a real vocabulary", r, TT_MAX_TOKEN_BYTES >> 20);
            return 0;
        }
    }
    m->tok_bytes = malloc(total);
    if (!m->tok_bytes) {
        tt_seterr(err, err_len, "out of memory for the tokenizer's %zu token bytes", total);
        return 0;
    }
    uint32_t off = 0;
    for (uint32_t i = 0; i < 256; i++) {
        m->tok_off[i] = off;
        m->tok_bytes[off++] = (uint8_t)i;
    }
    uint32_t mask = (1u << bits) - 1u;
    for (uint32_t r = 0; r < nm; r++) {
        uint32_t a = (uint32_t)m->merges[2 * r], b = (uint32_t)m->merges[2 * r + 1], id = 256 + r;
        m->tok_off[id] = off;
        memcpy(m->tok_bytes + off, m->tok_bytes + m->tok_off[a], m->tok_len[a]);
        memcpy(m->tok_bytes + off + m->tok_len[a], m->tok_bytes + m->tok_off[b], m->tok_len[b]);
        off += m->tok_len[id];
        /* insert (a, b) → r unless an earlier (lower-rank) merge has the same pair: that one wins */
        uint64_t key = ((uint64_t)a << 32) | b;
        uint32_t h = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        while (m->pair_rank[h] >= 0 && m->pair_key[h] != key) h = (h + 1) & mask;
        if (m->pair_rank[h] < 0) {
            m->pair_key[h] = key;
            m->pair_rank[h] = (int32_t)r;
        }
    }
    return 1;
}

void tt_model_free(tt_model *m) {
    if (!m) return;
    free(m->owned);
    free(m->json);
    free(m->tensors);
    free(m->by_name);
    free(m->layers);
    free(m->tok_off);
    free(m->tok_len);
    free(m->tok_bytes);
    free(m->pair_key);
    free(m->pair_rank);
    free(m);
}

/* Loads from buf (not copied). On failure frees nothing the caller owns and returns NULL. */
static tt_model *load(const uint8_t *buf, size_t len, uint8_t *owned, char *err, size_t err_len) {
    tt_model *m = NULL;
    if (!buf) {
        tt_seterr(err, err_len, "model buffer is NULL");
        goto fail;
    }
    if (((uintptr_t)buf & 3u) != 0) {
        tt_seterr(err, err_len, "model buffer at %p is not 4-byte aligned (f32/i32 tensors are read in place)",
                  (const void *)buf);
        goto fail;
    }
    if (len < TT_HEADER_SIZE) {
        tt_seterr(err, err_len, "model file is %zu bytes, shorter than the %u-byte header", len, TT_HEADER_SIZE);
        goto fail;
    }
    if (memcmp(buf, "TTM1", 4) != 0) {
        tt_seterr(err, err_len, "bad magic: expected bytes 54 54 4D 31 (\"TTM1\"), found %02X %02X %02X %02X", buf[0],
                  buf[1], buf[2], buf[3]);
        goto fail;
    }
    uint32_t version = rd_u32(buf + 4), json_len = rd_u32(buf + 8), n_tensors = rd_u32(buf + 12);
    uint64_t payload_off = rd_u64(buf + 16), payload_size = rd_u64(buf + 24);
    uint32_t crc = rd_u32(buf + 32), reserved = rd_u32(buf + 36);
    if (version != 1) {
        tt_seterr(err, err_len, "header: expected format version 1, found %u", version);
        goto fail;
    }
    if (reserved != 0) {
        tt_seterr(err, err_len, "header byte 36: expected reserved = 0, found %u", reserved);
        goto fail;
    }
    if (n_tensors > TT_MAX_TENSORS) {
        tt_seterr(err, err_len, "header: expected n_tensors ≤ %u, found %u", TT_MAX_TENSORS, n_tensors);
        goto fail;
    }
    /* all in uint64: 40 + 2^32 + 96·4096 cannot overflow */
    uint64_t json_end = (uint64_t)TT_HEADER_SIZE + json_len;
    uint64_t table_end = json_end + (uint64_t)TT_ENTRY_SIZE * n_tensors;
    if (json_end > len) {
        tt_seterr(err, err_len, "header: metadata JSON of %u bytes ends at byte %llu, past the end of the %zu-byte file",
                  json_len, (unsigned long long)json_end, len);
        goto fail;
    }
    if (table_end > len) {
        tt_seterr(err, err_len, "header: tensor table (%u entries) ends at byte %llu, past the end of the %zu-byte file",
                  n_tensors, (unsigned long long)table_end, len);
        goto fail;
    }
    if (payload_off % TT_ALIGN != 0 || payload_off < table_end || payload_off > len) {
        tt_seterr(err, err_len,
                  "header: expected payload_offset a multiple of 64 in [%llu, %zu] (after the tensor table, inside the "
                  "file), found %llu", (unsigned long long)table_end, len, (unsigned long long)payload_off);
        goto fail;
    }
    if (payload_size != (uint64_t)len - payload_off) {
        tt_seterr(err, err_len,
                  "header: expected payload_size = file size − payload_offset = %llu, found %llu (file truncated or "
                  "padded?)", (unsigned long long)((uint64_t)len - payload_off), (unsigned long long)payload_size);
        goto fail;
    }
    const uint8_t *payload = buf + payload_off;
    uint32_t got_crc = crc32_ieee(payload, (size_t)payload_size);
    if (got_crc != crc) {
        tt_seterr(err, err_len, "payload checksum mismatch: header says CRC-32 %08X, payload has %08X (corrupt file)",
                  crc, got_crc);
        goto fail;
    }

    m = calloc(1, sizeof *m);
    if (!m) {
        tt_seterr(err, err_len, "out of memory");
        goto fail;
    }
    m->owned = owned;
    owned = NULL;
    m->buf = buf;
    m->len = len;

    const char *json = (const char *)buf + TT_HEADER_SIZE;
    if (memchr(json, 0, json_len)) {
        tt_seterr(err, err_len, "metadata: expected JSON without NUL bytes, found a NUL at byte %ld of the file",
                  (long)((const char *)memchr(json, 0, json_len) - (const char *)buf));
        goto fail;
    }
    m->json = malloc((size_t)json_len + 1);
    if (!m->json) {
        tt_seterr(err, err_len, "out of memory for %u bytes of metadata", json_len);
        goto fail;
    }
    memcpy(m->json, json, json_len);
    m->json[json_len] = '\0';
    if (!parse_metadata(m->json, json_len, &m->cfg, err, err_len)) goto fail;

    /* tensor table */
    m->n_tensors = n_tensors;
    m->tensors = calloc(n_tensors ? n_tensors : 1, sizeof *m->tensors);
    m->by_name = calloc(n_tensors ? 2 * (size_t)n_tensors : 1, sizeof *m->by_name);
    if (!m->tensors || !m->by_name) {
        tt_seterr(err, err_len, "out of memory for %u tensors", n_tensors);
        goto fail;
    }
    for (uint32_t i = 0; i < n_tensors; i++) {
        const uint8_t *e = buf + json_end + (size_t)TT_ENTRY_SIZE * i;
        size_t at = (size_t)json_end + (size_t)TT_ENTRY_SIZE * i;
        tt_tensor *t = &m->tensors[i];
        const uint8_t *nul = memchr(e, 0, 64);
        if (!nul || nul == e) {
            tt_seterr(err, err_len, "tensor table entry %u (byte %zu): expected a name of 1..63 bytes and a NUL, found %s",
                      i, at, nul ? "an empty name" : "no NUL in 64 bytes");
            goto fail;
        }
        memcpy(t->name, e, 64);
        for (const uint8_t *p = nul; p < e + 64; p++)
            if (*p) {
                tt_seterr(err, err_len, "tensor '%s' (table entry %u): expected NUL padding after the name, found byte %02X at %zu",
                          t->name, i, *p, at + (size_t)(p - e));
                goto fail;
            }
        t->dtype = rd_u32(e + 64);
        t->ndim = rd_u32(e + 68);
        for (int k = 0; k < 4; k++) t->shape[k] = rd_u32(e + 72 + 4 * k);
        uint64_t off = rd_u64(e + 88);
        if (t->dtype > TT_DTYPE_I32) {
            tt_seterr(err, err_len, "tensor '%s': expected dtype 0 (f32), 1 (i8) or 2 (i32), found %u", t->name, t->dtype);
            goto fail;
        }
        if (t->ndim < 1 || t->ndim > 4) {
            tt_seterr(err, err_len, "tensor '%s': expected ndim in 1..4, found %u", t->name, t->ndim);
            goto fail;
        }
        /* byte size: product of the dims times the dtype size, never overflowing: a product that
         * would exceed the payload size is "too large" without being computed */
        uint64_t nb = dtype_size(t->dtype);
        int too_big = 0, has_zero = 0;
        for (uint32_t k = 0; k < 4; k++) {
            if (k >= t->ndim && t->shape[k] != 1) {
                tt_seterr(err, err_len, "tensor '%s': expected unused dim %u = 1 (ndim %u), found %u", t->name, k, t->ndim,
                          t->shape[k]);
                goto fail;
            }
            if (t->shape[k] == 0) has_zero = 1;
        }
        for (uint32_t k = 0; k < 4 && !has_zero; k++) {
            if (nb > payload_size / t->shape[k]) too_big = 1;
            else nb *= t->shape[k];
        }
        if (has_zero) nb = 0;
        if (too_big || off % TT_ALIGN != 0 || off > payload_size || nb > payload_size - off) {
            char sh[64];
            fmt_shape(sh, sizeof sh, t->ndim, t->shape);
            tt_seterr(err, err_len,
                      "tensor '%s' (%s %s): expected a 64-byte-aligned offset with the data inside the %llu-byte "
                      "payload, found offset %llu and %s bytes", t->name, dtype_name(t->dtype), sh,
                      (unsigned long long)payload_size, (unsigned long long)off,
                      too_big ? "too many" : "more");
            goto fail;
        }
        t->nbytes = (size_t)nb;
        t->data = payload + off;
        m->by_name[i] = i;
    }
    /* tensors may not overlap (a corrupted offset usually makes two overlap) */
    sort_tensors(m->by_name, m->by_name + n_tensors, n_tensors, m->tensors, 1);
    const tt_tensor *a = NULL; /* the previous non-empty tensor in address order */
    for (uint32_t i = 0; i < n_tensors; i++) {
        const tt_tensor *b = &m->tensors[m->by_name[i]];
        if (!b->nbytes) continue;
        if (!a || (const uint8_t *)a->data + a->nbytes <= (const uint8_t *)b->data) {
            a = b;
        } else {
            tt_seterr(err, err_len, "tensor '%s': expected its data not to overlap tensor '%s', found payload bytes "
                      "%zu..%zu inside %zu..%zu", b->name, a->name, (size_t)((const uint8_t *)b->data - payload),
                      (size_t)((const uint8_t *)b->data - payload) + b->nbytes, (size_t)((const uint8_t *)a->data - payload),
                      (size_t)((const uint8_t *)a->data - payload) + a->nbytes);
            goto fail;
        }
    }
    for (uint32_t i = 0; i < n_tensors; i++) m->by_name[i] = i;
    sort_tensors(m->by_name, m->by_name + n_tensors, n_tensors, m->tensors, 0);
    for (uint32_t i = 1; i < n_tensors; i++)
        if (strcmp(m->tensors[m->by_name[i - 1]].name, m->tensors[m->by_name[i]].name) == 0) {
            tt_seterr(err, err_len, "tensor '%s': expected unique names, found it twice in the table",
                      m->tensors[m->by_name[i]].name);
            goto fail;
        }
    if (!bind_transformer(m, err, err_len)) goto fail;
    if (!build_tokenizer(m, err, err_len)) goto fail;
    return m;
fail:
    free(owned);
    tt_model_free(m);
    return NULL;
}

tt_model *tt_model_load_buffer(const void *buf, size_t len, char *err, size_t err_len) {
    return load(buf, len, NULL, err, err_len);
}

tt_model *tt_model_load_file(const char *path, char *err, size_t err_len) {
    if (!path) {
        tt_seterr(err, err_len, "model path is NULL");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        tt_seterr(err, err_len, "cannot open model file '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    uint8_t *data = malloc(cap);
    while (data) {
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (len < cap) break;
        uint8_t *bigger = (cap <= SIZE_MAX / 2) ? realloc(data, cap * 2) : NULL;
        if (!bigger) {
            free(data);
            data = NULL;
            break;
        }
        data = bigger;
        cap *= 2;
    }
    if (!data) {
        fclose(f);
        tt_seterr(err, err_len, "out of memory reading model file '%s'", path);
        return NULL;
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(data);
        tt_seterr(err, err_len, "cannot read model file '%s': %s", path, strerror(e));
        return NULL;
    }
    fclose(f);
    tt_model *m = load(data, len, data, err, err_len);
    if (!m && err && err_len > 0) {
        /* name the file in front of the loader's message */
        char *msg = malloc(err_len);
        if (msg) {
            memcpy(msg, err, err_len);
            msg[err_len - 1] = '\0';
            tt_seterr(err, err_len, "%s: %s", path, msg);
            free(msg);
        }
    }
    return m;
}

const tt_config *tt_model_config(const tt_model *m) { return m ? &m->cfg : NULL; }
const char *tt_model_metadata(const tt_model *m) { return m ? m->json : NULL; }
