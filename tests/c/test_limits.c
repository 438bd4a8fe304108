/* test_limits.c — resource limits (docs/hardening.md): what a model file may make the engine allocate,
 * the maximum text size, and cancelling a long input.
 *   - tokenizer.max_chunk ≤ TT_MAX_CHUNK_LIMIT (1024 accepted, 1025 refused);
 *   - forward scratch per window ≤ TT_MAX_WINDOW_BYTES: context × vocab_size far beyond the tensors'
 *     size is refused at load, before anything is allocated;
 *   - tokenizer bytes ≤ TT_MAX_TOKEN_BYTES: 66,000 merges of 1,024 bytes each (a 900 KB file that would
 *     need 64 MiB of token bytes) refused; the same file with 1,000 merges loads;
 *   - detector.n_ref ≤ 4096 (the n_ref² kernel matrix);
 *   - TT_MAX_TEXT_BYTES: one byte past it refused with a message naming the limit;
 *   - a long input (~1 MB, ~10,000 sentences) cancelled by the progress callback stops at once.
 * Run from the source root (fixtures in tests/fixtures/). */
#include <string.h>
#include <time.h>

#include "engine.h"
#include "telltale.h"
#include "test_util.h"

/* A copy of the model file b with the numbers of the metadata keys key[i] (the first occurrence of
 * "key":) set to val[i] (table and payload moved, payload_offset and CRC updated). */
static unsigned char *edit_json(const unsigned char *b, size_t len, int n, const char *const *key, const char *const *val,
                                size_t *out_len) {
    uint32_t jl = get32(b + 8), nt = get32(b + 12);
    uint64_t po = get64(b + 16);
    char *js = malloc(jl + 4096);
    memcpy(js, b + 40, jl);
    js[jl] = 0;
    for (int i = 0; i < n; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "\"%s\":", key[i]);
        char *at = strstr(js, pat);
        CHECK(at != NULL, "fixture JSON lacks %s", pat);
        if (!at) continue;
        at += strlen(pat);
        size_t fl = strspn(at, "0123456789.eE+-"), tl = strlen(val[i]);
        memmove(at + tl, at + fl, strlen(at + fl) + 1);
        memcpy(at, val[i], tl);
    }
    size_t njl = strlen(js), table = 96 * (size_t)nt, psize = len - po;
    size_t npo = (40 + njl + table + 63) / 64 * 64;
    unsigned char *o = calloc(1, npo + psize);
    memcpy(o, b, 40);
    memcpy(o + 40, js, njl);
    memcpy(o + 40 + njl, b + 40 + jl, table);
    memcpy(o + npo, b + po, psize);
    put32(o + 8, (uint32_t)njl);
    put64(o + 16, npo);
    put64(o + 24, psize);
    put32(o + 32, crc32_bitwise(o + npo, psize));
    free(js);
    *out_len = npo + psize;
    return o;
}

/* Loads b as a model (and frees it); returns 1 if it loaded. err gets the message. */
static int loads(const unsigned char *b, size_t len, char *err, size_t err_len) {
    err[0] = 0;
    tt_model *m = tt_model_load_buffer(b, len, err, err_len);
    tt_model_free(m);
    return m != NULL;
}

/* ---- a synthetic model: d_model = n_heads = d_ff = 1, context 2, zero weights, given merges ---- */

typedef struct { const char *name; uint32_t dtype, ndim, shape[2]; } spec;

static unsigned char *synthetic(uint32_t n_merges, uint32_t max_chunk, size_t *out_len) {
    uint32_t V = 256 + n_merges + 1;
    spec t[] = {
        {"tok_emb", TT_DTYPE_I8, 2, {V, 1}}, {"tok_emb.scale", TT_DTYPE_F32, 1, {V, 1}}, {"pos_emb", TT_DTYPE_F32, 2, {2, 1}},
        {"ln_f.weight", TT_DTYPE_F32, 1, {1, 1}}, {"ln_f.bias", TT_DTYPE_F32, 1, {1, 1}},
        {"blocks.0.ln1.weight", TT_DTYPE_F32, 1, {1, 1}}, {"blocks.0.ln1.bias", TT_DTYPE_F32, 1, {1, 1}},
        {"blocks.0.attn.qkv.weight", TT_DTYPE_I8, 2, {3, 1}}, {"blocks.0.attn.qkv.scale", TT_DTYPE_F32, 1, {3, 1}},
        {"blocks.0.attn.qkv.bias", TT_DTYPE_F32, 1, {3, 1}}, {"blocks.0.attn.proj.weight", TT_DTYPE_I8, 2, {1, 1}},
        {"blocks.0.attn.proj.scale", TT_DTYPE_F32, 1, {1, 1}}, {"blocks.0.attn.proj.bias", TT_DTYPE_F32, 1, {1, 1}},
        {"blocks.0.ln2.weight", TT_DTYPE_F32, 1, {1, 1}}, {"blocks.0.ln2.bias", TT_DTYPE_F32, 1, {1, 1}},
        {"blocks.0.mlp.fc.weight", TT_DTYPE_I8, 2, {1, 1}}, {"blocks.0.mlp.fc.scale", TT_DTYPE_F32, 1, {1, 1}},
        {"blocks.0.mlp.fc.bias", TT_DTYPE_F32, 1, {1, 1}}, {"blocks.0.mlp.proj.weight", TT_DTYPE_I8, 2, {1, 1}},
        {"blocks.0.mlp.proj.scale", TT_DTYPE_F32, 1, {1, 1}}, {"blocks.0.mlp.proj.bias", TT_DTYPE_F32, 1, {1, 1}},
        {"tokenizer.merges", TT_DTYPE_I32, 2, {n_merges, 2}},
    };
    uint32_t nt = sizeof t / sizeof t[0];
    char js[1024];
    int jl = snprintf(js, sizeof js,
                      "{\"format\":\"telltale-model\",\"version\":1,\"name\":\"limits\",\"model\":{\"vocab_size\":%u,"
                      "\"d_model\":1,\"n_layers\":1,\"n_heads\":1,\"d_ff\":1,\"context\":2,\"norm_eps\":1e-5,\"bos_id\":%u},"
                      "\"tokenizer\":{\"type\":\"byte-bpe\",\"pretokenizer\":\"telltale-v1\",\"n_merges\":%u,\"max_chunk\":%u}}",
                      V, V - 1, n_merges, max_chunk);
    uint64_t off[32], psize = 0;
    for (uint32_t i = 0; i < nt; i++) {
        uint64_t nb = (uint64_t)t[i].shape[0] * t[i].shape[1] * (t[i].dtype == TT_DTYPE_I8 ? 1 : 4);
        off[i] = psize;
        psize = (psize + nb + 63) / 64 * 64;
    }
    size_t po = (40 + (size_t)jl + 96 * nt + 63) / 64 * 64;
    unsigned char *b = calloc(1, po + psize);
    memcpy(b, "TTM1", 4);
    put32(b + 4, 1);
    put32(b + 8, (uint32_t)jl);
    put32(b + 12, nt);
    put64(b + 16, po);
    put64(b + 24, psize);
    memcpy(b + 40, js, (size_t)jl);
    for (uint32_t i = 0; i < nt; i++) {
        unsigned char *e = b + 40 + jl + 96 * i;
        strcpy((char *)e, t[i].name);
        put32(e + 64, t[i].dtype);
        put32(e + 68, t[i].ndim);
        put32(e + 72, t[i].shape[0]);
        put32(e + 76, t[i].ndim > 1 ? t[i].shape[1] : 1);
        put32(e + 80, 1);
        put32(e + 84, 1);
        put64(e + 88, off[i]);
    }
    /* merges: "aa", then doubling to a 1024-byte token (merge 9), then that token's pair again and again
     * capped at max_chunk: (264, 264) is 1024 bytes */
    unsigned char *mg = b + po + off[nt - 1];
    for (uint32_t r = 0; r < n_merges; r++) {
        uint32_t a = r == 0 ? 'a' : r < 10 ? 256 + r - 1 : 256 + 8;
        put32(mg + 8 * r, a);
        put32(mg + 8 * r + 4, a);
    }
    put32(b + 32, crc32_bitwise(b + po, psize));
    *out_len = po + psize;
    return b;
}

static void model_limits(void) {
    char err[512];
    size_t len, n;
    unsigned char *tiny = tt_read_file("tests/fixtures/tiny.ttm", &len);
    CHECK(tiny != NULL, "cannot read tests/fixtures/tiny.ttm");
    if (!tiny) return;
    CHECK(loads(tiny, len, err, sizeof err), "tiny.ttm: %s", err);

    const char *mc_from[] = {"max_chunk"}, *mc_ok[] = {"1024"}, *mc_bad[] = {"1025"};
    unsigned char *b = edit_json(tiny, len, 1, mc_from, mc_ok, &n);
    CHECK(loads(b, n, err, sizeof err), "max_chunk = 1024 (the limit) is accepted: %s", err);
    free(b);
    b = edit_json(tiny, len, 1, mc_from, mc_bad, &n);
    CHECK(!loads(b, n, err, sizeof err) && strstr(err, "max_chunk") && strstr(err, "1024"), "max_chunk = 1025 refused: %s", err);
    free(b);

    /* context 16384 × vocab 2^20: 64 GiB of logits for a window; refused from the metadata alone */
    const char *w_from[] = {"vocab_size", "context"}, *w_to[] = {"1048576", "16384"};
    b = edit_json(tiny, len, 2, w_from, w_to, &n);
    CHECK(!loads(b, n, err, sizeof err) && strstr(err, "TT_MAX_WINDOW_BYTES") && strstr(err, "context"),
          "a window needing 64 GiB refused: %s", err);
    free(b);
    free(tiny);

    /* token bytes: 1,000 merges load; 66,000 merges of 1,024 bytes (> 64 MiB of token bytes) do not */
    b = synthetic(1000, 1024, &n);
    CHECK(loads(b, n, err, sizeof err), "synthetic model, 1000 merges: %s", err);
    free(b);
    b = synthetic(66000, 1024, &n);
    CHECK(n < (1u << 20), "the synthetic file is small (%zu bytes)", n);
    CHECK(!loads(b, n, err, sizeof err) && strstr(err, "TT_MAX_TOKEN_BYTES"), "66,000 merges of 1 KiB refused: %s", err);
    free(b);

    /* detector.n_ref */
    unsigned char *det = tt_read_file("tests/fixtures/tiny-detector.ttm", &len);
    CHECK(det != NULL, "cannot read tests/fixtures/tiny-detector.ttm");
    if (!det) return;
    const char *nr_from[] = {"n_ref"}, *nr_to[] = {"4097"};
    b = edit_json(det, len, 1, nr_from, nr_to, &n);
    tt_detector *d = tt_detector_open_buffer(b, n, err, sizeof err);
    CHECK(!d && strstr(err, "n_ref") && strstr(err, "4096"), "n_ref = 4097 refused: %s", err);
    tt_detector_free(d);
    free(b);
    free(det);
}

typedef struct { size_t calls, cancel_at, total; } progress_log;
static int on_progress(void *user, size_t done, size_t total) {
    progress_log *l = user;
    l->calls++;
    l->total = total;
    return done >= l->cancel_at;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void text_limits(void) {
    char err[512];
    tt_detector *d = tt_detector_open_file("tests/fixtures/tiny-detector.ttm", err, sizeof err);
    CHECK(d != NULL, "tiny-detector.ttm: %s", err);
    if (!d) return;
    /* one byte past the limit: refused before any work, naming the limit */
    size_t big = (size_t)TT_MAX_TEXT_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    double t0 = now_s();
    tt_result *r = tt_detect(d, huge, big, NULL, err, sizeof err);
    CHECK(!r && strstr(err, "TT_MAX_TEXT_BYTES") && now_s() - t0 < 1.0, "TT_MAX_TEXT_BYTES + 1 refused at once: %s", err);
    char *js = tt_detect_json(d, huge, big, NULL, err, sizeof err);
    CHECK(!js && strstr(err, "TT_MAX_TEXT_BYTES"), "tt_detect_json: TT_MAX_TEXT_BYTES + 1 refused: %s", err);
    free(huge);

    /* ~1 MB of sentences, cancelled after 50: stops there (one callback per sentence) */
    static const char *const S[] = {"The committee met on Tuesday to discuss the budget for next year. ",
                                    "Several members raised concerns about the cost of the new bridge. ",
                                    "A dog barked somewhere in the distance while the baker opened his shop.\n\n"};
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    for (int i = 0; len + 100 < cap; i++) {
        size_t l = strlen(S[i % 3]);
        memcpy(text + len, S[i % 3], l);
        len += l;
    }
    tt_params p = tt_default_params();
    progress_log log = {0, 50, 0};
    p.progress = on_progress;
    p.progress_user = &log;
    t0 = now_s();
    r = tt_detect(d, text, len, &p, err, sizeof err);
    double dt = now_s() - t0;
    CHECK(!r && strstr(err, "cancelled") && log.calls == 50 && log.total > 10000,
          "1 MB cancelled after 50 of %zu sentences (%zu calls): %s", log.total, log.calls, err);
    printf("cancelled a %zu-byte text after 50 of %zu sentences in %.3f s\n", len, log.total, dt);
    /* the detector still works afterwards */
    r = tt_detect(d, S[0], strlen(S[0]), NULL, err, sizeof err);
    CHECK(r && r->n_sentences == 1, "detect after a cancel: %s", err);
    tt_result_free(r);
    free(text);
    tt_detector_free(d);
}

int main(void) {
    model_limits();
    text_limits();
    TEST_DONE("limits");
}
