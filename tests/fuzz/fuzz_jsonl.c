/* fuzz_jsonl.c — the `telltale score --jsonl` input handling (tt_score_jsonl_line, src/score_jsonl.c,
 * the function src/cli.c calls per line) on arbitrary bytes split into lines, with the tiny detector
 * (tests/fixtures/tiny-detector.ttm, 20 permutations).
 * Oracles: a blank line gives no output, every other line exactly one JSON object with "id" and
 * either "error" (a string starting "line N: ") or "score" (null or in [0, 1]), "label", "p_value"
 * (null or in (0, 1]) and "n_sentences"; the id is the input's id when the line is an object (an id
 * that overflows to infinity, e.g. 1e999, is refused with an error and id null). Every other line
 * asks for --paragraphs too: their scored sentences add up to n_sentences, each label is a string. */
#include <math.h>

#ifdef TT_CJSON_LOCAL
#include "cJSON.h"
#else
#include <cjson/cJSON.h>
#endif

#include "fuzz_util.h"
#include "score_jsonl.h"
#include "telltale.h"

static int blank(const char *s, size_t n) {
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

static void check_line(tt_detector *d, const tt_params *p, const char *line, size_t len, long lineno) {
    char *out = NULL;
    int has = tt_score_jsonl_line_ex(d, p, line, len, lineno, lineno % 2 ? TT_JSONL_PARAGRAPHS : 0, &out);
    FUZZ_ASSERT(has == !blank(line, len), "line %ld: output %d for a %s line", lineno, has, has ? "blank" : "non-blank");
    if (!has) return;
    FUZZ_ASSERT(out, "line %ld: out of memory", lineno);
    FUZZ_ASSERT(!strchr(out, '\n'), "line %ld: output has a newline", lineno);
    cJSON *o = cJSON_Parse(out);
    FUZZ_ASSERT(cJSON_IsObject(o), "line %ld: output is not a JSON object: %s", lineno, out);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    FUZZ_ASSERT(id, "line %ld: no id: %s", lineno, out);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (e) {
        char want[32];
        snprintf(want, sizeof want, "line %ld: ", lineno);
        FUZZ_ASSERT(cJSON_IsString(e) && strncmp(e->valuestring, want, strlen(want)) == 0, "line %ld: bad error: %s", lineno, out);
    } else {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "score"), *l = cJSON_GetObjectItemCaseSensitive(o, "label"),
                    *pv = cJSON_GetObjectItemCaseSensitive(o, "p_value"), *ns = cJSON_GetObjectItemCaseSensitive(o, "n_sentences");
        FUZZ_ASSERT(cJSON_IsNull(s) || (cJSON_IsNumber(s) && s->valuedouble >= 0 && s->valuedouble <= 1), "line %ld: score: %s", lineno, out);
        FUZZ_ASSERT(cJSON_IsString(l), "line %ld: label: %s", lineno, out);
        FUZZ_ASSERT(cJSON_IsNull(pv) || (cJSON_IsNumber(pv) && pv->valuedouble > 0 && pv->valuedouble <= 1), "line %ld: p_value: %s", lineno, out);
        FUZZ_ASSERT(cJSON_IsNumber(ns) && ns->valuedouble >= 0, "line %ld: n_sentences: %s", lineno, out);
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(o, "paragraphs"), *pe;
        FUZZ_ASSERT(lineno % 2 ? cJSON_IsArray(ps) : !ps, "line %ld: paragraphs: %s", lineno, out);
        double sum = 0;
        cJSON_ArrayForEach(pe, ps) {
            const cJSON *pl = cJSON_GetObjectItemCaseSensitive(pe, "label"), *pn = cJSON_GetObjectItemCaseSensitive(pe, "n_sentences");
            FUZZ_ASSERT(cJSON_IsString(pl) && cJSON_IsNumber(pn), "line %ld: paragraph: %s", lineno, out);
            sum += pn->valuedouble;
        }
        FUZZ_ASSERT(!ps || sum == ns->valuedouble, "line %ld: paragraphs hold %g scored sentences, the text %g", lineno, sum, ns->valuedouble);
    }
    /* the id comes back unchanged when the input is an object */
    cJSON *in = cJSON_ParseWithLength(line, len);
    if (cJSON_IsObject(in)) {
        const cJSON *iid = cJSON_GetObjectItemCaseSensitive(in, "id");
        if (cJSON_IsNumber(iid) && !(iid->valuedouble * 0 == 0)) /* 1e999: refused, id null */
            FUZZ_ASSERT(e && cJSON_IsNull(id), "line %ld: a non-finite id was not refused: %s", lineno, out);
        else
            FUZZ_ASSERT(iid ? cJSON_Compare(iid, id, 1) : cJSON_IsNull(id), "line %ld: id changed: %s", lineno, out);
    }
    cJSON_Delete(in);
    cJSON_Delete(o);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tt_detector *d = fuzz_tiny_detector();
    tt_params p = tt_default_params();
    p.permutations = 20;
    const char *s = (const char *)data;
    long lineno = 0;
    for (size_t i = 0; i < size;) {
        const char *nl = memchr(s + i, '\n', size - i);
        size_t e = nl ? (size_t)(nl - s) + 1 : size; /* the line with its newline, as getline gives it */
        check_line(d, &p, s + i, e - i, ++lineno);
        i = e;
    }
    return 0;
}
