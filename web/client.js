// client.js — promise API over worker.js, used by the page (app.js) and the extension's offscreen
// document. One worker, one detector; requests are answered in order.
//
//   const c = new DetectorClient({ model, onLoadProgress });
//   await c.ready;                       // → {info, ms, fromCache, bytes, sha256}; rejects with the loader's message
//   const { result, ms } = await c.detect(text, { onProgress });
//   c.cancel();                          // stops a running check (its promise rejects, phase 'cancelled')

export class DetectorClient {
  constructor({ model, wasm = 'auto', wasmUrl, onLoadProgress } = {}) {
    if (typeof Worker !== 'function') throw new Error('this browser cannot run Web Workers, which telltale needs');
    this.opts = { model, wasm, wasmUrl };
    this.onLoadProgress = onLoadProgress;
    // With cross-origin isolation (COOP/COEP) a shared flag stops a running check cheaply;
    // otherwise cancel() restarts the worker (the model then comes from Cache Storage).
    this.cancelFlag = globalThis.crossOriginIsolated && typeof SharedArrayBuffer === 'function'
      ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.nextId = 1;
    this._start();
  }

  _start() {
    this.pending = new Map();
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'telltale' });
    this.ready = new Promise((resolve, reject) => { this._ready = { resolve, reject }; });
    this.ready.catch(() => {}); // callers see the rejection when they await it
    this.worker.onmessage = (e) => this._onMessage(e.data, this.onLoadProgress);
    this.worker.onerror = (e) => {
      // A worker that fails to start (syntax error, blocked module, missing loader) lands here.
      e.preventDefault?.();
      this._fail(new Error(`the detector worker failed to start: ${e.message || 'the loader could not be loaded'}`));
    };
    this.worker.postMessage({ type: 'init', ...this.opts, cancel: this.cancelFlag });
  }

  /** Stop the running check: its detect() promise rejects with err.phase === 'cancelled'. */
  cancel() {
    if (!this.pending.size) return;
    if (this.cancelFlag) {
      Atomics.store(this.cancelFlag, 0, 1);
      return;
    }
    const pending = [...this.pending.values()];
    this.worker.terminate();
    this._start();
    for (const p of pending) p.reject(Object.assign(new Error('stopped'), { phase: 'cancelled' }));
  }

  _fail(err) {
    this._ready.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  _onMessage(m, onLoadProgress) {
    if (m.type === 'progress') {
      if (m.id == null) onLoadProgress?.(m.done, m.total, m.phase);
      else this.pending.get(m.id)?.onProgress?.(m.done, m.total);
    } else if (m.type === 'ready') {
      this._ready.resolve({ info: m.info, ms: m.ms, fromCache: m.fromCache, bytes: m.bytes, sha256: m.sha256 ?? null });
    } else if (m.type === 'result') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve({ result: m.result, ms: m.ms });
    } else if (m.type === 'error') {
      const err = new Error(m.message);
      err.phase = m.phase;
      if (m.id == null) this._fail(err);
      else {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(err);
      }
    }
  }

  detect(text, { onProgress, permutations, seed } = {}) {
    const id = this.nextId++;
    if (this.cancelFlag) Atomics.store(this.cancelFlag, 0, 0);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ type: 'detect', id, text, permutations, seed });
    });
  }

  close() {
    this.worker.terminate();
    this._fail(new Error('closed'));
  }
}
