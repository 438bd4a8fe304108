// Compiled (not run) by tests/js/api.test.mjs with `tsc --noEmit --strict`: typical uses of the
// public API must type-check against wasm/telltale.d.ts, and misuses must not (@ts-expect-error).
import createDefault, { createDetector, simdSupported } from 'telltale';
import type { DetectionResult, Detector, Label } from 'telltale';

export async function use(bytes: Uint8Array, url: URL): Promise<string> {
  const simd: boolean = simdSupported();
  const det: Detector = await createDetector({ model: bytes, wasm: simd ? 'simd' : 'scalar', onProgress: (d, t) => d >= t });
  const det2 = await createDefault({ model: url, wasmUrl: { simd: 'a.wasm', scalar: 'b.wasm' } });
  const r: DetectionResult = det.detect('text', { permutations: 50, seed: 7n, signal: new AbortController().signal });
  const label: Label = r.document.label;
  const p: number | null = r.document.p_value;
  const how: 'human_null' | 'permutation' = r.test;
  const stat: number | null = r.document.mmd2_mp;
  const first = r.paragraphs[0]?.sentences[0];
  const s: number | null = first ? first.score : null;
  const ids: Int32Array = det.tokenize('x').ids;
  const f = det2.forward(ids, { stats: false });
  const h: Float32Array | null = f.hidden;
  const k: string = det.info.kernel + det.info.config.dModel;
  // @ts-expect-error: the model is required
  await createDetector({});
  // @ts-expect-error: not a build name
  await createDetector({ model: bytes, wasm: 'fast' });
  // @ts-expect-error: seed is a number or bigint
  det.detect('x', { seed: '1' });
  det.close();
  det2.close();
  return `${label} ${p} ${how} ${stat} ${s} ${h?.length} ${k} ${r.timings_ms.total}`;
}
