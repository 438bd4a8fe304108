/* test_tokenizer.c — the C tokenizer against train/tokenizer.py (the Python reference) on the
 * goldens in tests/fixtures/tiny_tokens.bin (≥ 10,000 strings: prose, Unicode, emoji, CJK, URLs,
 * code, whitespace runs, runs longer than max_chunk, random bytes with NUL and invalid UTF-8), token
 * for token; byte ranges must tile the input and match each token's bytes. Also: empty input, NUL
 * bytes, 1 MB of text, tt_token_bytes for bytes/merges/BOS. */
#include <string.h>
#include <time.h>

#include "engine.h"
#include "test_util.h"

/* Byte ranges tile [0, len) in order and each token's bytes are the input's bytes there. */
static int check_ranges(const tt_model *m, const unsigned char *s, size_t len, const tt_tokens *t) {
    uint32_t pos = 0;
    char tb[256];
    for (size_t k = 0; k < t->n; k++) {
        if (t->start[k] != pos || t->end[k] <= t->start[k] || t->end[k] > len) return 0;
        size_t n = tt_token_bytes(m, t->ids[k], tb, sizeof tb);
        if (n != t->end[k] - t->start[k] || n > sizeof tb || memcmp(tb, s + pos, n) != 0) return 0;
        pos = t->end[k];
    }
    return pos == len;
}

int main(void) {
    char err[512] = "";
    tt_model *m = tt_model_load_file("tests/fixtures/tiny.ttm", err, sizeof err);
    CHECK(m != NULL, "load: %s", err);
    size_t flen = 0;
    unsigned char *f = tt_read_file("tests/fixtures/tiny_tokens.bin", &flen);
    CHECK(f != NULL, "cannot read tests/fixtures/tiny_tokens.bin");
    if (!m || !f) TEST_DONE("test_tokenizer");
    const tt_config *c = tt_model_config(m);

    /* goldens */
    CHECK(flen >= 8 && memcmp(f, "TTOK", 4) == 0, "bad golden magic");
    uint32_t n_str;
    memcpy(&n_str, f + 4, 4);
    CHECK(n_str >= 10000, "only %u golden strings", n_str);
    size_t p = 8, mismatches = 0, total_tokens = 0, total_bytes = 0, with_nul = 0, invalid_utf8 = 0, long_runs = 0;
    for (uint32_t k = 0; k < n_str; k++) {
        uint32_t len, n;
        if (p + 4 > flen) break;
        memcpy(&len, f + p, 4);
        p += 4;
        if (p + len + 4 > flen) break;
        const unsigned char *s = f + p;
        p += len;
        memcpy(&n, f + p, 4);
        p += 4;
        if (p + 2 * (size_t)n > flen) break;
        const unsigned char *gid = f + p;
        p += 2 * (size_t)n;
        with_nul += memchr(s, 0, len) != NULL;
        for (uint32_t i = 0; i < len; i++)
            if (s[i] >= 0xF8 || (s[i] >= 0x80 && s[i] < 0xC0 && (i == 0 || s[i - 1] < 0x80))) {
                invalid_utf8++;
                break;
            }
        for (uint32_t i = 0, run = 1; i + 1 < len; i++) {
            run = s[i] == s[i + 1] ? run + 1 : 1;
            if (run > (uint32_t)c->max_chunk) {
                long_runs++;
                break;
            }
        }
        tt_tokens t;
        tt_status rc = tt_tokenize(m, (const char *)s, len, &t, err, sizeof err);
        CHECK(rc == TT_OK, "string %u: %s", k, err);
        int same = rc == TT_OK && t.n == n;
        for (uint32_t i = 0; same && i < n; i++) same = t.ids[i] == (int32_t)(gid[2 * i] | gid[2 * i + 1] << 8);
        if (!same && mismatches++ < 5) {
            fprintf(stderr, "string %u (%u bytes): C gives %zu tokens, Python %u; first ids:", k, len, t.n, n);
            for (size_t i = 0; i < t.n && i < 12; i++) fprintf(stderr, " %d", t.ids[i]);
            fprintf(stderr, " | python:");
            for (uint32_t i = 0; i < n && i < 12; i++) fprintf(stderr, " %d", gid[2 * i] | gid[2 * i + 1] << 8);
            fprintf(stderr, "\n");
        }
        CHECK(rc != TT_OK || check_ranges(m, s, len, &t), "string %u: byte ranges do not tile the input", k);
        total_tokens += n;
        total_bytes += len;
        tt_tokens_free(&t);
    }
    CHECK(p == flen, "golden file: stopped at byte %zu of %zu", p, flen);
    CHECK(mismatches == 0, "%zu of %u strings tokenized differently from train/tokenizer.py", mismatches, n_str);
    CHECK(with_nul >= 100 && invalid_utf8 >= 100 && long_runs >= 100,
          "goldens lack variety: %zu with NUL, %zu invalid UTF-8, %zu long runs", with_nul, invalid_utf8, long_runs);
    printf("goldens: %u strings, %zu bytes, %zu tokens (%zu with NUL, %zu invalid UTF-8, %zu runs > max_chunk)\n",
           n_str, total_bytes, total_tokens, with_nul, invalid_utf8, long_runs);

    /* empty input, NULL text with len 0 */
    tt_tokens t;
    CHECK(tt_tokenize(m, "", 0, &t, err, sizeof err) == TT_OK && t.n == 0, "empty");
    tt_tokens_free(&t);
    CHECK(tt_tokenize(m, NULL, 0, &t, err, sizeof err) == TT_OK && t.n == 0, "NULL, 0");
    tt_tokens_free(&t);
    CHECK(tt_tokenize(m, NULL, 3, &t, err, sizeof err) == TT_ERR_ARG && err[0], "NULL text with length accepted");
    CHECK(tt_tokenize(NULL, "a", 1, &t, err, sizeof err) == TT_ERR_ARG, "NULL model accepted");
    /* NUL bytes are ordinary bytes: each NUL run is a P run, tokens cover them */
    const char nul[] = "a\0\0b \0";
    CHECK(tt_tokenize(m, nul, 6, &t, err, sizeof err) == TT_OK && check_ranges(m, (const unsigned char *)nul, 6, &t),
          "NUL bytes");
    tt_tokens_free(&t);

    /* tt_token_bytes: bytes, a merge (its bytes = its two parts), BOS and out-of-range ids have none */
    char b1[64], b2[64], b3[64];
    CHECK(tt_token_bytes(m, 'x', b1, sizeof b1) == 1 && b1[0] == 'x', "byte token");
    const tt_tensor *mt = tt_model_tensor(m, "tokenizer.merges");
    CHECK(mt && mt->shape[0] == (uint32_t)c->n_merges, "merges tensor");
    if (mt && c->n_merges > 0) {
        const int32_t *mg = mt->data;
        int r = c->n_merges - 1;
        size_t na = tt_token_bytes(m, mg[2 * r], b1, sizeof b1), nb = tt_token_bytes(m, mg[2 * r + 1], b2, sizeof b2);
        size_t nm = tt_token_bytes(m, 256 + r, b3, sizeof b3);
        CHECK(nm == na + nb && memcmp(b3, b1, na) == 0 && memcmp(b3 + na, b2, nb) == 0, "merge %d bytes", r);
        CHECK(tt_token_bytes(m, 256 + r, b3, 1) == nm, "truncated copy must still return the full length");
    }
    CHECK(tt_token_bytes(m, c->bos_id, b1, sizeof b1) == 0, "BOS has no bytes");
    CHECK(tt_token_bytes(m, -1, b1, sizeof b1) == 0 && tt_token_bytes(m, c->vocab_size, b1, sizeof b1) == 0, "bad ids");

    /* 1 MB: the golden strings concatenated (prose, code, random bytes…) */
    size_t big_len = 1u << 20;
    unsigned char *big = malloc(big_len);
    for (size_t i = 0, q = 8; i < big_len;) {
        uint32_t len, n;
        memcpy(&len, f + q, 4);
        size_t take = len < big_len - i ? len : big_len - i;
        memcpy(big + i, f + q + 4, take);
        i += take;
        memcpy(&n, f + q + 4 + len, 4);
        q += 8 + len + 2 * (size_t)n;
        if (q >= flen) q = 8;
    }
    clock_t t0 = clock();
    tt_status rc = tt_tokenize(m, (const char *)big, big_len, &t, err, sizeof err);
    double sec = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(rc == TT_OK, "1 MB: %s", err);
    CHECK(rc == TT_OK && check_ranges(m, big, big_len, &t), "1 MB: byte ranges");
    printf("1 MB: %zu tokens in %.3f s (informational)\n", t.n, sec);
    tt_tokens_free(&t);
    free(big);

    free(f);
    tt_model_free(m);
    TEST_DONE("test_tokenizer");
}
