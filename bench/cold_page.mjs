// cold_page.mjs — one cold start in headless Chromium (bench/bench.mjs opens bench/cold.html?model=URL
// in a browser with a fresh profile: no HTTP cache, no wasm code cache). Measures createDetector
// (fetch + compile the .wasm, fetch the model, instantiate, load the model, open the detector), then
// the first and the next detections of a 1,000-word text. Result in window.__bench.
const q = new URLSearchParams(location.search);
const tStart = performance.now(); // ms since navigation start
try {
  const { createDetector } = await import('/wasm/telltale.mjs');
  const { makeText } = await import('/bench/text.mjs');
  const t0 = performance.now();
  const det = await createDetector({ model: q.get('model'), wasm: 'simd' });
  const t1 = performance.now();
  const text = makeText(1000, 1);
  const withDetect = q.get('detect') !== '0'; // 0: an LM-only test model
  const d0 = performance.now();
  if (withDetect) det.detect(text);
  const d1 = performance.now();
  const runs = [];
  for (let i = 0; withDetect && i < Number(q.get('runs') || 5); i++) {
    const a = performance.now();
    det.detect(text);
    runs.push(performance.now() - a);
  }
  window.__bench = {
    script_start_ms: tStart, create_ms: t1 - t0, ready_since_navigation_ms: t1,
    first_detect_ms: d1 - d0, detect_ms: runs, kernel: det.info.kernel,
    user_agent: navigator.userAgent,
  };
  det.close();
} catch (e) {
  window.__bench = { error: String(e && e.stack || e) };
}
