/* detect_internal.h — the detector's internals, shared with its tests (not part of the public API). */
#ifndef TELLTALE_DETECT_INTERNAL_H
#define TELLTALE_DETECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "telltale.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Document-level features of the calibration's logistic model (docs/detector.md). n is the number of
 * the set's scored sentences; the *_X_LOG_N features let the evidence grow with the text's length. */
enum { TT_F_SENT_MEAN = 0, TT_F_MMD2 = 1, TT_F_LOGPROB = 2, TT_F_ENTROPY = 3, TT_F_FASTDETECT = 4, TT_F_CE_MEAN = 5,
       TT_F_LOG_N = 6, TT_F_SENT_MEAN_X_LOG_N = 7, TT_F_MMD2_X_LOG_N = 8, TT_F_CE_MEAN_X_LOG_N = 9,
       TT_N_FEATURES = 10 };

/* The metadata name of feature id (TT_F_*), e.g. "ce_mean"; NULL when out of range. */
const char *tt_feature_name(int id);

#define TT_MAX_NULL_ROWS 64 /* most set sizes in a model's human null table */

/* The `detector` and `calibration` metadata (docs/model-format.md). */
typedef struct {
    int max_tokens;        /* tokens per sentence fed to the LM (after BOS) */
    int phi_hidden;        /* h: width of fc1 / LN */
    int phi_dim;           /* p: size of the deep feature φ */
    int n_ref;             /* reference (human) sentences */
    int min_words;         /* sentences with fewer words are not scored */
    double epsilon, sigma, sigma0;  /* kernel parameters */
    double ref_kxx_mean;   /* mean of k over distinct reference pairs */
    double ln_eps;         /* epsilon of the detector's LayerNorm ("ln_eps", default 1e-5) */
    double sent_a, sent_b; /* sentence probability = sigmoid(a·s + b) */
    int n_feat;            /* document features used */
    int feat[TT_N_FEATURES];            /* their ids (TT_F_*), in metadata order */
    double feat_mean[TT_N_FEATURES], feat_std[TT_N_FEATURES], feat_w[TT_N_FEATURES];
    double doc_bias;
    double n_max;          /* the log_n features count at most this many sentences ("n_max"; 0: no cap) */
    double human_below, machine_above;  /* label thresholds */
    int n_null;            /* rows of the human null ("calibration.null"); 0: none, permutation test instead */
    int null_size[TT_MAX_NULL_ROWS];    /* row r holds sets of null_size[r] sentences (increasing, ≥ 2) */
    int null_count[TT_MAX_NULL_ROWS];   /* how many human sets row r holds (≥ 19, so p ≤ 0.05 is reachable) */
} tt_det_config;

/* Parse and check the detector + calibration sections of a model's metadata JSON.
 * Returns 0, or -1 with a message (e.g. an unknown feature name). */
int tt_det_config_parse(const char *json, int d_model, tt_det_config *c, char *err, size_t err_len);

const tt_det_config *tt_detector_config(const tt_detector *d);
const tt_model *tt_detector_model(const tt_detector *d);

/* Features of one sentence; the caller provides x [d], phi [p], krow [n_ref]. */
typedef struct {
    float *x;              /* [d] raw feature: mean final hidden state */
    float *phi;            /* [p] deep feature */
    double *krow;          /* [n_ref] k(ref_i, sentence) */
    double score;          /* single-instance MMD-MP score s */
    double prob;           /* sigmoid(a·s + b) */
    double logprob, entropy, var;  /* sums over the sentence's scored tokens */
    size_t n_tokens;       /* tokens used (≤ max_tokens) */
    size_t n_tokens_total; /* tokens of the whole sentence */
    double ce;             /* logit of the linear classifier head on x (0 when the model has none) */
} tt_sent_features;

/* Features of text[start..end) (invalid UTF-8 replaced, tokenized on its own). TT_ERR_ARG with
 * n_tokens = 0 when the range has no tokens. */
tt_status tt_sentence_features(tt_detector *d, const char *text, size_t start, size_t end, tt_sent_features *f,
                               char *err, size_t err_len);

/* sigmoid(bias + Σ w_j (feat[id_j] − mean_j)/std_j); feat is indexed by TT_F_*. */
double tt_detector_doc_prob(const tt_detector *d, const double *feat);

/* The document's features (indexed by TT_F_*) behind r->document.score, copied to feat; r must come
 * from tt_detect. Returns 0, or -1 when no sentence was scored (feat untouched). */
int tt_result_doc_features(const tt_result *r, double feat[TT_N_FEATURES]);

/* How many of sentences [first, first + n) of r were scored (score ≥ 0): a paragraph's or, with
 * (0, r->n_sentences), the document's n_sentences in every output (detect, --json, score --jsonl). */
size_t tt_result_scored(const tt_result *r, size_t first, size_t n);

#ifdef __cplusplus
}
#endif
#endif
