#!/usr/bin/env bash
# ctest "valgrind_cli": the CLI under valgrind (memcheck) on the tiny detector: `detect` (report and
# --json) on prose with Unicode and invalid UTF-8, and `score --jsonl` on good, bad and blank lines.
# Any memory error or leak fails (--error-exitcode=1, definite and indirect leaks count).
#   tests/hardening/valgrind_cli.sh BUILD/telltale
# Exit 77 (ctest: skipped) when valgrind is not installed.
set -euo pipefail
cli=${1:?usage: valgrind_cli.sh path/to/telltale}
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind not installed: skipped"; exit 77; }
model=tests/fixtures/tiny-detector.ttm
vg=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%s\n\n%s\n' \
  'The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new bridge. The chair promised a detailed report before the next meeting.' \
  $'Caf\xc3\xa9 \xf0\x9f\x98\x80 and an invalid byte \xff here. The weather was mild and the streets were quiet today. A dog barked somewhere in the distance while the baker opened his shop.' \
  > "$tmp/text.txt"
cat > "$tmp/in.jsonl" <<'JSONL'
{"id": 1, "text": "The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new bridge. The chair promised a detailed report."}
{"id": "two", "text": "Short."}

not json
{"id": [1, {"a": null}], "text": 5}
{"id": 1e999, "text": "an id that overflows"}
{"text": "caf\u00e9 \ud83d\ude00 words enough to be scored here."}
JSONL

echo "valgrind: telltale detect"
"${vg[@]}" "$cli" detect --model "$model" "$tmp/text.txt" > "$tmp/report.txt"
grep -q "Paragraph 2" "$tmp/report.txt"
echo "valgrind: telltale detect --json"
"${vg[@]}" "$cli" detect --json --model "$model" < "$tmp/text.txt" > "$tmp/out.json"
grep -q '"paragraphs"' "$tmp/out.json"
echo "valgrind: telltale score --jsonl"
"${vg[@]}" "$cli" score --jsonl --model "$model" < "$tmp/in.jsonl" > "$tmp/out.jsonl"
lines=$(wc -l < "$tmp/out.jsonl")
[ "$lines" -eq 6 ] || { echo "expected 6 output lines, got $lines"; cat "$tmp/out.jsonl"; exit 1; }
echo "valgrind: a corrupt model (error path)"
head -c 1000 "$model" > "$tmp/bad.ttm"
if "${vg[@]}" "$cli" detect --model "$tmp/bad.ttm" < "$tmp/text.txt" 2> "$tmp/err.txt"; then
  echo "a truncated model was accepted"; exit 1
fi
if grep -q "==[0-9]*==" "$tmp/err.txt"; then cat "$tmp/err.txt"; exit 1; fi
echo "valgrind: clean"
