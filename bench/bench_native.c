/* bench_native.c — build/telltale-bench: native timings for `npm run bench` (bench/bench.mjs).
 *
 * Every command prints one JSON object on stdout with the raw samples (milliseconds, one per run,
 * after the warm-up runs); bench.mjs computes medians and spreads. One thread, no timing in tests.
 *
 *   telltale-bench forward MODEL IDS SIZES RUNS WARMUP [stats] [DUMP]
 *       tt_forward over the first n ids of IDS (raw little-endian int32) for each n in SIZES
 *       ("128,512,2048"); hidden states only, or hidden + LM statistics with "stats" (use "hidden"
 *       for the default when a DUMP is given). DUMP: write the hidden states of each size to
 *       DUMP.<n>.f32 (for the agreement check).
 *   telltale-bench kernel SHAPES RUNS
 *       tt_matmul_i8 (the SIMD kernel this CPU gets), every SIMD kernel the CPU can run ("each": e.g.
 *       AVX-VNNI and AVX2) and tt_matmul_i8_ref (scalar) on random int8 data; SHAPES is
 *       "T:in:out,T:in:out,...". Reports ms per call; GMAC = T·in·out / 1e9.
 *   telltale-bench detect MODEL TEXT... RUNS WARMUP
 *       tt_detect (default parameters) on each text file; also the result's phase times and counts.
 *   telltale-bench load MODEL RUNS
 *       tt_detector_open_file + tt_detector_free (read, checksum, tokenizer tables), per run.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "kernels_simd.h"
#include "telltale.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "telltale-bench: %s: %s\n", what, msg);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("malloc", "out of memory");
    return p;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path, "cannot open");
    if (fseek(f, 0, SEEK_END) != 0) die(path, "cannot seek");
    long n = ftell(f);
    if (n < 0) die(path, "cannot tell its size");
    rewind(f);
    char *buf = xmalloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) die(path, "short read");
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void print_samples(const double *ms, int n) {
    printf("[");
    for (int i = 0; i < n; i++) printf("%s%.4f", i ? "," : "", ms[i]);
    printf("]");
}

/* "a,b,c" → ints; returns the count. */
static int parse_list(const char *s, long *out, int cap) {
    int n = 0;
    while (*s && n < cap) {
        char *end;
        out[n++] = strtol(s, &end, 10);
        if (end == s) die("list", s);
        s = *end == ',' || *end == ':' ? end + 1 : end;
    }
    return n;
}

static int cmd_forward(int argc, char **argv) {
    if (argc < 7) die("forward", "expected MODEL IDS SIZES RUNS WARMUP [stats|hidden] [DUMP]");
    char err[512];
    tt_model *m = tt_model_load_file(argv[2], err, sizeof err);
    if (!m) die("model", err);
    size_t ids_bytes;
    int32_t *ids = (int32_t *)(void *)read_file(argv[3], &ids_bytes);
    size_t n_ids = ids_bytes / 4;
    long sizes[16];
    int ns = parse_list(argv[4], sizes, 16);
    int runs = atoi(argv[5]), warm = atoi(argv[6]);
    int with_stats = argc > 7 && !strcmp(argv[7], "stats");
    const char *dump = argc > 8 ? argv[8] : NULL;
    const tt_config *c = tt_model_config(m);
    tt_state *s = tt_state_new(m, err, sizeof err);
    if (!s) die("state", err);
    printf("{\"kernel\":\"%s\",\"stats\":%s,\"sizes\":[", tt_kernel_name(), with_stats ? "true" : "false");
    for (int k = 0; k < ns; k++) {
        size_t n = (size_t)sizes[k];
        if (n < 1 || n > n_ids) die("forward", "a size is larger than the ids file");
        float *hid = xmalloc(n * (size_t)c->d_model * sizeof(float));
        tt_tokstat *st = with_stats ? xmalloc(n * sizeof(tt_tokstat)) : NULL;
        double *ms = xmalloc((size_t)runs * sizeof(double));
        for (int r = 0; r < warm + runs; r++) {
            double t0 = now_ms();
            if (tt_forward(m, s, ids, n, hid, st, err, sizeof err) != TT_OK) die("forward", err);
            double t1 = now_ms();
            if (r >= warm) ms[r - warm] = t1 - t0;
        }
        if (dump) {
            char path[1024];
            snprintf(path, sizeof path, "%s.%zu.f32", dump, n);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(hid, sizeof(float), n * (size_t)c->d_model, f) != n * (size_t)c->d_model) die(path, "write");
            fclose(f);
        }
        printf("%s{\"n\":%zu,\"ms\":", k ? "," : "", n);
        print_samples(ms, runs);
        printf("}");
        free(ms);
        free(st);
        free(hid);
    }
    printf("]}\n");
    tt_state_free(s);
    free(ids);
    tt_model_free(m);
    return 0;
}

/* xorshift64* for reproducible random int8 data */
static uint64_t rng_next(uint64_t *x) {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

static int cmd_kernel(int argc, char **argv) {
    if (argc < 4) die("kernel", "expected SHAPES RUNS");
    long sh[48];
    int nsh = parse_list(argv[2], sh, 48) / 3;
    int runs = atoi(argv[3]);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    printf("{\"kernel\":\"%s\",\"shapes\":[", tt_kernel_name());
    for (int k = 0; k < nsh; k++) {
        int T = (int)sh[3 * k], in = (int)sh[3 * k + 1], out = (int)sh[3 * k + 2];
        int8_t *xq = xmalloc((size_t)T * in), *w = xmalloc((size_t)out * in);
        float *xs = xmalloc((size_t)T * sizeof(float)), *ws = xmalloc((size_t)out * sizeof(float));
        float *b = xmalloc((size_t)out * sizeof(float)), *y = xmalloc((size_t)T * out * sizeof(float));
        for (size_t i = 0; i < (size_t)T * in; i++) xq[i] = (int8_t)((int)(rng_next(&seed) % 255) - 127);
        for (size_t i = 0; i < (size_t)out * in; i++) w[i] = (int8_t)((int)(rng_next(&seed) % 255) - 127);
        for (int i = 0; i < T; i++) xs[i] = 0.01f;
        for (int i = 0; i < out; i++) ws[i] = 0.02f, b[i] = 0.1f;
        printf("%s{\"T\":%d,\"in\":%d,\"out\":%d", k ? "," : "", T, in, out);
        /* every SIMD kernel this CPU runs (tt_matmul_i8 uses the first), each timed on its own */
        tt_matmul_fn fns[4];
        const char *names[4];
        int nk = tt_simd_kernels(fns, names, 4);
        printf(",\"each\":[");
        for (int e = 0; e < nk; e++) {
            double *ms = xmalloc((size_t)runs * sizeof(double));
            double t0 = now_ms();
            int reps = 0;
            do {
                fns[e](y, xq, xs, w, ws, b, T, in, out);
                reps++;
            } while (now_ms() - t0 < 2.0);
            for (int r = 0; r < runs; r++) {
                double a = now_ms();
                for (int j = 0; j < reps; j++) fns[e](y, xq, xs, w, ws, b, T, in, out);
                ms[r] = (now_ms() - a) / reps;
            }
            printf("%s{\"kernel\":\"%s\",\"ms\":", e ? "," : "", names[e]);
            print_samples(ms, runs);
            printf("}");
            free(ms);
        }
        printf("]");
        for (int which = 0; which < 2; which++) {
            double *ms = xmalloc((size_t)runs * sizeof(double));
            /* repeat each sample until it lasts ≥ 2 ms so that the clock's resolution does not matter */
            double t0 = now_ms();
            int reps = 0;
            do {
                if (which == 0) tt_matmul_i8(y, xq, xs, w, ws, b, T, in, out);
                else tt_matmul_i8_ref(y, xq, xs, w, ws, b, T, in, out);
                reps++;
            } while (now_ms() - t0 < 2.0);
            for (int r = 0; r < runs; r++) {
                double a = now_ms();
                for (int j = 0; j < reps; j++) {
                    if (which == 0) tt_matmul_i8(y, xq, xs, w, ws, b, T, in, out);
                    else tt_matmul_i8_ref(y, xq, xs, w, ws, b, T, in, out);
                }
                ms[r] = (now_ms() - a) / reps;
            }
            printf(",\"%s\":", which == 0 ? "simd_ms" : "scalar_ms");
            print_samples(ms, runs);
            free(ms);
        }
        printf("}");
        free(xq), free(w), free(xs), free(ws), free(b), free(y);
    }
    printf("]}\n");
    return 0;
}

static int cmd_detect(int argc, char **argv) {
    if (argc < 6) die("detect", "expected MODEL TEXT... RUNS WARMUP");
    char err[512];
    tt_detector *d = tt_detector_open_file(argv[2], err, sizeof err);
    if (!d) die("model", err);
    int runs = atoi(argv[argc - 2]), warm = atoi(argv[argc - 1]);
    tt_params p = tt_default_params();
    printf("{\"kernel\":\"%s\",\"permutations\":%d,\"texts\":[", tt_kernel_name(), p.permutations);
    for (int k = 3; k < argc - 2; k++) {
        size_t len;
        char *text = read_file(argv[k], &len);
        double *ms = xmalloc((size_t)runs * sizeof(double));
        double seg = 0, feat = 0, tests = 0;
        size_t n_sent = 0, n_par = 0;
        for (int r = 0; r < warm + runs; r++) {
            double t0 = now_ms();
            tt_result *res = tt_detect(d, text, len, &p, err, sizeof err);
            double t1 = now_ms();
            if (!res) die("detect", err);
            if (r >= warm) {
                ms[r - warm] = t1 - t0;
                seg += res->ms_segment / runs, feat += res->ms_features / runs, tests += res->ms_tests / runs;
            }
            n_sent = res->n_sentences, n_par = res->n_paragraphs;
            tt_result_free(res);
        }
        printf("%s{\"file\":\"%s\",\"bytes\":%zu,\"sentences\":%zu,\"paragraphs\":%zu,"
               "\"mean_ms_segment\":%.4f,\"mean_ms_features\":%.4f,\"mean_ms_tests\":%.4f,\"ms\":",
               k > 3 ? "," : "", argv[k], len, n_sent, n_par, seg, feat, tests);
        print_samples(ms, runs);
        printf("}");
        free(ms);
        free(text);
    }
    printf("]}\n");
    tt_detector_free(d);
    return 0;
}

static int cmd_load(int argc, char **argv) {
    if (argc < 4) die("load", "expected MODEL RUNS");
    int runs = atoi(argv[3]);
    double *ms = xmalloc((size_t)runs * sizeof(double));
    char err[512];
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        tt_detector *d = tt_detector_open_file(argv[2], err, sizeof err);
        if (!d) die("model", err);
        ms[r] = now_ms() - t0;
        tt_detector_free(d);
    }
    printf("{\"ms\":");
    print_samples(ms, runs);
    printf("}\n");
    free(ms);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage", "telltale-bench forward|kernel|detect|load ... (see bench/bench_native.c)");
    if (!strcmp(argv[1], "forward")) return cmd_forward(argc, argv);
    if (!strcmp(argv[1], "kernel")) return cmd_kernel(argc, argv);
    if (!strcmp(argv[1], "detect")) return cmd_detect(argc, argv);
    if (!strcmp(argv[1], "load")) return cmd_load(argc, argv);
    die("usage", "unknown command (forward, kernel, detect, load)");
    return 2;
}
