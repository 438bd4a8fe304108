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

static size_t scored_in(const tt_result *r, size_t first, size_t n) {
    size_t k = 0;
    for (size_t i = first; i < first + n && i < r->n_sentences; i++) k += r->sentences[i].score >= 0;
    return k;
}

/* document and paragraphs share these fields */
static int add_unit(cJSON *o, const tt_result *r, const tt_paragraph *p) {
    int rc = add_span(o, p->start, p->end, p->start16, p->end16);
    rc |= add_num(o, "score", p->score, p->score >= 0);
    rc |= add_label(o, p->label);
    rc |= add_num(o, "p_value", p->p_value, p->tested && p->p_value >= 0);
    rc |= add_num(o, "mmd2", p->mmd2, 1);
    rc |= cJSON_AddBoolToObject(o, "tested", p->tested ? 1 : 0) ? 0 : -1;
    rc |= add_int(o, "n_sentences", (double)scored_in(r, p->first_sentence, p->n_sentences));
    return rc;
}

char *tt_result_json(const tt_result *r, int pretty) {
    if (!r) return NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    int rc = 0;
    rc |= cJSON_AddStringToObject(root, "model", r->model ? r->model : "") ? 0 : -1;
    rc |= cJSON_AddStringToObject(root, "version", TELLTALE_VERSION) ? 0 : -1;
    cJSON *doc = cJSON_AddObjectToObject(root, "document");
    if (!doc) goto fail;
    rc |= add_unit(doc, r, &r->document);
    cJSON *paras = cJSON_AddArrayToObject(root, "paragraphs");
    if (!paras) goto fail;
    for (size_t i = 0; i < r->n_paragraphs && !rc; i++) {
        const tt_paragraph *p = &r->paragraphs[i];
        cJSON *po = cJSON_CreateObject();
        if (!po || !cJSON_AddItemToArray(paras, po)) { cJSON_Delete(po); goto fail; }
        rc |= add_unit(po, r, p);
        cJSON *sents = cJSON_AddArrayToObject(po, "sentences");
        if (!sents) goto fail;
        for (size_t k = p->first_sentence; k < p->first_sentence + p->n_sentences && k < r->n_sentences && !rc; k++) {
            const tt_sentence *s = &r->sentences[k];
            cJSON *so = cJSON_CreateObject();
            if (!so || !cJSON_AddItemToArray(sents, so)) { cJSON_Delete(so); goto fail; }
            rc |= add_span(so, s->start, s->end, s->start16, s->end16);
            rc |= add_num(so, "score", s->score, s->score >= 0);
            rc |= add_num(so, "raw", s->raw, s->score >= 0);
            rc |= add_label(so, s->score >= 0 ? s->label : TT_LABEL_UNCERTAIN);
        }
    }
    cJSON *warns = cJSON_AddArrayToObject(root, "warnings");
    if (!warns) goto fail;
    for (size_t i = 0; i < r->n_warnings && !rc; i++) {
        const char *w = r->warnings[i];
        const char *colon = strstr(w, ": ");
        char code[64];
        size_t cl = colon ? (size_t)(colon - w) : strlen(w);
        if (cl >= sizeof code) cl = sizeof code - 1;
        memcpy(code, w, cl);
        code[cl] = 0;
        cJSON *wo = cJSON_CreateObject();
        if (!wo || !cJSON_AddItemToArray(warns, wo)) { cJSON_Delete(wo); goto fail; }
        rc |= cJSON_AddStringToObject(wo, "code", code) ? 0 : -1;
        rc |= cJSON_AddStringToObject(wo, "message", colon ? colon + 2 : "") ? 0 : -1;
    }
    cJSON *tm = cJSON_AddObjectToObject(root, "timings_ms");
    if (!tm) goto fail;
    const double t[4] = {r->ms_segment, r->ms_features, r->ms_tests, r->ms_total};
    const char *tn[4] = {"segment", "features", "tests", "total"};
    for (int i = 0; i < 4; i++) rc |= cJSON_AddNumberToObject(tm, tn[i], floor((t[i] > 0 ? t[i] : 0) * 1000.0 + 0.5) / 1000.0) ? 0 : -1;
    if (rc) goto fail;
    char *out = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!out) return NULL;
    /* cJSON allocates with malloc (its default hooks), so the caller's tt_free (free) releases it */
    return out;
fail:
    cJSON_Delete(root);
    return NULL;
}
