/**
 * The arXiv Atom reader on its own: elements by namespace URI (never by prefix), error entries,
 * whitespace, and refusal of anything with a DOCTYPE or an undeclared entity.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArxivFeed, parseArxivRef, titleKey, titleSearchUrl } from '../../src/sources/arxiv.ts';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'sources', 'arxiv', name), 'utf8');

describe('parseArxivFeed', () => {
  it('reads a recorded answer: entries with versions, arxiv: extensions, opensearch total; hard wraps gone', () => {
    const feed = parseArxivFeed(fixture('ids-hf-week-2024-W16.xml'), 'test');
    expect(feed.totalResults).toBe(9);
    expect(feed.errors).toEqual([]);
    const video = feed.entries.find((e) => e.id === '2404.09833')!;
    expect(video).toMatchObject({
      version: 1,
      title: 'Video2Game: Real-time, Interactive, Realistic and Browser-Compatible Environment from a Single Video',
      categories: ['cs.CV', 'cs.AI', 'cs.GR', 'cs.LG'],
      published: '2024-04-15',
      journalRef: 'Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR), 2024',
      comment: 'CVPR 2024. Project page (with code): https://video2game.github.io/',
    });
    expect(video.abstract).toMatch(/^Creating high-quality and interactive virtual environments, such as games and simulators, often/);
    expect(video.abstract).not.toMatch(/\s{2}|\n/);
    expect(feed.entries.find((e) => e.id === '2404.10667')!.doi).toBe('10.1145/3658146');
  });

  it('matches by namespace URI whatever the prefixes; a look-alike in another namespace is not arXiv data', () => {
    const xml = `<?xml version="1.0"?>
<a:feed xmlns:a="http://www.w3.org/2005/Atom" xmlns:x="http://arxiv.org/schemas/atom" xmlns:arxiv="urn:not-arxiv">
  <a:entry>
    <a:id>http://arxiv.org/abs/2404.08634v3</a:id>
    <a:title>A  title
      over two lines</a:title>
    <a:summary>Text &amp; more &#x4E2D;.</a:summary>
    <a:published>2024-04-12T17:53:20Z</a:published><a:updated>2024-06-01T00:00:00Z</a:updated>
    <a:author><a:name>Ada</a:name></a:author>
    <x:primary_category term="cs.CL"/><a:category term="cs.AI"/><a:category term="cs.CL"/>
    <x:comment>real comment</x:comment>
    <arxiv:comment>from another namespace</arxiv:comment>
    <arxiv:doi>10.1/fake</arxiv:doi>
  </a:entry>
</a:feed>`;
    const [e] = parseArxivFeed(xml, 'test').entries;
    expect(e).toEqual({
      id: '2404.08634',
      version: 3,
      title: 'A title over two lines',
      abstract: 'Text & more 中.',
      authors: ['Ada'],
      categories: ['cs.CL', 'cs.AI'],
      published: '2024-04-12',
      updated: '2024-06-01',
      doi: undefined,
      journalRef: undefined,
      comment: 'real comment',
    });
  });

  it('reads the error entry of a malformed id', () => {
    const feed = parseArxivFeed(fixture('error-malformed-2404.0863.xml'), 'test');
    expect(feed.entries).toEqual([]);
    expect(feed.errors).toEqual([{ id: '2404.0863', message: 'incorrect id format for 2404.0863' }]);
  });

  it('refuses a DOCTYPE (entity expansion, external entities) and undeclared entities, naming the place', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>`;
    expect(() => parseArxivFeed(laughs, 'src')).toThrow(/^src:2:\d+: has a DOCTYPE; refused/);
    const external = `<?xml version="1.0"?>\n<!DOCTYPE feed SYSTEM "file:///etc/passwd">\n<feed xmlns="http://www.w3.org/2005/Atom"/>`;
    expect(() => parseArxivFeed(external, 'src')).toThrow(/has a DOCTYPE; refused/);
    const undeclared = `<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title></feed>`;
    expect(() => parseArxivFeed(undeclared, 'src')).toThrow(/not well-formed XML: .*undefined entity/i);
    expect(() => parseArxivFeed('<html><body>Rate exceeded</body></html>', 'src')).toThrow(/not an Atom feed \(root element \{\}html/);
    expect(() => parseArxivFeed('<feed xmlns="http://www.w3.org/2005/Atom"><entry>', 'src')).toThrow(/not well-formed XML/);
  });
});

describe('ids and titles', () => {
  it('parseArxivRef takes ids, arxiv: ids and abs/pdf URLs', () => {
    expect(parseArxivRef('2404.08634')).toEqual({ id: '2404.08634', version: null });
    expect(parseArxivRef('arxiv:2404.08634v2')).toEqual({ id: '2404.08634', version: 2 });
    expect(parseArxivRef('https://arxiv.org/pdf/2404.08634v1.pdf')).toEqual({ id: '2404.08634', version: 1 });
    expect(parseArxivRef('hep-th/9901001')).toBeNull();
    expect(parseArxivRef('2404.08634,2404.08197')).toBeNull();
  });

  it('titleKey: case, spacing and punctuation aside', () => {
    expect(titleKey('COCONut:  Modernizing\n COCO Segmentation')).toBe(titleKey('coconut modernizing coco segmentation'));
    expect(titleKey('Scaling (Down) CLIP')).not.toBe(titleKey('Scaling CLIP'));
  });

  it('titleSearchUrl asks for the phrase without query syntax', () => {
    const u = new URL(titleSearchUrl('https://export.arxiv.org/api/query', 'Scaling (Down) CLIP: "A" Study'));
    expect(u.searchParams.get('search_query')).toBe('ti:"Scaling Down CLIP A Study"');
  });
});
