/* score_jsonl.h — one line of `telltale score --jsonl` (the CLI's evaluation contract, src/cli.c).
 * Kept apart from cli.c so that the fuzz harness tests/fuzz/fuzz_jsonl.c runs the same code. */
#ifndef TELLTALE_SCORE_JSONL_H
#define TELLTALE_SCORE_JSONL_H

#include <stddef.h>

#include "telltale.h"

/* The output for input line number `lineno` (line[0..len), any bytes, a trailing \n / \r\n
 * ignored): {"id", "score", "label", "p_value", "mmd2", "mmd2_mp", "n_sentences"} or {"id", "error"}.
 * Returns 0 for a blank line (no output), else 1 with *out the line without its newline (free with
 * free()); *out is NULL only when out of memory (the caller prints an error line itself). */
int tt_score_jsonl_line(tt_detector *d, const tt_params *params, const char *line, size_t len, long lineno,
                        char **out);
/* What tt_score_jsonl_line_ex adds to a line (flags, or-ed). */
enum {
    TT_JSONL_SENTENCES = 1, /* "sentences": [{"start", "end", "score", "raw"}, ...] (byte offsets, calibrated and
                               raw MMD-MP scores, null when not scored) — `score --jsonl --sentences` */
    TT_JSONL_FEATURES = 2,  /* "features": {name: value} of every document feature the calibration can use
                               (docs/detector.md), null when no sentence was scored — `--features` */
    TT_JSONL_PARAGRAPHS = 4 /* "paragraphs": [{"start", "end", "score", "label", "p_value", "n_sentences"}, ...]
                               (byte offsets; what the page shows per paragraph, as in `detect --json`;
                               n_sentences counts the scored ones) — `--paragraphs` */
};
/* The same, with what flags asks for. */
int tt_score_jsonl_line_ex(tt_detector *d, const tt_params *params, const char *line, size_t len, long lineno,
                           int flags, char **out);

#endif
