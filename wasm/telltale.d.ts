// Types for wasm/telltale.mjs (the package's main export). Result schema: docs/result-schema.md.

export type Label = 'human' | 'machine' | 'uncertain';

/** Byte offsets into the UTF-8 input and UTF-16 offsets (what String.prototype.slice uses); half-open. */
export interface Span {
  start: number;
  end: number;
  start16: number;
  end16: number;
}

export interface SentenceResult extends Span {
  /** Calibrated P(machine) for this sentence; null when not scored (too short). */
  score: number | null;
  /** MMD-MP single-instance score; null when not scored. */
  raw: number | null;
  label: Label;
}

export interface UnitResult extends Span {
  /** Calibrated probability that the text is machine-generated, 0..1. */
  score: number;
  label: Label;
  /** p-value of the two-sample test (see DetectionResult.test); null if untested. */
  p_value: number | null;
  /** Unbiased MMD² against the human reference; null with fewer than two scored sentences. */
  mmd2: number | null;
  /** MMD-MP statistic (mean sentence score − 1), the human-null test's; null when nothing was scored. */
  mmd2_mp: number | null;
  /** False when there were too few scorable sentences for the test. */
  tested: boolean;
  /** Sentences that were scored. */
  n_sentences: number;
}

export interface ParagraphResult extends UnitResult {
  sentences: SentenceResult[];
}

export type WarningCode = 'empty' | 'too_short' | 'not_english' | 'unusual_format' | 'invalid_utf8' | 'truncated_sentence';

export interface DetectionResult {
  model: string;
  version: string;
  /** Which test gave the p-values: 'human_null' (held-out human texts of the same length, the
   * shipped model) or 'permutation' (models without a human null). */
  test: 'human_null' | 'permutation';
  document: UnitResult;
  paragraphs: ParagraphResult[];
  warnings: { code: WarningCode | string; message: string }[];
  timings_ms: { segment: number; features: number; tests: number; total: number };
}

/** Called with units of work done so far; return true to cancel (detect() then throws an AbortError). */
export type ProgressCallback = (done: number, total: number) => boolean | void;

export type Source = ArrayBuffer | ArrayBufferView | Blob | Response | string | URL;

export interface CreateDetectorOptions {
  /** The .ttm model: bytes, or a URL/path (fetched in browsers, read from disk in Node). */
  model: Source;
  /** Which module: 'auto' (SIMD when supported, default), 'simd', 'scalar', or the module's bytes.
   * (A compiled WebAssembly.Module is accepted too; it is left out of this type because TypeScript
   * treats that empty interface as "any object", which would let typos like 'fast' through.) */
  wasm?: 'auto' | 'simd' | 'scalar' | ArrayBuffer | ArrayBufferView;
  /** Where the .wasm file is (default: dist/telltale.wasm or dist/telltale-nosimd.wasm beside telltale.mjs). */
  wasmUrl?: string | URL | { simd: string | URL; scalar: string | URL };
  /** Default progress callback for detect(). */
  onProgress?: ProgressCallback;
}

export interface DetectOptions {
  /** Permutation-test rounds, for models without a human null (default 200, minimum 20). */
  permutations?: number;
  /** Permutation / sampling RNG seed: same text + seed → same answer (default 1). */
  seed?: number | bigint;
  onProgress?: ProgressCallback;
  /** Checked at each progress step; an aborted signal cancels. */
  signal?: AbortSignal;
}

export interface DetectorInfo {
  /** Model name from the model file. */
  model: string;
  /** telltale version of the wasm module. */
  version: string;
  /** True when the SIMD build is running. */
  simd: boolean;
  /** The int8 matmul kernel in use: 'wasm-simd128' or 'scalar'. */
  kernel: string;
  /** False for LM-only (test) models that have no detector section: detect() then throws. */
  detector: boolean;
  config: { vocabSize: number; dModel: number; context: number; bosId: number };
  /** The model file's metadata JSON (docs/model-format.md). */
  metadata: Record<string, unknown>;
}

export interface Tokens {
  ids: Int32Array;
  /** Byte range [start, end) of the UTF-8 input each token covers. */
  start: Uint32Array;
  end: Uint32Array;
}

export interface ForwardResult {
  n: number;
  dModel: number;
  /** [n, dModel] final hidden states (after ln_f), row-major; null if not asked for. */
  hidden: Float32Array | null;
  /** LM statistics: entry i is about ids[i+1] given ids[0..i] (n-1 entries); null if not asked for. */
  stats: { logprob: Float32Array; rank: Int32Array; entropy: Float32Array; var: Float32Array } | null;
}

export interface Detector {
  readonly info: DetectorInfo;
  /** Runs synchronously; use a Worker to keep a page responsive. Throws on errors and on cancellation. */
  detect(text: string | Uint8Array, options?: DetectOptions): DetectionResult;
  tokenize(text: string | Uint8Array): Tokens;
  /** The transformer over token ids (for tests and benchmarks). */
  forward(ids: ArrayLike<number>, options?: { hidden?: boolean; stats?: boolean }): ForwardResult;
  /** Frees the module's memory; the detector cannot be used afterwards. */
  close(): void;
}

export function createDetector(options: CreateDetectorOptions): Promise<Detector>;
/** True when this JavaScript engine supports WebAssembly SIMD. */
export function simdSupported(): boolean;
export default createDetector;
