/* test_model.c — the model loader on tests/fixtures/tiny.ttm (written by train/ttm.py) and on many
 * mutations of it: truncation at every length through the header, JSON and tensor table and at every
 * tensor boundary in the payload; every header and table byte flipped; every JSON byte flipped;
 * payload bytes flipped (checksum); and targeted edits (bad version/offsets/dtypes/shapes/names,
 * overlapping tensors, bad merges with a fixed-up CRC, metadata edits). Every mutation is loaded from
 * an exact-size heap copy, so under TT_SANITIZE=ON any read past the end is caught. A rejected file
 * must give NULL and a message; targeted edits must name what is wrong. */
#include <string.h>

#include "engine.h"
#include "test_util.h"

static unsigned char *orig;
static size_t orig_len;
static uint32_t json_len, n_tensors;
static uint64_t payload_off;
static size_t table_off; /* 40 + json_len */

static void reseal(unsigned char *b, size_t len) {
    uint64_t po = get64(b + 16);
    put32(b + 32, crc32_bitwise(b + po, len - po));
}

/* Loads a copy of b[0..len) from an exact-size allocation. Returns the model (caller frees) or NULL;
 * err gets the message. */
static tt_model *load_copy(const unsigned char *b, size_t len, char *err, size_t err_len) {
    unsigned char *c = malloc(len ? len : 1);
    if (len) memcpy(c, b, len);
    err[0] = '\0';
    tt_model *m = tt_model_load_buffer(c, len, err, err_len);
    if (m) tt_model_free(m);
    free(c);
    return m; /* only compared with NULL */
}

/* The mutated file must be rejected with a message containing `want` (if not NULL). */
static int rejects(const unsigned char *b, size_t len, const char *want, const char *what) {
    char err[512];
    tt_model *m = load_copy(b, len, err, sizeof err);
    int ok = m == NULL && err[0] != '\0' && (!want || strstr(err, want) != NULL);
    CHECK(ok, "%s: %s (message: \"%s\", wanted \"%s\")", what, m ? "accepted" : "wrong message", err, want ? want : "");
    return ok;
}

/* Offset of tensor entry i in the table. */
static size_t entry(uint32_t i) { return table_off + 96 * (size_t)i; }

static uint32_t find_entry(const char *name) {
    for (uint32_t i = 0; i < n_tensors; i++)
        if (strcmp((const char *)orig + entry(i), name) == 0) return i;
    return UINT32_MAX;
}

/* A copy of orig with the metadata JSON replaced by js (table and payload moved accordingly). */
static unsigned char *with_json(const char *js, size_t jl, size_t *out_len) {
    size_t table_len = 96 * (size_t)n_tensors, payload_size = orig_len - payload_off;
    size_t po = (40 + jl + table_len + 63) / 64 * 64;
    unsigned char *b = calloc(1, po + payload_size);
    memcpy(b, orig, 40);
    memcpy(b + 40, js, jl);
    memcpy(b + 40 + jl, orig + table_off, table_len);
    memcpy(b + po, orig + payload_off, payload_size);
    put32(b + 8, (uint32_t)jl);
    put64(b + 16, po);
    *out_len = po + payload_size;
    return b;
}

/* orig's JSON with the first `from` replaced by `to`; must be rejected with `want` in the message. */
static void json_edit(const char *from, const char *to, const char *want) {
    char js[8192];
    const char *at = strstr((const char *)orig + 40, from);
    CHECK(at && at < (const char *)orig + 40 + json_len, "fixture JSON lacks %s", from);
    if (!at || json_len + strlen(to) >= sizeof js) return;
    size_t pre = (size_t)(at - (const char *)orig - 40);
    memcpy(js, orig + 40, pre);
    memcpy(js + pre, to, strlen(to));
    size_t rest = json_len - pre - strlen(from);
    memcpy(js + pre + strlen(to), at + strlen(from), rest);
    size_t len;
    unsigned char *b = with_json(js, pre + strlen(to) + rest, &len);
    char what[256];
    snprintf(what, sizeof what, "metadata %.100s -> %.100s", from, to);
    rejects(b, len, want, what);
    free(b);
}

static void test_accepts(void) {
    char err[512];
    tt_model *m = tt_model_load_file("tests/fixtures/tiny.ttm", err, sizeof err);
    CHECK(m != NULL, "load_file: %s", err);
    if (!m) return;
    const tt_config *c = tt_model_config(m);
    CHECK(c->vocab_size == 957 && c->d_model == 64 && c->n_layers == 2 && c->n_heads == 4 && c->d_ff == 128 &&
              c->context == 32 && c->bos_id == 956 && c->n_merges == 700 && c->max_chunk == 16 &&
              c->norm_eps == 1e-5f, "config %d %d %d %d %d %d %d %d %d %g", c->vocab_size, c->d_model, c->n_layers,
          c->n_heads, c->d_ff, c->context, c->bos_id, c->n_merges, c->max_chunk, c->norm_eps);
    CHECK(strstr(tt_model_metadata(m), "\"telltale-test-tiny\"") != NULL, "metadata text");
    const tt_tensor *t = tt_model_tensor(m, "blocks.1.mlp.proj.weight");
    CHECK(t && t->dtype == TT_DTYPE_I8 && t->ndim == 2 && t->shape[0] == 64 && t->shape[1] == 128 && t->shape[2] == 1 &&
              t->nbytes == 64 * 128, "blocks.1.mlp.proj.weight");
    CHECK(tt_model_tensor(m, "no.such.tensor") == NULL && tt_model_tensor(m, "") == NULL, "absent tensor found");
    tt_model_free(m);

    /* from a buffer: tensors point into it (no copy), at payload_offset + the table's offset */
    m = tt_model_load_buffer(orig, orig_len, err, sizeof err);
    CHECK(m != NULL, "load_buffer: %s", err);
    if (!m) return;
    for (uint32_t i = 0; i < n_tensors; i++) {
        const tt_tensor *ti = tt_model_tensor(m, (const char *)orig + entry(i));
        CHECK(ti && ti->data == orig + payload_off + get64(orig + entry(i) + 88), "tensor %u not in place", i);
    }
    tt_model_free(m);
    tt_model_free(NULL);
    CHECK(tt_model_load_file("tests/fixtures/does-not-exist.ttm", err, sizeof err) == NULL &&
              strstr(err, "does-not-exist.ttm"), "missing file: %s", err);
    CHECK(tt_model_load_buffer(NULL, 10, err, sizeof err) == NULL && err[0], "NULL buffer");
    /* a misaligned buffer is refused (f32 tensors are read in place) */
    unsigned char *mis = malloc(orig_len + 1);
    memcpy(mis + 1, orig, orig_len);
    CHECK(tt_model_load_buffer(mis + 1, orig_len, err, sizeof err) == NULL && strstr(err, "aligned"), "misaligned: %s",
          err);
    free(mis);
    /* the with_json helper itself produces a loadable file when the JSON is unchanged */
    size_t len;
    unsigned char *b = with_json((const char *)orig + 40, json_len, &len);
    CHECK(load_copy(b, len, err, sizeof err) != NULL, "rebuilt file: %s", err);
    free(b);
}

static void test_truncations(void) {
    size_t table_end = entry(n_tensors);
    /* every length through the header, JSON, table and padding, then every tensor boundary */
    for (size_t l = 0; l <= payload_off + 1; l++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", l);
        if (!rejects(orig, l, NULL, what)) break;
    }
    for (uint32_t i = 0; i < n_tensors; i++) {
        uint64_t off = payload_off + get64(orig + entry(i) + 88);
        size_t cuts[3] = {(size_t)off, (size_t)off + 1, (size_t)off + 63};
        for (int k = 0; k < 3; k++)
            if (cuts[k] < orig_len) rejects(orig, cuts[k], NULL, "truncated at a tensor");
    }
    rejects(orig, orig_len - 1, "payload_size", "missing last byte");
    (void)table_end;
    /* a byte appended: the file must end at the payload's end */
    unsigned char *b = malloc(orig_len + 1);
    memcpy(b, orig, orig_len);
    b[orig_len] = 0;
    rejects(b, orig_len + 1, "payload_size", "one byte appended");
    free(b);
}

static void test_flips(void) {
    unsigned char *b = malloc(orig_len);
    char err[512];
    /* header and table: every byte, two ways; all must be rejected */
    size_t table_end = entry(n_tensors);
    size_t positions = 0, rejected = 0;
    for (size_t p = 0; p < table_end; p++) {
        if (p >= 40 && p < table_off) continue; /* JSON below */
        for (int k = 0; k < 2; k++) {
            memcpy(b, orig, orig_len);
            b[p] ^= k ? 0x01 : 0xFF;
            positions++;
            char what[64];
            snprintf(what, sizeof what, "byte %zu ^ 0x%02X", p, k ? 0x01 : 0xFF);
            rejected += rejects(b, orig_len, NULL, what);
        }
    }
    printf("header/table flips: %zu of %zu rejected\n", rejected, positions);
    /* JSON: every byte, two ways. A flip inside a free-text value (name, created, provenance) is a
     * valid file; anything else must be rejected. Accepted files must keep the exact configuration. */
    tt_model *m0 = tt_model_load_buffer(orig, orig_len, err, sizeof err);
    tt_config c0 = *tt_model_config(m0);
    tt_model_free(m0);
    size_t acc = 0;
    for (size_t p = 40; p < table_off; p++)
        for (int k = 0; k < 2; k++) {
            memcpy(b, orig, orig_len);
            b[p] ^= k ? 0x01 : 0xFF;
            unsigned char *c = malloc(orig_len);
            memcpy(c, b, orig_len);
            tt_model *m = tt_model_load_buffer(c, orig_len, err, sizeof err);
            if (m) {
                acc++;
                const tt_config *c1 = tt_model_config(m);
                /* the same config, except that flipping a digit of norm_eps or max_chunk can give another
                 * valid value (every other number is pinned by a tensor's shape or a range check) */
                int same = c1->vocab_size == c0.vocab_size && c1->d_model == c0.d_model && c1->n_layers == c0.n_layers &&
                           c1->n_heads == c0.n_heads && c1->d_ff == c0.d_ff && c1->context == c0.context &&
                           c1->bos_id == c0.bos_id && c1->n_merges == c0.n_merges;
                CHECK(same, "JSON byte %zu ^ %d accepted with another configuration", p, k ? 1 : 0xFF);
                tt_model_free(m);
            } else {
                CHECK(err[0] != '\0', "JSON byte %zu: rejected without a message", p);
            }
            free(c);
        }
    printf("JSON flips: %zu of %zu accepted (free-text values), the rest rejected\n", acc, 2 * (size_t)json_len);
    CHECK(acc < json_len, "too many JSON flips accepted: %zu", acc);
    /* payload: the checksum catches any flipped byte */
    uint64_t r = 99;
    for (int k = 0; k < 64; k++) {
        memcpy(b, orig, orig_len);
        size_t p = payload_off + (size_t)(tt_rand(&r) % (orig_len - payload_off));
        b[p] ^= (unsigned char)(1u << (k % 8));
        rejects(b, orig_len, "checksum", "payload flip");
    }
    free(b);
}

static void test_edits(void) {
    unsigned char *b = malloc(orig_len);
#define FRESH() memcpy(b, orig, orig_len)
    FRESH(); memcpy(b, "TTM2", 4); rejects(b, orig_len, "magic", "magic");
    FRESH(); put32(b + 4, 2); rejects(b, orig_len, "version 1, found 2", "version");
    FRESH(); put32(b + 36, 7); rejects(b, orig_len, "reserved", "reserved");
    FRESH(); put32(b + 12, 5000); rejects(b, orig_len, "n_tensors", "n_tensors > 4096");
    FRESH(); put32(b + 12, 0xFFFFFFFFu); rejects(b, orig_len, "n_tensors", "n_tensors huge");
    FRESH(); put32(b + 8, 0xFFFFFFF0u); rejects(b, orig_len, "JSON", "json_len huge");
    FRESH(); put64(b + 16, payload_off + 32); rejects(b, orig_len, "payload_offset", "unaligned payload");
    FRESH(); put64(b + 16, 0xFFFFFFFFFFFFFFC0ull); rejects(b, orig_len, "payload_offset", "payload offset huge");
    FRESH(); put64(b + 24, 0xFFFFFFFFFFFFFFFFull); rejects(b, orig_len, "payload_size", "payload size huge");
    FRESH(); put32(b + 32, get32(b + 32) ^ 1); rejects(b, orig_len, "checksum", "crc");

    uint32_t e_pos = find_entry("pos_emb"), e_emb = find_entry("tok_emb"), e_mg = find_entry("tokenizer.merges");
    uint32_t e_ln = find_entry("ln_f.bias");
    CHECK(e_pos != UINT32_MAX && e_emb != UINT32_MAX && e_mg != UINT32_MAX && e_ln != UINT32_MAX, "fixture entries");
    if (e_pos == UINT32_MAX || e_emb == UINT32_MAX || e_mg == UINT32_MAX || e_ln == UINT32_MAX) return;
    size_t P = entry(e_pos);
    FRESH(); put32(b + P + 64, 3); rejects(b, orig_len, "dtype", "dtype 3");
    FRESH(); put32(b + P + 64, TT_DTYPE_I32); rejects(b, orig_len, "tensor 'pos_emb': expected f32 [32, 64], found i32 [32, 64]", "f32 as i32");
    FRESH(); put32(b + P + 72, 64); put32(b + P + 76, 32);
    rejects(b, orig_len, "tensor 'pos_emb': expected f32 [32, 64], found f32 [64, 32]", "transposed shape");
    FRESH(); put32(b + P + 68, 0); rejects(b, orig_len, "ndim", "ndim 0");
    FRESH(); put32(b + P + 68, 5); rejects(b, orig_len, "ndim", "ndim 5");
    FRESH(); put32(b + P + 68, 3); put32(b + P + 80, 2); rejects(b, orig_len, "pos_emb", "extra dim");
    FRESH(); put32(b + P + 80, 2); rejects(b, orig_len, "unused dim", "unused dim != 1");
    FRESH(); put32(b + P + 68, 4);
    for (int k = 0; k < 4; k++) put32(b + P + 72 + 4 * k, 0xFFFFFFFFu);
    rejects(b, orig_len, "too many", "overflowing shape");
    FRESH(); put64(b + P + 88, get64(b + P + 88) + 32); rejects(b, orig_len, "64-byte", "unaligned tensor offset");
    FRESH(); put64(b + P + 88, 0xFFFFFFFFFFFFFFC0ull); rejects(b, orig_len, "payload", "tensor offset huge");
    FRESH(); put64(b + P + 88, get64(b + entry(e_emb) + 88)); rejects(b, orig_len, "overlap", "overlapping tensors");
    FRESH(); memcpy(b + P, b + entry(e_emb), 64); put64(b + P + 88, get64(orig + P + 88));
    /* two entries named tok_emb (the second with pos_emb's data and shape) */
    rejects(b, orig_len, "tok_emb", "duplicate name");
    FRESH(); memset(b + P, 'A', 64); rejects(b, orig_len, "NUL", "name without NUL");
    FRESH(); memset(b + P, 0, 64); rejects(b, orig_len, "empty", "empty name");
    FRESH(); b[P + 60] = 'x'; rejects(b, orig_len, "padding", "garbage after the name");
    FRESH(); b[P + 3] = 'X'; rejects(b, orig_len, "'pos_emb': expected f32 [32, 64], found no such tensor", "renamed tensor");
    FRESH(); put32(b + entry(e_ln) + 72, 63); rejects(b, orig_len, "ln_f.bias", "short bias");

    /* merges, with the CRC fixed so only the merge check can object */
    const int32_t *mg = (const int32_t *)(orig + payload_off + get64(orig + entry(e_mg) + 88));
    size_t moff = (size_t)payload_off + (size_t)get64(orig + entry(e_mg) + 88);
    FRESH(); put32(b + moff + 8 * 5, 256 + 5); reseal(b, orig_len);
    rejects(b, orig_len, "merge 5 = (261", "merge refers to itself");
    FRESH(); put32(b + moff + 8 * 9 + 4, 0xFFFFFFFFu); reseal(b, orig_len);
    rejects(b, orig_len, "tokenizer.merges", "negative id");
    FRESH(); put32(b + moff, 256 + 699); reseal(b, orig_len);
    rejects(b, orig_len, "earlier merges", "merge 0 refers to the last merge");
    {
        /* a merge of the longest token with itself makes a token longer than max_chunk = 16 */
        char err[512];
        tt_model *m = tt_model_load_buffer(orig, orig_len, err, sizeof err);
        int best = 0;
        size_t best_len = 0;
        char tb[64];
        for (int r = 0; r < 699; r++) {
            size_t l = tt_token_bytes(m, 256 + r, tb, sizeof tb);
            if (l > best_len) best_len = l, best = 256 + r;
        }
        tt_model_free(m);
        CHECK(best_len > 8, "no token longer than 8 bytes in the fixture");
        FRESH(); put32(b + moff + 8 * 699, (uint32_t)best); put32(b + moff + 8 * 699 + 4, (uint32_t)best); reseal(b, orig_len);
        rejects(b, orig_len, "longer than tokenizer.max_chunk", "over-long merge");
    }
    (void)mg;
    free(b);
#undef FRESH

    /* metadata */
    json_edit("\"d_model\":64", "\"d_model\":\"64\"", "model.d_model");
    json_edit("\"n_heads\":4", "\"n_heads\":3", "multiple of model.n_heads");
    json_edit("\"context\":32", "\"context\":16", "tensor 'pos_emb': expected f32 [16, 64], found f32 [32, 64]");
    json_edit("\"context\":32", "\"context\":1", "model.context");
    json_edit("\"n_merges\":700", "\"n_merges\":701", "tokenizer.n_merges: expected an integer in [0, 700]");
    json_edit("\"n_merges\":700", "\"n_merges\":699", "tensor 'tokenizer.merges': expected i32 [699, 2], found i32 [700, 2]");
    json_edit("\"n_merges\":700", "\"n_merges\":-1", "tokenizer.n_merges");
    json_edit("\"pretokenizer\":\"telltale-v1\"", "\"pretokenizer\":\"telltale-v2\"", "tokenizer.pretokenizer");
    json_edit("\"type\":\"byte-bpe\"", "\"type\":\"unigram\"", "tokenizer.type");
    json_edit("\"format\":\"telltale-model\"", "\"format\":\"other\"", "format");
    json_edit("\"bos_id\":956", "\"bos_id\":300", "bos_id");
    json_edit("\"bos_id\":956", "\"bos_id\":957", "model.bos_id");
    json_edit("\"vocab_size\":957", "\"vocab_size\":958", "tensor 'tok_emb': expected i8 [958, 64], found i8 [957, 64]");
    json_edit("\"vocab_size\":957", "\"vocab_size\":2.5", "model.vocab_size");
    json_edit("\"norm_eps\":1e-05", "\"norm_eps\":-1", "model.norm_eps");
    json_edit("\"d_ff\":128", "\"d_ff\":256", "tensor 'blocks.0.mlp.fc.weight': expected i8 [256, 64]");
    json_edit("\"n_layers\":2", "\"n_layers\":3", "tensor 'blocks.2.ln1.weight'");
    json_edit("\"model\":", "\"modex\":", "\"model\"");
    json_edit("\"version\":1", "\"version\":2", "version");
    json_edit("{", "[{", "JSON");
    {
        /* leading whitespace is valid JSON and accepted; trailing bytes and NUL are not */
        char js[8192];
        size_t len;
        memcpy(js, "  ", 2);
        memcpy(js + 2, orig + 40, json_len);
        unsigned char *b2 = with_json(js, json_len + 2, &len);
        char err[512];
        CHECK(load_copy(b2, len, err, sizeof err) != NULL, "leading whitespace rejected: %s", err);
        free(b2);
        memcpy(js, orig + 40, json_len);
        memcpy(js + json_len, " x", 2);
        b2 = with_json(js, json_len + 2, &len);
        rejects(b2, len, "after it", "trailing garbage after the JSON");
        free(b2);
        memcpy(js, orig + 40, json_len);
        js[json_len / 2] = '\0';
        b2 = with_json(js, json_len, &len);
        rejects(b2, len, "NUL", "NUL inside the JSON");
        free(b2);
    }
}

int main(void) {
    orig = tt_read_file("tests/fixtures/tiny.ttm", &orig_len);
    CHECK(orig != NULL && orig_len > 40, "cannot read tests/fixtures/tiny.ttm");
    if (!orig) TEST_DONE("test_model");
    json_len = get32(orig + 8);
    n_tensors = get32(orig + 12);
    payload_off = get64(orig + 16);
    table_off = 40 + (size_t)json_len;
    CHECK(n_tensors == 2 * 16 + 5 + 1, "fixture has %u tensors", n_tensors);
    test_accepts();
    test_truncations();
    test_flips();
    test_edits();
    free(orig);
    TEST_DONE("test_model");
}
