#!/usr/bin/env node
// Builds telltale: the native library/CLI/tests in build/ and the two WebAssembly modules
// (build-wasm/: SIMD, build-wasm-nosimd/: scalar), copied to wasm/dist/.
//
//   node scripts/build.mjs               everything (incremental: cmake rebuilds only what changed)
//   node scripts/build.mjs native        only the native build
//   node scripts/build.mjs wasm          only the wasm builds
//   node scripts/build.mjs --if-missing  build only the outputs that are absent (npm start)
//
// Uses at most 2 parallel jobs (TELLTALE_JOBS overrides). Ninja is used when installed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const ifMissing = args.includes('--if-missing');
const parts = args.filter((a) => !a.startsWith('--'));
for (const p of parts) {
  if (p !== 'native' && p !== 'wasm') fail(`unknown part '${p}' (expected 'native' or 'wasm')`);
}
const want = (p) => parts.length === 0 || parts.includes(p);
const jobs = process.env.TELLTALE_JOBS || '2';

const NATIVE_OUT = join(root, 'build', 'telltale');
const WASM_BUILDS = [
  { dir: 'build-wasm', simd: 'ON', dist: 'telltale.wasm' },
  { dir: 'build-wasm-nosimd', simd: 'OFF', dist: 'telltale-nosimd.wasm' },
];

function fail(msg) {
  console.error(`build: ${msg}`);
  process.exit(1);
}

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

function need(cmd, install) {
  if (!which(cmd)) fail(`${cmd} not found: ${install}`);
}

function run(cmd, argv, env = process.env) {
  console.log(`build: ${[cmd, ...argv].join(' ')}`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`'${cmd} ${argv.join(' ')}' failed (exit ${r.status ?? r.signal})`);
}

// The generator a build dir was configured with (reusing it avoids cmake's generator-mismatch error).
function configuredGenerator(dir) {
  const cache = join(root, dir, 'CMakeCache.txt');
  if (!existsSync(cache)) return null;
  const m = /^CMAKE_GENERATOR:INTERNAL=(.*)$/m.exec(readFileSync(cache, 'utf8'));
  return m ? m[1] : null;
}

function generatorArgs(dir) {
  const g = configuredGenerator(dir);
  if (g) return ['-G', g];
  return which('ninja') ? ['-G', 'Ninja'] : [];
}

function buildNative() {
  if (ifMissing && existsSync(NATIVE_OUT)) return;
  need('cmake', 'apt-get install cmake');
  if (!which('cc') && !which('gcc') && !which('clang')) fail('no C compiler found: apt-get install build-essential');
  if (!['/usr/include/cjson/cJSON.h', '/usr/local/include/cjson/cJSON.h'].some((p) => existsSync(p))) {
    console.warn('build: cjson/cJSON.h not found in /usr/include or /usr/local/include: apt-get install libcjson-dev');
  }
  run('cmake', ['-S', '.', '-B', 'build', ...generatorArgs('build'), '-DCMAKE_BUILD_TYPE=Release']);
  run('cmake', ['--build', 'build', '-j', jobs]);
}

function buildWasm() {
  const todo = WASM_BUILDS.filter((b) => !(ifMissing && existsSync(join(root, 'wasm', 'dist', b.dist))));
  if (todo.length === 0) return;
  need('cmake', 'apt-get install cmake');
  need('emcc', 'apt-get install emscripten');
  need('emcmake', 'apt-get install emscripten');
  if (!existsSync(join(root, 'deps', 'cjson', 'cJSON.c'))) {
    need('apt-get', 'a Debian system is needed to fetch the cJSON source (or put cJSON.c/.h in deps/cjson)');
    run('bash', ['scripts/fetch-cjson.sh']);
  }
  // Debian's Emscripten 3.1.6 needs its node modules (acorn, …) for optimized links.
  const env = { ...process.env };
  if (!env.NODE_PATH && existsSync('/usr/share/nodejs')) env.NODE_PATH = '/usr/share/nodejs';
  mkdirSync(join(root, 'wasm', 'dist'), { recursive: true });
  for (const b of todo) {
    run('emcmake', ['cmake', '-S', '.', '-B', b.dir, ...generatorArgs(b.dir), '-DCMAKE_BUILD_TYPE=Release',
      `-DTT_SIMD=${b.simd}`], env);
    run('cmake', ['--build', b.dir, '--target', 'telltale_wasm', '-j', jobs], env);
    const out = join(root, b.dir, 'telltale_wasm.wasm');
    if (!existsSync(out)) fail(`${out} was not produced`);
    copyFileSync(out, join(root, 'wasm', 'dist', b.dist));
    console.log(`build: wasm/dist/${b.dist} (${statSync(out).size} bytes)`);
  }
}

if (want('native')) buildNative();
if (want('wasm')) buildWasm();
