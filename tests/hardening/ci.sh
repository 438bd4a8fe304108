#!/usr/bin/env bash
# CI hardening stage (.ci/run runs it after `npm test`; docs/hardening.md):
#   1. the whole ctest suite built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/),
#      and the CLI tests (tests/js/cli.test.mjs) against the sanitized CLI;
#   2. the peak RSS of detecting 5 MB of generated text (build/tt_peak_rss, bound 96 MiB);
#   3. every libFuzzer harness for $TT_FUZZ_SECONDS seconds (default 60) from the committed seeds
#      (tests/fuzz/run.sh, clang).
# The valgrind run of the CLI is a ctest of the normal build (valgrind_cli), so `npm test` has it.
set -euo pipefail
cd "$(dirname "$0")/../.."
t0=$(date +%s)
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)

asan=${TT_ASAN_BUILD:-build-asan}
echo "hardening: ASan + UBSan build and ctest ($asan)"
cmake -S . -B "$asan" "${gen[@]}" -DTT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$asan" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$asan" --output-on-failure
echo "hardening: CLI tests against $asan/telltale"
TELLTALE_CLI="$asan/telltale" node --test tests/js/cli.test.mjs
echo "hardening: sanitizers done in $(( $(date +%s) - t0 )) s"

echo "hardening: peak memory of detecting 5 MB of text (tiny detector; bound 96 MiB)"
cmake --build build --target tt_peak_rss >/dev/null
build/tt_peak_rss tests/fixtures/tiny-detector.ttm 5000000 --json --max-mib 96

echo "hardening: fuzzing, ${TT_FUZZ_SECONDS:-60} s per harness"
TT_FUZZ_WORK=${TT_FUZZ_WORK:-$(mktemp -d)} tests/fuzz/run.sh "${TT_FUZZ_SECONDS:-60}"
echo "hardening: done in $(( $(date +%s) - t0 )) s"
