/**
 * How messages name a Paper for a person: its position, its id when it has one, and the start of
 * its English title, e.g. `paper 4 (arxiv:2404.08801) "Megalodon: Efficient LLM Pretraining…"`.
 * The title is what the editor recognises; the position is what they search the file for.
 */
export function paperName(paper: unknown, index: number): string {
  const p = (typeof paper === 'object' && paper !== null ? paper : {}) as { id?: unknown; title?: { en?: unknown } };
  const id = typeof p.id === 'string' ? ` (${p.id})` : '';
  const en = typeof p.title?.en === 'string' ? ` ${JSON.stringify(clip(p.title.en.replace(/\s+/g, ' ').trim(), 60))}` : '';
  return `paper ${index + 1}${id}${en}`;
}

function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}
