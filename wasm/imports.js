// Emscripten JS library: declares the functions the wasm module imports from JavaScript, so that
// the link knows they are provided at instantiation (by wasm/telltale.mjs), not missing.
// Only the declaration matters: with -sSTANDALONE_WASM no Emscripten JS glue is emitted.
mergeInto(LibraryManager.library, {
  // int tt_js_progress(tt_wasm *w, uint32_t done, uint32_t total): non-zero cancels.
  tt_js_progress: function (w, done, total) { return 0; },
});
