/* driver.c — runs a harness's LLVMFuzzerTestOneInput on files, without libFuzzer (so the crashers
 * and the seed corpus are regression tests under any compiler, gcc included).
 *   fuzz_<harness>_regress PATH...     each PATH a file or a directory (its files, sorted by name)
 * Prints how many inputs ran; a crash or a failed FUZZ_ASSERT aborts, which fails the ctest. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <sys/stat.h>

#include "fuzz_util.h"

static size_t run_file(const char *path) {
    size_t len = 0;
    uint8_t *b = fuzz_read_file(path, &len);
    if (!b) {
        fprintf(stderr, "fuzz driver: cannot read %s\n", path);
        exit(2);
    }
    /* an exact-size copy, so that a read one past the input is caught by ASan / valgrind */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) abort();
    memcpy(exact, b, len);
    free(b);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static size_t run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz driver: no such file or directory: %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) return run_file(path);
    DIR *dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "fuzz driver: cannot open directory %s\n", path);
        exit(2);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names) abort();
        }
        size_t l = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(l);
        if (!names[n]) abort();
        snprintf(names[n++], l, "%s/%s", path, e->d_name);
    }
    closedir(dir);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat fs;
        if (stat(names[i], &fs) == 0 && S_ISREG(fs.st_mode)) ran += run_file(names[i]);
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    size_t ran = 0;
    for (int i = 1; i < argc; i++) ran += run_path(argv[i]);
    printf("%s: %zu input%s ran without a crash\n", argv[0], ran, ran == 1 ? "" : "s");
    return ran ? 0 : 1;
}
