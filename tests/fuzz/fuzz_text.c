/* fuzz_text.c — tokenizer (tt_tokenize on tests/fixtures/tiny.ttm) and segmenter (tt_segment, UTF-8
 * helpers, word count) on arbitrary bytes.
 * Oracles: tokens tile the input exactly and their bytes are the input's bytes; paragraphs and
 * sentences are non-empty, ordered, non-overlapping, trimmed, inside the text (sentences inside their
 * paragraph, every paragraph with ≥ 1 sentence), start and end on code point boundaries, with UTF-16
 * offsets equal to an independent count; the sanitized copy of a span is valid UTF-8 of the expected
 * length and tokenizes too. */
#include "engine.h"
#include "fuzz_util.h"
#include "segment.h"

static const tt_model *model(void) {
    static tt_model *m;
    if (!m) {
        size_t len;
        const uint8_t *b = fuzz_fixture("tiny.ttm", &len);
        char err[256];
        m = tt_model_load_buffer(b, len, err, sizeof err);
        FUZZ_ASSERT(m, "tiny.ttm: %s", err);
    }
    return m;
}

static void check_tokens(const tt_model *m, const uint8_t *text, size_t len) {
    tt_tokens t;
    char err[256] = "";
    tt_status st = tt_tokenize(m, (const char *)text, len, &t, err, sizeof err);
    FUZZ_ASSERT(st == TT_OK, "tt_tokenize: status %d: %s", (int)st, err);
    FUZZ_ASSERT(len == 0 ? t.n == 0 : (t.n >= 1 && t.n <= len), "%zu tokens for %zu bytes", t.n, len);
    uint32_t pos = 0;
    for (size_t i = 0; i < t.n; i++) {
        FUZZ_ASSERT(t.start[i] == pos && t.end[i] > pos && t.end[i] <= len, "token %zu: [%u, %u) after %u", i, t.start[i], t.end[i], pos);
        char buf[256];
        size_t bl = tt_token_bytes(m, t.ids[i], buf, sizeof buf);
        FUZZ_ASSERT(bl == t.end[i] - t.start[i] && bl <= sizeof buf, "token %zu (id %d): %zu bytes for [%u, %u)", i, t.ids[i], bl, t.start[i], t.end[i]);
        FUZZ_ASSERT(memcmp(buf, text + t.start[i], bl) == 0, "token %zu (id %d): bytes differ from the text", i, t.ids[i]);
        pos = t.end[i];
    }
    FUZZ_ASSERT(pos == len, "tokens cover %u of %zu bytes", pos, len);
    tt_tokens_free(&t);
}

/* Strict UTF-8 decoding written out independently of segment.c: the length of the sequence at i
 * (1 for an invalid byte) and its UTF-16 length (1 or 2). */
static size_t seq_len(const uint8_t *s, size_t len, size_t i, size_t *u16) {
    uint8_t c = s[i];
    size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    *u16 = 1;
    if (n <= 1 || i + n > len) return 1;
    for (size_t k = 1; k < n; k++)
        if ((s[i + k] & 0xC0) != 0x80) return 1;
    uint8_t c1 = s[i + 1];
    if (c == 0xE0 && c1 < 0xA0) return 1;  /* overlong */
    if (c == 0xED && c1 >= 0xA0) return 1; /* surrogate */
    if (c == 0xF0 && c1 < 0x90) return 1;  /* overlong */
    if (c == 0xF4 && c1 >= 0x90) return 1; /* > U+10FFFF */
    if (n == 4) *u16 = 2;
    return n;
}

static int is_ascii_space(uint8_t c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

static void check_span(const uint8_t *text, size_t len, const tt_span *s, const int64_t *u16at, const char *what, size_t k) {
    FUZZ_ASSERT(s->start < s->end && s->end <= len, "%s %zu: [%u, %u) in %zu bytes", what, k, s->start, s->end, len);
    FUZZ_ASSERT(u16at[s->start] >= 0 && u16at[s->end] >= 0, "%s %zu: [%u, %u) cuts a UTF-8 sequence", what, k, s->start, s->end);
    FUZZ_ASSERT(s->start16 == (uint64_t)u16at[s->start] && s->end16 == (uint64_t)u16at[s->end],
                "%s %zu: UTF-16 [%u, %u), expected [%lld, %lld)", what, k, s->start16, s->end16,
                (long long)u16at[s->start], (long long)u16at[s->end]);
    FUZZ_ASSERT(!is_ascii_space(text[s->start]) && !is_ascii_space(text[s->end - 1]), "%s %zu: not trimmed", what, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const tt_model *m = model();
    check_tokens(m, data, size);

    /* UTF-16 offset of every code point boundary (−1 inside a sequence), and the invalid bytes */
    int64_t *u16at = malloc((size + 1) * sizeof *u16at);
    FUZZ_ASSERT(u16at, "out of memory");
    size_t bad = 0;
    int64_t u = 0;
    for (size_t i = 0; i < size;) {
        size_t w, n = seq_len(data, size, i, &w);
        if (n == 1 && data[i] >= 0x80) bad++;
        u16at[i] = u;
        for (size_t k = 1; k < n; k++) u16at[i + k] = -1;
        u += (int64_t)w;
        i += n;
    }
    u16at[size] = u;
    FUZZ_ASSERT(tt_utf8_invalid_count((const char *)data, size) == bad, "invalid count %zu, expected %zu",
                tt_utf8_invalid_count((const char *)data, size), bad);

    tt_segmentation seg;
    char err[256] = "";
    tt_status st = tt_segment((const char *)data, size, &seg, err, sizeof err);
    FUZZ_ASSERT(st == TT_OK, "tt_segment: status %d: %s", (int)st, err);
    size_t next_sentence = 0;
    uint32_t para_end = 0;
    for (size_t p = 0; p < seg.n_paragraphs; p++) {
        const tt_seg_paragraph *P = &seg.paragraphs[p];
        check_span(data, size, &P->span, u16at, "paragraph", p);
        FUZZ_ASSERT(P->span.start >= para_end, "paragraph %zu starts at %u, before the previous end %u", p, P->span.start, para_end);
        para_end = P->span.end;
        FUZZ_ASSERT(P->n_sentences >= 1 && P->first_sentence == next_sentence, "paragraph %zu: sentences %zu+%zu, expected from %zu",
                    p, P->first_sentence, P->n_sentences, next_sentence);
        uint32_t sent_end = P->span.start;
        for (size_t k = P->first_sentence; k < P->first_sentence + P->n_sentences; k++) {
            FUZZ_ASSERT(k < seg.n_sentences, "paragraph %zu: sentence %zu of %zu", p, k, seg.n_sentences);
            const tt_span *s = &seg.sentences[k];
            check_span(data, size, s, u16at, "sentence", k);
            FUZZ_ASSERT(s->start >= sent_end && s->end <= P->span.end, "sentence %zu [%u, %u) outside paragraph %zu [%u, %u) or overlapping",
                        k, s->start, s->end, p, P->span.start, P->span.end);
            sent_end = s->end;
            size_t ol = 0;
            char *clean = tt_utf8_sanitize((const char *)data, s->start, s->end, &ol);
            FUZZ_ASSERT(clean, "out of memory");
            size_t sbad = tt_utf8_invalid_count((const char *)data + s->start, s->end - s->start);
            FUZZ_ASSERT(ol == s->end - s->start + 2 * sbad && clean[ol] == 0, "sanitized length %zu", ol);
            FUZZ_ASSERT(tt_utf8_invalid_count(clean, ol) == 0, "sanitized text is not valid UTF-8");
            check_tokens(m, (const uint8_t *)clean, ol);
            free(clean);
            FUZZ_ASSERT(tt_count_words((const char *)data, s->start, s->end) <= (size_t)(s->end - s->start), "word count");
        }
        next_sentence = P->first_sentence + P->n_sentences;
    }
    FUZZ_ASSERT(next_sentence == seg.n_sentences, "%zu sentences, paragraphs cover %zu", seg.n_sentences, next_sentence);
    tt_segmentation_free(&seg);
    free(u16at);
    return 0;
}
