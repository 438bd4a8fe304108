/* detect.c — the detector (src/telltale.h): opens a model with a detector section, scores sentences
 * with the MMD-MP deep kernel, tests paragraphs and the document against the human reference set,
 * calibrates probabilities and labels, and raises warnings. How and why: docs/detector.md.
 *
 * Per sentence (with ≥ min_words words): the sentence's bytes (invalid UTF-8 replaced by U+FFFD)
 * are tokenized on their own, [bos] + the first max_tokens tokens go through tt_forward, and
 *   x = mean_t H[t]                                   H: [T, d] final hidden states (BOS excluded)
 *   φ = fc2( mean_t LN( GELU( fc1 H[t] ) ) )          fc1: [h, d], LN over h, fc2: [p, h]
 *   krow[i] = k(ref_i, y),  s = ref_kxx_mean − 2·mean_i krow[i] + 1,  P = sigmoid(a·s + b).
 * Memory stays bounded: one tt_state and one token window are reused; the paragraph and document
 * tests keep at most TT_PARA_CAP / TT_DOC_CAP sentences (a seeded reservoir sample beyond that).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef TT_CJSON_LOCAL
#include "cJSON.h"
#else
#include <cjson/cJSON.h>
#endif

#include "detect_internal.h"
#include "engine.h"
#include "mmd.h"
#include "segment.h"
#include "telltale.h"

#define TT_PARA_CAP 512   /* most sentences a paragraph's test uses (reservoir sample beyond) */
#define TT_DOC_CAP 1024   /* most sentences the document's test uses */
/* most reference sentences: the n_ref × n_ref kernel matrix (8·n_ref² bytes, 128 MiB at the limit)
 * and the sets' kernel rows ((TT_PARA_CAP + TT_DOC_CAP)·8·n_ref bytes) are sized by it */
#define TT_MAX_NREF 4096

static const char *const FEATURE_NAMES[TT_N_FEATURES] = {"sent_mean", "mmd2", "logprob", "entropy", "fastdetect",
                                                          "ce_mean", "log_n", "sent_mean_x_log_n", "mmd2_x_log_n",
                                                          "ce_mean_x_log_n"};

const char *tt_feature_name(int id) { return id >= 0 && id < TT_N_FEATURES ? FEATURE_NAMES[id] : NULL; }

/* A result with what the public struct does not show: the document's calibration features. */
typedef struct {
    tt_result pub;               /* first member: a tt_result * of this struct is its address */
    int has_features;            /* 1 when doc_feat holds the features of a scored document */
    double doc_feat[TT_N_FEATURES];
} result_impl;

int tt_result_doc_features(const tt_result *r, double feat[TT_N_FEATURES]) {
    const result_impl *ri = (const result_impl *)r;
    if (!ri || !ri->has_features) return -1;
    memcpy(feat, ri->doc_feat, sizeof ri->doc_feat);
    return 0;
}

size_t tt_result_scored(const tt_result *r, size_t first, size_t n) {
    size_t k = 0;
    for (size_t i = first; i < first + n && i < r->n_sentences; i++) k += r->sentences[i].score >= 0;
    return k;
}

struct tt_detector {
    tt_model *model;             /* the loaded model (owned) */
    const tt_config *cfg;        /* its transformer configuration */
    char name[128];              /* metadata "name" */
    tt_det_config dc;            /* detector + calibration settings from the metadata */
    const float *fc1_w, *fc1_b;  /* [h, d], [h] */
    const float *ln_w, *ln_b;    /* [h] */
    const float *fc2_w, *fc2_b;  /* [p, h], [p] */
    const float *ref_raw;        /* [n_ref, d] */
    const float *ref_phi;        /* [n_ref, p] */
    const float *ce_w, *ce_b;    /* [d], [1] linear classifier head on x; NULL unless a ce_mean feature is used */
    tt_kernel kern;              /* kernel parameters */
    double *kxx;                 /* [n_ref, n_ref] reference kernel matrix, computed at open */
    const float *null_stat;      /* [Σ null_count] human null, row r ascending; NULL: permutation test */
    size_t null_off[TT_MAX_NULL_ROWS];  /* where row r starts in null_stat */
    tt_state *state;             /* forward scratch, reused by every sentence */
    int32_t *ids;                /* [max_tokens + 1] */
    float *hidden;               /* [(max_tokens + 1), d] */
    tt_tokstat *stats;           /* [max_tokens] */
    int lm_stats;                /* the calibration uses logprob / entropy / fastdetect: run the LM head */
    double *work;                /* [3·h] φ scratch */
};

/* ---- small helpers ------------------------------------------------------------------------- */

static void seterr(char *err, size_t err_len, const char *fmt, ...) {
    if (!err || !err_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double sigmoid(double z) { return 1.0 / (1.0 + tt_det_exp(-z)); }

/* tanh from tt_det_exp, so the result is the same on every platform */
static double det_tanh(double z) {
    if (z > 20) return 1.0;
    if (z < -20) return -1.0;
    double e = tt_det_exp(2.0 * z);
    return (e - 1.0) / (e + 1.0);
}

const char *tt_label_name(tt_label l) {
    switch (l) {
    case TT_LABEL_HUMAN: return "human";
    case TT_LABEL_MACHINE: return "machine";
    case TT_LABEL_UNCERTAIN: return "uncertain";
    default: return "none";
    }
}

tt_params tt_default_params(void) {
    tt_params p;
    memset(&p, 0, sizeof p);
    p.permutations = 200;
    p.seed = 1;
    p.alpha = 0.05;
    p.human_below = -1;
    p.machine_above = -1;
    p.min_sentences = 3;
    return p;
}

void tt_free(void *p) { free(p); }

/* ---- opening ------------------------------------------------------------------------------- */

static int get_num(const cJSON *o, const char *sect, const char *key, double *out, char *err, size_t err_len) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        seterr(err, err_len, "model metadata: expected a number \"%s.%s\", found %s", sect, key,
               v ? "another type" : "nothing");
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

static int get_int(const cJSON *o, const char *sect, const char *key, int lo, int hi, int *out, char *err, size_t err_len) {
    double v;
    if (get_num(o, sect, key, &v, err, err_len)) return -1;
    if (v != floor(v) || v < lo || v > hi) {
        seterr(err, err_len, "model metadata: \"%s.%s\" must be an integer in %d..%d, found %g", sect, key, lo, hi, v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int get_num_array(const cJSON *o, const char *sect, const char *key, int n, double *out, char *err, size_t err_len) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) {
        seterr(err, err_len, "model metadata: expected \"%s.%s\" to be an array of %d numbers (one per feature), found %s%d",
               sect, key, n, cJSON_IsArray(a) ? "an array of " : "", cJSON_IsArray(a) ? cJSON_GetArraySize(a) : 0);
        return -1;
    }
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
            seterr(err, err_len, "model metadata: \"%s.%s[%d]\" is not a finite number", sect, key, i);
            return -1;
        }
        out[i++] = e->valuedouble;
    }
    return 0;
}

/* "calibration.null" (optional): {"statistic": "mmd2_mp", "sizes": [...], "counts": [...]} — the rows
 * of the tensor detector.null_stat (docs/model-format.md). Absent: c->n_null = 0. */
static int parse_null(const cJSON *nul, tt_det_config *c, char *err, size_t err_len) {
    c->n_null = 0;
    if (!nul) return 0;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(nul, "statistic");
    if (!cJSON_IsObject(nul) || !cJSON_IsString(st) || strcmp(st->valuestring, "mmd2_mp") != 0) {
        seterr(err, err_len, "model metadata: \"calibration.null\" must be an object with \"statistic\": \"mmd2_mp\"");
        return -1;
    }
    const cJSON *sz = cJSON_GetObjectItemCaseSensitive(nul, "sizes"), *ct = cJSON_GetObjectItemCaseSensitive(nul, "counts");
    int n = cJSON_IsArray(sz) ? cJSON_GetArraySize(sz) : -1;
    if (n < 1 || n > TT_MAX_NULL_ROWS || !cJSON_IsArray(ct) || cJSON_GetArraySize(ct) != n) {
        seterr(err, err_len, "model metadata: \"calibration.null\" needs arrays \"sizes\" and \"counts\" of the same "
               "length, 1..%d", TT_MAX_NULL_ROWS);
        return -1;
    }
    for (int r = 0; r < n; r++) {
        double a = cJSON_GetArrayItem(sz, r)->valuedouble, b = cJSON_GetArrayItem(ct, r)->valuedouble;
        if (!cJSON_IsNumber(cJSON_GetArrayItem(sz, r)) || !cJSON_IsNumber(cJSON_GetArrayItem(ct, r)) || a != floor(a) ||
            b != floor(b) || a < 2 || a > 1e6 || b < 19 || b > 1e7 || (r > 0 && a <= c->null_size[r - 1])) {
            seterr(err, err_len, "model metadata: calibration.null row %d: sizes must be increasing integers ≥ 2 and "
                   "counts integers ≥ 19 (so that p ≤ 0.05 can be reached)", r);
            return -1;
        }
        c->null_size[r] = (int)a;
        c->null_count[r] = (int)b;
    }
    c->n_null = n;
    return 0;
}

int tt_det_config_parse(const char *json, int d_model, tt_det_config *c, char *err, size_t err_len) {
    memset(c, 0, sizeof *c);
    cJSON *root = cJSON_Parse(json);
    if (!root) { seterr(err, err_len, "model metadata: not valid JSON"); return -1; }
    int rc = -1;
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(root, "detector");
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(root, "calibration");
    if (!cJSON_IsObject(det)) {
        seterr(err, err_len, "model has no \"detector\" section: it can tokenize and run the LM only, not detect");
        goto done;
    }
    if (!cJSON_IsObject(cal)) {
        seterr(err, err_len, "model has a \"detector\" but no \"calibration\" section: probabilities cannot be computed");
        goto done;
    }
    const cJSON *feat = cJSON_GetObjectItemCaseSensitive(det, "feature");
    if (!cJSON_IsString(feat) || strcmp(feat->valuestring, "final") != 0) {
        seterr(err, err_len, "model metadata: \"detector.feature\" must be \"final\" (the final hidden states), found %s",
               cJSON_IsString(feat) ? feat->valuestring : "no string");
        goto done;
    }
    if (get_int(det, "detector", "max_tokens", 1, 4096, &c->max_tokens, err, err_len) ||
        get_int(det, "detector", "phi_hidden", 1, 65536, &c->phi_hidden, err, err_len) ||
        get_int(det, "detector", "phi_dim", 1, 65536, &c->phi_dim, err, err_len) ||
        get_int(det, "detector", "n_ref", 2, TT_MAX_NREF, &c->n_ref, err, err_len) ||
        get_int(det, "detector", "min_words", 1, 1000, &c->min_words, err, err_len) ||
        get_num(det, "detector", "epsilon", &c->epsilon, err, err_len) ||
        get_num(det, "detector", "sigma", &c->sigma, err, err_len) ||
        get_num(det, "detector", "sigma0", &c->sigma0, err, err_len) ||
        get_num(det, "detector", "ref_kxx_mean", &c->ref_kxx_mean, err, err_len))
        goto done;
    c->ln_eps = 1e-5;
    if (cJSON_GetObjectItemCaseSensitive(det, "ln_eps") && get_num(det, "detector", "ln_eps", &c->ln_eps, err, err_len))
        goto done;
    if (c->epsilon < 0 || c->epsilon > 1 || c->sigma <= 0 || c->sigma0 <= 0 || c->ln_eps <= 0) {
        seterr(err, err_len, "model metadata: need 0 ≤ detector.epsilon ≤ 1 and sigma, sigma0, ln_eps > 0 (found %g, %g, %g, %g)",
               c->epsilon, c->sigma, c->sigma0, c->ln_eps);
        goto done;
    }
    (void)d_model;
    const cJSON *sent = cJSON_GetObjectItemCaseSensitive(cal, "sentence");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(cal, "document");
    const cJSON *thr = cJSON_GetObjectItemCaseSensitive(cal, "thresholds");
    if (!cJSON_IsObject(sent) || !cJSON_IsObject(doc) || !cJSON_IsObject(thr)) {
        seterr(err, err_len, "model metadata: \"calibration\" needs objects \"sentence\", \"document\" and \"thresholds\"");
        goto done;
    }
    if (get_num(sent, "calibration.sentence", "a", &c->sent_a, err, err_len) ||
        get_num(sent, "calibration.sentence", "b", &c->sent_b, err, err_len) ||
        get_num(thr, "calibration.thresholds", "human_below", &c->human_below, err, err_len) ||
        get_num(thr, "calibration.thresholds", "machine_above", &c->machine_above, err, err_len) ||
        get_num(doc, "calibration.document", "bias", &c->doc_bias, err, err_len))
        goto done;
    if (!(c->human_below >= 0 && c->human_below <= c->machine_above && c->machine_above <= 1)) {
        seterr(err, err_len, "model metadata: need 0 ≤ human_below ≤ machine_above ≤ 1, found %g and %g",
               c->human_below, c->machine_above);
        goto done;
    }
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(doc, "features");
    int nf = cJSON_IsArray(fl) ? cJSON_GetArraySize(fl) : -1;
    if (nf < 1 || nf > TT_N_FEATURES) {
        seterr(err, err_len, "model metadata: \"calibration.document.features\" must be an array of 1..%d feature names, found %s",
               TT_N_FEATURES, nf < 0 ? "no array" : "a different length");
        goto done;
    }
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, fl) {
        int id = -1;
        for (int k = 0; cJSON_IsString(e) && k < TT_N_FEATURES; k++)
            if (strcmp(e->valuestring, FEATURE_NAMES[k]) == 0) id = k;
        if (id < 0) {
            char known[256] = "";
            for (int k = 0; k < TT_N_FEATURES; k++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "", FEATURE_NAMES[k]);
            seterr(err, err_len, "model metadata: calibration.document.features[%d] is %s%s%s, not a known feature "
                   "(%s)", i, cJSON_IsString(e) ? "\"" : "", cJSON_IsString(e) ? e->valuestring : "not a string",
                   cJSON_IsString(e) ? "\"" : "", known);
            goto done;
        }
        c->feat[i++] = id;
    }
    c->n_feat = nf;
    if (get_num_array(doc, "calibration.document", "mean", nf, c->feat_mean, err, err_len) ||
        get_num_array(doc, "calibration.document", "std", nf, c->feat_std, err, err_len) ||
        get_num_array(doc, "calibration.document", "weights", nf, c->feat_w, err, err_len))
        goto done;
    const cJSON *nmax = cJSON_GetObjectItemCaseSensitive(doc, "n_max");
    c->n_max = 0;
    if (nmax && (!cJSON_IsNumber(nmax) || !(nmax->valuedouble >= 1 && nmax->valuedouble <= 1e6))) {
        seterr(err, err_len, "model metadata: \"calibration.document.n_max\" must be a number in 1..1e6 (or absent), found %s",
               cJSON_IsNumber(nmax) ? "a number out of range" : "another type");
        goto done;
    }
    if (nmax) c->n_max = nmax->valuedouble;
    for (i = 0; i < nf; i++)
        if (!(c->feat_std[i] > 0)) {
            seterr(err, err_len, "model metadata: calibration.document.std[%d] must be > 0, found %g", i, c->feat_std[i]);
            goto done;
        }
    if (parse_null(cJSON_GetObjectItemCaseSensitive(cal, "null"), c, err, err_len)) goto done;
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

static const float *tensor_f32(const tt_model *m, const char *name, uint32_t r, uint32_t cols, char *err, size_t err_len) {
    const tt_tensor *t = tt_model_tensor(m, name);
    if (!t) { seterr(err, err_len, "model: tensor \"%s\" is missing (expected f32 [%u, %u])", name, r, cols); return NULL; }
    uint32_t want_ndim = cols == 0 ? 1 : 2;
    int ok = t->dtype == TT_DTYPE_F32 && t->ndim == want_ndim && t->shape[0] == r && (cols == 0 || t->shape[1] == cols);
    if (!ok) {
        if (cols == 0)
            seterr(err, err_len, "model: tensor \"%s\" should be f32 [%u], found dtype %u ndim %u shape [%u, %u]",
                   name, r, t->dtype, t->ndim, t->shape[0], t->shape[1]);
        else
            seterr(err, err_len, "model: tensor \"%s\" should be f32 [%u, %u], found dtype %u ndim %u shape [%u, %u]",
                   name, r, cols, t->dtype, t->ndim, t->shape[0], t->shape[1]);
        return NULL;
    }
    return (const float *)t->data;
}

/* detector.null_stat: f32 [Σ counts], each row finite and ascending. */
static int open_null(tt_detector *d, char *err, size_t err_len) {
    const tt_det_config *c = &d->dc;
    size_t total = 0;
    for (int r = 0; r < c->n_null; r++) { d->null_off[r] = total; total += (size_t)c->null_count[r]; }
    if (total > UINT32_MAX || !(d->null_stat = tensor_f32(d->model, "detector.null_stat", (uint32_t)total, 0, err, err_len)))
        return -1;
    for (int r = 0; r < c->n_null; r++) {
        const float *v = d->null_stat + d->null_off[r];
        for (int i = 0; i < c->null_count[r]; i++)
            if (!isfinite(v[i]) || (i > 0 && v[i] < v[i - 1])) {
                seterr(err, err_len, "model: detector.null_stat row %d (sets of %d sentences) is not finite and ascending "
                       "at entry %d", r, c->null_size[r], i);
                return -1;
            }
    }
    return 0;
}

/* p-value of the statistic of a set of m sentences against the human null: the row of the largest
 * size ≤ m, p = (1 + #{human sets with statistic ≥ stat}) / (1 + count). -1 when m is below the
 * smallest size. */
static double null_p_value(const tt_detector *d, size_t m, double stat) {
    const tt_det_config *c = &d->dc;
    int r = -1;
    for (int k = 0; k < c->n_null; k++)
        if ((size_t)c->null_size[k] <= m) r = k;
    if (r < 0) return -1;
    const float *v = d->null_stat + d->null_off[r];
    size_t lo = 0, hi = (size_t)c->null_count[r];  /* first index with v ≥ stat (rows ascend) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)v[mid] < stat) lo = mid + 1; else hi = mid;
    }
    return (double)(1 + (size_t)c->null_count[r] - lo) / (double)(1 + c->null_count[r]);
}

static tt_detector *open_model(tt_model *m, char *err, size_t err_len) {
    if (!m) return NULL;
    tt_detector *d = calloc(1, sizeof *d);
    if (!d) { tt_model_free(m); seterr(err, err_len, "detector: out of memory"); return NULL; }
    d->model = m;
    d->cfg = tt_model_config(m);
    const char *meta = tt_model_metadata(m);
    cJSON *root = cJSON_Parse(meta);
    const cJSON *nm = root ? cJSON_GetObjectItemCaseSensitive(root, "name") : NULL;
    snprintf(d->name, sizeof d->name, "%s", cJSON_IsString(nm) ? nm->valuestring : "unnamed");
    cJSON_Delete(root);
    tt_det_config *c = &d->dc;
    if (tt_det_config_parse(meta, d->cfg->d_model, c, err, err_len)) goto fail;
    uint32_t dm = (uint32_t)d->cfg->d_model, h = (uint32_t)c->phi_hidden, p = (uint32_t)c->phi_dim, n = (uint32_t)c->n_ref;
    if (!(d->fc1_w = tensor_f32(m, "detector.fc1.weight", h, dm, err, err_len)) ||
        !(d->fc1_b = tensor_f32(m, "detector.fc1.bias", h, 0, err, err_len)) ||
        !(d->ln_w = tensor_f32(m, "detector.ln.weight", h, 0, err, err_len)) ||
        !(d->ln_b = tensor_f32(m, "detector.ln.bias", h, 0, err, err_len)) ||
        !(d->fc2_w = tensor_f32(m, "detector.fc2.weight", p, h, err, err_len)) ||
        !(d->fc2_b = tensor_f32(m, "detector.fc2.bias", p, 0, err, err_len)) ||
        !(d->ref_raw = tensor_f32(m, "detector.ref_raw", n, dm, err, err_len)) ||
        !(d->ref_phi = tensor_f32(m, "detector.ref_phi", n, p, err, err_len)))
        goto fail;
    for (int i = 0; i < c->n_feat; i++) {
        if (c->feat[i] == TT_F_LOGPROB || c->feat[i] == TT_F_ENTROPY || c->feat[i] == TT_F_FASTDETECT) d->lm_stats = 1;
        if ((c->feat[i] == TT_F_CE_MEAN || c->feat[i] == TT_F_CE_MEAN_X_LOG_N) && !d->ce_w &&
            (!(d->ce_w = tensor_f32(m, "detector.ce.weight", dm, 0, err, err_len)) ||
             !(d->ce_b = tensor_f32(m, "detector.ce.bias", 1, 0, err, err_len))))
            goto fail;
    }
    if (c->n_null && open_null(d, err, err_len)) goto fail;
    d->kern.d = (int)dm; d->kern.p = (int)p;
    d->kern.eps = c->epsilon; d->kern.sigma = c->sigma; d->kern.sigma0 = c->sigma0;
    d->kxx = malloc((size_t)n * n * sizeof *d->kxx);
    d->ids = malloc(((size_t)c->max_tokens + 1) * sizeof *d->ids);
    d->hidden = malloc(((size_t)c->max_tokens + 1) * dm * sizeof *d->hidden);
    d->stats = malloc((size_t)c->max_tokens * sizeof *d->stats);
    d->work = malloc(3 * (size_t)h * sizeof *d->work);
    if (!d->kxx || !d->ids || !d->hidden || !d->stats || !d->work) { seterr(err, err_len, "detector: out of memory"); goto fail; }
    tt_kernel_matrix(&d->kern, d->ref_raw, d->ref_phi, n, d->ref_raw, d->ref_phi, n, d->kxx);
    d->state = tt_state_new(m, err, err_len);
    if (!d->state) goto fail;
    return d;
fail:
    tt_detector_free(d);
    return NULL;
}

tt_detector *tt_detector_open_buffer(const void *buf, size_t len, char *err, size_t err_len) {
    return open_model(tt_model_load_buffer(buf, len, err, err_len), err, err_len);
}

tt_detector *tt_detector_open_file(const char *path, char *err, size_t err_len) {
    return open_model(tt_model_load_file(path, err, err_len), err, err_len);
}

void tt_detector_free(tt_detector *d) {
    if (!d) return;
    tt_state_free(d->state);
    tt_model_free(d->model);
    free(d->kxx); free(d->ids); free(d->hidden); free(d->stats); free(d->work);
    free(d);
}

const char *tt_detector_model_name(const tt_detector *d) { return d ? d->name : ""; }

const tt_det_config *tt_detector_config(const tt_detector *d) { return &d->dc; }
const tt_model *tt_detector_model(const tt_detector *d) { return d->model; }

/* ---- one sentence -------------------------------------------------------------------------- */

/* φ from the token features H [T, d]: φ = fc2(mean_t LN(GELU(fc1 H[t]))). phi: [p]. */
static void deep_feature(tt_detector *d, const float *H, size_t T, float *phi) {
    int dm = d->cfg->d_model, h = d->dc.phi_hidden, p = d->dc.phi_dim;
    double *u = d->work, *acc = d->work + h;
    for (int j = 0; j < h; j++) acc[j] = 0;
    for (size_t t = 0; t < T; t++) {
        const float *x = H + t * (size_t)dm;
        for (int j = 0; j < h; j++) {          /* u = GELU_tanh(fc1 x) : [h] */
            const float *w = d->fc1_w + (size_t)j * dm;
            /* the dot product in 4 interleaved partial sums (i mod 4) combined in a fixed order: the
             * loop pipelines / vectorizes instead of waiting on one chain of double additions, and
             * the result is the same on every platform */
            double ps[4] = {0, 0, 0, 0};
            int i = 0;
            for (; i + 4 <= dm; i += 4)
                for (int k = 0; k < 4; k++) ps[k] += (double)w[i + k] * x[i + k];
            for (; i < dm; i++) ps[0] += (double)w[i] * x[i];
            double s = (double)d->fc1_b[j] + ((ps[0] + ps[1]) + (ps[2] + ps[3]));
            u[j] = 0.5 * s * (1.0 + det_tanh(0.7978845608028654 * (s + 0.044715 * s * s * s)));
        }
        double mean = 0, var = 0;              /* LayerNorm over h (biased variance) */
        for (int j = 0; j < h; j++) mean += u[j];
        mean /= h;
        for (int j = 0; j < h; j++) var += (u[j] - mean) * (u[j] - mean);
        var /= h;
        double inv = 1.0 / sqrt(var + d->dc.ln_eps);
        for (int j = 0; j < h; j++) acc[j] += (u[j] - mean) * inv * d->ln_w[j] + d->ln_b[j];
    }
    for (int j = 0; j < h; j++) acc[j] /= (double)T;
    for (int o = 0; o < p; o++) {              /* φ = fc2 acc : [p] */
        const float *w = d->fc2_w + (size_t)o * h;
        double s = d->fc2_b[o];
        for (int j = 0; j < h; j++) s += (double)w[j] * acc[j];
        phi[o] = (float)s;
    }
}

tt_status tt_sentence_features(tt_detector *d, const char *text, size_t start, size_t end, tt_sent_features *f,
                               char *err, size_t err_len) {
    size_t blen = 0;
    char *buf = tt_utf8_sanitize(text, start, end, &blen);
    if (!buf) { seterr(err, err_len, "detect: out of memory"); return TT_ERR_NOMEM; }
    blen = tt_collapse_space(buf, blen); /* line breaks, tabs, no-break spaces: one space, as in training */
    tt_tokens toks;
    memset(&toks, 0, sizeof toks);
    tt_status st = tt_tokenize(d->model, buf, blen, &toks, err, err_len);
    free(buf);
    if (st != TT_OK) return st;
    size_t T = toks.n < (size_t)d->dc.max_tokens ? toks.n : (size_t)d->dc.max_tokens;
    f->n_tokens_total = toks.n;
    f->n_tokens = T;
    if (T == 0) { tt_tokens_free(&toks); return TT_ERR_ARG; }
    d->ids[0] = d->cfg->bos_id;
    for (size_t t = 0; t < T; t++) d->ids[t + 1] = toks.ids[t];
    tt_tokens_free(&toks);
    /* the LM head (V × d per token) only when a document feature needs its statistics */
    st = tt_forward(d->model, d->state, d->ids, T + 1, d->hidden, d->lm_stats ? d->stats : NULL, err, err_len);
    if (st != TT_OK) return st;
    int dm = d->cfg->d_model;
    const float *H = d->hidden + dm; /* BOS excluded: H [T, d] */
    for (int j = 0; j < dm; j++) {
        double s = 0;
        for (size_t t = 0; t < T; t++) s += H[t * (size_t)dm + j];
        f->x[j] = (float)(s / (double)T);
    }
    deep_feature(d, H, T, f->phi);
    f->ce = 0;
    if (d->ce_w) {                        /* ce = w·x + b */
        double z = d->ce_b[0];
        for (int j = 0; j < dm; j++) z += (double)d->ce_w[j] * f->x[j];
        f->ce = z;
    }
    f->logprob = f->entropy = f->var = 0;
    if (d->lm_stats)
        for (size_t t = 0; t < T; t++) {  /* stats[t] is about token t given bos + tokens before it */
            f->logprob += d->stats[t].logprob;
            f->entropy += d->stats[t].entropy;
            f->var += d->stats[t].var;
        }
    for (int i = 0; i < d->dc.n_ref; i++)
        f->krow[i] = tt_kernel_eval(&d->kern, d->ref_raw + (size_t)i * dm, d->ref_phi + (size_t)i * d->dc.phi_dim, f->x, f->phi);
    f->score = tt_sentence_score(d->dc.ref_kxx_mean, f->krow, (size_t)d->dc.n_ref);
    f->prob = sigmoid(d->dc.sent_a * f->score + d->dc.sent_b);
    return TT_OK;
}

/* ---- sets of sentences (a paragraph or the document) --------------------------------------- */

typedef struct {
    uint64_t seed;       /* reservoir seed (reset with each paragraph) */
    size_t cap;          /* most sentences kept */
    size_t kept;         /* sentences kept (≤ cap) */
    size_t seen;         /* sentences offered */
    float *x, *phi;      /* [cap, d], [cap, p] */
    double *krow;        /* [cap, n_ref] */
    tt_rng rng;          /* reservoir sampling beyond cap */
    /* exact sums over all sentences offered */
    double sum_s, sum_lp, sum_ent, sum_var, sum_ce, n_tok;
} sent_set;

static int set_init(sent_set *s, size_t cap, int d, int p, int n_ref, uint64_t seed) {
    memset(s, 0, sizeof *s);
    s->cap = cap;
    s->x = malloc(cap * (size_t)d * sizeof *s->x);
    s->phi = malloc(cap * (size_t)p * sizeof *s->phi);
    s->krow = malloc(cap * (size_t)n_ref * sizeof *s->krow);
    s->seed = seed;
    tt_rng_seed(&s->rng, seed);
    return s->x && s->phi && s->krow ? 0 : -1;
}
static void set_free(sent_set *s) { free(s->x); free(s->phi); free(s->krow); }
static void set_reset(sent_set *s) {
    s->kept = s->seen = 0;
    tt_rng_seed(&s->rng, s->seed);
    s->sum_s = s->sum_lp = s->sum_ent = s->sum_var = s->sum_ce = s->n_tok = 0;
}
static void set_add(sent_set *s, const tt_sent_features *f, int d, int p, int n_ref) {
    size_t slot;
    if (s->kept < s->cap) slot = s->kept++;
    else {
        uint64_t r = tt_rng_below(&s->rng, s->seen + 1);
        slot = r < s->cap ? (size_t)r : (size_t)-1;
    }
    s->seen++;
    s->sum_s += f->score; s->sum_lp += f->logprob; s->sum_ent += f->entropy; s->sum_var += f->var;
    s->sum_ce += f->ce;
    s->n_tok += (double)f->n_tokens;
    if (slot == (size_t)-1) return;
    memcpy(s->x + slot * d, f->x, (size_t)d * sizeof(float));
    memcpy(s->phi + slot * p, f->phi, (size_t)p * sizeof(float));
    memcpy(s->krow + slot * n_ref, f->krow, (size_t)n_ref * sizeof(double));
}

typedef struct {
    double mmd2;         /* unbiased MMD² (NAN if fewer than 2 sentences kept) */
    double mmd2_mp;      /* MMD-MP statistic over all sentences offered (NAN if none) */
    double p_value;      /* -1 if untested */
    int tested;
    double feat[TT_N_FEATURES];
} set_result;

/* Statistics of a set; with ≥ min_sentences sentences, its test: the human null of the model when it
 * has one (p-value of mmd2_mp among human texts of the same length), else the permutation test. */
static tt_status set_evaluate(tt_detector *d, sent_set *s, const tt_params *p, set_result *out,
                              char *err, size_t err_len) {
    size_t m = s->kept, n = (size_t)d->dc.n_ref;
    out->mmd2 = NAN; out->p_value = -1; out->tested = 0;
    /* mean_i≠j Kxx − 2·mean Kxy over every sentence offered = mean sentence score − 1 (scores add k(y,y) = 1) */
    out->mmd2_mp = s->seen > 0 ? s->sum_s / (double)s->seen - 1.0 : NAN;
    if (d->null_stat && s->seen >= (size_t)p->min_sentences) {
        out->p_value = null_p_value(d, s->seen, out->mmd2_mp);
        out->tested = out->p_value > 0;
    }
    if (m >= 2) {
        double *kxy = malloc(n * m * sizeof *kxy), *kyy = malloc(m * m * sizeof *kyy);
        if (!kxy || !kyy) { free(kxy); free(kyy); seterr(err, err_len, "detect: out of memory for a test of %zu sentences", m); return TT_ERR_NOMEM; }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++) kxy[i * m + j] = s->krow[j * n + i];
        tt_kernel_matrix(&d->kern, s->x, s->phi, m, s->x, s->phi, m, kyy);
        tt_mmd_blocks b = {n, m, d->kxx, kxy, kyy};
        if (!d->null_stat && s->seen >= (size_t)p->min_sentences) {
            tt_rng r;            /* every test starts from the seed: the same set gives the same p */
            tt_rng_seed(&r, p->seed);
            tt_mmd_test t;
            tt_status st = tt_mmd_perm_test(&b, p->permutations, &r, &t, err, err_len);
            if (st != TT_OK) { free(kxy); free(kyy); return st; }
            out->mmd2 = t.mmd2; out->p_value = t.p_value; out->tested = 1;
        } else {
            out->mmd2 = tt_mmd2_unbiased(&b);
        }
        free(kxy); free(kyy);
    }
    double ns = (double)s->seen;
    out->feat[TT_F_SENT_MEAN] = ns > 0 ? s->sum_s / ns : 0;
    /* one sentence: the U-statistic has no Kyy pair, so MMD² = kxx_mean − 2·mean k = s − 1 */
    out->feat[TT_F_MMD2] = m >= 2 ? out->mmd2 : out->feat[TT_F_SENT_MEAN] - 1.0;
    if (d->lm_stats) {
        out->feat[TT_F_LOGPROB] = s->n_tok > 0 ? s->sum_lp / s->n_tok : 0;
        out->feat[TT_F_ENTROPY] = s->n_tok > 0 ? s->sum_ent / s->n_tok : 0;
        out->feat[TT_F_FASTDETECT] = (s->sum_lp + s->sum_ent) / sqrt(s->sum_var > 1e-9 ? s->sum_var : 1e-9);
    } else {  /* the LM head did not run: no calibration feature reads these */
        out->feat[TT_F_LOGPROB] = out->feat[TT_F_ENTROPY] = out->feat[TT_F_FASTDETECT] = NAN;
    }
    out->feat[TT_F_CE_MEAN] = !d->ce_w ? NAN : ns > 0 ? s->sum_ce / ns : 0;  /* NAN: the model has no CE head */
    /* the calibration was fitted on texts of at most n_max sentences: longer ones count as n_max */
    double log_n = ns > 0 ? log(d->dc.n_max > 0 && ns > d->dc.n_max ? d->dc.n_max : ns) : 0;
    out->feat[TT_F_LOG_N] = log_n;
    out->feat[TT_F_SENT_MEAN_X_LOG_N] = out->feat[TT_F_SENT_MEAN] * log_n;
    out->feat[TT_F_MMD2_X_LOG_N] = out->feat[TT_F_MMD2] * log_n;
    out->feat[TT_F_CE_MEAN_X_LOG_N] = out->feat[TT_F_CE_MEAN] * log_n;
    return TT_OK;
}

double tt_detector_doc_prob(const tt_detector *d, const double *feat) {
    const tt_det_config *c = &d->dc;
    double z = c->doc_bias;
    for (int i = 0; i < c->n_feat; i++) z += c->feat_w[i] * (feat[c->feat[i]] - c->feat_mean[i]) / c->feat_std[i];
    return sigmoid(z);
}

static tt_label threshold_label(double p, double lo, double hi) {
    if (p < 0) return TT_LABEL_UNCERTAIN;
    if (p < lo) return TT_LABEL_HUMAN;
    if (p >= hi) return TT_LABEL_MACHINE;
    return TT_LABEL_UNCERTAIN;
}

/* The test's verdict can only lower a label to "uncertain", never raise it. */
static tt_label with_test(tt_label l, const set_result *r, double alpha) {
    if (!r->tested) return l;
    if (l == TT_LABEL_MACHINE && r->p_value > alpha) return TT_LABEL_UNCERTAIN;
    if (l == TT_LABEL_HUMAN && r->p_value <= alpha) return TT_LABEL_UNCERTAIN;
    return l;
}

/* ---- text heuristics (warnings) ------------------------------------------------------------ */

static const char *const FUNCTION_WORDS[] = {"the", "of", "and", "to", "a", "in", "is", "that", "it", "for",
    "was", "on", "with", "as", "be", "are", "by", "this", "i", "you", "he", "she", "we", "they", "not", "or",
    "at", "from", "have", "has", "an", "but", "his", "her", "their", "which", "were", "been", "will", "would",
    "can", "there", "what", "all", "if", "so", "my", "your", "our", "its", NULL};

typedef struct {
    size_t latin, other;        /* letters in the Latin script / in other scripts */
    size_t digits;              /* ASCII digits */
    size_t words, function;     /* ASCII words / English function words among them */
    size_t lines, formatted;    /* non-blank lines / lines that look like code, lists or tables */
} text_stats;

static int is_function_word(const char *w, size_t n) {
    char low[16];
    if (n >= sizeof low) return 0;
    for (size_t i = 0; i < n; i++) low[i] = (char)(w[i] | 0x20);
    for (const char *const *f = FUNCTION_WORDS; *f; f++)
        if (strlen(*f) == n && memcmp(*f, low, n) == 0) return 1;
    return 0;
}

static int line_formatted(const char *s, size_t a, size_t b) {
    size_t i = a;
    int indent = 0;
    while (i < b && (s[i] == ' ' || s[i] == '\t')) { indent += s[i] == '\t' ? 4 : 1; i++; }
    size_t e = b;
    while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) e--;
    if (i >= e) return -1; /* blank */
    if (indent >= 4) return 1;
    char c = s[i];
    if ((c == '-' || c == '*' || c == '+') && i + 1 < e && s[i + 1] == ' ') return 1;
    if ((unsigned char)c == 0xE2 && i + 2 < e && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0xA2) return 1; /* • */
    if (c == '#' || c == '|' || c == '>' || c == '`') return 1;
    size_t k = i;
    while (k < e && s[k] >= '0' && s[k] <= '9') k++;
    if (k > i && k < e && (s[k] == '.' || s[k] == ')') && k + 1 < e && s[k + 1] == ' ') return 1;
    char last = s[e - 1];
    if (last == ';' || last == '{' || last == '}') return 1;
    size_t sym = 0, nonsp = 0, bars = 0;
    for (k = i; k < e; k++) {
        char ch = s[k];
        if (ch == ' ' || ch == '\t') continue;
        nonsp++;
        if (strchr("{}[]()<>=;|_#*`\\/$&^~", ch)) sym++;
        if (ch == '|') bars++;
    }
    if (bars >= 2) return 1;
    return nonsp > 0 && sym * 100 > nonsp * 15;
}

static void gather_stats(const char *text, size_t len, text_stats *st) {
    memset(st, 0, sizeof *st);
    const unsigned char *s = (const unsigned char *)text;
    size_t wstart = 0;
    int inword = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = tt_utf8_decode(s, len, i, &cp);
        int ascii_letter = ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
        if (cp >= '0' && cp <= '9') st->digits++;
        if (ascii_letter || (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x1E00 && cp <= 0x1EFF)) st->latin++;
        else if (cp >= 0x370 && cp != 0xFFFD && !(cp >= 0x2000 && cp <= 0x2BFF) && !(cp >= 0x3000 && cp <= 0x303F) &&
                 !(cp >= 0xFE30 && cp <= 0xFE4F) && !(cp >= 0xFF00 && cp <= 0xFF0F) && cp < 0x1F000) st->other++;
        if (ascii_letter || cp == '\'') {
            if (!inword && ascii_letter) { inword = 1; wstart = i; }
        } else if (inword) {
            inword = 0;
            st->words++;
            if (is_function_word(text + wstart, i - wstart)) st->function++;
        }
        i += n;
    }
    if (inword) { st->words++; if (is_function_word(text + wstart, len - wstart)) st->function++; }
    for (size_t a = 0; a <= len;) {
        size_t b = a;
        while (b < len && s[b] != '\n') b++;
        int f = line_formatted(text, a, b);
        if (f >= 0) { st->lines++; if (f) st->formatted++; }
        a = b + 1;
        if (b >= len) break;
    }
}

/* ---- detection ----------------------------------------------------------------------------- */

typedef struct { char **v; size_t n; } warn_list;
static int warn(warn_list *w, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nv = realloc(w->v, (w->n + 1) * sizeof *nv);
    if (!nv) return -1;
    w->v = nv;
    size_t l = strlen(buf);
    w->v[w->n] = malloc(l + 1);
    if (!w->v[w->n]) return -1;
    memcpy(w->v[w->n++], buf, l + 1);
    return 0;
}

void tt_result_free(tt_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_warnings; i++) free(r->warnings[i]);
    free(r->warnings);
    free(r->paragraphs);
    free(r->sentences);
    free((char *)r->model);
    free((result_impl *)r);
}

static size_t utf16_length(const char *text, size_t len) {
    size_t u = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += tt_utf8_decode((const unsigned char *)text, len, i, &cp);
        u += cp >= 0x10000 ? 2 : 1;
    }
    return u;
}

tt_result *tt_detect(tt_detector *d, const char *text, size_t len, const tt_params *params, char *err, size_t err_len) {
    if (err && err_len) err[0] = 0;
    if (!d) { seterr(err, err_len, "detect: detector is NULL"); return NULL; }
    if (!text && len) { seterr(err, err_len, "detect: text is NULL but its length is %zu", len); return NULL; }
    if (len > TT_MAX_TEXT_BYTES) {
        seterr(err, err_len, "detect: the text is %zu bytes; the limit is %u bytes (TT_MAX_TEXT_BYTES): split it into parts",
               len, (unsigned)TT_MAX_TEXT_BYTES);
        return NULL;
    }
    tt_params p = params ? *params : tt_default_params();
    if (p.permutations < 20 || p.permutations > 100000) {
        seterr(err, err_len, "detect: permutations must be between 20 and 100000, got %d", p.permutations);
        return NULL;
    }
    if (!(p.alpha > 0 && p.alpha < 1)) { seterr(err, err_len, "detect: alpha must be in (0, 1), got %g", p.alpha); return NULL; }
    if (p.min_sentences < 2) { seterr(err, err_len, "detect: min_sentences must be at least 2 (a two-sample test needs two sentences), got %d", p.min_sentences); return NULL; }
    double lo = p.human_below >= 0 ? p.human_below : d->dc.human_below;
    double hi = p.machine_above >= 0 ? p.machine_above : d->dc.machine_above;
    if (lo > 1 || hi > 1 || lo > hi) { seterr(err, err_len, "detect: need human_below ≤ machine_above ≤ 1, got %g and %g", lo, hi); return NULL; }

    double t0 = now_ms();
    result_impl *ri = calloc(1, sizeof *ri);
    tt_result *r = ri ? &ri->pub : NULL;
    warn_list wl = {NULL, 0};
    tt_segmentation seg;
    memset(&seg, 0, sizeof seg);
    sent_set para, doc;
    int dm = d->cfg->d_model, pd = d->dc.phi_dim, nref = d->dc.n_ref;
    tt_sent_features f;
    memset(&f, 0, sizeof f);
    f.x = malloc((size_t)dm * sizeof *f.x);
    f.phi = malloc((size_t)pd * sizeof *f.phi);
    f.krow = malloc((size_t)nref * sizeof *f.krow);
    int set_ok = set_init(&para, TT_PARA_CAP, dm, pd, nref, p.seed ^ 0xA5A5A5A5A5A5A5A5ull) == 0;
    set_ok &= set_init(&doc, TT_DOC_CAP, dm, pd, nref, p.seed ^ 0x5A5A5A5A5A5A5A5Aull) == 0;
    tt_status st = TT_OK;
    if (!r || !f.x || !f.phi || !f.krow || !set_ok) { seterr(err, err_len, "detect: out of memory"); goto fail; }
    size_t mlen = strlen(d->name) + 1;
    char *mname = malloc(mlen);
    if (!mname) { seterr(err, err_len, "detect: out of memory"); goto fail; }
    memcpy(mname, d->name, mlen);
    r->model = mname;
    r->test = d->null_stat ? "human_null" : "permutation";

    st = tt_segment(text, len, &seg, err, err_len);
    if (st != TT_OK) goto fail;
    double t1 = now_ms();
    r->ms_segment = t1 - t0;
    r->n_sentences = seg.n_sentences;
    r->n_paragraphs = seg.n_paragraphs;
    r->sentences = calloc(seg.n_sentences ? seg.n_sentences : 1, sizeof *r->sentences);
    r->paragraphs = calloc(seg.n_paragraphs ? seg.n_paragraphs : 1, sizeof *r->paragraphs);
    if (!r->sentences || !r->paragraphs) { seterr(err, err_len, "detect: out of memory for %zu sentences", seg.n_sentences); goto fail; }

    text_stats ts;
    gather_stats(text, len, &ts);
    size_t n_invalid = tt_utf8_invalid_count(text, len);
    int not_english = 0;
    if (ts.latin + ts.other > 0 && ts.other > ts.latin) not_english = 1;
    else if (ts.words >= 10 && ts.function * 100 < ts.words * 12) not_english = 2;
    else if (ts.digits > ts.latin + ts.other) not_english = 3; /* numbers, not prose */

    double t_tests = 0;
    size_t n_truncated = 0, n_scored = 0;
    for (size_t pi = 0; pi < seg.n_paragraphs; pi++) {
        const tt_seg_paragraph *sp = &seg.paragraphs[pi];
        tt_paragraph *rp = &r->paragraphs[pi];
        rp->start = sp->span.start; rp->end = sp->span.end;
        rp->start16 = sp->span.start16; rp->end16 = sp->span.end16;
        rp->first_sentence = sp->first_sentence; rp->n_sentences = sp->n_sentences;
        set_reset(&para);
        for (size_t si = sp->first_sentence; si < sp->first_sentence + sp->n_sentences; si++) {
            const tt_span *ss = &seg.sentences[si];
            tt_sentence *rs = &r->sentences[si];
            rs->start = ss->start; rs->end = ss->end; rs->start16 = ss->start16; rs->end16 = ss->end16;
            rs->score = -1; rs->raw = NAN; rs->label = TT_LABEL_UNCERTAIN;
            if (tt_count_words(text, ss->start, ss->end) >= (size_t)d->dc.min_words) {
                st = tt_sentence_features(d, text, ss->start, ss->end, &f, err, err_len);
                if (st == TT_ERR_ARG && f.n_tokens == 0) st = TT_OK; /* nothing to score */
                else if (st != TT_OK) goto fail;
                else {
                    if (f.n_tokens_total > f.n_tokens) n_truncated++;
                    rs->raw = f.score;
                    rs->score = f.prob;
                    rs->label = threshold_label(f.prob, lo, hi);
                    set_add(&para, &f, dm, pd, nref);
                    set_add(&doc, &f, dm, pd, nref);
                    n_scored++;
                }
            }
            if (p.progress && p.progress(p.progress_user, si + 1, seg.n_sentences)) {
                seterr(err, err_len, "detect: cancelled by the progress callback after %zu of %zu sentences", si + 1, seg.n_sentences);
                st = TT_ERR_CANCELLED;
                goto fail;
            }
        }
        double ta = now_ms();
        set_result pr;
        st = set_evaluate(d, &para, &p, &pr, err, err_len);
        if (st != TT_OK) goto fail;
        t_tests += now_ms() - ta;
        rp->mmd2 = pr.mmd2;
        rp->mmd2_mp = pr.mmd2_mp;
        rp->p_value = pr.p_value;
        rp->tested = pr.tested;
        if (para.seen == 0) { rp->score = -1; rp->label = TT_LABEL_UNCERTAIN; }
        else {
            /* the same logistic model as a document's, over the paragraph's own features (it weighs a
             * short unit's evidence less), tested or not: a one-paragraph text gets one score at both levels */
            rp->score = tt_detector_doc_prob(d, pr.feat);
            rp->label = with_test(threshold_label(rp->score, lo, hi), &pr, p.alpha);
            /* a few sentences without a test are weak evidence: never call them "machine" */
            if (!pr.tested && rp->label == TT_LABEL_MACHINE) rp->label = TT_LABEL_UNCERTAIN;
        }
    }
    double t2 = now_ms();
    set_result dr;
    st = set_evaluate(d, &doc, &p, &dr, err, err_len);
    if (st != TT_OK) goto fail;
    double t3 = now_ms();
    t_tests += t3 - t2;
    tt_paragraph *D = &r->document;
    D->start = 0; D->end = (uint32_t)len; D->start16 = 0; D->end16 = (uint32_t)utf16_length(text, len);
    D->first_sentence = 0; D->n_sentences = seg.n_sentences;
    D->mmd2 = dr.mmd2; D->mmd2_mp = dr.mmd2_mp; D->p_value = dr.p_value; D->tested = dr.tested;
    D->score = n_scored ? tt_detector_doc_prob(d, dr.feat) : -1;
    if (n_scored) { ri->has_features = 1; memcpy(ri->doc_feat, dr.feat, sizeof ri->doc_feat); }
    D->label = with_test(threshold_label(D->score, lo, hi), &dr, p.alpha);

    /* warnings */
    int empty = seg.n_sentences == 0;
    int wfail = 0;
    if (empty) wfail |= warn(&wl, "empty: There is no text to analyse.");
    else if (n_scored == 0)
        wfail |= warn(&wl, "too_short: No sentence has %d+ words, so nothing was scored: there is no verdict.",
                      d->dc.min_words);
    else if (n_scored < (size_t)p.min_sentences)
        wfail |= warn(&wl, "too_short: Only %zu sentence%s of %d+ words (a test needs %d): the verdict is weak.",
                      n_scored, n_scored == 1 ? "" : "s", d->dc.min_words, p.min_sentences);
    if (not_english == 1)
        wfail |= warn(&wl, "not_english: Most letters (%zu of %zu) are outside the Latin script; the model reads English.",
                      ts.other, ts.other + ts.latin);
    else if (not_english == 2)
        wfail |= warn(&wl, "not_english: Few English function words (%zu of %zu words); the model reads English.",
                      ts.function, ts.words);
    else if (not_english == 3)
        wfail |= warn(&wl, "not_english: More digits than letters (%zu vs %zu); the model reads English prose.",
                      ts.digits, ts.latin + ts.other);
    if (ts.lines >= 3 && ts.formatted * 2 > ts.lines)
        wfail |= warn(&wl, "unusual_format: %zu of %zu lines look like code, lists or tables; the model was trained on prose.",
                      ts.formatted, ts.lines);
    if (n_invalid)
        wfail |= warn(&wl, "invalid_utf8: %zu byte%s of invalid UTF-8 %s read as U+FFFD; offsets are still exact.",
                      n_invalid, n_invalid == 1 ? "" : "s", n_invalid == 1 ? "was" : "were");
    if (n_truncated)
        wfail |= warn(&wl, "truncated_sentence: %zu sentence%s too long to read whole (over %d tokens, about %d words): "
                      "only %s first %d tokens were scored.", n_truncated, n_truncated == 1 ? " was" : "s were",
                      d->dc.max_tokens, d->dc.max_tokens * 3 / 4, n_truncated == 1 ? "its" : "their", d->dc.max_tokens);
    if (wfail) { seterr(err, err_len, "detect: out of memory"); goto fail; }
    r->warnings = wl.v; r->n_warnings = wl.n;
    wl.v = NULL; wl.n = 0;

    /* a short, empty or non-English text gets at most "uncertain" */
    if (empty || n_scored < (size_t)p.min_sentences || not_english) D->label = TT_LABEL_UNCERTAIN;
    if (not_english) {
        for (size_t i = 0; i < r->n_paragraphs; i++) r->paragraphs[i].label = TT_LABEL_UNCERTAIN;
        for (size_t i = 0; i < r->n_sentences; i++) r->sentences[i].label = TT_LABEL_UNCERTAIN;
    }

    double t4 = now_ms();
    r->ms_tests = t_tests;
    r->ms_total = t4 - t0;
    r->ms_features = r->ms_total - r->ms_segment - r->ms_tests;
    tt_segmentation_free(&seg);
    set_free(&para); set_free(&doc);
    free(f.x); free(f.phi); free(f.krow);
    return r;
fail:
    for (size_t i = 0; i < wl.n; i++) free(wl.v[i]);
    free(wl.v);
    tt_segmentation_free(&seg);
    set_free(&para); set_free(&doc);
    free(f.x); free(f.phi); free(f.krow);
    tt_result_free(r);
    if (err && err_len && !err[0]) seterr(err, err_len, "detect: failed with status %d", (int)st);
    return NULL;
}

char *tt_detect_json(tt_detector *d, const char *text, size_t len, const tt_params *params, char *err, size_t err_len) {
    tt_result *r = tt_detect(d, text, len, params, err, err_len);
    if (!r) return NULL;
    char *js = tt_result_json(r, 0);
    tt_result_free(r);
    if (!js) seterr(err, err_len, "detect: out of memory writing JSON");
    return js;
}
