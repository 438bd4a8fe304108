/* peak_rss.c — peak memory (getrusage ru_maxrss) of one detection on a generated English text.
 *   tt_peak_rss MODEL BYTES [--json] [--max-mib N]
 * Generates BYTES of prose (deterministic: sentences of 8–20 words, 3–8 sentences per paragraph),
 * opens MODEL, and runs tt_detect (and tt_result_json with --json, as the CLI does). Prints the
 * sentence count, the time and the peak RSS before and after detection; with --max-mib, exits 1 if
 * the peak RSS of the whole process exceeds N MiB. Used by the ctest "memory" (1 MB) and for the
 * 5 MB measurement in docs/hardening.md. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "telltale.h"

static long peak_kib(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss; /* KiB on Linux */
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static const char *const WORDS[] = {"the", "of", "and", "to", "a", "in", "is", "that", "it", "for", "was", "on",
    "with", "as", "committee", "budget", "bridge", "members", "report", "meeting", "weather", "streets", "baker",
    "shop", "river", "morning", "people", "city", "market", "question", "answer", "school", "garden", "letter",
    "train", "station", "evening", "window", "table", "music", "history", "village", "doctor", "children", "winter",
    "summer", "quickly", "slowly", "never", "often", "bright", "quiet", "long", "small", "old", "new", "good"};

static char *generate(size_t n) {
    char *t = malloc(n + 1);
    if (!t) return NULL;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    size_t len = 0, nw = sizeof WORDS / sizeof WORDS[0];
    int in_para = 0;
    while (len < n) {
        char sent[512];
        size_t k = 0;
        int words = 8 + (int)(rnd(&s) % 13);
        for (int w = 0; w < words; w++) {
            const char *x = WORDS[rnd(&s) % nw];
            if (w) k += (size_t)snprintf(sent + k, sizeof sent - k, " %s", x);
            else k += (size_t)snprintf(sent + k, sizeof sent - k, "%c%s", x[0] - 32, x + 1);
        }
        k += (size_t)snprintf(sent + k, sizeof sent - k, ".");
        int end_para = ++in_para >= 3 && rnd(&s) % 4 == 0;
        const char *sep = end_para ? "\n\n" : " ";
        if (end_para) in_para = 0;
        for (size_t i = 0; i < k && len < n; i++) t[len++] = sent[i];
        for (const char *p = sep; *p && len < n; p++) t[len++] = *p;
    }
    t[len] = 0;
    return t;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL BYTES [--json] [--max-mib N]\n", argv[0]);
        return 2;
    }
    size_t n = (size_t)strtoull(argv[2], NULL, 10);
    int json = 0;
    long max_mib = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--max-mib") && i + 1 < argc) max_mib = atol(argv[++i]);
    }
    char err[512];
    tt_detector *d = tt_detector_open_file(argv[1], err, sizeof err);
    if (!d) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    char *text = generate(n);
    if (!text) return 1;
    long before = peak_kib();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tt_result *r = tt_detect(d, text, n, NULL, err, sizeof err);
    if (!r) {
        fprintf(stderr, "detect: %s\n", err);
        return 1;
    }
    size_t jl = 0;
    if (json) {
        char *js = tt_result_json(r, 0);
        if (!js) return 1;
        jl = strlen(js);
        tt_free(js);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long after = peak_kib();
    printf("%zu bytes, %zu paragraphs, %zu sentences%s: %.1f s; peak RSS %.1f MiB before detection "
           "(model + text), %.1f MiB after (+%.1f MiB)\n",
           n, r->n_paragraphs, r->n_sentences, json ? " (+ JSON)" : "",
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, before / 1024.0, after / 1024.0,
           (after - before) / 1024.0);
    if (json) printf("JSON: %zu bytes\n", jl);
    tt_result_free(r);
    tt_detector_free(d);
    free(text);
    if (max_mib && after > max_mib * 1024) {
        fprintf(stderr, "peak RSS %.1f MiB is over the %ld MiB bound\n", after / 1024.0, max_mib);
        return 1;
    }
    return 0;
}
