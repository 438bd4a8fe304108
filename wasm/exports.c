/* exports.c — the functions the WebAssembly module exports to JavaScript (wasm/telltale.mjs).
 *
 * A thin layer over the public API (telltale.h) and, for tests and benchmarks, the engine API
 * (engine.h). Everything lives in one tt_wasm context that JavaScript creates per detector; there is
 * no global mutable state. Strings cross the boundary as UTF-8 bytes in wasm memory, allocated by JS
 * with malloc/free (exported too).
 *
 * Sequence used by telltale.mjs:
 *   w = ttw_new()
 *   ttw_open_model(w, buf, len)        0 or a tt_status; message in ttw_error(w)
 *   ttw_open_detector(w, buf, len)     only when the metadata has a "detector" section
 *   ttw_detect_json(w, text, len, ...) JSON string (free with tt_free) or NULL + ttw_error(w)
 *   ttw_tokenize / ttw_forward         engine-level access for tests and bench
 *   ttw_free(w)                        the model buffer (owned by JS) may be freed after this
 *
 * The one import: env.tt_js_progress(w, done, total) — the detector's progress, routed by JS to the
 * onProgress callback of the detector that owns w; a non-zero return cancels the detection.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "telltale.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#define TTW_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define TTW_EXPORT
#endif

/* tt_tokstat is read by JavaScript as 16-byte records: f32 logprob, i32 rank, f32 entropy, f32 var. */
_Static_assert(sizeof(tt_tokstat) == 16, "tt_tokstat layout changed: update telltale.mjs");
_Static_assert(offsetof(tt_tokstat, logprob) == 0, "tt_tokstat.logprob offset");
_Static_assert(offsetof(tt_tokstat, rank) == 4, "tt_tokstat.rank offset");
_Static_assert(offsetof(tt_tokstat, entropy) == 8, "tt_tokstat.entropy offset");
_Static_assert(offsetof(tt_tokstat, var) == 12, "tt_tokstat.var offset");

typedef struct tt_wasm {
    char err[512];       /* message of the last failure, "" after a success */
    tt_model *model;     /* engine view of the model file (tokenizer, transformer) */
    tt_state *state;     /* forward-pass scratch, created on the first ttw_forward */
    tt_detector *det;    /* the detector, or NULL while none is open (LM-only test models) */
    tt_tokens tokens;    /* the last ttw_tokenize result, kept until the next call or ttw_free */
} tt_wasm;

/* Implemented in JavaScript (telltale.mjs); declared to the linker by wasm/imports.js. */
extern int tt_js_progress(tt_wasm *w, uint32_t done, uint32_t total);

static int progress_hook(void *user, size_t done, size_t total) {
    return tt_js_progress((tt_wasm *)user, (uint32_t)done, (uint32_t)total);
}

TTW_EXPORT tt_wasm *ttw_new(void) {
    tt_wasm *w = calloc(1, sizeof *w);
    return w;
}

TTW_EXPORT void ttw_free(tt_wasm *w) {
    if (!w) return;
    tt_tokens_free(&w->tokens);
    tt_detector_free(w->det);
    tt_state_free(w->state);
    tt_model_free(w->model);
    free(w);
}

/* The last error message ("" if the last call succeeded). */
TTW_EXPORT const char *ttw_error(const tt_wasm *w) { return w ? w->err : "no context"; }

TTW_EXPORT const char *ttw_version(void) { return TELLTALE_VERSION; }

/* Load the model (engine view) from buf[0..len), which JS keeps alive until ttw_free.
 * Returns 0 or a tt_status with the loader's message in ttw_error(w). */
TTW_EXPORT int ttw_open_model(tt_wasm *w, const void *buf, size_t len) {
    if (!w) return TT_ERR_ARG;
    w->err[0] = 0;
    if (w->model) {
        snprintf(w->err, sizeof w->err, "a model is already open in this context");
        return TT_ERR_ARG;
    }
    w->model = tt_model_load_buffer(buf, len, w->err, sizeof w->err);
    if (!w->model) {
        if (!w->err[0]) snprintf(w->err, sizeof w->err, "model file: could not be loaded");
        return TT_ERR_FORMAT;
    }
    return TT_OK;
}

/* Open the detector on the same buffer. Returns 0 or non-zero with the message in ttw_error(w). */
TTW_EXPORT int ttw_open_detector(tt_wasm *w, const void *buf, size_t len) {
    if (!w) return TT_ERR_ARG;
    w->err[0] = 0;
    if (w->det) return TT_OK;
    w->det = tt_detector_open_buffer(buf, len, w->err, sizeof w->err);
    if (!w->det) {
        if (!w->err[0]) snprintf(w->err, sizeof w->err, "detector: could not be opened");
        return TT_ERR_FORMAT;
    }
    return TT_OK;
}

TTW_EXPORT const char *ttw_metadata(const tt_wasm *w) {
    return w && w->model ? tt_model_metadata(w->model) : "";
}

TTW_EXPORT const char *ttw_model_name(const tt_wasm *w) {
    return w && w->det ? tt_detector_model_name(w->det) : "";
}

/* Model dimensions the JS side needs to size buffers (0 when no model is open). */
TTW_EXPORT int ttw_d_model(const tt_wasm *w) { return w && w->model ? tt_model_config(w->model)->d_model : 0; }
TTW_EXPORT int ttw_vocab_size(const tt_wasm *w) { return w && w->model ? tt_model_config(w->model)->vocab_size : 0; }
TTW_EXPORT int ttw_context(const tt_wasm *w) { return w && w->model ? tt_model_config(w->model)->context : 0; }
TTW_EXPORT int ttw_bos_id(const tt_wasm *w) { return w && w->model ? tt_model_config(w->model)->bos_id : 0; }

/* Detect on text[0..len) and return the result JSON (docs/result-schema.md), freed with tt_free, or
 * NULL with the message in ttw_error(w). permutations <= 0 keeps the default; the 64-bit seed comes
 * as two halves (seed_set = 0 keeps the default); with_progress = 1 routes progress to JS. */
TTW_EXPORT char *ttw_detect_json(tt_wasm *w, const char *text, size_t len, int permutations,
                                 int seed_set, uint32_t seed_lo, uint32_t seed_hi, int with_progress) {
    if (!w) return NULL;
    w->err[0] = 0;
    if (!w->det) {
        snprintf(w->err, sizeof w->err,
                 "this model file has no detector section: it can tokenize and run the LM only");
        return NULL;
    }
    tt_params p = tt_default_params();
    if (permutations > 0) p.permutations = permutations;
    if (seed_set) p.seed = ((uint64_t)seed_hi << 32) | seed_lo;
    if (with_progress) {
        p.progress = progress_hook;
        p.progress_user = w;
    }
    char *json = tt_detect_json(w->det, text ? text : "", text ? len : 0, &p, w->err, sizeof w->err);
    if (!json && !w->err[0]) snprintf(w->err, sizeof w->err, "detect: failed without a message");
    return json;
}

/* Tokenize text[0..len). Returns the number of tokens (ids/starts/ends below stay valid until the
 * next ttw_tokenize or ttw_free), or -1 with the message in ttw_error(w). */
TTW_EXPORT int ttw_tokenize(tt_wasm *w, const char *text, size_t len) {
    if (!w) return -1;
    w->err[0] = 0;
    tt_tokens_free(&w->tokens);
    memset(&w->tokens, 0, sizeof w->tokens);
    if (!w->model) {
        snprintf(w->err, sizeof w->err, "tokenize: no model is open");
        return -1;
    }
    tt_status st = tt_tokenize(w->model, text ? text : "", text ? len : 0, &w->tokens, w->err, sizeof w->err);
    if (st != TT_OK) {
        if (!w->err[0]) snprintf(w->err, sizeof w->err, "tokenize: failed with status %d", (int)st);
        memset(&w->tokens, 0, sizeof w->tokens);
        return -1;
    }
    return (int)w->tokens.n;
}
TTW_EXPORT const int32_t *ttw_token_ids(const tt_wasm *w) { return w->tokens.ids; }
TTW_EXPORT const uint32_t *ttw_token_starts(const tt_wasm *w) { return w->tokens.start; }
TTW_EXPORT const uint32_t *ttw_token_ends(const tt_wasm *w) { return w->tokens.end; }

/* Run the transformer over ids[0..n): hidden [n, d_model] floats (or NULL), stats [n-1] tt_tokstat
 * records (or NULL). Returns 0 or a tt_status with the message in ttw_error(w). */
TTW_EXPORT int ttw_forward(tt_wasm *w, const int32_t *ids, size_t n, float *hidden, tt_tokstat *stats) {
    if (!w) return TT_ERR_ARG;
    w->err[0] = 0;
    if (!w->model) {
        snprintf(w->err, sizeof w->err, "forward: no model is open");
        return TT_ERR_ARG;
    }
    if (!w->state) {
        w->state = tt_state_new(w->model, w->err, sizeof w->err);
        if (!w->state) {
            if (!w->err[0]) snprintf(w->err, sizeof w->err, "forward: could not allocate the state");
            return TT_ERR_NOMEM;
        }
    }
    tt_status st = tt_forward(w->model, w->state, ids, n, hidden, stats, w->err, sizeof w->err);
    if (st != TT_OK && !w->err[0]) snprintf(w->err, sizeof w->err, "forward: failed with status %d", (int)st);
    return (int)st;
}
