// ttm.mjs — the metadata JSON of a .ttm model file (docs/model-format.md: magic TTM1, a 40-byte
// header, json_len at byte 8); shared by the CLI and report tests.
import { readFileSync } from 'node:fs';

export function ttmMeta(path) {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 4) !== 'TTM1') throw new Error(`${path} is not a telltale model file (no TTM1 magic)`);
  return JSON.parse(b.subarray(40, 40 + b.readUInt32LE(8)).toString('utf8'));
}
