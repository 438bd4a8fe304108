/* native_ref.c — the native side of tests/js/wasm.test.mjs: runs the same wasm/exports.c functions
 * (compiled natively, linked with the native engine) and prints their results as JSON, with floats
 * as their IEEE-754 bit patterns so the test can check bit-identity.
 *
 *   tt_wasm_ref MODEL tokenize < text        {"ids":[..],"start":[..],"end":[..]}
 *   tt_wasm_ref MODEL forward < "id id .."   {"kernel":"..","d":D,"hidden":[bits..],"stats":[[lp,rank,ent,var]..]}
 *   tt_wasm_ref MODEL open                    {"ok":true,"detector":0|1} or {"error":"<loader message>"}
 *   tt_wasm_ref MODEL detect [PERMUTATIONS SEED] < text   the result JSON of ttw_detect_json
 * MODEL "-" reads the model file from standard input (for `open` on corrupted bytes).
 * Exit status: 0 on success, 2 when the model or the call fails (the message is in "error").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "telltale.h"

typedef struct tt_wasm tt_wasm;
tt_wasm *ttw_new(void);
void ttw_free(tt_wasm *w);
const char *ttw_error(const tt_wasm *w);
int ttw_open_model(tt_wasm *w, const void *buf, size_t len);
int ttw_open_detector(tt_wasm *w, const void *buf, size_t len);
const char *ttw_metadata(const tt_wasm *w);
int ttw_d_model(const tt_wasm *w);
int ttw_tokenize(tt_wasm *w, const char *text, size_t len);
const int32_t *ttw_token_ids(const tt_wasm *w);
const uint32_t *ttw_token_starts(const tt_wasm *w);
const uint32_t *ttw_token_ends(const tt_wasm *w);
int ttw_forward(tt_wasm *w, const int32_t *ids, size_t n, float *hidden, tt_tokstat *stats);
char *ttw_detect_json(tt_wasm *w, const char *text, size_t len, int permutations, int seed_set,
                      uint32_t seed_lo, uint32_t seed_hi, int with_progress);

/* exports.c imports this from JavaScript in the wasm build; natively there is no progress to route. */
int tt_js_progress(tt_wasm *w, uint32_t done, uint32_t total) {
    (void)w; (void)done; (void)total;
    return 0;
}

static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static int fail(tt_wasm *w) {
    printf("{\"error\":");
    print_json_string(ttw_error(w));
    printf("}\n");
    return 2;
}

static char *read_all(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
    }
    *len = n;
    return buf;
}

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

int main(int argc, char **argv) {
    if (argc != 3 && !(argc == 5 && strcmp(argv[2], "detect") == 0)) {
        fprintf(stderr, "usage: %s MODEL tokenize|forward|open|detect [PERMUTATIONS SEED] < input\n", argv[0]);
        return 64;
    }
    int from_stdin = strcmp(argv[1], "-") == 0;
    FILE *mf = from_stdin ? stdin : fopen(argv[1], "rb");
    if (!mf) { fprintf(stderr, "cannot open %s\n", argv[1]); return 66; }
    size_t mlen;
    char *model = read_all(mf, &mlen);
    if (!from_stdin) fclose(mf);
    if (!model) { fprintf(stderr, "out of memory\n"); return 70; }

    tt_wasm *w = ttw_new();
    int rc = 0;
    if (ttw_open_model(w, model, mlen) != 0) { rc = fail(w); goto done; }
    const char *mode = argv[2];
    if (strcmp(mode, "open") == 0) {
        int want_det = strstr(ttw_metadata(w), "\"detector\"") != NULL;
        if (want_det && ttw_open_detector(w, model, mlen) != 0) { rc = fail(w); goto done; }
        printf("{\"ok\":true,\"detector\":%d}\n", want_det);
    } else if (strcmp(mode, "tokenize") == 0) {
        size_t len;
        char *text = read_all(stdin, &len);
        int n = ttw_tokenize(w, text, len);
        free(text);
        if (n < 0) { rc = fail(w); goto done; }
        const int32_t *ids = ttw_token_ids(w);
        const uint32_t *st = ttw_token_starts(w), *en = ttw_token_ends(w);
        printf("{\"ids\":[");
        for (int i = 0; i < n; i++) printf("%s%d", i ? "," : "", ids[i]);
        printf("],\"start\":[");
        for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", st[i]);
        printf("],\"end\":[");
        for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", en[i]);
        printf("]}\n");
    } else if (strcmp(mode, "forward") == 0) {
        size_t cap = 1024, n = 0;
        int32_t *ids = malloc(cap * sizeof *ids);
        long v;
        while (scanf("%ld", &v) == 1) {
            if (n == cap) ids = realloc(ids, (cap *= 2) * sizeof *ids);
            ids[n++] = (int32_t)v;
        }
        int d = ttw_d_model(w);
        float *hidden = malloc((n ? n : 1) * (size_t)d * sizeof *hidden);
        tt_tokstat *stats = malloc((n ? n : 1) * sizeof *stats);
        if (ttw_forward(w, ids, n, hidden, stats) != 0) {
            rc = fail(w);
        } else {
            printf("{\"kernel\":\"%s\",\"d\":%d,\"hidden\":[", tt_kernel_name(), d);
            for (size_t i = 0; i < n * (size_t)d; i++) printf("%s%u", i ? "," : "", bits(hidden[i]));
            printf("],\"stats\":[");
            for (size_t i = 0; i + 1 < n; i++)
                printf("%s[%u,%d,%u,%u]", i ? "," : "", bits(stats[i].logprob), stats[i].rank,
                       bits(stats[i].entropy), bits(stats[i].var));
            printf("]}\n");
        }
        free(ids); free(hidden); free(stats);
    } else if (strcmp(mode, "detect") == 0) {
        if (ttw_open_detector(w, model, mlen) != 0) { rc = fail(w); goto done; }
        int perms = argc == 5 ? atoi(argv[3]) : 0;
        unsigned long long seed = argc == 5 ? strtoull(argv[4], NULL, 10) : 0;
        size_t len;
        char *text = read_all(stdin, &len);
        char *json = ttw_detect_json(w, text, len, perms, argc == 5, (uint32_t)seed, (uint32_t)(seed >> 32), 0);
        free(text);
        if (!json) { rc = fail(w); goto done; }
        printf("%s\n", json);
        tt_free(json);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        rc = 64;
    }
done:
    ttw_free(w);
    free(model);
    return rc;
}
