// cold_node.mjs — one cold start in a fresh Node process (run by bench/bench.mjs as a child):
// import the loader, then createDetector({ model: path }) = read + compile the .wasm, read the model,
// instantiate, load the model (CRC, tokenizer tables) and open the detector. Prints JSON timings.
//   node bench/cold_node.mjs MODEL [simd|scalar]
const t0 = performance.now();
const { createDetector } = await import('../wasm/telltale.mjs');
const t1 = performance.now();
const det = await createDetector({ model: process.argv[2], wasm: process.argv[3] || 'simd' });
const t2 = performance.now();
det.close();
console.log(JSON.stringify({ import_ms: t1 - t0, create_ms: t2 - t1, since_process_start_ms: t2 }));
