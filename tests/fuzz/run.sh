#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan) and run each for a while.
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]     default: 60 s each, all of: model model_raw text detect jsonl
# Environment: TT_FUZZ_SEED (libFuzzer -seed, default 1: a run can be replayed; 0 = random),
# TT_FUZZ_BUILD (build dir, default build-fuzz), TT_FUZZ_WORK (working corpora, logs and
# crash artifacts; default $TT_FUZZ_BUILD/fuzz-work; kept between runs so each run starts from what the
# last one found). The committed seeds in tests/fuzz/corpus/ are only read.
# Exits 1 if any harness crashed or failed an invariant; the input is in $TT_FUZZ_WORK/artifacts/<name>/
# (add it to tests/fuzz/regress/<name>/ once fixed: ctest then runs it on every build).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(model model_raw text detect jsonl)
build=${TT_FUZZ_BUILD:-build-fuzz}
work=${TT_FUZZ_WORK:-$build/fuzz-work}

gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B "$build" "${gen[@]}" -DCMAKE_C_COMPILER=clang -DTT_FUZZ=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target $(printf 'fuzz_%s ' "${names[@]}") -- >/dev/null

failed=()
for h in "${names[@]}"; do
  case $h in
    model|model_raw) seeds=model dict=tests/fuzz/model.dict ;;
    text|detect|jsonl) seeds=$h dict=tests/fuzz/text.dict ;;
    *) echo "fuzz: unknown harness '$h'" >&2; exit 2 ;;
  esac
  corpus=$work/corpus/$h
  mkdir -p "$corpus" "$work/artifacts/$h" "$work/logs"
  if [ "$seeds" = model ]; then cp -n tests/fixtures/tiny.ttm tests/fixtures/tiny-detector.ttm tests/fixtures/tiny-detector-null.ttm "$corpus/"; fi
  log=$work/logs/$h.log
  echo "fuzz: $h for ${secs}s (log $log)"
  set +e
  "$build/fuzz_$h" "$corpus" "tests/fuzz/corpus/$seeds" -dict="$dict" -max_total_time="$secs" \
    -seed="${TT_FUZZ_SEED:-1}" -timeout=60 -rss_limit_mb=2560 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$h/" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  echo "fuzz: $h: exit $rc, ${execs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files"
  if [ $rc -ne 0 ]; then
    failed+=("$h")
    grep -E "ERROR|FUZZ_ASSERT|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $work/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all harnesses ran clean"
