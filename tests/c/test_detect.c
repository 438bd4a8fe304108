/* test_detect.c — the detector end to end on tests/fixtures/tiny-detector.ttm:
 *   - sentence features (x, φ, score, probability, LM sums) and one document's probability against
 *     PyTorch/NumPy goldens (tests/fixtures/detector_golden.json, train/make_test_detector.py);
 *   - the JSON schema round trip (every field's type and range, docs/result-schema.md);
 *   - the human-null test (tests/fixtures/tiny-detector-null.ttm): statistic and p-value against the
 *     goldens, rows by set size, malformed null tables refused;
 *   - warnings, labels, limits, progress/cancellation, determinism, model errors.
 * Usage: test_detect FIXTURES_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "detect_internal.h"
#include "segment.h"
#include "telltale.h"
#include "test_util.h" /* file reading and the payload CRC; this test keeps its own CHECK, which counts checks */

#undef CHECK
static int failures = 0, checks = 0;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* Tolerances against the PyTorch goldens. The C engine quantizes activations to int8 per token
 * (docs/model-format.md) while the goldens use float32 activations with the same dequantized
 * weights, so features differ slightly; the bounds are about 3× the largest difference measured
 * on these sentences (printed by this test; measured 2026-11-26: |dx| 0.0034, |dφ| 0.0025,
 * |ds| 0.0019, |dP| 0.0066, LM 0.0039 relative, document |dMMD²| 1.1e-4). */
#define TOL_X 0.012       /* max |Δ| over raw-feature entries (hidden states are LayerNorm outputs, O(1)) */
#define TOL_PHI 0.008     /* max |Δ| over deep-feature entries */
#define TOL_SCORE 0.006   /* |Δ s| */
#define TOL_PROB 0.02     /* |Δ P| (a = −18 makes the sigmoid steep) */
#define TOL_LM 0.012      /* relative |Δ| of Σ logprob, Σ entropy, Σ var */
#define TOL_MMD 5e-4      /* |Δ MMD²| of the document */

static double num(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k)->valuedouble; }

/* ---- goldens ------------------------------------------------------------------------------- */

/* dir/detector_golden.json parsed (the caller frees it), or NULL after a failed CHECK */
static cJSON *load_golden(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/detector_golden.json", dir);
    size_t len = 0;
    unsigned char *js = tt_read_file(path, &len);
    CHECK(js != NULL, "cannot read %s", path);
    if (!js) return NULL;
    cJSON *g = cJSON_ParseWithLength((const char *)js, len);
    free(js);
    CHECK(g != NULL, "%s is not JSON", path);
    return g;
}

static void golden(tt_detector *d, const char *dir) {
    cJSON *g = load_golden(dir);
    if (!g) return;
    const tt_det_config *c = tt_detector_config(d);
    int dm = 64;
    float *x = malloc(dm * sizeof *x), *phi = malloc(c->phi_dim * sizeof *phi);
    double *krow = malloc(c->n_ref * sizeof *krow);
    tt_sent_features f = {x, phi, krow, 0, 0, 0, 0, 0, 0, 0, 0};
    double mx = 0, mp = 0, ms = 0, mpr = 0, mlm = 0;
    const cJSON *s;
    int k = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(g, "sentences")) {
        const char *text = cJSON_GetObjectItemCaseSensitive(s, "text")->valuestring;
        char err[256];
        tt_status st = tt_sentence_features(d, text, 0, strlen(text), &f, err, sizeof err);
        CHECK(st == TT_OK, "sentence %d: %s", k, err);
        CHECK(f.n_tokens == (size_t)num(s, "n_tokens") && f.n_tokens_total == (size_t)num(s, "n_tokens_total"),
              "sentence %d: %zu/%zu tokens, golden %g/%g", k, f.n_tokens, f.n_tokens_total, num(s, "n_tokens"), num(s, "n_tokens_total"));
        const cJSON *gx = cJSON_GetObjectItemCaseSensitive(s, "x"), *gp = cJSON_GetObjectItemCaseSensitive(s, "phi");
        for (int i = 0; i < dm; i++) mx = fmax(mx, fabs(x[i] - cJSON_GetArrayItem(gx, i)->valuedouble));
        for (int i = 0; i < c->phi_dim; i++) mp = fmax(mp, fabs(phi[i] - cJSON_GetArrayItem(gp, i)->valuedouble));
        ms = fmax(ms, fabs(f.score - num(s, "score")));
        mpr = fmax(mpr, fabs(f.prob - num(s, "prob")));
        mlm = fmax(mlm, fabs(f.logprob - num(s, "logprob")) / fabs(num(s, "logprob")));
        mlm = fmax(mlm, fabs(f.entropy - num(s, "entropy")) / fabs(num(s, "entropy")));
        mlm = fmax(mlm, fabs(f.var - num(s, "var")) / fabs(num(s, "var")));
        k++;
    }
    printf("golden sentences (%d): max |dx| %.4g, |dphi| %.4g, |ds| %.4g, |dP| %.4g, rel LM %.4g\n", k, mx, mp, ms, mpr, mlm);
    CHECK(k >= 5, "golden has %d sentences", k);
    CHECK(mx <= TOL_X, "raw feature differs by %g", mx);
    CHECK(mp <= TOL_PHI, "deep feature differs by %g", mp);
    CHECK(ms <= TOL_SCORE, "sentence score differs by %g", ms);
    CHECK(mpr <= TOL_PROB, "sentence probability differs by %g", mpr);
    CHECK(mlm <= TOL_LM, "LM sums differ by %g (relative)", mlm);

    /* the document: same sentences, its features and probability */
    const cJSON *gd = cJSON_GetObjectItemCaseSensitive(g, "document");
    const char *text = cJSON_GetObjectItemCaseSensitive(gd, "text")->valuestring;
    char err[256];
    tt_result *r = tt_detect(d, text, strlen(text), NULL, err, sizeof err);
    CHECK(r != NULL, "detect golden document: %s", err);
    if (r) {
        size_t scored = 0;
        for (size_t i = 0; i < r->n_sentences; i++) scored += r->sentences[i].score >= 0;
        CHECK(r->n_sentences == (size_t)num(gd, "n_sentences") && scored == r->n_sentences,
              "document: %zu sentences (%zu scored), golden %g", r->n_sentences, scored, num(gd, "n_sentences"));
        const cJSON *gf = cJSON_GetObjectItemCaseSensitive(gd, "features");
        double dmmd = fabs(r->document.mmd2 - num(gf, "mmd2"));
        double dprob = fabs(r->document.score - num(gd, "prob"));
        printf("golden document: mmd2 %.5g (golden %.5g), P %.4f (golden %.4f), p-value %.4f\n",
               r->document.mmd2, num(gf, "mmd2"), r->document.score, num(gd, "prob"), r->document.p_value);
        CHECK(dmmd <= TOL_MMD, "document mmd2 differs by %g", dmmd);
        CHECK(dprob <= TOL_PROB, "document probability differs by %g", dprob);
        /* the features behind the probability: the golden's, and the length-aware ones from them */
        double feat[TT_N_FEATURES];
        CHECK(tt_result_doc_features(r, feat) == 0, "a scored document has features");
        double dfeat = 0;
        for (int i = 0; i < TT_F_LOG_N; i++) {
            double g = num(gf, tt_feature_name(i)), rel = fabs(feat[i] - g) / (fabs(g) > 1 ? fabs(g) : 1);
            if (rel > dfeat) dfeat = rel;
        }
        CHECK(dfeat <= TOL_LM, "document features differ from the golden by %g (relative)", dfeat);
        CHECK(feat[TT_F_LOG_N] == log((double)scored) && feat[TT_F_CE_MEAN_X_LOG_N] == feat[TT_F_CE_MEAN] * log((double)scored) &&
              feat[TT_F_SENT_MEAN_X_LOG_N] == feat[TT_F_SENT_MEAN] * log((double)scored) &&
              feat[TT_F_MMD2_X_LOG_N] == feat[TT_F_MMD2] * log((double)scored), "log_n features of %zu sentences", scored);
        CHECK(tt_detector_doc_prob(d, feat) == r->document.score, "the document probability is the calibration of these features");
        /* a calibration with n_max counts longer texts as n_max sentences */
        tt_det_config *dc = (tt_det_config *)tt_detector_config(d);
        dc->n_max = 2;
        tt_result *r2 = tt_detect(d, text, strlen(text), NULL, err, sizeof err);
        double f2[TT_N_FEATURES];
        CHECK(r2 && tt_result_doc_features(r2, f2) == 0 && f2[TT_F_LOG_N] == log(2.0) &&
              f2[TT_F_CE_MEAN_X_LOG_N] == f2[TT_F_CE_MEAN] * log(2.0) && f2[TT_F_CE_MEAN] == feat[TT_F_CE_MEAN],
              "n_max = 2 caps log_n of %zu sentences", scored);
        dc->n_max = 0;
        tt_result_free(r2);
        CHECK(r->document.tested && r->document.p_value > 0 && r->document.p_value <= 1, "document tested");
        CHECK(r->n_paragraphs == 1 && r->paragraphs[0].tested && r->paragraphs[0].p_value == r->document.p_value,
              "one paragraph with the document's sentences gets the same p-value");
        tt_result_free(r);
    }
    cJSON_Delete(g);
    free(x); free(phi); free(krow);
}

/* The same detector with a calibration that leaves out the LM statistics: the engine skips the LM
 * head, and sentence features, scores and the document probability still match the goldens. */
static void golden_no_lm(tt_detector *full, const char *dir) {
    char path[1024], err[512];
    cJSON *g = load_golden(dir);
    if (!g) return;
    snprintf(path, sizeof path, "%s/tiny-detector-nolm.ttm", dir);
    tt_detector *d = tt_detector_open_file(path, err, sizeof err);
    CHECK(d != NULL, "open %s: %s", path, err);
    const cJSON *gn = cJSON_GetObjectItemCaseSensitive(g, "document_no_lm");
    CHECK(cJSON_IsObject(gn), "golden has no document_no_lm (rerun train/make_test_detector.py)");
    if (!d || !gn) { tt_detector_free(d); cJSON_Delete(g); return; }
    const tt_det_config *c = tt_detector_config(d);
    CHECK(c->n_feat == 3 && c->feat[0] == TT_F_SENT_MEAN && c->feat[1] == TT_F_MMD2 && c->feat[2] == TT_F_CE_MEAN,
          "no-LM calibration parsed (%d features)", c->n_feat);
    int dm = 64;
    float xa[64], xb[64], pa[64], pb[64];
    CHECK(c->phi_dim <= 64, "fixture's phi_dim %d fits the test's buffers", c->phi_dim);
    if (c->phi_dim > 64) { tt_detector_free(d); cJSON_Delete(g); return; }
    double *ka = malloc(c->n_ref * sizeof *ka), *kb = malloc(c->n_ref * sizeof *kb);
    int k = 0, same = 1;
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(g, "sentences")) {
        const char *text = cJSON_GetObjectItemCaseSensitive(s, "text")->valuestring;
        tt_sent_features fa = {xa, pa, ka, 0, 0, 0, 0, 0, 0, 0, 0}, fb = {xb, pb, kb, 0, 0, 0, 0, 0, 0, 0, 0};
        CHECK(tt_sentence_features(d, text, 0, strlen(text), &fa, err, sizeof err) == TT_OK, "no-LM sentence %d: %s", k, err);
        CHECK(tt_sentence_features(full, text, 0, strlen(text), &fb, err, sizeof err) == TT_OK, "sentence %d: %s", k, err);
        same &= !memcmp(xa, xb, dm * sizeof *xa) && !memcmp(pa, pb, c->phi_dim * sizeof *pa) && fa.score == fb.score &&
                fa.ce == fb.ce;
        CHECK(fabs(fa.score - num(s, "score")) <= TOL_SCORE, "no-LM sentence %d: score %g, golden %g", k, fa.score, num(s, "score"));
        CHECK(fa.logprob == 0 && fa.entropy == 0 && fa.var == 0 && fb.logprob != 0, "sentence %d: LM sums only where used", k);
        k++;
    }
    CHECK(k >= 5 && same, "no-LM detector: the same x, phi, score and ce as the full one on %d sentences", k);
    const cJSON *gd = cJSON_GetObjectItemCaseSensitive(g, "document");
    const char *text = cJSON_GetObjectItemCaseSensitive(gd, "text")->valuestring;
    tt_result *r = tt_detect(d, text, strlen(text), NULL, err, sizeof err);
    CHECK(r != NULL, "no-LM detect: %s", err);
    if (r) {
        double dprob = fabs(r->document.score - num(gn, "prob"));
        printf("golden document, no-LM calibration: P %.4f (golden %.4f)\n", r->document.score, num(gn, "prob"));
        CHECK(dprob <= TOL_PROB, "no-LM document probability differs by %g", dprob);
        CHECK(fabs(r->document.mmd2 - num(cJSON_GetObjectItemCaseSensitive(gd, "features"), "mmd2")) <= TOL_MMD, "no-LM mmd2");
        tt_result_free(r);
    }
    free(ka); free(kb);
    tt_detector_free(d);
    cJSON_Delete(g);
}

/* ---- JSON schema round trip ---------------------------------------------------------------- */

static int is_int(const cJSON *v) { return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= 0; }
static int prob_or_null(const cJSON *v) { return cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1); }
static int label_ok(const cJSON *v) {
    return cJSON_IsString(v) && (!strcmp(v->valuestring, "human") || !strcmp(v->valuestring, "machine") || !strcmp(v->valuestring, "uncertain"));
}
static int span_ok(const cJSON *o, size_t len) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "start"), *e = cJSON_GetObjectItemCaseSensitive(o, "end");
    const cJSON *s16 = cJSON_GetObjectItemCaseSensitive(o, "start16"), *e16 = cJSON_GetObjectItemCaseSensitive(o, "end16");
    return is_int(s) && is_int(e) && is_int(s16) && is_int(e16) && s->valuedouble <= e->valuedouble &&
           e->valuedouble <= len && s16->valuedouble <= e16->valuedouble && e16->valuedouble <= e->valuedouble;
}
static int unit_ok(const cJSON *o, size_t len, const char *what) {
    int ok = span_ok(o, len);
    ok &= prob_or_null(cJSON_GetObjectItemCaseSensitive(o, "score"));
    ok &= label_ok(cJSON_GetObjectItemCaseSensitive(o, "label"));
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "p_value");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tested");
    ok &= cJSON_IsBool(t);
    ok &= cJSON_IsTrue(t) ? (cJSON_IsNumber(pv) && pv->valuedouble > 0 && pv->valuedouble <= 1) : cJSON_IsNull(pv);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "mmd2");
    ok &= cJSON_IsNull(m) || cJSON_IsNumber(m);
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(o, "mmd2_mp");
    ok &= cJSON_IsNull(mp) || cJSON_IsNumber(mp);
    ok &= is_int(cJSON_GetObjectItemCaseSensitive(o, "n_sentences"));
    if (!ok) printf("  bad %s object\n", what);
    return ok;
}

static const char *const CODES[] = {"empty", "too_short", "not_english", "unusual_format", "invalid_utf8", "truncated_sentence", NULL};

/* Parses the JSON of text and checks it field by field against the schema and the struct. */
static void schema_round_trip(tt_detector *d, const char *name, const char *text, size_t len) {
    char err[256];
    tt_result *r = tt_detect(d, text, len, NULL, err, sizeof err);
    CHECK(r != NULL, "%s: %s", name, err);
    if (!r) return;
    char *js = tt_result_json(r, 1);
    char *compact = tt_result_json(r, 0);
    cJSON *o = cJSON_Parse(js);
    /* the compact form (built paragraph by paragraph) is exactly the pretty tree printed compactly */
    char *recompact = o ? cJSON_PrintUnformatted(o) : NULL;
    CHECK(compact && recompact && !strcmp(compact, recompact), "%s: compact JSON equals the tree's compact print", name);
    free(recompact);
    tt_free(compact);
    CHECK(o != NULL, "%s: JSON does not parse", name);
    if (!o) { tt_free(js); tt_result_free(r); return; }
    int n_keys = cJSON_GetArraySize(o);
    CHECK(n_keys == 7, "%s: %d top-level keys, expected 7", name, n_keys);
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(o, "test");
    CHECK(cJSON_IsString(test) && !strcmp(test->valuestring, r->test), "%s: test", name);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model"), *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
    CHECK(cJSON_IsString(model) && !strcmp(model->valuestring, "telltale-test-tiny-detector"), "%s: model", name);
    CHECK(cJSON_IsString(ver) && !strcmp(ver->valuestring, TELLTALE_VERSION), "%s: version", name);
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(o, "document");
    CHECK(cJSON_IsObject(doc) && cJSON_GetArraySize(doc) == 11 && unit_ok(doc, len, "document"), "%s: document", name);
    CHECK(num(doc, "start") == 0 && num(doc, "end") == (double)len && num(doc, "end16") == r->document.end16, "%s: document span", name);
    const cJSON *paras = cJSON_GetObjectItemCaseSensitive(o, "paragraphs");
    CHECK(cJSON_IsArray(paras) && (size_t)cJSON_GetArraySize(paras) == r->n_paragraphs, "%s: paragraphs", name);
    size_t si = 0, total_scored = 0;
    const cJSON *p;
    int pi = 0;
    cJSON_ArrayForEach(p, paras) {
        CHECK(cJSON_GetArraySize(p) == 12 && unit_ok(p, len, "paragraph"), "%s: paragraph %d", name, pi);
        const cJSON *sents = cJSON_GetObjectItemCaseSensitive(p, "sentences");
        CHECK(cJSON_IsArray(sents) && cJSON_GetArraySize(sents) >= 1, "%s: paragraph %d sentences", name, pi);
        size_t scored = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, sents) {
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(s, "score"), *raw = cJSON_GetObjectItemCaseSensitive(s, "raw");
            int ok = cJSON_GetArraySize(s) == 7 && span_ok(s, len) && prob_or_null(sc) && label_ok(cJSON_GetObjectItemCaseSensitive(s, "label"));
            ok &= cJSON_IsNull(sc) ? cJSON_IsNull(raw) && !strcmp(cJSON_GetObjectItemCaseSensitive(s, "label")->valuestring, "uncertain")
                                   : cJSON_IsNumber(raw);
            CHECK(ok, "%s: sentence %zu fields", name, si);
            if (si < r->n_sentences) {
                const tt_sentence *ts = &r->sentences[si];
                CHECK(num(s, "start") == ts->start && num(s, "end") == ts->end && num(s, "start16") == ts->start16 &&
                      num(s, "end16") == ts->end16, "%s: sentence %zu span vs struct", name, si);
                if (ts->score >= 0) CHECK(fabs(sc->valuedouble - ts->score) <= 1e-5 * fmax(1, ts->score), "%s: sentence %zu score vs struct", name, si);
            }
            scored += cJSON_IsNumber(sc);
            si++;
        }
        CHECK(num(p, "n_sentences") == (double)scored, "%s: paragraph %d n_sentences", name, pi);
        total_scored += scored;
        pi++;
    }
    CHECK(si == r->n_sentences, "%s: %zu sentences in JSON, %zu in the struct", name, si, r->n_sentences);
    CHECK(num(doc, "n_sentences") == (double)total_scored, "%s: document n_sentences", name);
    const cJSON *warns = cJSON_GetObjectItemCaseSensitive(o, "warnings"), *w;
    CHECK(cJSON_IsArray(warns) && (size_t)cJSON_GetArraySize(warns) == r->n_warnings, "%s: warnings", name);
    cJSON_ArrayForEach(w, warns) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(w, "code"), *msg = cJSON_GetObjectItemCaseSensitive(w, "message");
        int known = 0;
        for (int k = 0; CODES[k] && cJSON_IsString(code); k++) known |= !strcmp(code->valuestring, CODES[k]);
        CHECK(cJSON_GetArraySize(w) == 2 && known && cJSON_IsString(msg) && strlen(msg->valuestring) > 10, "%s: warning object", name);
    }
    const cJSON *tm = cJSON_GetObjectItemCaseSensitive(o, "timings_ms");
    int tok = cJSON_IsObject(tm) && cJSON_GetArraySize(tm) == 4;
    const char *tn[4] = {"segment", "features", "tests", "total"};
    for (int k = 0; k < 4 && tok; k++) { const cJSON *v = cJSON_GetObjectItemCaseSensitive(tm, tn[k]); tok &= cJSON_IsNumber(v) && v->valuedouble >= 0; }
    CHECK(tok, "%s: timings_ms", name);
    cJSON_Delete(o);
    tt_free(js);
    tt_result_free(r);
}

/* ---- behaviour ----------------------------------------------------------------------------- */

static int has_warning(const tt_result *r, const char *code) {
    for (size_t i = 0; i < r->n_warnings; i++)
        if (!strncmp(r->warnings[i], code, strlen(code)) && r->warnings[i][strlen(code)] == ':') return 1;
    return 0;
}

static tt_result *run(tt_detector *d, const char *text, const tt_params *p) {
    char err[256];
    tt_result *r = tt_detect(d, text, strlen(text), p, err, sizeof err);
    if (!r) printf("detect failed: %s\n", err);
    return r;
}

static const char PROSE[] =
    "The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new bridge. "
    "The chair promised a detailed report before the next meeting. Nobody expected the vote to be close.\n\n"
    "In the second paragraph we talk about something else entirely. The weather was mild and the streets were quiet. "
    "A dog barked somewhere in the distance while the baker opened his shop.";

typedef struct { size_t calls, last_done, last_total, cancel_at; } progress_log;
static int on_progress(void *user, size_t done, size_t total) {
    progress_log *l = user;
    l->calls++;
    l->last_done = done; l->last_total = total;
    return l->cancel_at && done >= l->cancel_at;
}

static void behaviour(tt_detector *d) {
    tt_result *r;
    /* empty */
    r = run(d, "", NULL);
    CHECK(r && r->n_sentences == 0 && r->n_paragraphs == 0 && has_warning(r, "empty") && r->document.score < 0 &&
          r->document.label == TT_LABEL_UNCERTAIN && !r->document.tested, "empty text");
    double feat[TT_N_FEATURES];
    CHECK(r && tt_result_doc_features(r, feat) == -1, "an empty text has no document features");
    tt_result_free(r);
    r = run(d, " \n\t ", NULL);
    CHECK(r && has_warning(r, "empty"), "white space only is empty");
    tt_result_free(r);
    /* nothing long enough to score: the warning says there is no verdict, not a weak one */
    r = run(d, "Hi there. Thanks!", NULL);
    CHECK(r && has_warning(r, "too_short") && r->document.score < 0 && r->n_warnings >= 1 &&
          strstr(r->warnings[0], "nothing was scored: there is no verdict"), "no sentence scored: %s", r && r->n_warnings ? r->warnings[0] : "-");
    tt_result_free(r);
    /* short: one sentence of 5+ words, one of 2 */
    r = run(d, "This is one short sentence here. Too short.", NULL);
    CHECK(r && r->n_sentences == 2 && r->sentences[0].score >= 0 && r->sentences[1].score < 0 &&
          r->sentences[1].label == TT_LABEL_UNCERTAIN && has_warning(r, "too_short") && !r->document.tested &&
          r->document.p_value < 0 && r->document.label == TT_LABEL_UNCERTAIN && r->document.score >= 0, "short text");
    tt_result_free(r);
    /* one sentence: the document features are exactly the sentence's (mmd2 = s − 1, no Kyy pair) */
    {
        const char *one = "This is one short sentence here.";
        const tt_det_config *c = tt_detector_config(d);
        float x[64], phi[64];
        double *krow = malloc(c->n_ref * sizeof *krow);
        tt_sent_features f = {x, phi, krow, 0, 0, 0, 0, 0, 0, 0, 0};
        char e2[256];
        r = run(d, one, NULL);
        CHECK(tt_sentence_features(d, one, 0, strlen(one), &f, e2, sizeof e2) == TT_OK, "features: %s", e2);
        double T = (double)f.n_tokens;
        double feat[TT_N_FEATURES] = {f.score, f.score - 1.0, f.logprob / T, f.entropy / T, (f.logprob + f.entropy) / sqrt(f.var),
                                      f.ce};
        double want = tt_detector_doc_prob(d, feat);
        CHECK(r && r->n_sentences == 1 && r->sentences[0].raw == f.score && r->document.score == want && isnan(r->document.mmd2),
              "one-sentence document probability from its features (%g vs %g)", r ? r->document.score : -1, want);
        CHECK(r && r->paragraphs[0].score == r->document.score && !r->paragraphs[0].tested,
              "an untested paragraph is scored like a document over its own features: here the document's score");
        tt_result_free(r);
        free(krow);
    }
    /* prose: tested paragraphs and document, no warnings */
    r = run(d, PROSE, NULL);
    CHECK(r && r->n_paragraphs == 2 && r->n_sentences == 7 && r->n_warnings == (size_t)has_warning(r, "truncated_sentence") && r->document.tested &&
          r->paragraphs[0].tested && r->paragraphs[1].tested, "prose: 2 tested paragraphs, 7 sentences, no warnings but truncation (the tiny tokenizer has few merges)");
    if (r) {
        for (size_t i = 0; i < r->n_sentences; i++)
            CHECK(r->sentences[i].score >= 0 && r->sentences[i].score <= 1 && isfinite(r->sentences[i].raw), "prose sentence %zu scored", i);
        CHECK(r->paragraphs[0].first_sentence == 0 && r->paragraphs[0].n_sentences == 4 && r->paragraphs[1].first_sentence == 4, "prose paragraph ranges");
    }
    /* determinism: same seed, same answer; the labels follow the thresholds */
    tt_params p = tt_default_params();
    tt_result *r2 = run(d, PROSE, &p);
    CHECK(r && r2 && r->document.p_value == r2->document.p_value && r->document.score == r2->document.score &&
          r->document.mmd2 == r2->document.mmd2, "same text and seed, same result");
    tt_result_free(r2);
    p.seed = 99; p.permutations = 1000;
    r2 = run(d, PROSE, &p);
    CHECK(r && r2 && r->document.score == r2->document.score && fabs(r->document.p_value - r2->document.p_value) < 0.15,
          "another seed: same score, similar p (%g vs %g)", r ? r->document.p_value : -1, r2 ? r2->document.p_value : -1);
    tt_result_free(r2);
    p = tt_default_params();
    p.human_below = 0; p.machine_above = 0;
    r2 = run(d, PROSE, &p);
    int all_m = r2 != NULL;
    for (size_t i = 0; r2 && i < r2->n_sentences; i++) all_m &= r2->sentences[i].label == TT_LABEL_MACHINE;
    CHECK(all_m, "thresholds 0/0: every scored sentence is machine");
    if (r2) CHECK(r2->document.label == (r2->document.p_value <= 0.05 ? TT_LABEL_MACHINE : TT_LABEL_UNCERTAIN),
                  "document machine only if the test rejects (p = %g)", r2->document.p_value);
    tt_result_free(r2);
    p.human_below = 1; p.machine_above = 1;
    r2 = run(d, PROSE, &p);
    int all_h = r2 != NULL;
    for (size_t i = 0; r2 && i < r2->n_sentences; i++) all_h &= r2->sentences[i].label == TT_LABEL_HUMAN;
    CHECK(all_h, "thresholds 1/1: every scored sentence is human");
    tt_result_free(r2);
    /* progress and cancellation */
    progress_log log = {0, 0, 0, 0};
    p = tt_default_params();
    p.progress = on_progress; p.progress_user = &log;
    r2 = run(d, PROSE, &p);
    CHECK(r2 && log.calls == 7 && log.last_done == 7 && log.last_total == 7, "progress called once per sentence (%zu calls)", log.calls);
    tt_result_free(r2);
    log.calls = 0; log.cancel_at = 2;
    char err[256];
    r2 = tt_detect(d, PROSE, strlen(PROSE), &p, err, sizeof err);
    CHECK(!r2 && strstr(err, "cancelled") && strstr(err, "2 of 7"), "cancel after 2 sentences: %s", err);
    tt_result_free(r2);
    tt_result_free(r);

    /* not English: mostly non-Latin letters; Latin letters but no English function words */
    r = run(d, "\xD0\x9C\xD0\xB8\xD1\x80 \xD0\xB1\xD0\xBE\xD0\xBB\xD1\x8C\xD1\x88\xD0\xBE\xD0\xB9 \xD0\xB8 \xD0\xBA\xD1\x80\xD0\xB0\xD1\x81\xD0\xB8\xD0\xB2\xD1\x8B\xD0\xB9 \xD0\xB3\xD0\xBE\xD1\x80\xD0\xBE\xD0\xB4 \xD1\x81\xD1\x82\xD0\xBE\xD0\xB8\xD1\x82 \xD0\xB7\xD0\xB4\xD0\xB5\xD1\x81\xD1\x8C.", NULL);
    CHECK(r && has_warning(r, "not_english") && r->document.label == TT_LABEL_UNCERTAIN, "Cyrillic text: not_english");
    tt_result_free(r);
    r = run(d, "El perro come la comida en casa cada noche. La ciudad tiene muchas calles grandes y bonitas. "
               "Mi hermano trabaja con su amigo en una tienda.", NULL);
    CHECK(r && has_warning(r, "not_english") && r->document.label == TT_LABEL_UNCERTAIN, "Spanish text: not_english");
    if (r) for (size_t i = 0; i < r->n_sentences; i++) CHECK(r->sentences[i].label == TT_LABEL_UNCERTAIN, "Spanish sentence %zu uncertain", i);
    tt_result_free(r);
    r = run(d, PROSE, NULL);
    CHECK(r && !has_warning(r, "not_english") && !has_warning(r, "unusual_format"), "English prose: no language/format warning");
    tt_result_free(r);
    /* numbers, not prose: more digits than letters; the sentences are scored, the labels capped */
    r = run(d, "12 345 6789 1011 1213 1415.\n1617 1819 2021 2223 2425 2627.\n2829 3031 3233 3435 3637 3839.", NULL);
    CHECK(r && has_warning(r, "not_english") && r->document.label == TT_LABEL_UNCERTAIN && r->sentences[0].score >= 0,
          "numbers only: not_english, uncertain");
    tt_result_free(r);
    r = run(d, "In 2019 the 3 teams scored 12, 15 and 9 goals in 34 games over the year.", NULL);
    CHECK(r && !has_warning(r, "not_english"), "prose with numbers: no not_english warning");
    tt_result_free(r);
    /* code */
    r = run(d, "int main(void) {\n    int x = 0;\n    for (int i = 0; i < 10; i++) { x += i; }\n    return x;\n}\n", NULL);
    CHECK(r && has_warning(r, "unusual_format"), "code: unusual_format");
    tt_result_free(r);
    /* invalid UTF-8: warning, offsets exact, the sentence is still scored */
    const char bad[] = "The committee met on \xFF\xFE Tuesday to discuss the budget. Several members raised concerns about it.";
    r = run(d, bad, NULL);
    CHECK(r && has_warning(r, "invalid_utf8") && r->n_sentences == 2 && r->sentences[0].score >= 0 &&
          r->sentences[0].end == 54 && r->sentences[0].end16 == 54 && r->sentences[1].start == 55 &&
          r->document.end == sizeof bad - 1 && r->document.end16 == sizeof bad - 1, "invalid UTF-8: offsets exact");
    tt_result_free(r);
    /* a sentence longer than max_tokens is cut, with a warning */
    r = run(d, "This sentence keeps going with many words and more words and still more words and even more words "
               "until it is far longer than the window of the tiny model allows for one sentence.", NULL);
    CHECK(r && has_warning(r, "truncated_sentence") && r->sentences[0].score >= 0, "long sentence: truncated_sentence");
    tt_result_free(r);
    /* UTF-16 offsets of a text with astral characters */
    const char emo[] = "\xF0\x9F\x98\x80 Emoji sentence number one is here. Second sentence comes after it.";
    r = run(d, emo, NULL);
    CHECK(r && r->n_sentences == 2 && r->sentences[0].start == 0 && r->sentences[0].end16 == r->sentences[0].end - 2 &&
          r->sentences[1].start16 == r->sentences[1].start - 2 && r->document.end16 == sizeof emo - 1 - 2, "UTF-16 offsets after an emoji");
    tt_result_free(r);
    /* limits and bad parameters */
    size_t big = (size_t)TT_MAX_TEXT_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    r = tt_detect(d, huge, big, NULL, err, sizeof err);
    CHECK(!r && strstr(err, "limit") && strstr(err, "8388608"), "text over TT_MAX_TEXT_BYTES refused: %s", err);
    free(huge);
    p = tt_default_params();
    p.permutations = 5;
    r = tt_detect(d, PROSE, strlen(PROSE), &p, err, sizeof err);
    CHECK(!r && strstr(err, "permutations"), "5 permutations refused: %s", err);
    p = tt_default_params();
    p.min_sentences = 1;
    r = tt_detect(d, PROSE, strlen(PROSE), &p, err, sizeof err);
    CHECK(!r && strstr(err, "min_sentences"), "min_sentences 1 refused: %s", err);
    /* segmentation in the result is the segmenter's */
    tt_segmentation seg;
    tt_segment(PROSE, strlen(PROSE), &seg, err, sizeof err);
    r = run(d, PROSE, NULL);
    int same = r && r->n_sentences == seg.n_sentences;
    for (size_t i = 0; same && i < seg.n_sentences; i++)
        same &= r->sentences[i].start == seg.sentences[i].start && r->sentences[i].end == seg.sentences[i].end;
    CHECK(same, "result sentences are the segmenter's");
    tt_result_free(r);
    tt_segmentation_free(&seg);
}

/* Over TT_PARA_CAP (512) sentences in a paragraph and TT_DOC_CAP (1024) in the document: the tests
 * run on a seeded reservoir sample, every sentence is still scored, results are reproducible. */
static void large_text(tt_detector *d) {
    static const char *const W[] = {"the", "river", "quiet", "morning", "baker", "opened", "shop", "city", "council",
        "voted", "bridge", "report", "long", "winter", "children", "played", "garden", "old", "train", "station"};
    size_t cap = 1 << 17, len = 0;
    char *t = malloc(cap);
    uint32_t x = 12345;
    for (int sIdx = 0; sIdx < 1100; sIdx++) {
        if (sIdx == 600) len += (size_t)snprintf(t + len, cap - len, "\n\n");
        int nw = 5 + (int)(x % 5);
        for (int w = 0; w < nw; w++) {
            x = x * 1103515245u + 12345u;
            const char *word = W[(x >> 16) % 20];
            if (w == 0) len += (size_t)snprintf(t + len, cap - len, "%c%s", word[0] - 32, word + 1);
            else len += (size_t)snprintf(t + len, cap - len, " %s", word);
        }
        len += (size_t)snprintf(t + len, cap - len, ". ");
    }
    char err[256];
    tt_result *a = tt_detect(d, t, len, NULL, err, sizeof err);
    tt_result *b = tt_detect(d, t, len, NULL, err, sizeof err);
    CHECK(a && b, "large text: %s", err);
    if (a && b) {
        size_t scored = 0;
        for (size_t i = 0; i < a->n_sentences; i++) scored += a->sentences[i].score >= 0;
        CHECK(a->n_sentences == 1100 && scored == 1100 && a->n_paragraphs == 2 && a->paragraphs[0].n_sentences == 600,
              "large text: %zu sentences (%zu scored), %zu paragraphs", a->n_sentences, scored, a->n_paragraphs);
        CHECK(a->document.tested && a->paragraphs[0].tested && a->paragraphs[1].tested && isfinite(a->document.mmd2) &&
              isfinite(a->paragraphs[0].mmd2) && a->document.score >= 0 && a->document.score <= 1, "large text: all units tested");
        CHECK(a->document.p_value == b->document.p_value && a->document.mmd2 == b->document.mmd2 &&
              a->paragraphs[0].mmd2 == b->paragraphs[0].mmd2 && a->document.score == b->document.score, "large text: reproducible");
    }
    tt_result_free(a);
    tt_result_free(b);
    free(t);
}

/* ---- model errors -------------------------------------------------------------------------- */

static void model_errors(const char *dir) {
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tiny.ttm", dir);
    tt_detector *d = tt_detector_open_file(path, err, sizeof err);
    CHECK(!d && strstr(err, "no \"detector\" section"), "LM-only model refused: %s", err);
    tt_detector_free(d);
    d = tt_detector_open_file("/nonexistent/model.ttm", err, sizeof err);
    CHECK(!d && strlen(err) > 0, "missing file: %s", err);
    tt_det_config c;
    const char *base = "{\"detector\":{\"feature\":\"final\",\"max_tokens\":8,\"phi_hidden\":4,\"phi_dim\":2,\"epsilon\":0.1,"
                       "\"sigma\":1,\"sigma0\":1,\"n_ref\":4,\"ref_kxx_mean\":0.5,\"min_words\":5},"
                       "\"calibration\":{\"sentence\":{\"a\":1,\"b\":0},\"thresholds\":{\"human_below\":0.3,\"machine_above\":0.8},"
                       "\"document\":{\"features\":[%s],\"mean\":[0,0],\"std\":[1,1],\"weights\":[1,1],\"bias\":0}}}";
    char js[1024];
    snprintf(js, sizeof js, base, "\"sent_mean\",\"fastdetect\"");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) == 0 && c.n_feat == 2 && c.feat[1] == TT_F_FASTDETECT, "good config: %s", err);
    snprintf(js, sizeof js, base, "\"sent_mean\",\"perplexity\"");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) != 0 && strstr(err, "\"perplexity\"") && strstr(err, "features[1]"),
          "unknown feature is a load error: %s", err);
    CHECK(tt_det_config_parse("{\"detector\":{\"feature\":\"final\"}}", 8, &c, err, sizeof err) != 0 && strstr(err, "calibration"),
          "missing calibration: %s", err);
    snprintf(js, sizeof js, base, "\"sent_mean\"");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) != 0 && strstr(err, "mean"), "feature/mean length mismatch: %s", err);
    snprintf(js, sizeof js, base, "\"log_n\",\"ce_mean_x_log_n\"");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) == 0 && c.feat[0] == TT_F_LOG_N && c.feat[1] == TT_F_CE_MEAN_X_LOG_N,
          "length-aware features: %s", err);
    CHECK(c.n_max == 0, "no n_max: no cap");
    snprintf(js, sizeof js, base, "\"log_n\",\"n\"");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) != 0 && strstr(err, "ce_mean_x_log_n)"),
          "the error lists every known feature: %s", err);
    const char *capped = "{\"detector\":{\"feature\":\"final\",\"max_tokens\":8,\"phi_hidden\":4,\"phi_dim\":2,\"epsilon\":0.1,"
                         "\"sigma\":1,\"sigma0\":1,\"n_ref\":4,\"ref_kxx_mean\":0.5,\"min_words\":5},"
                         "\"calibration\":{\"sentence\":{\"a\":1,\"b\":0},\"thresholds\":{\"human_below\":0.3,\"machine_above\":0.8},"
                         "\"document\":{\"features\":[\"log_n\"],\"mean\":[0],\"std\":[1],\"weights\":[1],\"bias\":0,\"n_max\":%s}}}";
    snprintf(js, sizeof js, capped, "55");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) == 0 && c.n_max == 55, "n_max 55: %s", err);
    snprintf(js, sizeof js, capped, "0.5");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) != 0 && strstr(err, "n_max"), "n_max below 1: %s", err);
    snprintf(js, sizeof js, capped, "\"55\"");
    CHECK(tt_det_config_parse(js, 8, &c, err, sizeof err) != 0 && strstr(err, "n_max"), "n_max not a number: %s", err);
    for (int i = 0; i < TT_N_FEATURES; i++) CHECK(tt_feature_name(i) && *tt_feature_name(i), "feature %d has a name", i);
    CHECK(tt_feature_name(-1) == NULL && tt_feature_name(TT_N_FEATURES) == NULL, "no name out of range");
}

/* A copy of the null fixture with `from` in its metadata replaced by `to` (same length) opens with an
 * error that mentions `want`. */
static void null_rejects(const unsigned char *buf, size_t len, const char *from, const char *to, const char *want) {
    unsigned char *b = malloc(len);
    if (!b) return;
    memcpy(b, buf, len);
    unsigned char *at = NULL;
    for (size_t i = 0; i + strlen(from) <= len && !at; i++)
        if (!memcmp(b + i, from, strlen(from))) at = b + i;
    CHECK(at && strlen(to) == strlen(from), "fixture has \"%s\"", from);
    if (at) memcpy(at, to, strlen(to));
    char err[512] = "";
    tt_detector *d = tt_detector_open_buffer(b, len, err, sizeof err);
    CHECK(!d && strstr(err, want), "null table \"%s\": refused with a message about %s (got \"%s\")", to, want, err);
    tt_detector_free(d);
    free(b);
}

/* The model with a human null: p-values come from the table, not from permutations. */
static void human_null(const char *dir) {
    char path[1024], err[512];
    cJSON *g = load_golden(dir);
    const cJSON *gn = g ? cJSON_GetObjectItemCaseSensitive(g, "human_null") : NULL;
    CHECK(cJSON_IsObject(gn), "golden has no human_null (rerun train/make_test_detector.py)");
    snprintf(path, sizeof path, "%s/tiny-detector-null.ttm", dir);
    size_t len = 0;
    unsigned char *buf = tt_read_file(path, &len);
    CHECK(buf != NULL, "read %s", path);
    tt_detector *d = buf ? tt_detector_open_buffer(buf, len, err, sizeof err) : NULL;
    CHECK(d != NULL, "open %s: %s", path, err);
    if (!d || !gn) { tt_detector_free(d); free(buf); cJSON_Delete(g); return; }
    const double count = num(gn, "count");
    const cJSON *doc;
    cJSON_ArrayForEach(doc, cJSON_GetObjectItemCaseSensitive(gn, "documents")) {
        const char *text = cJSON_GetObjectItemCaseSensitive(doc, "text")->valuestring;
        tt_params p = tt_default_params();
        tt_result *r = tt_detect(d, text, strlen(text), &p, err, sizeof err);
        CHECK(r != NULL, "human null, %s document: %s", doc->string, err);
        if (!r) continue;
        printf("human null, %s document: mmd2_mp %.5f (golden %.5f), p %.4f (golden %.4f ± %.3f)\n", doc->string,
               r->document.mmd2_mp, num(doc, "mmd2_mp"), r->document.p_value, num(doc, "p_value"), num(doc, "p_tolerance"));
        CHECK(!strcmp(r->test, "human_null") && r->document.tested, "%s: tested against the human null", doc->string);
        CHECK(fabs(r->document.mmd2_mp - num(doc, "mmd2_mp")) <= TOL_SCORE, "%s: mmd2_mp", doc->string);
        CHECK(fabs(r->document.p_value - num(doc, "p_value")) <= num(doc, "p_tolerance") + 1e-12, "%s: p-value", doc->string);
        CHECK(r->n_paragraphs == 1 && r->paragraphs[0].p_value == r->document.p_value, "%s: paragraph = document", doc->string);
        /* the seed drives permutations only: with a human null another seed gives the same p */
        p.seed = 99;
        tt_result *r2 = tt_detect(d, text, strlen(text), &p, err, sizeof err);
        CHECK(r2 && r2->document.p_value == r->document.p_value, "%s: p independent of the seed", doc->string);
        tt_result_free(r2);
        tt_result_free(r);
    }
    /* seven sentences: beyond the largest size (5), the last row answers; p is k / (count + 1) */
    const char *seven = "The first sentence has enough words in it. A second one follows with more words. Here is a third "
                        "sentence for the test. The fourth sentence is also long enough. Then a fifth sentence comes along "
                        "here. A sixth sentence keeps the paragraph going. The seventh sentence ends the text today.";
    tt_result *r = tt_detect(d, seven, strlen(seven), NULL, err, sizeof err);
    double k = r ? r->document.p_value * (count + 1) : -1;
    CHECK(r && r->document.tested && k >= 1 && k <= count + 1 && fabs(k - floor(k + 0.5)) < 1e-9,
          "seven sentences: p = %g is k/%g", r ? r->document.p_value : -1, count + 1);
    char *js = tt_result_json(r, 0);
    CHECK(js && strstr(js, "\"test\":\"human_null\""), "JSON names the test");
    tt_free(js);
    tt_result_free(r);
    /* two sentences with min_sentences 2: below the smallest size (3), so untested */
    tt_params p2 = tt_default_params();
    p2.min_sentences = 2;
    const char *two = "The first sentence has enough words in it. A second one follows with more words.";
    r = tt_detect(d, two, strlen(two), &p2, err, sizeof err);
    CHECK(r && !r->document.tested && r->document.p_value == -1 && isfinite(r->document.mmd2_mp),
          "two sentences: untested, statistic still reported");
    tt_result_free(r);
    tt_detector_free(d);
    /* malformed tables */
    null_rejects(buf, len, "\"statistic\":\"mmd2_mp\"", "\"statistic\":\"mmd2_xx\"", "calibration.null");
    null_rejects(buf, len, "\"counts\":[39,39,39]", "\"counts\":[39,39,18]", "counts integers");
    null_rejects(buf, len, "\"counts\":[39,39,39]", "\"counts\":[39,39,38]", "detector.null_stat");
    null_rejects(buf, len, "\"sizes\":[3,4,5]", "\"sizes\":[3,5,4]", "increasing");
    /* a row out of order: the tensor's first two entries swapped (payload CRC recomputed) */
    tt_model *m = tt_model_load_buffer(buf, len, err, sizeof err);
    const tt_tensor *t = m ? tt_model_tensor(m, "detector.null_stat") : NULL;
    CHECK(t != NULL, "null_stat tensor present");
    if (t) {
        size_t off = (size_t)((const unsigned char *)t->data - buf);
        float v[2];
        memcpy(v, buf + off, sizeof v);
        CHECK(v[0] < v[1], "fixture row 0 starts strictly ascending");
        unsigned char *b = malloc(len);
        memcpy(b, buf, len);
        memcpy(b + off, &v[1], sizeof(float));
        memcpy(b + off + sizeof(float), &v[0], sizeof(float));
        size_t po = (size_t)get64(b + 16);
        put32(b + 32, crc32_bitwise(b + po, len - po));
        tt_detector *bad = tt_detector_open_buffer(b, len, err, sizeof err);
        CHECK(!bad && strstr(err, "ascending"), "unsorted null row refused (got \"%s\")", err);
        tt_detector_free(bad);
        free(b);
    }
    tt_model_free(m);
    free(buf);
    cJSON_Delete(g);
}

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: test_detect FIXTURES_DIR\n"); return 2; }
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tiny-detector.ttm", argv[1]);
    tt_detector *d = tt_detector_open_file(path, err, sizeof err);
    if (!d) { printf("cannot open %s: %s\n", path, err); return 1; }
    CHECK(!strcmp(tt_detector_model_name(d), "telltale-test-tiny-detector"), "model name %s", tt_detector_model_name(d));
    CHECK(!strcmp(tt_label_name(TT_LABEL_MACHINE), "machine") && !strcmp(tt_label_name(TT_LABEL_NONE), "none"), "label names");
    golden(d, argv[1]);
    golden_no_lm(d, argv[1]);
    human_null(argv[1]);
    behaviour(d);
    schema_round_trip(d, "prose", PROSE, strlen(PROSE));
    schema_round_trip(d, "empty", "", 0);
    schema_round_trip(d, "short", "Too short.", 10);
    const char bad[] = "Bad \xFF bytes \xC0\xAF in a sentence of several words.\n\n\xF0\x9F\x98\x80 Emoji lead this one, with words enough.";
    schema_round_trip(d, "invalid+emoji", bad, sizeof bad - 1);
    const char list[] = "Shopping list for the week:\n- milk and eggs from the farm\n- bread\n\n# Notes\nRemember to call the plumber about the sink today.";
    schema_round_trip(d, "list", list, sizeof list - 1);
    large_text(d);
    model_errors(argv[1]);
    tt_detector_free(d);
    printf("test_detect: %d checks, %d failures\n", checks, failures);
    return failures || tt_test_failures ? 1 : 0;
}
