// hardening.test.mjs — the CLI's input limits (docs/hardening.md):
//   - detect: a FILE argument of TT_MAX_TEXT_BYTES + 1 bytes is refused with the limit named (stdin:
//     cli.test.mjs), and exactly TT_MAX_TEXT_BYTES of white space is accepted;
//   - score --jsonl: a line longer than any text within TT_MAX_TEXT_BYTES can need as JSON is answered
//     with an error line (memory stays bounded) and the next lines still run; an id that overflows to
//     infinity (1e999) is refused rather than echoed as null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = process.env.TELLTALE_CLI ? join(root, process.env.TELLTALE_CLI) : join(root, 'build/telltale');
const MODEL = join(root, 'tests/fixtures/tiny-detector.ttm');
const skip = existsSync(CLI) && existsSync(MODEL) ? false : `${CLI} or the tiny detector is missing`;
const MAX = 8 * 1024 * 1024; // TT_MAX_TEXT_BYTES

const run = (args, input) => {
  const r = spawnSync(CLI, args, { input, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

test('detect FILE: one byte past TT_MAX_TEXT_BYTES is refused, the limit itself is not', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'telltale-limit-'));
  try {
    const big = join(dir, 'big.txt');
    writeFileSync(big, Buffer.alloc(MAX + 1, 0x61));
    let r = run(['detect', '--model', MODEL, big]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /larger than 8388608 bytes \(TT_MAX_TEXT_BYTES\): split it into parts/);
    assert.equal(r.stdout, '');
    const max = join(dir, 'max.txt');
    writeFileSync(max, Buffer.alloc(MAX, 0x20));
    r = run(['detect', '--json', '--model', MODEL, max]);
    assert.equal(r.status, 0, r.stderr);
    const js = JSON.parse(r.stdout);
    assert.equal(js.document.end, MAX);
    assert.ok(js.warnings.some((w) => w.code === 'empty'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('score --jsonl: an over-long line gets an error line, the rest still runs', { skip }, () => {
  const maxLine = 6 * MAX + 65536;
  const long = Buffer.concat([Buffer.from('{"id": 1, "text": "'), Buffer.alloc(maxLine, 0x61), Buffer.from('"}\n')]);
  const input = Buffer.concat([long, Buffer.from('{"id": 2, "text": "Short text. Two sentences."}\n{"id": 1e999, "text": "x"}\n')]);
  const r = run(['score', '--jsonl', '--model', MODEL], input);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, 3);
  assert.equal(out[0].id, null);
  assert.match(out[0].error, /^line 1: longer than 50397184 bytes, the most a text of TT_MAX_TEXT_BYTES = 8388608 bytes needs as JSON/);
  assert.equal(out[1].id, 2);
  assert.ok('score' in out[1] && !('error' in out[1]), JSON.stringify(out[1]));
  assert.equal(out[2].id, null);
  assert.match(out[2].error, /^line 3: "id" is a number out of range/);
});
