/* test_segment.c — paragraph and sentence spans (bytes and UTF-16) on tricky English text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment.h"

static int failures = 0, checks = 0;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef struct {
    const char *text;
    int n_paragraphs;            /* expected paragraphs, -1 = don't check */
    const char *sentences[12];   /* expected sentence texts in order, NULL-terminated */
} seg_case;

static const seg_case CASES[] = {
    {"Hello world. This is a test.", 1, {"Hello world.", "This is a test."}},
    {"Dr. Smith went to Washington. He arrived at noon.", 1, {"Dr. Smith went to Washington.", "He arrived at noon."}},
    {"Mr. and Mrs. Brown live here. They have a dog.", 1, {"Mr. and Mrs. Brown live here.", "They have a dog."}},
    {"Use tools, e.g. Hammers and saws, for the job. It helps.", 1, {"Use tools, e.g. Hammers and saws, for the job.", "It helps."}},
    {"Some fruits, i.e. apples, are red. Others are green.", 1, {"Some fruits, i.e. apples, are red.", "Others are green."}},
    {"We need pens, paper, etc. for school. Bring them tomorrow.", 1, {"We need pens, paper, etc. for school.", "Bring them tomorrow."}},
    {"We bought apples, pears, etc. The shop closed at six.", 1, {"We bought apples, pears, etc.", "The shop closed at six."}},
    {"He moved to the U.S. in 1999. He liked it.", 1, {"He moved to the U.S. in 1999.", "He liked it."}},
    {"The U.S. Army was founded long ago. It is big.", 1, {"The U.S. Army was founded long ago.", "It is big."}},
    {"She lives in the U.S. The weather is fine.", 1, {"She lives in the U.S.", "The weather is fine."}},
    {"Pi is about 3.14159 in value. E is about 2.718.", 1, {"Pi is about 3.14159 in value.", "E is about 2.718."}},
    {"The price rose by 4.5% this year. Analysts were surprised.", 1, {"The price rose by 4.5% this year.", "Analysts were surprised."}},
    {"J. R. R. Tolkien wrote many books. They are famous.", 1, {"J. R. R. Tolkien wrote many books.", "They are famous."}},
    {"John F. Kennedy was president. He was young.", 1, {"John F. Kennedy was president.", "He was young."}},
    {"He said \"Stop.\" Then he left.", 1, {"He said \"Stop.\"", "Then he left."}},
    {"\"Are you sure?\" she asked. \"Yes.\"", 1, {"\"Are you sure?\" she asked.", "\"Yes.\""}},
    {"(This is an aside.) The main text follows.", 1, {"(This is an aside.)", "The main text follows."}},
    {"Wait... What was that? Nothing!", 1, {"Wait...", "What was that?", "Nothing!"}},
    {"I think... maybe not. We will see.", 1, {"I think... maybe not.", "We will see."}},
    {"He paused\xE2\x80\xA6 Then he spoke.", 1, {"He paused\xE2\x80\xA6", "Then he spoke."}},
    {"Visit https://example.com/path?q=1. The site is new.", 1, {"Visit https://example.com/path?q=1.", "The site is new."}},
    {"Mail john.doe@example.org for details. We reply fast.", 1, {"Mail john.doe@example.org for details.", "We reply fast."}},
    {"See www.example.co.uk/index.html for more. Thanks for reading.", 1, {"See www.example.co.uk/index.html for more.", "Thanks for reading."}},
    {"Really?! That is amazing.", 1, {"Really?!", "That is amazing."}},
    {"What?? No way.", 1, {"What??", "No way."}},
    {"The meeting is at 10 a.m. tomorrow. Please come.", 1, {"The meeting is at 10 a.m. tomorrow.", "Please come."}},
    {"The meeting ended at 5 p.m. The staff went home.", 1, {"The meeting ended at 5 p.m.", "The staff went home."}},
    {"See Fig. 3 for details. It shows the trend.", 1, {"See Fig. 3 for details.", "It shows the trend."}},
    {"Item No. 5 is missing. Please check.", 1, {"Item No. 5 is missing.", "Please check."}},
    {"It happened on Jan. 5, 2020. Nobody noticed.", 1, {"It happened on Jan. 5, 2020.", "Nobody noticed."}},
    {"Smith et al. (2020) found this. Others disagree.", 1, {"Smith et al. (2020) found this.", "Others disagree."}},
    {"Shopping list:\n- milk\n- eggs\n- bread", 1, {"Shopping list:", "- milk", "- eggs", "- bread"}},
    {"Steps:\n1. Open the box.\n2. Remove the item.\n3. Enjoy it", 1, {"Steps:", "1. Open the box.", "2. Remove the item.", "3. Enjoy it"}},
    {"Introduction\nThis paper studies detection. It is short.", 1, {"Introduction", "This paper studies detection.", "It is short."}},
    {"# Results\nThe model works well.", 1, {"# Results", "The model works well."}},
    {"First paragraph here.\n\nSecond paragraph here.", 2, {"First paragraph here.", "Second paragraph here."}},
    {"This sentence is wrapped\nacross two lines. And this one too.", 1, {"This sentence is wrapped\nacross two lines.", "And this one too."}},
    {"This first line is long enough to count as a paragraph on its own line.\n"
     "This second line is also long enough to be a paragraph all by itself.", 2,
     {"This first line is long enough to count as a paragraph on its own line.",
      "This second line is also long enough to be a paragraph all by itself."}},
    {"This first line is long enough to count as a paragraph but it has no end\n"
     "punctuation so the second line continues the very same sentence here.", 1,
     {"This first line is long enough to count as a paragraph but it has no end\n"
      "punctuation so the second line continues the very same sentence here."}},
    {"One line.\r\n\r\nTwo line.", 2, {"One line.", "Two line."}},
    {"   Hello there.   \n\n\n  Bye now.  ", 2, {"Hello there.", "Bye now."}},
    {"", 0, {NULL}},
    {" \n\t\n ", 0, {NULL}},
    {"just some words without end", 1, {"just some words without end"}},
    {"He works for Apple Inc.", 1, {"He works for Apple Inc."}},
    {"Prof. Jones and Dr. Who met St. John at 5 p.m. yesterday.", 1, {"Prof. Jones and Dr. Who met St. John at 5 p.m. yesterday."}},
    {"She said 'no.' Then she left.", 1, {"She said 'no.'", "Then she left."}},
    {"He asked (\"why?\"). Nobody answered.", 1, {"He asked (\"why?\").", "Nobody answered."}},
    {"He said \xE2\x80\x9CStop.\xE2\x80\x9D Then he left.", 1, {"He said \xE2\x80\x9CStop.\xE2\x80\x9D", "Then he left."}},
    {"The value was 3.5. Then it fell to 2.", 1, {"The value was 3.5.", "Then it fell to 2."}},
    {"We use version 2.0.1 now. It works.", 1, {"We use version 2.0.1 now.", "It works."}},
    {"Sales rose. 2020 was a good year.", 1, {"Sales rose.", "2020 was a good year."}},
    {"See the appendix, sec. 4 for more. Done.", 1, {"See the appendix, sec. 4 for more.", "Done."}},
    {"The authors A. Smith and B. Jones agree. We thank them.", 1, {"The authors A. Smith and B. Jones agree.", "We thank them."}},
    {"So was I. Then we left.", 1, {"So was I.", "Then we left."}},
    {"\xE8\xBF\x99\xE6\x98\xAF\xE4\xB8\x80\xE3\x80\x82\xE8\xBF\x99\xE6\x98\xAF\xE4\xBA\x8C\xE3\x80\x82", 1,
     {"\xE8\xBF\x99\xE6\x98\xAF\xE4\xB8\x80\xE3\x80\x82", "\xE8\xBF\x99\xE6\x98\xAF\xE4\xBA\x8C\xE3\x80\x82"}},
    {"| a | b |\n| 1 | 2 |", 1, {"| a | b |", "| 1 | 2 |"}},
    {"\"Help!\" he cried. Nobody came.", 1, {"\"Help!\" he cried.", "Nobody came."}},
    {"And then...", 1, {"And then..."}},
    {"Mr. Smith, Mrs. Smith, and Ms. Lee arrived. Dinner began.", 1, {"Mr. Smith, Mrs. Smith, and Ms. Lee arrived.", "Dinner began."}},
    {"[Citation needed.] The claim stands.", 1, {"[Citation needed.]", "The claim stands."}},
    {"- first item that is long\n  and continues here\n- second item", 1, {"- first item that is long\n  and continues here", "- second item"}},
    {"a) apples\nb) pears", 1, {"a) apples", "b) pears"}},
    {"The cat sat on the mat and\nlooked at the dog. The dog barked.", 1, {"The cat sat on the mat and\nlooked at the dog.", "The dog barked."}},
    {"Hard-wrapped prose keeps going across many lines of similar width, and\n"
     "a line may end a sentence. As this one does, right at the very end.\n"
     "The paragraph still continues, because the text is simply wrapped.", 1,
     {"Hard-wrapped prose keeps going across many lines of similar width, and\n"
      "a line may end a sentence.", "As this one does, right at the very end.",
      "The paragraph still continues, because the text is simply wrapped."}},
    {"Bad \xFF byte here. Next one.", 1, {"Bad \xFF byte here.", "Next one."}},
    {"Write to info@example.com. We answer.", 1, {"Write to info@example.com.", "We answer."}},
    {"She studied in the U.K.", 1, {"She studied in the U.K."}},
    {"The results (see Table 2.) are clear. Fine.", 1, {"The results (see Table 2.) are clear.", "Fine."}},
    {"Chapter One\n\nIt was a dark night. The wind howled!", 2, {"Chapter One", "It was a dark night.", "The wind howled!"}},
    {"Ingredients:\n* flour\n* sugar\n\nMix well. Bake for 20 min. Serve.", 2,
     {"Ingredients:", "* flour", "* sugar", "Mix well.", "Bake for 20 min.", "Serve."}},
    {"Is it true? yes, it is. Good.", 1, {"Is it true? yes, it is.", "Good."}},
    {"He earned $3.50 per hour. That was 1990.", 1, {"He earned $3.50 per hour.", "That was 1990."}},
    {"Line one\rLine two", 1, {"Line one", "Line two"}},
    {"The file is named report.v2.pdf today. Open it.", 1, {"The file is named report.v2.pdf today.", "Open it."}},
};

static void check_case(size_t ci, const seg_case *c) {
    tt_segmentation s;
    char err[128];
    size_t len = strlen(c->text);
    tt_status st = tt_segment(c->text, len, &s, err, sizeof err);
    CHECK(st == TT_OK, "case %zu: status %d (%s)", ci, (int)st, err);
    if (st != TT_OK) return;
    size_t n_exp = 0;
    while (n_exp < 12 && c->sentences[n_exp]) n_exp++;
    CHECK(s.n_sentences == n_exp, "case %zu: %zu sentences, expected %zu", ci, s.n_sentences, n_exp);
    for (size_t k = 0; k < s.n_sentences; k++) {
        const tt_span *sp = &s.sentences[k];
        int ok = k < n_exp && sp->end - sp->start == strlen(c->sentences[k]) &&
                 memcmp(c->text + sp->start, c->sentences[k], sp->end - sp->start) == 0;
        CHECK(ok, "case %zu: sentence %zu is [%.*s] (bytes %u..%u), expected [%s]", ci, k,
              (int)(sp->end - sp->start), c->text + sp->start, sp->start, sp->end,
              k < n_exp ? c->sentences[k] : "(none)");
    }
    if (c->n_paragraphs >= 0)
        CHECK((int)s.n_paragraphs == c->n_paragraphs, "case %zu: %zu paragraphs, expected %d", ci, s.n_paragraphs, c->n_paragraphs);
    /* structure: sentences partition each paragraph's range in order */
    size_t next = 0;
    for (size_t p = 0; p < s.n_paragraphs; p++) {
        const tt_seg_paragraph *pp = &s.paragraphs[p];
        CHECK(pp->first_sentence == next && pp->n_sentences >= 1, "case %zu: paragraph %zu sentence range", ci, p);
        for (size_t k = pp->first_sentence; k < pp->first_sentence + pp->n_sentences && k < s.n_sentences; k++)
            CHECK(s.sentences[k].start >= pp->span.start && s.sentences[k].end <= pp->span.end,
                  "case %zu: sentence %zu outside paragraph %zu", ci, k, p);
        CHECK(s.sentences[pp->first_sentence].start == pp->span.start, "case %zu: paragraph %zu starts with its first sentence", ci, p);
        next = pp->first_sentence + pp->n_sentences;
    }
    CHECK(next == s.n_sentences, "case %zu: paragraphs cover %zu of %zu sentences", ci, next, s.n_sentences);
    tt_segmentation_free(&s);
}

/* UTF-16 offsets worked out by hand. */
typedef struct { const char *text; size_t len; size_t n; uint32_t b[4][2]; uint32_t u[4][2]; } u16_case;
static const u16_case U16[] = {
    /* h é(2 bytes) l l o .  |  😀(4 bytes, 2 units) " Next one." */
    {"h\xC3\xA9llo. \xF0\x9F\x98\x80 Next one.", 22, 2, {{0, 7}, {8, 22}}, {{0, 6}, {7, 19}}},
    /* two invalid bytes, one unit each */
    {"a\xFF\xFE" "b. Ok now.", 13, 2, {{0, 5}, {6, 13}}, {{0, 5}, {6, 13}}},
    /* truncated 3-byte sequence (2 invalid bytes) then "x." ; overlong C0 AF (2 invalid) */
    {"\xE2\x82x. \xC0\xAFy. Z\xE2\x82\xACz.", 16, 3, {{0, 4}, {5, 9}, {10, 16}}, {{0, 4}, {5, 9}, {10, 14}}},
    /* encoded surrogate ED A0 80 is 3 invalid bytes; U+10FFFF (F4 8F BF BF) is 2 units */
    {"\xED\xA0\x80 A. \xF4\x8F\xBF\xBF B.", 14, 1, {{0, 14}}, {{0, 12}}},
    /* NUL bytes are ordinary characters */
    {"A\0b. C.", 7, 2, {{0, 4}, {5, 7}}, {{0, 4}, {5, 7}}},
};

static void check_u16(size_t ci, const u16_case *c) {
    tt_segmentation s;
    char err[128];
    CHECK(tt_segment(c->text, c->len, &s, err, sizeof err) == TT_OK, "u16 case %zu: %s", ci, err);
    CHECK(s.n_sentences == c->n, "u16 case %zu: %zu sentences, expected %zu", ci, s.n_sentences, c->n);
    for (size_t k = 0; k < s.n_sentences && k < c->n; k++) {
        const tt_span *sp = &s.sentences[k];
        CHECK(sp->start == c->b[k][0] && sp->end == c->b[k][1], "u16 case %zu sentence %zu: bytes %u..%u, expected %u..%u",
              ci, k, sp->start, sp->end, c->b[k][0], c->b[k][1]);
        CHECK(sp->start16 == c->u[k][0] && sp->end16 == c->u[k][1], "u16 case %zu sentence %zu: utf16 %u..%u, expected %u..%u",
              ci, k, sp->start16, sp->end16, c->u[k][0], c->u[k][1]);
    }
    if (s.n_paragraphs == 1) {
        CHECK(s.paragraphs[0].span.start16 == c->u[0][0] && s.paragraphs[0].span.end16 == c->u[c->n - 1][1],
              "u16 case %zu: paragraph utf16 %u..%u", ci, s.paragraphs[0].span.start16, s.paragraphs[0].span.end16);
    }
    tt_segmentation_free(&s);
}

static void check_utf8_helpers(void) {
    CHECK(tt_utf8_invalid_count("ok \xFF\xFE \xE2\x82\xAC \xC0\xAF \xED\xA0\x80 \xF0\x9F\x98\x80", 21) == 7,
          "invalid count: got %zu", tt_utf8_invalid_count("ok \xFF\xFE \xE2\x82\xAC \xC0\xAF \xED\xA0\x80 \xF0\x9F\x98\x80", 21));
    size_t n = 0;
    char *z = tt_utf8_sanitize("xa\xFF" "b\xE2\x82\xAC" "y", 1, 7, &n);
    CHECK(z && n == 8 && memcmp(z, "a\xEF\xBF\xBD" "b\xE2\x82\xAC", 8) == 0, "sanitize: got %zu bytes", n);
    free(z);
    uint32_t cp;
    CHECK(tt_utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, 0, &cp) == 4 && cp == 0x1F600, "decode emoji");
    CHECK(tt_utf8_decode((const unsigned char *)"\xF0\x9F\x98", 3, 0, &cp) == 1 && cp == 0xFFFD, "decode truncated");
    CHECK(tt_utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, 0, &cp) == 1 && cp == 0xFFFD, "decode > U+10FFFF");
    CHECK(tt_utf8_decode((const unsigned char *)"\xE0\x80\xAF", 3, 0, &cp) == 1 && cp == 0xFFFD, "decode overlong 3-byte");
}

static void check_collapse_space(void) {
    struct { const char *in, *out; } C[] = {
        {"sat on the mat and\nlooked at it", "sat on the mat and looked at it"},
        {"a\r\n  b\t\tc", "a b c"},
        {"no\xC2\xA0" "break\xC2\xA0\xC2\xA0space", "no break space"},
        {"thin\xE2\x80\x89space stays", "thin\xE2\x80\x89space stays"},   /* U+2009: not in training's clean */
        {"\xC3\xA9\xC2\xA9 \xC2", "\xC3\xA9\xC2\xA9 \xC2"},         /* C2 of other code points, a lone C2 at the end */
        {"\v\fx \n", " x "}, {"", ""},
    };
    for (size_t k = 0; k < sizeof C / sizeof C[0]; k++) {
        char buf[64];
        size_t n = strlen(C[k].in);
        memcpy(buf, C[k].in, n + 1);
        size_t got = tt_collapse_space(buf, n);
        CHECK(got == strlen(C[k].out) && strcmp(buf, C[k].out) == 0, "collapse_space case %zu: [%s]", k, buf);
    }
}

static void check_words(void) {
    struct { const char *t; size_t n; } W[] = {
        {"don't stop", 2}, {"well-known fact", 2}, {"\xE2\x80\x94 hello \xE2\x80\x94", 1},
        {"\xC3\x9Cn\xC3\xAF" "c\xC3\xB6" "d\xC3\xA9 w\xC3\xB6" "rds", 2}, {"", 0}, {"  ...  ", 0},
        {"The U.S. Army, e.g. here", 5}, {"3 cats and 12 dogs", 5}, {"- milk -", 1}, {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 1}, {"a\tb\nc  d", 4},
    };
    for (size_t k = 0; k < sizeof W / sizeof W[0]; k++) {
        size_t got = tt_count_words(W[k].t, 0, strlen(W[k].t));
        CHECK(got == W[k].n, "words in [%s]: %zu, expected %zu", W[k].t, got, W[k].n);
    }
}

/* Property test on random texts built from tricky fragments (and random bytes): sentences are
 * trimmed, ordered, disjoint, inside their paragraphs, cover every non-white-space byte, and their
 * UTF-16 offsets equal an independent count. */
static uint64_t rnd_state = 88172645463325252ull;
static uint32_t rnd(uint32_t n) { rnd_state ^= rnd_state << 13; rnd_state ^= rnd_state >> 7; rnd_state ^= rnd_state << 17; return (uint32_t)(rnd_state % n); }

static size_t u16_prefix(const unsigned char *s, size_t len, size_t upto) {
    /* independent count: lead byte decides the length, then the sequence is validated */
    size_t u = 0, i = 0;
    while (i < upto) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        int ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++) ok = (s[i + k] & 0xC0) == 0x80;
        if (ok && n == 3) { unsigned c1 = s[i + 1]; ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0); }
        if (ok && n == 4) { unsigned c1 = s[i + 1]; ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90); }
        if (!ok) { u += 1; i += 1; } else { u += n == 4 ? 2 : 1; i += n; }
    }
    return u;
}

static int is_ws(const unsigned char *s, size_t len, size_t i, size_t *n) {
    uint32_t cp;
    *n = tt_utf8_decode(s, len, i, &cp);
    return cp == ' ' || (cp >= 9 && cp <= 13) || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static void property_test(int rounds) {
    static const char *const FR[] = {"Dr.", " ", "  ", "\n", "\n\n", "\r\n", "word", "Word", "e.g.", "U.S.", ".", "!", "?",
        "...", "\xE2\x80\xA6", "\"", "'", ")", "(", "- ", "1. ", "a) ", "# ", "| ", "3.14", "http://x.org/a.b?c=d",
        "j.doe@x.com", "J.", "\xF0\x9F\x98\x80", "\xFF", "\xE2\x82", "\xC0\xAF", "\xED\xA0\x80", "\xE3\x80\x82",
        "\xC2\xA0", "\xE2\x80\x9D", "etc.", "The", "\t", ":", ";", ",", "No.", "5", "\0",
        "This is a rather long line of ordinary English words that goes past sixty characters."};
    size_t nf = sizeof FR / sizeof FR[0];
    unsigned char buf[4096];
    for (int r = 0; r < rounds; r++) {
        size_t len = 0;
        int parts = 1 + (int)rnd(60);
        for (int k = 0; k < parts; k++) {
            if (rnd(10) == 0) { buf[len++] = (unsigned char)rnd(256); continue; }
            const char *f = FR[rnd((uint32_t)nf)];
            size_t fl = f[0] == 0 ? 1 : strlen(f);
            if (len + fl >= sizeof buf) break;
            memcpy(buf + len, f, fl);
            len += fl;
        }
        tt_segmentation sg;
        char err[128];
        if (tt_segment((const char *)buf, len, &sg, err, sizeof err) != TT_OK) { CHECK(0, "round %d: %s", r, err); continue; }
        int ok = 1;
        size_t prev_end = 0, covered_to = 0;
        for (size_t k = 0; k < sg.n_sentences && ok; k++) {
            const tt_span *sp = &sg.sentences[k];
            size_t n;
            ok &= sp->start < sp->end && sp->end <= len && sp->start >= prev_end;
            ok &= !is_ws(buf, len, sp->start, &n);
            /* the last code point is not white space: find its start */
            size_t q = sp->start, last = sp->start;
            while (q < sp->end) { last = q; is_ws(buf, len, q, &n); q += n; }
            ok &= q == sp->end && !is_ws(buf, len, last, &n);
            /* everything between sentences is white space */
            for (size_t i = covered_to; i < sp->start && ok;) { ok &= is_ws(buf, len, i, &n); i += n; }
            ok &= sp->start16 == u16_prefix(buf, len, sp->start) && sp->end16 == u16_prefix(buf, len, sp->end);
            prev_end = covered_to = sp->end;
        }
        for (size_t i = covered_to; i < len && ok;) { size_t n; ok &= is_ws(buf, len, i, &n); i += n; }
        for (size_t p = 0; p < sg.n_paragraphs && ok; p++) {
            const tt_seg_paragraph *pp = &sg.paragraphs[p];
            ok &= pp->n_sentences >= 1 && pp->span.start == sg.sentences[pp->first_sentence].start &&
                  pp->span.end == sg.sentences[pp->first_sentence + pp->n_sentences - 1].end &&
                  pp->span.start16 == u16_prefix(buf, len, pp->span.start) && pp->span.end16 == u16_prefix(buf, len, pp->span.end);
        }
        CHECK(ok, "property round %d (len %zu) violated", r, len);
        tt_segmentation_free(&sg);
    }
}

int main(void) {
    size_t nc = sizeof CASES / sizeof CASES[0];
    for (size_t k = 0; k < nc; k++) check_case(k, &CASES[k]);
    for (size_t k = 0; k < sizeof U16 / sizeof U16[0]; k++) check_u16(k, &U16[k]);
    check_utf8_helpers();
    check_collapse_space();
    check_words();
    property_test(3000);
    printf("test_segment: %zu cases, %d checks, %d failures\n", nc, checks, failures);
    return failures ? 1 : 0;
}
