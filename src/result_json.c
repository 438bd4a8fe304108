/* result_json.c — tt_result as JSON, exactly docs/result-schema.md (schema version 1).
 * Scores, statistics and p-values are rounded to 6 significant digits and timings to 1 µs, so the
 * output reads well and is the same from every build. */
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
#include "telltale.h"

static double round6(double x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", x);
    return strtod(buf, NULL);
}

/* A number, or null when absent (negative probability / non-finite statistic). */
static int add_num(cJSON *o, const char *key, double v, int present) {
    cJSON *item = present && isfinite(v) ? cJSON_CreateNumber(round6(v)) : cJSON_CreateNull();
    return item && cJSON_AddItemToObject(o, key, item) ? 0 : -1;
}
static int add_int(cJSON *o, const char *key, double v) {
    return cJSON_AddNumberToObject(o, key, v) ? 0 : -1;
}
static int add_span(cJSON *o, uint32_t s, uint32_t e, uint32_t s16, uint32_t e16) {
    return add_int(o, "start", s) | add_int(o, "end", e) | add_int(o, "start16", s16) | add_int(o, "end16", e16);
}
static int add_label(cJSON *o, tt_label l) {
    if (l == TT_LABEL_NONE) l = TT_LABEL_UNCERTAIN;
    return cJSON_AddStringToObject(o, "label", tt_label_name(l)) ? 0 : -1;
}

/* document and paragraphs share these fields */
static int add_unit(cJSON *o, const tt_result *r, const tt_paragraph *p) {
    int rc = add_span(o, p->start, p->end, p->start16, p->end16);
    rc |= add_num(o, "score", p->score, p->score >= 0);
    rc |= add_label(o, p->label);
    rc |= add_num(o, "p_value", p->p_value, p->tested && p->p_value >= 0);
    rc |= add_num(o, "mmd2", p->mmd2, 1);
    rc |= add_num(o, "mmd2_mp", p->mmd2_mp, 1);
    rc |= cJSON_AddBoolToObject(o, "tested", p->tested ? 1 : 0) ? 0 : -1;
    rc |= add_int(o, "n_sentences", (double)tt_result_scored(r, p->first_sentence, p->n_sentences));
    return rc;
}

/* One paragraph with its sentences. */
static cJSON *paragraph_obj(const tt_result *r, const tt_paragraph *p) {
    cJSON *po = cJSON_CreateObject();
    if (!po) return NULL;
    int rc = add_unit(po, r, p);
    cJSON *sents = cJSON_AddArrayToObject(po, "sentences");
    if (!sents) rc = -1;
    for (size_t k = p->first_sentence; k < p->first_sentence + p->n_sentences && k < r->n_sentences && !rc; k++) {
        const tt_sentence *s = &r->sentences[k];
        cJSON *so = cJSON_CreateObject();
        if (!so || !cJSON_AddItemToArray(sents, so)) { cJSON_Delete(so); rc = -1; break; }
        rc |= add_span(so, s->start, s->end, s->start16, s->end16);
        rc |= add_num(so, "score", s->score, s->score >= 0);
        rc |= add_num(so, "raw", s->raw, s->score >= 0);
        rc |= add_label(so, s->score >= 0 ? s->label : TT_LABEL_UNCERTAIN);
    }
    if (rc) { cJSON_Delete(po); return NULL; }
    return po;
}

/* Everything but the paragraphs (an empty "paragraphs" array stands in for them). */
static cJSON *root_obj(const tt_result *r) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    int rc = 0;
    rc |= cJSON_AddStringToObject(root, "model", r->model ? r->model : "") ? 0 : -1;
    rc |= cJSON_AddStringToObject(root, "version", TELLTALE_VERSION) ? 0 : -1;
    rc |= cJSON_AddStringToObject(root, "test", r->test ? r->test : "permutation") ? 0 : -1;
    cJSON *doc = cJSON_AddObjectToObject(root, "document");
    rc |= doc ? add_unit(doc, r, &r->document) : -1;
    rc |= cJSON_AddArrayToObject(root, "paragraphs") ? 0 : -1;
    cJSON *warns = cJSON_AddArrayToObject(root, "warnings");
    if (!warns) rc = -1;
    for (size_t i = 0; i < r->n_warnings && !rc; i++) {
        const char *w = r->warnings[i];
        const char *colon = strstr(w, ": ");
        char code[64];
        size_t cl = colon ? (size_t)(colon - w) : strlen(w);
        if (cl >= sizeof code) cl = sizeof code - 1;
        memcpy(code, w, cl);
        code[cl] = 0;
        cJSON *wo = cJSON_CreateObject();
        if (!wo || !cJSON_AddItemToArray(warns, wo)) { cJSON_Delete(wo); rc = -1; break; }
        rc |= cJSON_AddStringToObject(wo, "code", code) ? 0 : -1;
        rc |= cJSON_AddStringToObject(wo, "message", colon ? colon + 2 : "") ? 0 : -1;
    }
    cJSON *tm = cJSON_AddObjectToObject(root, "timings_ms");
    if (!tm) rc = -1;
    const double t[4] = {r->ms_segment, r->ms_features, r->ms_tests, r->ms_total};
    const char *tn[4] = {"segment", "features", "tests", "total"};
    for (int i = 0; i < 4 && !rc; i++) rc |= cJSON_AddNumberToObject(tm, tn[i], floor((t[i] > 0 ? t[i] : 0) * 1000.0 + 0.5) / 1000.0) ? 0 : -1;
    if (rc) { cJSON_Delete(root); return NULL; }
    return root;
}

typedef struct { char *p; size_t n, cap; } sbuf;
static int sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->n + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) return -1;
        b->p = np; b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

/* Pretty: one cJSON tree. Compact: the same bytes as cJSON_PrintUnformatted of that tree, but built
 * one paragraph at a time, so a long text never holds the whole tree (≈ 1 KB per sentence) in memory.
 * Strings are malloc'd (cJSON's default hooks), so tt_free releases them. */
char *tt_result_json(const tt_result *r, int pretty) {
    if (!r) return NULL;
    cJSON *root = root_obj(r);
    if (!root) return NULL;
    if (pretty) {
        cJSON *paras = cJSON_GetObjectItemCaseSensitive(root, "paragraphs");
        for (size_t i = 0; i < r->n_paragraphs; i++) {
            cJSON *po = paragraph_obj(r, &r->paragraphs[i]);
            if (!po || !cJSON_AddItemToArray(paras, po)) { cJSON_Delete(po); cJSON_Delete(root); return NULL; }
        }
        char *out = cJSON_Print(root);
        cJSON_Delete(root);
        return out;
    }
    char *head = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!head) return NULL;
    /* `"paragraphs":[]` cannot occur inside a JSON string (its quotes would be escaped) */
    static const char key[] = ",\"paragraphs\":[";
    char *at = strstr(head, ",\"paragraphs\":[]");
    if (!at) { free(head); return NULL; }
    size_t cut = (size_t)(at - head) + sizeof key - 1; /* just after '[' */
    sbuf b = {NULL, 0, 0};
    int rc = sb_put(&b, head, cut);
    for (size_t i = 0; i < r->n_paragraphs && !rc; i++) {
        cJSON *po = paragraph_obj(r, &r->paragraphs[i]);
        char *ps = po ? cJSON_PrintUnformatted(po) : NULL;
        cJSON_Delete(po);
        if (!ps) { rc = -1; break; }
        if (i) rc |= sb_put(&b, ",", 1);
        rc |= sb_put(&b, ps, strlen(ps));
        free(ps);
    }
    rc |= sb_put(&b, head + cut, strlen(head + cut));
    free(head);
    if (rc) { free(b.p); return NULL; }
    return b.p;
}
