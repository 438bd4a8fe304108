/* cli.c — the `telltale` command line (build/telltale).
 *
 *   telltale detect [FILE|-] [--json] [--pretty] [--model FILE] [--permutations N] [--seed N] [--alpha X]
 *   telltale score --jsonl [--sentences] [--paragraphs] [--features] [--model FILE] [--permutations N] [--seed N]
 *   telltale --help | --version
 *
 * Exit codes: 0 ok, 1 runtime error (model, input, detection), 2 usage. Errors go to stderr.
 * `score --jsonl` is a stable contract for outside evaluations: one output line per non-blank input
 * line, in order, {"id", "score", "label", "p_value", "mmd2", "mmd2_mp", "n_sentences"} or {"id", "error"}.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "detect_internal.h"
#include "engine.h"
#include "score_jsonl.h"
#include "telltale.h"

#define DEFAULT_MODEL "telltale-small.ttm"

static const char USAGE[] =
    "usage: telltale detect [FILE|-] [--json] [--pretty] [--model FILE] [--permutations N] [--seed N] [--alpha X]\n"
    "       telltale score --jsonl [--sentences] [--paragraphs] [--features] [--model FILE] [--permutations N] [--seed N]\n"
    "       telltale --help | --version\n";

static const char HELP[] =
    "\n"
    "Commands:\n"
    "  detect [FILE|-]   analyse one text (a file, or stdin when FILE is '-' or absent) and print a\n"
    "                    report: the verdict, then each paragraph with its sentences marked\n"
    "                    [M] machine, [H] human, [?] uncertain, [ ] not scored (too short).\n"
    "    --json          print the result as JSON (docs/result-schema.md) instead\n"
    "    --pretty        indent the JSON\n"
    "  score --jsonl     read JSON lines {\"id\": ..., \"text\": \"...\"} on stdin and write one line per input:\n"
    "                    {\"id\": ..., \"score\": P(machine) in [0,1] or null, \"label\": ..., \"p_value\": ...,\n"
    "                    \"mmd2\": ..., \"mmd2_mp\": ..., \"n_sentences\": ...}; a bad line gets {\"id\": ..., \"error\": \"...\"} and the rest still run.\n"
    "    --sentences     add \"sentences\": [{\"start\", \"end\", \"score\", \"raw\"}] (byte offsets; null when not scored)\n"
    "    --paragraphs    add \"paragraphs\": [{\"start\", \"end\", \"score\", \"label\", \"p_value\", \"n_sentences\"}]\n"
    "                    (byte offsets; each paragraph's verdict, as detect shows it)\n"
    "    --features      add \"features\": the document features the calibration reads (docs/detector.md;\n"
    "                    null when no sentence was scored), for recalibrating a model\n"
    "\n"
    "Options:\n"
    "  --model FILE        model file; default: $TELLTALE_MODEL, else ../models/" DEFAULT_MODEL " next to\n"
    "                      this program, else models/" DEFAULT_MODEL "\n"
    "  --permutations N    permutation-test rounds, for models without a human null (default 200, at least 20)\n"
    "  --seed N            permutation and sampling seed (default 1): same text and seed give the same answer\n"
    "  --alpha X           test level for the verdict (default 0.05)\n"
    "  --help, --version\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime error, 2 usage error.\n";

typedef struct {
    const char *cmd;        /* "detect" or "score" */
    const char *input;      /* file name, NULL or "-" for stdin */
    const char *model;      /* --model */
    int json, pretty, jsonl;
    int sentences;          /* score --jsonl --sentences: per-sentence scores too */
    int features;           /* score --jsonl --features: the document's calibration features too */
    int paragraphs;         /* score --jsonl --paragraphs: each paragraph's verdict too */
    tt_params params;
} options;

static void print_help(void) {
    printf("telltale %s — offline detector of machine-generated text\n\n%s%s", TELLTALE_VERSION, USAGE, HELP);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "telltale: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", USAGE);
    return 2;
}

static int parse_args(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->params = tt_default_params();
    if (argc < 2) return usage_error("%s", "missing command");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { print_help(); return -1; }
    if (!strcmp(argv[1], "--version")) { printf("telltale %s\n", TELLTALE_VERSION); return -1; }
    o->cmd = argv[1];
    if (strcmp(o->cmd, "detect") && strcmp(o->cmd, "score")) return usage_error("unknown command '%s'", o->cmd);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { print_help(); return -1; }
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--pretty")) o->pretty = o->json = 1;
        else if (!strcmp(a, "--jsonl")) o->jsonl = 1;
        else if (!strcmp(a, "--sentences")) o->sentences = 1;
        else if (!strcmp(a, "--features")) o->features = 1;
        else if (!strcmp(a, "--paragraphs")) o->paragraphs = 1;
        else if (!strcmp(a, "--model")) { if (!val) return usage_error("%s needs a file name", a); o->model = val; i++; }
        else if (!strcmp(a, "--permutations")) {
            char *end; errno = 0;
            long v = val ? strtol(val, &end, 10) : 0;
            if (!val || *end || errno || v < 20 || v > 100000) return usage_error("--permutations needs an integer 20..100000, got '%s'", val ? val : "");
            o->params.permutations = (int)v; i++;
        } else if (!strcmp(a, "--seed")) {
            char *end; errno = 0;
            unsigned long long v = val && val[0] != '-' ? strtoull(val, &end, 0) : 0;
            if (!val || val[0] == '-' || end == val || *end || errno) return usage_error("--seed needs a non-negative integer, got '%s'", val ? val : "");
            o->params.seed = (uint64_t)v; i++;
        } else if (!strcmp(a, "--alpha")) {
            char *end;
            double v = val ? strtod(val, &end) : 0;
            if (!val || *end || !(v > 0 && v < 1)) return usage_error("--alpha needs a number in (0, 1), got '%s'", val ? val : "");
            o->params.alpha = v; i++;
        } else if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
        else if (!o->input) o->input = a;
        else return usage_error("unexpected argument '%s'", a);
    }
    if (!strcmp(o->cmd, "score")) {
        if (!o->jsonl) return usage_error("%s", "score needs --jsonl (JSON lines on stdin)");
        if (o->input) return usage_error("score reads stdin only; unexpected '%s'", o->input);
    } else if (o->jsonl || o->sentences || o->features || o->paragraphs)
        return usage_error("%s", "--jsonl, --sentences, --paragraphs and --features belong to the score command");
    return 0;
}

static int file_exists(const char *p) { FILE *f = fopen(p, "rb"); if (f) fclose(f); return f != NULL; }

/* --model, $TELLTALE_MODEL, <dir of the executable>/../models/..., models/... */
static tt_detector *open_detector(const options *o) {
    char err[512];
    char tried[3][PATH_MAX + 64];
    int nt = 0;
    const char *path = o->model;
    int from_env = 0;
    if (!path) {
        const char *env = getenv("TELLTALE_MODEL");
        if (env && *env) path = env, from_env = 1;
    }
    if (!path) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = 0;
            char *slash = strrchr(exe, '/');
            if (slash) {
                *slash = 0;
                snprintf(tried[nt], sizeof tried[nt], "%s/../models/%s", exe, DEFAULT_MODEL);
                if (file_exists(tried[nt])) path = tried[nt];
                nt++;
            }
        }
    }
    if (!path) {
        snprintf(tried[nt], sizeof tried[nt], "models/%s", DEFAULT_MODEL);
        if (file_exists(tried[nt])) path = tried[nt];
        nt++;
    }
    if (!path) {
        fprintf(stderr, "telltale: no model file found (tried %s%s%s); pass --model FILE or set TELLTALE_MODEL\n",
                tried[0], nt > 1 ? " and " : "", nt > 1 ? tried[1] : "");
        return NULL;
    }
    tt_detector *d = tt_detector_open_file(path, err, sizeof err);
    if (!d) fprintf(stderr, "telltale: %s%s\n", err, o->model ? "" : from_env ? " (the path comes from TELLTALE_MODEL)"
                                                   : " (found there by default; pass --model FILE to use another)");
    return d;
}

/* Whole input (file or stdin); refuses more than TT_MAX_TEXT_BYTES. */
static char *read_all(const char *name, size_t *len) {
    FILE *f = (!name || !strcmp(name, "-")) ? stdin : fopen(name, "rb");
    if (!f) { fprintf(stderr, "telltale: cannot read %s: %s\n", name, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap > TT_MAX_TEXT_BYTES) break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb; cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
        if (n > TT_MAX_TEXT_BYTES) break;
    }
    int rerr = ferror(f), rerr_no = errno;
    if (f != stdin) fclose(f);
    if (!buf) { fprintf(stderr, "telltale: out of memory reading the input\n"); return NULL; }
    if (rerr) {
        fprintf(stderr, "telltale: cannot read %s: %s\n", name && strcmp(name, "-") ? name : "stdin", strerror(rerr_no));
        free(buf);
        return NULL;
    }
    if (n > TT_MAX_TEXT_BYTES) {
        fprintf(stderr, "telltale: the input is larger than %u bytes (TT_MAX_TEXT_BYTES): split it into parts\n", (unsigned)TT_MAX_TEXT_BYTES);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static char mark(const tt_sentence *s) {
    if (s->score < 0) return ' ';
    return s->label == TT_LABEL_MACHINE ? 'M' : s->label == TT_LABEL_HUMAN ? 'H' : '?';
}

static void print_unit_summary(const tt_paragraph *p, size_t scored) {
    if (p->score >= 0) printf("%s (score %.3f", tt_label_name(p->label), p->score);
    else printf("%s (not scored", tt_label_name(p->label));
    if (p->tested) printf(", MMD test p = %.3f", p->p_value);
    else printf(", not tested");
    printf(", %zu sentence%s scored)", scored, scored == 1 ? "" : "s");
}

static void print_report(const tt_result *r, const char *text) {
    printf("%s: ", r->model);
    print_unit_summary(&r->document, tt_result_scored(r, 0, r->n_sentences));
    printf("\n");
    for (size_t i = 0; i < r->n_warnings; i++) printf("warning %s\n", r->warnings[i]);
    for (size_t pi = 0; pi < r->n_paragraphs; pi++) {
        const tt_paragraph *p = &r->paragraphs[pi];
        printf("\nParagraph %zu: ", pi + 1);
        print_unit_summary(p, tt_result_scored(r, p->first_sentence, p->n_sentences));
        printf("\n");
        for (size_t k = p->first_sentence; k < p->first_sentence + p->n_sentences; k++) {
            const tt_sentence *s = &r->sentences[k];
            if (s->score >= 0) printf("  [%c %.2f] ", mark(s), s->score);
            else printf("  [%c  -- ] ", mark(s));
            for (uint32_t b = s->start; b < s->end; b++) {
                unsigned char c = (unsigned char)text[b];
                putchar(c < 0x20 || c == 0x7F ? ' ' : c);
            }
            putchar('\n');
        }
    }
    printf("\n[M] machine  [H] human  [?] uncertain  [ ] too short to score; scores are P(machine)\n");
}

/* Progress on a terminal for long texts: "telltale: 1234 of 58459 sentences", at most twice a
 * second, on stderr (never when stderr is a file or a pipe, so scripts and tests see nothing). */
typedef struct { double last; int shown; } progress_state;
static double wall_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int show_progress(void *user, size_t done, size_t total) {
    progress_state *ps = user;
    double now = wall_s();
    if (done < total && now - ps->last < 0.5) return 0;
    ps->last = now;
    ps->shown = 1;
    fprintf(stderr, "\rtelltale: %zu of %zu sentences", done, total);
    return 0;
}

static int cmd_detect(const options *o) {
    tt_detector *d = open_detector(o);   /* first, so a missing model fails before stdin is read */
    if (!d) return 1;
    size_t len = 0;
    char *text = read_all(o->input, &len);
    if (!text) { tt_detector_free(d); return 1; }
    char err[512];
    int rc = 0;
    tt_params params = o->params;
    progress_state ps = {wall_s(), 0};
    if (len > 100000 && isatty(STDERR_FILENO)) { params.progress = show_progress; params.progress_user = &ps; }
    tt_result *r = tt_detect(d, text, len, &params, err, sizeof err);
    if (ps.shown) fprintf(stderr, "\r\033[K");  /* clear the progress line */
    if (!r) { fprintf(stderr, "telltale: %s\n", err); rc = 1; }
    else if (o->json) {
        char *js = tt_result_json(r, o->pretty);
        if (!js) { fprintf(stderr, "telltale: out of memory writing JSON\n"); rc = 1; }
        else { printf("%s\n", js); tt_free(js); }
    } else print_report(r, text);
    tt_result_free(r);
    tt_detector_free(d);
    free(text);
    if (fflush(stdout)) { fprintf(stderr, "telltale: cannot write the output\n"); rc = 1; }
    return rc;
}

/* Longest input line of `score --jsonl`: the JSON of a text of TT_MAX_TEXT_BYTES with every byte
 * escaped as \u00XX (6 bytes each), plus room for the id. Keeps memory bounded on any input. */
#define MAX_JSONL_LINE (6u * TT_MAX_TEXT_BYTES + 65536u)

/* Reads one line (with its '\n', NUL bytes kept) into *buf, growing it up to max bytes; returns its
 * length, or -1 at the end of the input. A longer line is consumed to its end, *too_long set, and
 * only its first max bytes kept. */
static long read_line(FILE *f, char **buf, size_t *cap, size_t max, int *too_long) {
    size_t n = 0;
    int c;
    *too_long = 0;
    while ((c = getc_unlocked(f)) != EOF) {
        if (n < max) {
            if (n + 1 >= *cap) {
                size_t nc = *cap ? *cap * 2 : 4096;
                if (nc > max + 1) nc = max + 1;
                char *nb = realloc(*buf, nc);
                if (!nb) { *too_long = 1; } else { *buf = nb; *cap = nc; }
            }
            if (n + 1 < *cap) (*buf)[n++] = (char)c;
        } else *too_long = 1;
        if (c == '\n') break;
    }
    if (c == EOF && n == 0 && !*too_long) return -1;
    return (long)n;
}

static int cmd_score(const options *o) {
    tt_detector *d = open_detector(o);
    if (!d) return 1;
    char *line = NULL;
    size_t cap = 0;
    long n, lineno = 0;
    int too_long;
    while ((n = read_line(stdin, &line, &cap, MAX_JSONL_LINE, &too_long)) >= 0) {
        lineno++;
        char *out = NULL;
        if (too_long) {
            printf("{\"id\":null,\"error\":\"line %ld: longer than %u bytes, the most a text of TT_MAX_TEXT_BYTES = %u "
                   "bytes needs as JSON: split it into parts\"}\n", lineno, MAX_JSONL_LINE, (unsigned)TT_MAX_TEXT_BYTES);
            fflush(stdout);
            continue;
        }
        if (!tt_score_jsonl_line_ex(d, &o->params, line, (size_t)n, lineno,
                                    (o->sentences ? TT_JSONL_SENTENCES : 0) | (o->features ? TT_JSONL_FEATURES : 0) |
                                    (o->paragraphs ? TT_JSONL_PARAGRAPHS : 0), &out)) continue; /* blank line */
        printf("%s\n", out ? out : "{\"id\":null,\"error\":\"out of memory\"}");
        free(out);
        fflush(stdout);
    }
    free(line);
    tt_detector_free(d);
    if (ferror(stdin)) { fprintf(stderr, "telltale: error reading stdin\n"); return 1; }
    return 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc < 0) return 0;  /* --help / --version */
    if (rc) return rc;
    return !strcmp(o.cmd, "detect") ? cmd_detect(&o) : cmd_score(&o);
}
