/* segment.c — paragraphs and sentences (rules: docs/detector.md, "Segmentation"). */
#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 --------------------------------------------------------------------------------- */

size_t tt_utf8_decode(const unsigned char *s, size_t len, size_t i, uint32_t *cp) {
    unsigned c = s[i];
    if (c < 0x80) { *cp = c; return 1; }
    size_t n; uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    if (i + n > len) { *cp = 0xFFFD; return 1; }
    for (size_t k = 1; k < n; k++) {
        unsigned b = s[i + k];
        if ((b & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (b & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = v;
    return n;
}

/* An invalid byte decodes as U+FFFD consuming one byte (a real U+FFFD takes three). */
static int invalid_at(size_t n, uint32_t cp) { return cp == 0xFFFD && n == 1; }

size_t tt_utf8_invalid_count(const char *text, size_t len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp; size_t n = tt_utf8_decode(s, len, i, &cp);
        if (invalid_at(n, cp)) bad++;
        i += n;
    }
    return bad;
}

char *tt_utf8_sanitize(const char *text, size_t start, size_t end, size_t *out_len) {
    const unsigned char *s = (const unsigned char *)text;
    size_t bad = 0;
    for (size_t i = start; i < end;) {
        uint32_t cp; size_t n = tt_utf8_decode(s, end, i, &cp);
        if (invalid_at(n, cp)) bad++;
        i += n;
    }
    char *out = malloc(end - start + 2 * bad + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = start; i < end;) {
        uint32_t cp; size_t n = tt_utf8_decode(s, end, i, &cp);
        if (invalid_at(n, cp)) { out[o++] = (char)0xEF; out[o++] = (char)0xBF; out[o++] = (char)0xBD; }
        else memcpy(out + o, s + i, n), o += n;
        i += n;
    }
    out[o] = 0;
    if (out_len) *out_len = o;
    return out;
}

size_t tt_collapse_space(char *s, size_t len) {
    size_t o = 0;
    int in_space = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0 ? 2   /* U+00A0 */
                 : c == ' ' || (c >= 0x09 && c <= 0x0D) ? 1 : 0;
        if (n) {
            if (!in_space) s[o++] = ' ';
            in_space = 1;
            i += n;
        } else {
            s[o++] = s[i++];
            in_space = 0;
        }
    }
    s[o] = 0;
    return o;
}

/* ---- character classes --------------------------------------------------------------------- */

static int is_space_cp(uint32_t c) {
    return c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}
static int is_upper_cp(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return 1;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return 1;
    if (c >= 0x100 && c <= 0x17F) return (c & 1) == 0;
    if (c >= 0x391 && c <= 0x3A9) return 1;
    if (c >= 0x400 && c <= 0x42F) return 1;
    return 0;
}
static int is_lower_cp(uint32_t c) {
    if (c >= 'a' && c <= 'z') return 1;
    if (c >= 0xDF && c <= 0xFF && c != 0xF7) return 1;
    if (c >= 0x100 && c <= 0x17F) return (c & 1) == 1;
    if (c >= 0x3B1 && c <= 0x3C9) return 1;
    if (c >= 0x430 && c <= 0x45F) return 1;
    return 0;
}
static int is_digit_cp(uint32_t c) { return c >= '0' && c <= '9'; }
/* Letters: ASCII letters, and code points ≥ U+00C0 outside the punctuation/symbol blocks. */
static int is_letter_cp(uint32_t c) {
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return 1;
    if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == 0xFFFD) return 0;
    if (c >= 0x2000 && c <= 0x2BFF) return 0;   /* punctuation, symbols, arrows, math, boxes */
    if (c >= 0x3000 && c <= 0x303F) return 0;   /* CJK punctuation */
    if (c >= 0xFE30 && c <= 0xFE4F) return 0;
    if (c >= 0xFF00 && c <= 0xFF0F) return 0;
    if (c >= 0x1F000) return 0;                 /* emoji and other symbols */
    return 1;
}
static int is_closer_cp(uint32_t c) {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == 0x201D || c == 0x2019 ||
           c == 0xBB || c == 0x203A || c == 0x300D || c == 0x300F || c == 0xFF09;
}
static int is_opener_cp(uint32_t c) {
    return c == '"' || c == '\'' || c == '(' || c == '[' || c == '{' || c == 0x201C || c == 0x2018 ||
           c == 0xAB || c == 0x2039 || c == 0x300C || c == 0x300E || c == 0xFF08;
}
/* Sentence-final punctuation that needs white space after it. */
static int is_term_cp(uint32_t c) { return c == '.' || c == '!' || c == '?' || c == 0x2026 || c == 0x203C || c == 0x2047 || c == 0x2048 || c == 0x2049; }
/* Full-width terminators (CJK) that end a sentence without white space. */
static int is_cjk_term_cp(uint32_t c) { return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF0E; }

/* ---- a small cursor over the text ----------------------------------------------------------- */

typedef struct {
    const unsigned char *s; /* the text */
    size_t len;             /* its length in bytes */
} text_t;

static uint32_t cp_at(const text_t *t, size_t i, size_t *n) {
    uint32_t cp; size_t k = tt_utf8_decode(t->s, t->len, i, &cp);
    if (n) *n = k;
    return cp;
}
/* Start of the code point that ends just before byte i (i > 0). */
static size_t prev_start(const text_t *t, size_t i, size_t lo) {
    size_t j = i - 1;
    size_t back = 0;
    while (j > lo && back < 3 && (t->s[j] & 0xC0) == 0x80) { j--; back++; }
    size_t n; cp_at(t, j, &n);
    if (j + n == i) return j;
    return i - 1; /* an invalid byte is a code point of its own */
}
static size_t skip_space(const text_t *t, size_t i, size_t end) {
    while (i < end) { size_t n; uint32_t c = cp_at(t, i, &n); if (!is_space_cp(c)) break; i += n; }
    return i;
}
static size_t trim_end(const text_t *t, size_t start, size_t end) {
    while (end > start) { size_t p = prev_start(t, end, start); size_t n; if (!is_space_cp(cp_at(t, p, &n))) break; end = p; }
    return end;
}
static size_t count_cps(const text_t *t, size_t a, size_t b) {
    size_t k = 0;
    for (size_t i = a; i < b; k++) { size_t n; cp_at(t, i, &n); i += n; }
    return k;
}

/* ---- dynamic arrays ------------------------------------------------------------------------ */

typedef struct { tt_span *v; size_t n, cap; } spans_t;
static int spans_push(spans_t *a, uint32_t s, uint32_t e) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        tt_span *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) return -1;
        a->v = nv; a->cap = nc;
    }
    tt_span sp = {s, e, 0, 0};
    a->v[a->n++] = sp;
    return 0;
}

/* ---- lines --------------------------------------------------------------------------------- */

typedef struct {
    size_t start, end;     /* trimmed content [start, end); start == end for a blank line */
    size_t raw_start;      /* first byte of the line (for indentation) */
    size_t ncp;            /* code points in the trimmed content */
} line_t;

/* A list marker at i: "-", "*", "+", "•", "·", "–", "1.", "12)", "a)", "(a)", "iv." followed by a space.
 * Returns the byte after the marker and its space, or 0 if none. */
static size_t list_marker(const text_t *t, size_t i, size_t end) {
    if (i >= end) return 0;
    size_t n; uint32_t c = cp_at(t, i, &n);
    if (c == '-' || c == '*' || c == '+' || c == 0x2022 || c == 0xB7 || c == 0x2013 || c == 0x25CF || c == 0x25AA) {
        if (i + n < end && is_space_cp(cp_at(t, i + n, NULL))) return skip_space(t, i + n, end);
        return 0;
    }
    size_t j = i;
    if (c == '(') j++;
    size_t k = j;
    while (k < end && k - j < 3 && is_digit_cp(t->s[k])) k++;
    if (k == j) { /* a single letter or a short roman numeral */
        while (k < end && k - j < 4 && ((t->s[k] | 0x20) >= 'a' && (t->s[k] | 0x20) <= 'z')) k++;
        if (k - j != 1) {
            /* roman numerals only */
            for (size_t q = j; q < k; q++) if (!strchr("ivxIVX", t->s[q])) return 0;
        }
        if (k == j) return 0;
        if (k < end && t->s[k] == '.' && k - j == 1 && is_upper_cp(t->s[j])) return 0; /* "A. Smith" is an initial */
    }
    if (k >= end || !(t->s[k] == '.' || t->s[k] == ')')) return 0;
    if (c == '(' && t->s[k] != ')') return 0;
    k++;
    if (k < end && (t->s[k] == ' ' || t->s[k] == '\t')) return skip_space(t, k, end);
    return 0;
}

/* Last code point of [a, b) after dropping closing quotes/brackets: is it sentence punctuation? */
static int ends_with_term(const text_t *t, size_t a, size_t b) {
    while (b > a) {
        size_t p = prev_start(t, b, a); uint32_t c = cp_at(t, p, NULL);
        if (is_closer_cp(c)) { b = p; continue; }
        return is_term_cp(c) || is_cjk_term_cp(c);
    }
    return 0;
}
static int ends_with_any_punct(const text_t *t, size_t a, size_t b) {
    if (b <= a) return 0;
    size_t p = prev_start(t, b, a); uint32_t c = cp_at(t, p, NULL);
    return is_term_cp(c) || is_cjk_term_cp(c) || c == ',' || c == ';' || is_closer_cp(c);
}

/* ---- sentences inside one block (a run of lines no sentence crosses) ------------------------ */

static int word_eq(const unsigned char *w, size_t n, const char *const *list) {
    for (; *list; list++) {
        size_t m = strlen(*list);
        if (m != n) continue;
        size_t k = 0;
        while (k < n && (w[k] | 0x20) == (unsigned char)((*list)[k] | 0x20)) k++;
        if (k == n) return 1;
    }
    return 0;
}
/* Abbreviations after which a full stop never ends a sentence (a name or more text follows). */
static const char *const ABBR_NEVER[] = {"mr", "mrs", "ms", "dr", "prof", "st", "mt", "gen", "gov",
    "sen", "rep", "rev", "capt", "col", "lt", "sgt", "hon", "messrs", "e.g", "i.e", "cf", "viz",
    "vs", "approx", "ca", "resp", "dept", "univ", NULL};
/* Abbreviations followed by a number ("No. 5", "Fig. 3", "Jan. 12"). */
static const char *const ABBR_NUM[] = {"no", "nos", "fig", "figs", "eq", "eqs", "vol", "vols", "p",
    "pp", "ch", "sec", "art", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "op", "ed", "eds", NULL};
/* Abbreviations that end a sentence only before a typical sentence opener ("etc.", "Inc.", "U.S."). */
static const char *const ABBR_MAYBE[] = {"etc", "inc", "ltd", "co", "corp", "jr", "sr", "bros", "esq",
    "llc", "plc", "al", NULL};
static const char *const OPENERS[] = {"the", "a", "an", "he", "she", "it", "we", "they", "i", "you",
    "this", "that", "these", "those", "there", "in", "on", "at", "but", "and", "so", "however",
    "then", "after", "when", "if", "as", "my", "our", "his", "her", "their", "its", "what", "why",
    "how", "who", "some", "many", "most", "all", "yet", "also", "for", "one", "each", "today",
    "later", "meanwhile", "still", "since", "while", "although", "many", "by", "to", NULL};

/* Initialism such as "U.S", "a.m", "Ph.D" (letters separated by dots, at least one dot). */
static int is_initialism(const unsigned char *w, size_t n) {
    int dots = 0;
    size_t run = 0;
    for (size_t k = 0; k < n; k++) {
        if (w[k] == '.') { if (run == 0 || run > 2) return 0; dots++; run = 0; }
        else if (((w[k] | 0x20) >= 'a' && (w[k] | 0x20) <= 'z')) run++;
        else return 0;
    }
    return dots >= 1 && run >= 1 && run <= 2;
}

/* Does a full stop at byte dot (preceded by the word w[0..n)) end the sentence, given the next
 * word starts at nx? */
static int period_ends(const text_t *t, const unsigned char *w, size_t n, size_t nx, size_t end) {
    if (n == 0) return 1;
    uint32_t next = cp_at(t, nx, NULL);
    if (word_eq(w, n, ABBR_NEVER)) return 0;
    if (word_eq(w, n, ABBR_NUM)) return !is_digit_cp(next);
    if (n == 1 && is_upper_cp(w[0]) && w[0] != 'I') return 0; /* an initial: "J. R. R. Tolkien" */
    if (word_eq(w, n, ABBR_MAYBE) || is_initialism(w, n)) {
        size_t k = nx;
        while (k < end && k - nx < 16 && (((t->s[k] | 0x20) >= 'a' && (t->s[k] | 0x20) <= 'z') || t->s[k] == '\'')) k++;
        if (k == nx) return 0;
        if (k < end && t->s[k] == '.') return 0; /* "U.S. Army" etc.: the next word is another abbreviation */
        return word_eq(t->s + nx, k - nx, OPENERS);
    }
    (void)end;
    return 1;
}

static int split_block(const text_t *t, size_t bs, size_t be, spans_t *out) {
    size_t start = skip_space(t, bs, be);
    if (start >= be) return 0;
    size_t i = start;
    size_t lm = list_marker(t, i, be);
    if (lm) i = lm;
    while (i < be) {
        size_t n; uint32_t c = cp_at(t, i, &n);
        if (!(is_term_cp(c) || is_cjk_term_cp(c))) { i += n; continue; }
        size_t tstart = i;
        int cjk = 0, single_dot = (c == '.');
        size_t j = i;
        size_t nterm = 0;
        while (j < be) {
            size_t m; uint32_t d = cp_at(t, j, &m);
            if (is_term_cp(d) || is_cjk_term_cp(d)) { if (is_cjk_term_cp(d)) cjk = 1; nterm++; j += m; }
            else break;
        }
        if (nterm > 1) single_dot = 0;
        while (j < be) {
            size_t m; uint32_t d = cp_at(t, j, &m);
            if (is_closer_cp(d)) j += m; else break;
        }
        size_t sent_end = j;
        if (j >= be) break;
        size_t m; uint32_t after = cp_at(t, j, &m);
        if (!is_space_cp(after) && !cjk) { i = j; continue; }
        size_t k = skip_space(t, j, be);
        if (k >= be) break;
        uint32_t next = cp_at(t, k, NULL);
        if (is_lower_cp(next) || next == ',' || next == ';' || next == ':' || next == ')' ||
            next == ']' || next == '}' || next == '%') { i = k; continue; }
        if (single_dot) {
            /* the word before the dot, without opening quotes or brackets */
            size_t ws = tstart;
            while (ws > start) {
                size_t p = prev_start(t, ws, start);
                if (is_space_cp(cp_at(t, p, NULL))) break;
                ws = p;
            }
            while (ws < tstart) { size_t q; uint32_t d = cp_at(t, ws, &q); if (is_opener_cp(d)) ws += q; else break; }
            if (!period_ends(t, t->s + ws, tstart - ws, k, be)) { i = k; continue; }
        }
        if (spans_push(out, (uint32_t)start, (uint32_t)trim_end(t, start, sent_end))) return -1;
        start = k;
        i = k;
        lm = list_marker(t, i, be);
        if (lm) i = lm;
    }
    size_t e = trim_end(t, start, be);
    if (e > start && spans_push(out, (uint32_t)start, (uint32_t)e)) return -1;
    return 0;
}

/* ---- paragraphs ---------------------------------------------------------------------------- */

static int starts_heading(const text_t *t, const line_t *l) { return l->end > l->start && t->s[l->start] == '#'; }
static int starts_table(const text_t *t, const line_t *l) { return l->end > l->start && t->s[l->start] == '|'; }
static int starts_upper_or_digit(const text_t *t, const line_t *l) {
    if (l->end <= l->start) return 0;
    size_t i = l->start;
    for (int k = 0; k < 2 && i < l->end; k++) {
        size_t n; uint32_t c = cp_at(t, i, &n);
        if (is_opener_cp(c)) { i += n; continue; }
        return is_upper_cp(c) || is_digit_cp(c) || (is_letter_cp(c) && !is_lower_cp(c));
    }
    return 0;
}

/* Must a sentence end at the line break between lines a and b (same paragraph)? */
static int forced_break(const text_t *t, const line_t *a, const line_t *b, size_t para_end) {
    if (list_marker(t, b->start, para_end)) return 1;
    if (list_marker(t, a->start, para_end) && b->raw_start == b->start) return 1;
    if (starts_heading(t, a) || starts_table(t, a) || starts_table(t, b)) return 1;
    if (!ends_with_any_punct(t, a->start, a->end) && a->ncp < 60 && starts_upper_or_digit(t, b)) return 1;
    if (a->end > a->start && t->s[a->end - 1] == ':' && a->ncp < 60) return 1;
    return 0;
}

tt_status tt_segment(const char *text, size_t len, tt_segmentation *out, char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    if (len >= 0xFFFFFFFFu) {
        if (err && err_len) snprintf(err, err_len, "segment: text of %zu bytes is too large (limit 4 GiB)", len);
        return TT_ERR_TOO_LARGE;
    }
    if (!text && len) {
        if (err && err_len) snprintf(err, err_len, "segment: text is NULL but len = %zu", len);
        return TT_ERR_ARG;
    }
    text_t t = {(const unsigned char *)text, len};
    spans_t sents = {0}, paras = {0};
    size_t *pfirst = NULL; size_t pcap = 0;
    line_t *lines = NULL; size_t nl = 0, lcap = 0;
    tt_status st = TT_ERR_NOMEM;

    /* 1. lines */
    for (size_t i = 0; i <= len;) {
        size_t e = i;
        while (e < len && t.s[e] != '\n' && t.s[e] != '\r') e++;
        if (nl == lcap) {
            size_t nc = lcap ? lcap * 2 : 64;
            line_t *nv = realloc(lines, nc * sizeof *nv);
            if (!nv) goto fail;
            lines = nv; lcap = nc;
        }
        line_t l;
        l.raw_start = i;
        l.start = skip_space(&t, i, e);
        l.end = trim_end(&t, l.start, e);
        l.ncp = count_cps(&t, l.start, l.end);
        lines[nl++] = l;
        if (e >= len) break;
        i = e + ((t.s[e] == '\r' && e + 1 < len && t.s[e + 1] == '\n') ? 2 : 1);
    }

    /* 2. paragraphs: runs of non-blank lines, cut further between two long lines the first of which
     *    ends a sentence (one paragraph per line), except inside hard-wrapped text. */
    for (size_t a = 0; a < nl;) {
        if (lines[a].start == lines[a].end) { a++; continue; }
        size_t b = a;
        while (b < nl && lines[b].start < lines[b].end) b++;
        /* hard-wrapped block: ≥ 3 lines, all but the last 40..99 code points, some not ending a sentence */
        int wrapped = 0;
        if (b - a >= 3) {
            wrapped = 1;
            int some_open = 0;
            for (size_t k = a; k + 1 < b; k++) {
                if (lines[k].ncp < 40 || lines[k].ncp >= 100) wrapped = 0;
                if (!ends_with_term(&t, lines[k].start, lines[k].end)) some_open = 1;
            }
            if (!some_open) wrapped = 0;
        }
        size_t ps = a;
        for (size_t k = a; k < b; k++) {
            int cut = (k + 1 == b);
            if (!cut && !wrapped && lines[k].ncp >= 60 && lines[k + 1].ncp >= 60 &&
                ends_with_term(&t, lines[k].start, lines[k].end))
                cut = 1;
            if (!cut) continue;
            /* paragraph = lines ps..k */
            size_t pend = lines[k].end;
            if (paras.n == pcap) {
                size_t nc = pcap ? pcap * 2 : 64;
                size_t *nv = realloc(pfirst, nc * sizeof *nv);
                if (!nv) goto fail;
                pfirst = nv; pcap = nc;
            }
            pfirst[paras.n] = sents.n;
            if (spans_push(&paras, (uint32_t)lines[ps].start, (uint32_t)pend)) goto fail;
            size_t bs = lines[ps].start;
            for (size_t q = ps; q <= k; q++) {
                if (q == k || forced_break(&t, &lines[q], &lines[q + 1], pend)) {
                    if (split_block(&t, bs, lines[q].end, &sents)) goto fail;
                    if (q < k) bs = lines[q + 1].start;
                }
            }
            ps = k + 1;
        }
        a = b;
    }

    /* 3. UTF-16 offsets: one forward pass per list (spans are in text order) */
    {
        size_t pos = 0, u16 = 0;
        for (size_t k = 0; k < sents.n; k++) {
            uint32_t *fields[2] = {&sents.v[k].start, &sents.v[k].end};
            uint32_t *f16[2] = {&sents.v[k].start16, &sents.v[k].end16};
            for (int f = 0; f < 2; f++) {
                while (pos < *fields[f]) { uint32_t cp; size_t n = tt_utf8_decode(t.s, len, pos, &cp); pos += n; u16 += cp >= 0x10000 ? 2 : 1; }
                *f16[f] = (uint32_t)u16;
            }
        }
        pos = 0; u16 = 0;
        for (size_t k = 0; k < paras.n; k++) {
            uint32_t *fields[2] = {&paras.v[k].start, &paras.v[k].end};
            uint32_t *f16[2] = {&paras.v[k].start16, &paras.v[k].end16};
            for (int f = 0; f < 2; f++) {
                while (pos < *fields[f]) { uint32_t cp; size_t n = tt_utf8_decode(t.s, len, pos, &cp); pos += n; u16 += cp >= 0x10000 ? 2 : 1; }
                *f16[f] = (uint32_t)u16;
            }
        }
    }

    out->paragraphs = calloc(paras.n ? paras.n : 1, sizeof *out->paragraphs);
    if (!out->paragraphs) goto fail;
    for (size_t k = 0; k < paras.n; k++) {
        out->paragraphs[k].span = paras.v[k];
        out->paragraphs[k].first_sentence = pfirst[k];
        out->paragraphs[k].n_sentences = (k + 1 < paras.n ? pfirst[k + 1] : sents.n) - pfirst[k];
    }
    out->n_paragraphs = paras.n;
    out->sentences = sents.v; out->n_sentences = sents.n;
    sents.v = NULL;
    st = TT_OK;
fail:
    if (st != TT_OK) {
        if (err && err_len) snprintf(err, err_len, "segment: out of memory splitting %zu bytes", len);
        free(sents.v);
        free(out->paragraphs);
        memset(out, 0, sizeof *out);
    }
    free(paras.v);
    free(pfirst);
    free(lines);
    return st;
}

void tt_segmentation_free(tt_segmentation *s) {
    if (!s) return;
    free(s->paragraphs);
    free(s->sentences);
    memset(s, 0, sizeof *s);
}

/* ---- words --------------------------------------------------------------------------------- */

size_t tt_count_words(const char *text, size_t start, size_t end) {
    text_t t = {(const unsigned char *)text, end};
    size_t words = 0;
    int in = 0, counted = 0; /* inside a white-space-separated token; already counted it */
    for (size_t i = start; i < end;) {
        size_t n; uint32_t c = cp_at(&t, i, &n);
        if (is_space_cp(c)) in = counted = 0;
        else {
            in = 1;
            if (!counted && (is_letter_cp(c) || is_digit_cp(c))) { words++; counted = 1; }
        }
        i += n;
    }
    (void)in;
    return words;
}
