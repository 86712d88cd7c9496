// The archive's search box (an external module: the site's CSP allows no inline script). Searches
// the Chinese and the English Pagefind bundle together and lists the papers found, best first.
// Excerpts are built from text nodes and <mark> elements, never innerHTML: the index holds the
// editors' text, which may contain markup-like characters that must stay text.
const form = document.querySelector('form.search');
const input = form && form.querySelector('input[type="search"]');
const box = document.getElementById('search-results');

if (form && input && box) {
  const LANGS = ['zh', 'en'];
  const MAX = 10;
  let instances = null;
  let latest = 0;
  let timer = 0;

  // Loaded on first use: a reader who never searches downloads nothing. A failed load (offline) is
  // tried again on the next search.
  const load = () => {
    instances ??= Promise.all(
      LANGS.map(async (lang) => {
        const base = form.dataset[lang];
        const pagefind = await import(`${base}pagefind.js`);
        return pagefind.createInstance({ basePath: base });
      }),
    ).catch((e) => {
      instances = null;
      throw e;
    });
    return instances;
  };

  const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
  const decode = (s) => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m]).replace(/\u200b/g, '');

  /** Pagefind's excerpt (escaped text with <mark> around the matches) → nodes. */
  const excerptNodes = (excerpt) =>
    excerpt.split(/(<mark>[^<]*<\/mark>)/).map((part) => {
      const m = /^<mark>([^<]*)<\/mark>$/.exec(part);
      if (!m) return document.createTextNode(decode(part));
      const mark = document.createElement('mark');
      mark.textContent = decode(m[1]);
      return mark;
    });

  const el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const show = (nodes) => {
    box.replaceChildren(...nodes);
    box.hidden = nodes.length === 0;
  };

  async function search(query) {
    const id = ++latest;
    if (query.trim() === '') return show([]);
    const all = await load();
    const found = await Promise.all(all.map((pf, i) => pf.search(query).then((r) => (r ? r.results.map((x) => ({ lang: LANGS[i], x })) : []))));
    const ranked = found.flat().sort((a, b) => b.x.score - a.x.score);
    const seen = new Set();
    const items = [];
    for (const { lang, x } of ranked) {
      if (items.length === MAX) break;
      const data = await x.data();
      if (seen.has(data.url)) continue;
      seen.add(data.url);
      items.push({ lang, data });
    }
    if (id !== latest) return; // a newer query is under way
    const status = el('p', 'search-status', items.length ? `找到 ${items.length} 篇 · ${items.length} found` : '没有找到 · Nothing found');
    status.setAttribute('role', 'status');
    const list = el('ol', 'search-list');
    for (const { lang, data } of items) {
      const li = el('li');
      const a = el('a', 'search-title', data.meta.title);
      a.href = data.url;
      a.lang = lang === 'zh' ? 'zh-CN' : 'en';
      const alt = el('span', 'search-alt', data.meta.alt_title);
      alt.lang = lang === 'zh' ? 'en' : 'zh-CN';
      const excerpt = el('p', 'search-excerpt');
      excerpt.lang = a.lang;
      excerpt.append(...excerptNodes(data.excerpt));
      li.append(a, alt, excerpt, el('p', 'meta', `${data.meta.issue} · ${data.meta.week}`));
      list.append(li);
    }
    show(items.length ? [status, list] : [status]);
  }

  const run = () => {
    search(input.value).catch((e) => show([el('p', 'search-status', `搜索出错 · Search failed: ${e.message}`)]));
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  input.addEventListener('focus', () => void load().catch(() => {}), { once: true });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      input.value = '';
      show([]);
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    run();
  });
  form.hidden = false;
}
