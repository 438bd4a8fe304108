/* fuzz_model.c — the model loader (tt_model_load_buffer) and, when a mutated file loads, everything
 * that uses it: tokenizer, forward pass, and the detector (tt_detector_open_buffer + tt_detect).
 *
 * Two builds from this file:
 *   fuzz_model      (FUZZ_MODEL_RESEAL=1) before loading, the harness writes payload_size = input
 *                   size − payload_offset and the payload's CRC-32 into the header, so mutations of
 *                   the metadata, tensor table and payload get past the checksum and reach the
 *                   validation and the code behind it;
 *   fuzz_model_raw  the input exactly as given (header checks and the checksum itself).
 * Seeds: tests/fixtures/tiny.ttm, tiny-detector.ttm, tiny-detector-null.ttm (tests/fuzz/corpus/model/); dictionary
 * tests/fuzz/model.dict (tensor names, metadata keys).
 * Oracles: a rejected file gives NULL and a non-empty message; a loaded model's config is inside the
 * documented ranges, tokenizing gives tokens that tile the text and whose bytes are the text, and the
 * forward pass and detection succeed or fail with a message. */
#include <math.h>

#include "engine.h"
#include "fuzz_util.h"
#include "telltale.h"

#ifndef FUZZ_MODEL_RESEAL
#define FUZZ_MODEL_RESEAL 0
#endif

#if FUZZ_MODEL_RESEAL
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* CRC-32 (IEEE, reflected), bit by bit: independent of the loader's table-driven one. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* payload_size = size − payload_offset and the payload's CRC-32, when payload_offset is inside */
static void reseal(uint8_t *buf, size_t size) {
    if (size < 40) return;
    uint64_t po = get64(buf + 16);
    if (po > size) return;
    put64(buf + 24, size - po);
    put32(buf + 32, crc32_bitwise(buf + po, size - po));
}
#endif

static const char SAMPLE[] =
    "The cat sat on the mat.  It was 42 degrees\tin the shade!\r\n\n"
    "Caf\xc3\xa9 \xe2\x80\x94 na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x98\x80 \xff\xfe bytes\x00 and NUL. "
    "Another sentence follows here, with several words in it. And one more sentence of plain words.";

static void check_tokens(const tt_model *m, const char *text, size_t len) {
    tt_tokens t;
    char err[256] = "";
    tt_status st = tt_tokenize(m, text, len, &t, err, sizeof err);
    if (st != TT_OK) {
        FUZZ_ASSERT(st == TT_ERR_NOMEM && err[0], "tokenize failed with status %d: %s", (int)st, err);
        return;
    }
    const tt_config *c = tt_model_config(m);
    uint32_t pos = 0;
    for (size_t i = 0; i < t.n; i++) {
        FUZZ_ASSERT(t.start[i] == pos && t.end[i] > t.start[i], "token %zu: [%u, %u) after %u", i, t.start[i], t.end[i], pos);
        FUZZ_ASSERT(t.ids[i] >= 0 && t.ids[i] < 256 + c->n_merges, "token %zu: id %d", i, t.ids[i]);
        char buf[64];
        size_t bl = tt_token_bytes(m, t.ids[i], buf, sizeof buf);
        FUZZ_ASSERT(bl == t.end[i] - t.start[i] && bl <= (size_t)(c->max_chunk > 1 ? c->max_chunk : 1),
                    "token %zu: %zu bytes for a range of %u", i, bl, t.end[i] - t.start[i]);
        FUZZ_ASSERT(memcmp(buf, text + t.start[i], bl < sizeof buf ? bl : sizeof buf) == 0, "token %zu: bytes differ", i);
        pos = t.end[i];
    }
    FUZZ_ASSERT(pos == len, "tokens cover %u of %zu bytes", pos, len);
    tt_tokens_free(&t);
}

static void use_model(const tt_model *m) {
    const tt_config *c = tt_model_config(m);
    FUZZ_ASSERT(c->vocab_size >= 257 && c->d_model >= 1 && c->n_heads >= 1 && c->d_model % c->n_heads == 0 &&
                    c->context >= 2 && c->bos_id >= 256 + c->n_merges && c->bos_id < c->vocab_size &&
                    c->max_chunk >= 1 && c->norm_eps > 0,
                "config out of range");
    FUZZ_ASSERT(tt_model_metadata(m) != NULL, "no metadata");
    check_tokens(m, SAMPLE, sizeof SAMPLE - 1);

    /* forward over BOS + a few tokens, and past the context once when it is small (windowing) */
    char err[256] = "";
    tt_state *s = tt_state_new(m, err, sizeof err);
    if (!s) {
        FUZZ_ASSERT(err[0], "tt_state_new: NULL without a message");
        return;
    }
    size_t n = (size_t)c->context <= 40 ? (size_t)c->context + 5 : 12;
    int32_t *ids = malloc(n * sizeof *ids);
    float *hidden = malloc(n * (size_t)c->d_model * sizeof *hidden);
    tt_tokstat *stats = malloc(n * sizeof *stats);
    FUZZ_ASSERT(ids && hidden && stats, "out of memory");
    ids[0] = c->bos_id;
    for (size_t i = 1; i < n; i++) ids[i] = (int32_t)((i * 37) % (size_t)(256 + c->n_merges));
    tt_status st = tt_forward(m, s, ids, n, hidden, stats, err, sizeof err);
    FUZZ_ASSERT(st == TT_OK || err[0], "tt_forward: status %d without a message", (int)st);
    if (st == TT_OK)
        for (size_t i = 0; i + 1 < n; i++) FUZZ_ASSERT(stats[i].rank >= 1 && stats[i].rank <= c->vocab_size, "rank %d", stats[i].rank);
    /* an id out of range must be refused, not read */
    ids[1] = c->vocab_size;
    err[0] = 0;
    FUZZ_ASSERT(tt_forward(m, s, ids, 2, hidden, NULL, err, sizeof err) != TT_OK && err[0], "id = vocab_size accepted");
    free(ids);
    free(hidden);
    free(stats);
    tt_state_free(s);
}

static void use_detector(const uint8_t *buf, size_t len) {
    char err[512] = "";
    tt_detector *d = tt_detector_open_buffer(buf, len, err, sizeof err);
    if (!d) {
        FUZZ_ASSERT(err[0], "tt_detector_open_buffer: NULL without a message");
        return;
    }
    tt_params p = tt_default_params();
    p.permutations = 20;
    char *js = tt_detect_json(d, SAMPLE, sizeof SAMPLE - 1, &p, err, sizeof err);
    FUZZ_ASSERT(js || err[0], "tt_detect_json: NULL without a message");
    if (js) FUZZ_ASSERT(js[0] == '{' && js[strlen(js) - 1] == '}', "not a JSON object: %.80s", js);
    tt_free(js);
    tt_detector_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size heap copy (malloc's alignment satisfies the loader's 4-byte requirement) */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
#if FUZZ_MODEL_RESEAL
    reseal(buf, size);
#endif
    char err[512];
    err[0] = 0;
    tt_model *m = tt_model_load_buffer(buf, size, err, sizeof err);
    if (!m) {
        FUZZ_ASSERT(err[0], "rejected without a message");
        FUZZ_ASSERT(memchr(err, 0, sizeof err) != NULL, "message not terminated");
    } else {
        use_model(m);
        tt_model_free(m);
        use_detector(buf, size);
    }
    free(buf);
    return 0;
}
