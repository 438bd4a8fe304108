/* segment.h — paragraphs and sentences of English text, with UTF-8 byte and UTF-16 offsets.
 *
 * Overview
 *   tt_segment splits a byte string into paragraphs and each paragraph into sentences. Spans are
 *   half-open, trimmed of surrounding white space, and given twice: in bytes of the input and in
 *   UTF-16 code units (what JavaScript's String.prototype.slice uses). The rules are in
 *   docs/detector.md ("Segmentation"); the tests in tests/c/test_segment.c pin them down.
 *
 * UTF-8: decoding is strict (no overlong forms, no surrogates, nothing above U+10FFFF). Every byte
 *   that is not part of a valid sequence counts as one U+FFFD (one UTF-16 unit); a 4-byte sequence
 *   counts as two UTF-16 units (a surrogate pair).
 *
 * Ownership: tt_segment fills a tt_segmentation that the caller frees with tt_segmentation_free.
 */
#ifndef TELLTALE_SEGMENT_H
#define TELLTALE_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint32_t start, end;       /* byte offsets into the input, half-open */
    uint32_t start16, end16;   /* the same in UTF-16 code units */
} tt_span;

typedef struct {
    tt_span span;              /* the paragraph, trimmed of white space */
    size_t first_sentence;     /* index of its first sentence in tt_segmentation.sentences */
    size_t n_sentences;        /* number of its sentences (≥ 1) */
} tt_seg_paragraph;

typedef struct {
    tt_seg_paragraph *paragraphs; size_t n_paragraphs;
    tt_span *sentences; size_t n_sentences;   /* in text order; each inside its paragraph */
} tt_segmentation;

/* Split text[0..len) (need not be NUL-terminated). Empty or all-white-space text gives zero
 * paragraphs. Returns TT_OK, TT_ERR_NOMEM or TT_ERR_TOO_LARGE (len ≥ 2^32 − 1). */
tt_status tt_segment(const char *text, size_t len, tt_segmentation *out, char *err, size_t err_len);
void tt_segmentation_free(tt_segmentation *s);

/* Decode one code point at text[i] (i < len). Returns the number of bytes consumed (1..4) and
 * stores the code point, or 0xFFFD with 1 byte consumed when the byte at i does not start a valid
 * sequence. */
size_t tt_utf8_decode(const unsigned char *text, size_t len, size_t i, uint32_t *cp);

/* Number of invalid bytes in text (each is read as U+FFFD). */
size_t tt_utf8_invalid_count(const char *text, size_t len);

/* Copy of text[start..end) with every invalid byte replaced by U+FFFD (EF BF BD), NUL-terminated;
 * *out_len gets its length. Returns NULL when out of memory. Free with free(). */
char *tt_utf8_sanitize(const char *text, size_t start, size_t end, size_t *out_len);

/* White space as the detector was trained on it (train/common.py `clean`, and sentences split at
 * line breaks): every run of ASCII white space (tab, LF, VT, FF, CR, space) and U+00A0 no-break
 * space in s[0..len) becomes one ASCII space, in place; s must be valid UTF-8 (tt_utf8_sanitize's
 * output). A sentence wrapped over lines, indented with tabs or spaced with no-break spaces then
 * gives the same tokens as on one line. Returns the new length and NUL-terminates s. */
size_t tt_collapse_space(char *s, size_t len);

/* Words in text[start..end): white-space-separated tokens that contain at least one letter or digit
 * (any code point ≥ U+00C0 outside the punctuation/symbol blocks counts as a letter), so "U.S.",
 * "don't" and "well-known" are one word each and a lone "—" or "-" is none. Close to training's
 * len(s.split()). */
size_t tt_count_words(const char *text, size_t start, size_t end);

#ifdef __cplusplus
}
#endif
#endif
