// rendered.mjs — reads a rendered result (web/render.js) back from the DOM; shared by the page's and
// the extension's browser tests.

/** The page's rendered result, read from the DOM. */
export function readRendered(page) {
  return page.evaluate(() => {
    const num = (s) => (s === '' || s == null ? null : Number(s));
    const v = document.querySelector('#results .verdict');
    return {
      doc: { label: v.dataset.label, score: num(v.dataset.score), p: num(v.dataset.p) },
      scoreText: v.querySelector('[data-field=score] strong').textContent,
      pText: v.querySelector('[data-field=p] strong').textContent,
      title: v.querySelector('h2').textContent,
      paras: [...document.querySelectorAll('#results section.para')].map((p) => ({
        start16: num(p.dataset.start16), end16: num(p.dataset.end16), label: p.dataset.label,
        score: num(p.dataset.score), p: num(p.dataset.p), tested: p.dataset.tested === 'true',
        head: p.querySelector('.para-nums').textContent,
      })),
      sents: [...document.querySelectorAll('#results mark.sent')].map((m) => ({
        start16: num(m.dataset.start16), end16: num(m.dataset.end16), score: num(m.dataset.score),
        label: m.dataset.label, text: m.textContent, aria: m.getAttribute('aria-label'), title: m.title,
        tabindex: m.tabIndex, cls: m.className, bg: getComputedStyle(m).backgroundColor,
      })),
      warnings: [...document.querySelectorAll('#results .warnings li')].map((li) => ({ code: li.dataset.code, text: li.textContent })),
      timings: document.querySelector('#results .timings')?.textContent || '',
    };
  });
}
