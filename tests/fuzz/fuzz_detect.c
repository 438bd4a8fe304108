/* fuzz_detect.c — the whole detection path, tt_detect_json on tests/fixtures/tiny-detector.ttm (20
 * permutations, the minimum, to keep each run fast) or tiny-detector-null.ttm (the human-null test),
 * with arbitrary text.
 * The first input byte picks options (seed, min_sentences, pretty JSON via tt_result_json, whether
 * tt_detect_json runs too, which model: bit 7); the rest is the text. Oracles: a result for every text within TT_MAX_TEXT_BYTES; the JSON is one object; the
 * struct result (tt_detect) has spans inside the text, sentences inside their paragraph, scores in
 * [0, 1] or −1, p-values in (0, 1] or −1, and the same JSON as tt_detect_json. */
#include <math.h>

#include "fuzz_util.h"
#include "telltale.h"

static void check_unit(const tt_paragraph *p, size_t len, size_t n_sentences, const char *what, size_t k) {
    FUZZ_ASSERT(p->start <= p->end && p->end <= len, "%s %zu: [%u, %u) in %zu bytes", what, k, p->start, p->end, len);
    FUZZ_ASSERT(p->score == -1 || (p->score >= 0 && p->score <= 1), "%s %zu: score %g", what, k, p->score);
    FUZZ_ASSERT(p->tested ? (p->p_value > 0 && p->p_value <= 1) : p->p_value == -1, "%s %zu: tested %d, p %g", what, k, p->tested, p->p_value);
    FUZZ_ASSERT(p->first_sentence + p->n_sentences <= n_sentences, "%s %zu: sentences %zu+%zu of %zu", what, k, p->first_sentence,
                p->n_sentences, n_sentences);
    FUZZ_ASSERT(p->label <= TT_LABEL_NONE, "%s %zu: label %d", what, k, (int)p->label);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    tt_detector *d = fuzz_tiny_detector_kind(data[0] >> 7);
    tt_params p = tt_default_params();
    p.permutations = 20;
    p.seed = data[0] & 7;
    p.min_sentences = 2 + ((data[0] >> 3) & 3);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[512] = "";
    /* tt_detect_json as well only when bit 6 is set (detection twice halves the executions) */
    char *js = NULL;
    size_t jl = 0;
    if (data[0] & 0x40) {
        js = tt_detect_json(d, text, len, &p, err, sizeof err);
        FUZZ_ASSERT(js, "tt_detect_json failed on %zu bytes: %s", len, err);
        jl = strlen(js);
        FUZZ_ASSERT(jl >= 2 && js[0] == '{' && js[jl - 1] == '}', "not a JSON object: %.120s", js);
    }

    tt_result *r = tt_detect(d, text, len, &p, err, sizeof err);
    FUZZ_ASSERT(r, "tt_detect failed: %s", err);
    FUZZ_ASSERT(!strcmp(r->test, data[0] >> 7 ? "human_null" : "permutation"), "test %s", r->test);
    check_unit(&r->document, len, r->n_sentences, "document", 0);
    FUZZ_ASSERT(r->document.n_sentences == r->n_sentences, "document covers %zu of %zu sentences", r->document.n_sentences, r->n_sentences);
    for (size_t i = 0; i < r->n_paragraphs; i++) {
        const tt_paragraph *P = &r->paragraphs[i];
        check_unit(P, len, r->n_sentences, "paragraph", i);
        for (size_t k = P->first_sentence; k < P->first_sentence + P->n_sentences; k++) {
            const tt_sentence *s = &r->sentences[k];
            FUZZ_ASSERT(s->start >= P->start && s->end <= P->end && s->start < s->end, "sentence %zu outside paragraph %zu", k, i);
            FUZZ_ASSERT(s->score == -1 || (s->score >= 0 && s->score <= 1), "sentence %zu: score %g", k, s->score);
            FUZZ_ASSERT(s->label <= TT_LABEL_NONE, "sentence %zu: label %d", k, (int)s->label);
        }
    }
    for (size_t i = 0; i < r->n_warnings; i++) FUZZ_ASSERT(r->warnings[i] && r->warnings[i][0], "warning %zu empty", i);
    /* the same result as JSON (timings differ, so compare only up to the first timing field) */
    char *js2 = tt_result_json(r, (data[0] >> 5) & 1);
    FUZZ_ASSERT(js2, "tt_result_json: out of memory");
    size_t j2 = strlen(js2);
    FUZZ_ASSERT(j2 >= 2 && js2[0] == '{' && js2[j2 - 1] == '}', "tt_result_json: not a JSON object: %.120s", js2);
    if (js && !((data[0] >> 5) & 1)) {
        const char *a = strstr(js, "\"timing"), *b = strstr(js2, "\"timing");
        size_t na = a ? (size_t)(a - js) : jl, nb = b ? (size_t)(b - js2) : strlen(js2);
        FUZZ_ASSERT(na == nb && memcmp(js, js2, na) == 0, "tt_detect_json and tt_result_json(tt_detect) differ");
    }
    tt_free(js2);
    tt_result_free(r);
    tt_free(js);
    return 0;
}
