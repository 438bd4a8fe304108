/* fuzz_util.h — helpers shared by the libFuzzer harnesses in tests/fuzz/ (not part of the library).
 *
 * Each harness defines LLVMFuzzerTestOneInput. Built with TT_FUZZ=ON (clang) it is linked with
 * -fsanitize=fuzzer; built without, it is linked with driver.c, which feeds it files (the committed
 * corpus and the crashers in tests/fuzz/regress/) so every crash found stays a ctest under gcc too.
 * An invariant that does not hold calls FUZZ_ASSERT, which prints the line and aborts (a crash to
 * libFuzzer, a failure to ctest). */
#ifndef TT_FUZZ_UTIL_H
#define TT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telltale.h"

#ifndef TT_FIXTURES_DIR
#define TT_FIXTURES_DIR "tests/fixtures"
#endif

#define FUZZ_ASSERT(cond, ...)                                                          \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                               \
            fprintf(stderr, "\n");                                                      \
            abort();                                                                    \
        }                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whole file into a malloc'd buffer (NULL if unreadable); aborts on out-of-memory. */
static inline uint8_t *fuzz_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (!b) abort();
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        b = realloc(b, cap);
    }
    fclose(f);
    *len = n;
    return b;
}

/* A fixture file, read once per process (kept for the process's life: reachable, not a leak). */
static inline const uint8_t *fuzz_fixture(const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TT_FIXTURES_DIR, name);
    uint8_t *b = fuzz_read_file(path, len);
    if (!b) {
        fprintf(stderr, "fuzz: cannot read the fixture %s\n", path);
        abort();
    }
    return b;
}


/* The tiny detector fixture, opened once per process (kept for the process's life); with_null: the
 * same detector with a human null (tiny-detector-null.ttm), whose tests rank a statistic instead of
 * permuting. */
static inline tt_detector *fuzz_tiny_detector_kind(int with_null) {
    static tt_detector *d[2];
    const char *name = with_null ? "tiny-detector-null.ttm" : "tiny-detector.ttm";
    if (!d[with_null != 0]) {
        size_t len;
        const uint8_t *b = fuzz_fixture(name, &len);
        char err[512];
        d[with_null != 0] = tt_detector_open_buffer(b, len, err, sizeof err);
        FUZZ_ASSERT(d[with_null != 0], "%s: %s", name, err);
    }
    return d[with_null != 0];
}
static inline tt_detector *fuzz_tiny_detector(void) { return fuzz_tiny_detector_kind(0); }

#endif
