/* score_jsonl.c — one line of `telltale score --jsonl` (see score_jsonl.h and src/cli.c). */
#include "score_jsonl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TT_CJSON_LOCAL
#include "cJSON.h"
#else
#include <cjson/cJSON.h>
#endif

#include "detect_internal.h"

static char *error_line(const cJSON *id, const char *msg) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "error", msg);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static double round6(double x) { char b[32]; snprintf(b, sizeof b, "%.6g", x); return strtod(b, NULL); }

/* Whether line[0..len) holds the escape \u0000 (a backslash run of odd length before "u0000"): cJSON's
 * strings end at their first NUL, so such a text would be cut there without a word. */
static int has_nul_escape(const char *line, size_t len) {
    for (size_t i = 0; i + 5 <= len; i++) {
        if (memcmp(line + i, "u0000", 5) != 0) continue;
        size_t b = 0;
        while (b < i && line[i - 1 - b] == '\\') b++;
        if (b % 2 == 1) return 1;
    }
    return 0;
}

/* Whether a \uD800-\uDFFF escape starts in the 12 bytes before line[at] (line[0..len)): where cJSON stops when a
 * surrogate comes without its other half. */
static int surrogate_before(const char *line, size_t len, size_t at) {
    for (size_t i = at > 12 ? at - 12 : 0; i <= at && i + 4 <= len; i++)
        if (line[i] == '\\' && line[i + 1] == 'u' && (line[i + 2] == 'd' || line[i + 2] == 'D') &&
            memchr("89abcdefABCDEF", line[i + 3], 14))
            return 1;
    return 0;
}

int tt_score_jsonl_line(tt_detector *d, const tt_params *params, const char *line, size_t len, long lineno,
                        char **out) {
    return tt_score_jsonl_line_ex(d, params, line, len, lineno, 0, out);
}

/* key: v to 6 significant digits when ok, else null */
static void add_num_or_null(cJSON *o, const char *key, double v, int ok) {
    if (ok) cJSON_AddNumberToObject(o, key, round6(v));
    else cJSON_AddNullToObject(o, key);
}

/* Appends {"start", "end", "score"} (byte offsets; score null when not scored, < 0) to arr and returns
 * it for the unit's other fields; NULL when out of memory. */
static cJSON *add_span_entry(cJSON *arr, size_t start, size_t end, double score) {
    cJSON *e = cJSON_CreateObject();
    if (!e) return NULL;
    cJSON_AddNumberToObject(e, "start", start);
    cJSON_AddNumberToObject(e, "end", end);
    add_num_or_null(e, "score", score, score >= 0);
    cJSON_AddItemToArray(arr, e);
    return e;
}

int tt_score_jsonl_line_ex(tt_detector *d, const tt_params *params, const char *line, size_t len, long lineno,
                           int flags, char **out) {
    *out = NULL;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    size_t k = 0;
    while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
    if (k == len) return 0; /* blank line: not an input */
    char msg[600];
    const char *end = NULL;
    cJSON *in = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!in) {
        /* end: where cJSON stopped (it may point just past the input when the line ends early) */
        long at = end && end >= line && end <= line + len ? (long)(end - line) + 1 : -1;
        if (at > 0) snprintf(msg, sizeof msg, "line %ld: invalid JSON at byte %ld of the line%s", lineno, at,
                             surrogate_before(line, len, (size_t)at - 1)
                                 ? " (a \\ud800-\\udfff escape that is not half of a surrogate pair is not a character)" : "");
        else snprintf(msg, sizeof msg, "line %ld: invalid JSON", lineno);
        *out = error_line(NULL, msg);
        return 1;
    }
    const cJSON *id = cJSON_IsObject(in) ? cJSON_GetObjectItemCaseSensitive(in, "id") : NULL;
    const cJSON *text = cJSON_IsObject(in) ? cJSON_GetObjectItemCaseSensitive(in, "text") : NULL;
    if (!cJSON_IsObject(in) || !cJSON_IsString(text)) {
        if (!cJSON_IsObject(in)) snprintf(msg, sizeof msg, "line %ld: expected a JSON object {\"id\": ..., \"text\": \"...\"}", lineno);
        else snprintf(msg, sizeof msg, "line %ld: missing \"text\" (a string)", lineno);
        *out = error_line(id, msg);
        cJSON_Delete(in);
        return 1;
    }
    if (cJSON_IsNumber(id) && !(id->valuedouble * 0 == 0)) {
        /* 1e999 parses as infinity, which JSON cannot carry back: refuse rather than answer for "null" */
        snprintf(msg, sizeof msg, "line %ld: \"id\" is a number out of range (it cannot be echoed); use a string", lineno);
        *out = error_line(NULL, msg);
        cJSON_Delete(in);
        return 1;
    }
    if (has_nul_escape(line, len)) {
        snprintf(msg, sizeof msg, "line %ld: the line contains \\u0000 (a NUL character), which this mode cannot "
                 "pass on whole; remove it, or check the text as a file with `telltale detect`", lineno);
        *out = error_line(id, msg);
        cJSON_Delete(in);
        return 1;
    }
    char err[512];
    tt_result *r = tt_detect(d, text->valuestring, strlen(text->valuestring), params, err, sizeof err);
    if (!r) {
        snprintf(msg, sizeof msg, "line %ld: %s", lineno, err);
        *out = error_line(id, msg);
        cJSON_Delete(in);
        return 1;
    }
    size_t scored = tt_result_scored(r, 0, r->n_sentences);
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
        const tt_paragraph *D = &r->document;
        add_num_or_null(o, "score", D->score, D->score >= 0);
        cJSON_AddStringToObject(o, "label", tt_label_name(D->label));
        add_num_or_null(o, "p_value", D->p_value, D->tested);
        add_num_or_null(o, "mmd2", D->mmd2, isfinite(D->mmd2));
        add_num_or_null(o, "mmd2_mp", D->mmd2_mp, isfinite(D->mmd2_mp));
        cJSON_AddNumberToObject(o, "n_sentences", (double)scored);
        double feat[TT_N_FEATURES];
        if (flags & TT_JSONL_FEATURES) {
            if (tt_result_doc_features(r, feat) == 0) {
                cJSON *fo = cJSON_AddObjectToObject(o, "features");
                for (int i = 0; fo && i < TT_N_FEATURES; i++) add_num_or_null(fo, tt_feature_name(i), feat[i], isfinite(feat[i]));
            } else {
                cJSON_AddNullToObject(o, "features");
            }
        }
        cJSON *arr = (flags & TT_JSONL_SENTENCES) ? cJSON_AddArrayToObject(o, "sentences") : NULL;
        for (size_t i = 0; arr && i < r->n_sentences; i++) {
            const tt_sentence *s = &r->sentences[i];
            cJSON *e = add_span_entry(arr, s->start, s->end, s->score);
            if (!e) break;
            add_num_or_null(e, "raw", s->raw, s->score >= 0);
        }
        arr = (flags & TT_JSONL_PARAGRAPHS) ? cJSON_AddArrayToObject(o, "paragraphs") : NULL;
        for (size_t i = 0; arr && i < r->n_paragraphs; i++) {
            const tt_paragraph *p = &r->paragraphs[i];
            cJSON *e = add_span_entry(arr, p->start, p->end, p->score);
            if (!e) break;
            cJSON_AddStringToObject(e, "label", tt_label_name(p->label));
            add_num_or_null(e, "p_value", p->p_value, p->tested);
            cJSON_AddNumberToObject(e, "n_sentences", (double)tt_result_scored(r, p->first_sentence, p->n_sentences));
        }
        *out = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
    }
    tt_result_free(r);
    cJSON_Delete(in);
    return 1;
}
