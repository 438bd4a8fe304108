#!/usr/bin/env bash
# profile.sh — where the time goes (one thread): native with `perf record` (cpu-clock samples), wasm
# SIMD with Node's --cpu-prof. Not part of `npm run bench`; run it by hand:
#
#   bash bench/profile.sh [MODEL]        (default: models/telltale-small.ttm, else train/work/smoke.ttm)
#
# Builds two profiling variants (ignored by git): build-prof/ (native, -g, functions called once are
# not inlined, so attention / GELU / LayerNorm show up as their own symbols) and build-wasm-prof/ (wasm
# SIMD with --profiling-funcs, so the profile names wasm functions; clang inlines attention, GELU,
# LayerNorm and the LM statistics into tt_forward, and keeping them apart would stop the vectorizing
# of tt_expf, so they are counted there). Prints the top functions by
# self time for (1) the forward pass over 512 tokens (hidden states only) and (2) detection of a
# 1,000-word text.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-}
if [ -z "$MODEL" ]; then
  if [ -f models/telltale-small.ttm ]; then MODEL=models/telltale-small.ttm; else MODEL=train/work/smoke.ttm; fi
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}

GEN=(); command -v ninja >/dev/null && [ ! -f build-prof/CMakeCache.txt ] && GEN=(-G Ninja)
cmake -S . -B build-prof "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="-g -fno-omit-frame-pointer -fno-inline-functions-called-once" >/dev/null
cmake --build build-prof --target telltale-bench -j 2 >/dev/null
GEN=(); command -v ninja >/dev/null && [ ! -f build-wasm-prof/CMakeCache.txt ] && GEN=(-G Ninja)
emcmake cmake -S . -B build-wasm-prof "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DTT_SIMD=ON \
  -DCMAKE_EXE_LINKER_FLAGS="--profiling-funcs" >/dev/null
cmake --build build-wasm-prof --target telltale_wasm -j 2 >/dev/null

# inputs: 512 token ids ([bos] + tokens of generated text) and a 1,000-word text (bench/text.mjs)
node --input-type=module -e "
import { createDetector } from './wasm/telltale.mjs';
import { makeText } from './bench/text.mjs';
import { writeFileSync } from 'node:fs';
const d = await createDetector({ model: '$MODEL' });
const t = d.tokenize(makeText(1000, 7)).ids;
const ids = new Int32Array(512); ids[0] = d.info.config.bosId; ids.set(t.subarray(0, 511), 1);
writeFileSync('$TMP/ids.i32', Buffer.from(ids.buffer));
writeFileSync('$TMP/w1000.txt', makeText(1000, 1));
d.close();"

top() { perf report -i "$1" --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep '%' | head -"${2:-12}"; }
echo "== native, forward 512 tokens (perf, $(./build-prof/telltale-bench forward "$MODEL" "$TMP/ids.i32" 1 1 0 | sed 's/.*"kernel":"\([^"]*\)".*/\1/'))"
perf record -q -e cpu-clock -F 5000 -o "$TMP/fwd.data" ./build-prof/telltale-bench forward "$MODEL" "$TMP/ids.i32" 512 40 2 hidden >/dev/null 2>&1
top "$TMP/fwd.data"
echo "== native, detect 1,000 words (perf)"
perf record -q -e cpu-clock -F 5000 -o "$TMP/det.data" ./build-prof/telltale-bench detect "$MODEL" "$TMP/w1000.txt" 15 1 >/dev/null 2>&1
top "$TMP/det.data" 16

cat > "$TMP/run.mjs" <<EOF
import { createDetector } from '$PWD/wasm/telltale.mjs';
import { readFileSync } from 'node:fs';
const d = await createDetector({ model: '$PWD/$MODEL', wasm: readFileSync('$PWD/build-wasm-prof/telltale_wasm.wasm') });
const idsBuf = readFileSync('$TMP/ids.i32'); const ids = new Int32Array(idsBuf.buffer.slice(idsBuf.byteOffset, idsBuf.byteOffset + idsBuf.length));
const text = readFileSync('$TMP/w1000.txt', 'utf8');
const t0 = performance.now();
while (performance.now() - t0 < 6000) { if (process.argv[2] === 'fwd') d.forward(ids, { stats: false }); else d.detect(text); }
EOF
cat > "$TMP/agg.mjs" <<'EOF'
import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
const p = JSON.parse(readFileSync(dir + '/' + readdirSync(dir).find((x) => x.endsWith('.cpuprofile'))));
const byId = new Map(p.nodes.map((n) => [n.id, n])), self = new Map();
let total = 0;
p.samples.forEach((id, i) => {
  const name = byId.get(id).callFrame.functionName || '(anonymous)';
  self.set(name, (self.get(name) || 0) + (p.timeDeltas[i] || 0));
  total += p.timeDeltas[i] || 0;
});
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`);
EOF
for m in fwd det; do
  [ "$m" = fwd ] && echo "== wasm SIMD (Node --cpu-prof), forward 512 tokens" || echo "== wasm SIMD (Node --cpu-prof), detect 1,000 words"
  node --cpu-prof --cpu-prof-dir="$TMP/prof_$m" "$TMP/run.mjs" "$m"
  node "$TMP/agg.mjs" "$TMP/prof_$m"
done
