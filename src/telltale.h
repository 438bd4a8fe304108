/* telltale.h — offline detection of machine-generated text (the one public header).
 *
 * Overview
 *   A telltale model file (docs/model-format.md) holds a small int8 transformer, its byte-level BPE
 *   tokenizer, an MMD-MP deep kernel with human reference sentences, and calibration. A detector
 *   opened from it splits text into paragraphs and sentences and answers:
 *     - per sentence: a single-instance MMD-MP score mapped to a calibrated probability;
 *     - per paragraph and for the document: an MMD two-sample test of its sentences against the
 *       human reference set, and a calibrated probability. The test's statistic is the MMD-MP
 *       statistic (no within-paragraph term); its p-value says how rare that value is among held-out
 *       human texts of the same number of sentences (the model's "human null"). A model without a
 *       human null falls back to a seeded permutation test of the unbiased MMD², which asks whether
 *       the sentences could be a sample of the reference mixture — one writer's text rarely is;
 *     - a label per unit: "human", "machine" or "uncertain" (thresholds from the model file).
 *   Results come as a struct or as JSON (schema: docs/result-schema.md).
 *
 * Use
 *   tt_params p = tt_default_params();
 *   char err[256];
 *   tt_detector *d = tt_detector_open_file("models/telltale-small.ttm", err, sizeof err);
 *   if (!d) { fprintf(stderr, "%s\n", err); ... }
 *   char *json = tt_detect_json(d, text, len, &p, err, sizeof err);   // free with tt_free
 *   tt_detector_free(d);
 *
 * Ownership: tt_detector_open_* returns a detector freed by tt_detector_free. tt_detect returns a
 *   result freed by tt_result_free; tt_detect_json returns a string freed by tt_free. The buffer given
 *   to tt_detector_open_buffer must outlive the detector.
 * Errors: NULL (or a non-zero status) plus a message in err[] a person can act on.
 * Threads: no global state; one detector may be used by one thread at a time.
 */
#ifndef TELLTALE_H
#define TELLTALE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TELLTALE_VERSION "0.1.0"
#define TT_MAX_TEXT_BYTES (8u * 1024u * 1024u) /* texts longer than this are refused */

typedef struct tt_detector tt_detector; /* opaque */

/* Progress: called with (done, total) units of work; return non-zero to cancel. */
typedef int (*tt_progress_fn)(void *user, size_t done, size_t total);

typedef struct {
    int permutations;        /* permutation-test rounds, for models without a human null (default 200, minimum 20) */
    uint64_t seed;           /* permutation / reservoir RNG seed; same text + seed → same answer (default 1) */
    double alpha;            /* test level for the paragraph/document verdict (default 0.05) */
    double human_below;      /* < 0: use the model's threshold; else p < this → "human" */
    double machine_above;    /* < 0: use the model's threshold; else p ≥ this → "machine" */
    int min_sentences;       /* fewest scored sentences for a paragraph's own test (default 3) */
    tt_progress_fn progress; /* optional */
    void *progress_user;     /* passed to progress */
} tt_params;

tt_params tt_default_params(void);

tt_detector *tt_detector_open_buffer(const void *buf, size_t len, char *err, size_t err_len);
tt_detector *tt_detector_open_file(const char *path, char *err, size_t err_len);
void tt_detector_free(tt_detector *d);
const char *tt_detector_model_name(const tt_detector *d);

typedef enum { TT_LABEL_HUMAN = 0, TT_LABEL_MACHINE = 1, TT_LABEL_UNCERTAIN = 2, TT_LABEL_NONE = 3 } tt_label;
const char *tt_label_name(tt_label l); /* "human", "machine", "uncertain", "none" */

typedef struct {
    uint32_t start, end;         /* byte offsets into the (UTF-8) input */
    uint32_t start16, end16;     /* the same in UTF-16 code units (for JavaScript) */
    double score;                /* calibrated P(machine), or -1 when not scored (too short) */
    double raw;                  /* MMD-MP single-instance score */
    tt_label label;
} tt_sentence;

typedef struct {
    uint32_t start, end, start16, end16;
    double score;                /* calibrated P(machine) */
    double mmd2;                 /* unbiased MMD² against the human reference */
    double mmd2_mp;              /* MMD-MP statistic: mean_{i≠j} k(x_i, x_j) − 2·mean k(x_i, y_j) (the test's) */
    double p_value;              /* the test's p-value (see tt_result.test), or -1 when too few sentences */
    tt_label label;
    int tested;                  /* 1 if the paragraph had its own two-sample test */
    size_t first_sentence, n_sentences; /* its sentences in tt_result.sentences */
} tt_paragraph;

typedef struct {
    const char *model;           /* model name */
    const char *test;            /* "human_null" (p-value among human texts of the same length) or "permutation";
                                    a static string, not freed */
    tt_paragraph document;       /* whole text (first_sentence = 0, all sentences) */
    tt_paragraph *paragraphs; size_t n_paragraphs;
    tt_sentence *sentences; size_t n_sentences;
    char **warnings; size_t n_warnings; /* short codes with text, e.g. "too_short: ..." */
    double ms_segment, ms_features, ms_tests, ms_total;
} tt_result;

/* Detect on len bytes of text (need not be NUL-terminated; invalid UTF-8 is read as U+FFFD,
 * offsets stay exact). params may be NULL for defaults. */
tt_result *tt_detect(tt_detector *d, const char *text, size_t len, const tt_params *params,
                     char *err, size_t err_len);
void tt_result_free(tt_result *r);
/* The same as JSON (docs/result-schema.md); free with tt_free. */
char *tt_result_json(const tt_result *r, int pretty);
char *tt_detect_json(tt_detector *d, const char *text, size_t len, const tt_params *params,
                     char *err, size_t err_len);
void tt_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
