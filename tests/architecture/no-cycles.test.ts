/**
 * The shape of src/: no import cycles, and one composition root.
 *
 * Every import of every module is read with the TypeScript compiler's own scanner
 * (`ts.preProcessFile`: static, type-only, re-exports and dynamic `import()` alike), then:
 * - no cycle between files (a type-only cycle too: it still ties two modules together);
 * - no cycle between the folders of src/ (delivery/, subscribers/, store/ …); the files directly in
 *   src/ are shared leaves (model, errors, config …) and the composition root, not a folder;
 * - only the command layer (src/cli/) imports the composition root, src/app.ts: the parts it wires
 *   (delivery/, schedule/, http/ …) declare the narrow interfaces they need instead.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

type Graph = Map<string, Set<string>>;

/** Every module of src/ (paths relative to src/) and the modules of src/ it imports. */
async function importGraph(): Promise<Graph> {
  const files = (await readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.split(path.sep).join('/'));
  const graph: Graph = new Map();
  for (const file of files.sort()) {
    const { importedFiles } = ts.preProcessFile(await readFile(path.join(SRC, file), 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    graph.set(file, new Set(targets));
  }
  return graph;
}

/** Strongly connected components with more than one member, or a member importing itself (Tarjan). */
export function cycles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.has(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0]! : null);

/** The folders of src/ and which folders their files import, each edge with the imports that make it. */
function folderGraph(files: Graph): { graph: Graph; why: Map<string, string[]> } {
  const graph: Graph = new Map();
  const why = new Map<string, string[]>();
  for (const [from, targets] of files) {
    const a = folderOf(from);
    if (a === null) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    for (const to of targets) {
      const b = folderOf(to);
      if (b === null || b === a) continue;
      graph.get(a)!.add(b);
      why.set(`${a} -> ${b}`, [...(why.get(`${a} -> ${b}`) ?? []), `${from} imports ${to}`]);
    }
  }
  return { graph, why };
}

describe('src/ has no import cycles and one composition root', () => {
  it('the cycle finder finds a cycle, a self-import, and none in a chain', () => {
    const g = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));
    expect(cycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(cycles(g({ a: ['a'], b: [] }))).toEqual([['a']]);
    expect(cycles(g({ a: ['b'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('no module imports itself back, directly or through others', async () => {
    const graph = await importGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph).map((c) => c.join(' ↔ '))).toEqual([]);
  });

  it('no two folders of src/ import each other, directly or through others', async () => {
    const { graph, why } = folderGraph(await importGraph());
    expect(graph.size).toBeGreaterThan(5);
    const explained = cycles(graph).map((c) => {
      const edges = [...why.entries()].filter(([edge]) => c.includes(edge.split(' -> ')[0]!) && c.includes(edge.split(' -> ')[1]!));
      return `${c.join(' ↔ ')}: ${edges.flatMap(([, w]) => w).join('; ')}`;
    });
    expect(explained).toEqual([]);
  });

  it('only the command layer (src/cli/) imports the composition root (src/app.ts)', async () => {
    const graph = await importGraph();
    const importers = [...graph].filter(([, targets]) => targets.has('app.ts')).map(([file]) => file);
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith('cli/'))).toEqual([]);
  });
});
