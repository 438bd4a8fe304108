// offscreen.js — the offscreen document: owns the detector worker (web/client.js → web/worker.js),
// so the model stays loaded while the extension's service worker sleeps.
// Messages (chrome.runtime): {target:'offscreen', type:'detect', requestId, text} → {ok, result, info, ms}
//                            progress goes out as {target:'result', type:'progress', requestId, done, total}
import { DetectorClient } from './client.js';

let client = null;

async function getClient() {
  if (!client) {
    const cfg = await (await fetch(chrome.runtime.getURL('extension-config.json'))).json();
    client = new DetectorClient({ model: cfg.model });
    client.ready.catch(() => { client = null; }); // let a later request retry
  }
  return client;
}

chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
  if (msg?.target !== 'offscreen') return false;
  if (msg.type === 'detect') {
    (async () => {
      try {
        const c = await getClient();
        const { info } = await c.ready;
        if (info.detector === false) {
          throw Object.assign(new Error('the bundled model has no detector section (it can only run the language model)'), { phase: 'load' });
        }
        const t0 = performance.now();
        const { result } = await c.detect(msg.text, {
          onProgress: (done, total) => {
            chrome.runtime.sendMessage({ target: 'result', type: 'progress', requestId: msg.requestId, done, total }).catch(() => {});
          },
        });
        sendResponse({ ok: true, result, info, ms: performance.now() - t0 });
      } catch (e) {
        sendResponse({ ok: false, message: e.message, phase: e.phase || 'detect' });
      }
    })();
    return true;
  }
  return false;
});

getClient(); // start loading the model right away
