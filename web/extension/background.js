// background.js — the extension's service worker (Manifest V3).
// Adds the "Check with telltale" context-menu item for selected text, and opens the result window.
// Inference does not run here: the service worker may be stopped when idle, which would drop the
// model. It runs in an offscreen document (offscreen.html → worker.js) that stays loaded.

const MENU_ID = 'telltale-check';
const OFFSCREEN = 'offscreen.html';
let creating = null;

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: MENU_ID, title: 'Check with telltale', contexts: ['selection'] });
});

/** Make sure the offscreen document (which holds the model) exists. */
async function ensureOffscreen() {
  if (await chrome.offscreen.hasDocument()) return;
  creating ??= chrome.offscreen.createDocument({
    url: OFFSCREEN,
    reasons: ['WORKERS'],
    justification: 'Runs the telltale model in a Web Worker and keeps it loaded between checks.',
  }).finally(() => { creating = null; });
  await creating;
}

/** The selection with its line breaks (info.selectionText collapses them), when the page allows. */
async function selectionWithNewlines(tab, frameId) {
  if (!tab || tab.id == null || tab.id < 0) return null;
  try {
    const [res] = await chrome.scripting.executeScript({
      target: { tabId: tab.id, frameIds: [frameId ?? 0] },
      func: () => String(getSelection()),
    });
    return typeof res?.result === 'string' && res.result.trim() ? res.result : null;
  } catch {
    return null; // no activeTab grant (e.g. chrome:// pages, PDF viewer): use selectionText
  }
}

/** Open the result window for text. Called by the context-menu handler (and by tests). */
async function checkText(text) {
  const id = crypto.randomUUID();
  // Only the latest job is kept (session storage: in memory, gone when the browser closes).
  await chrome.storage.session.clear();
  try {
    await chrome.storage.session.set({ [`job:${id}`]: text });
  } catch (e) {
    // Session storage holds about 10 MB; the result window says why it is empty.
    await chrome.storage.session.set({ [`job:${id}`]: '', [`error:${id}`]: `The selection (${(text.length / 1048576).toFixed(1)} M characters) is too large to pass on: ${e.message}` });
  }
  await ensureOffscreen();
  return chrome.windows.create({ url: chrome.runtime.getURL(`result.html#${id}`), type: 'popup', width: 760, height: 820 });
}

/** The context-menu handler: the selected text goes to checkText. */
async function onMenuClick(info, tab) {
  if (info.menuItemId !== MENU_ID) return;
  const text = (await selectionWithNewlines(tab, info.frameId)) || info.selectionText || '';
  return checkText(text);
}

chrome.contextMenus.onClicked.addListener((info, tab) => { onMenuClick(info, tab); });

// The toolbar button opens an empty result window to paste into.
chrome.action.onClicked.addListener(() => { checkText(''); });

chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
  if (msg?.target !== 'background') return false;
  if (msg.type === 'ensure-offscreen') {
    ensureOffscreen().then(() => sendResponse({ ok: true }), (e) => sendResponse({ ok: false, message: e.message }));
    return true;
  }
  return false;
});

// For tests and debugging from the service worker's console.
Object.assign(self, { telltale: { onMenuClick, checkText, ensureOffscreen, MENU_ID } });
