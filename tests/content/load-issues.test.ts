/**
 * loadIssues remembers what it validated (a long-running `sudi serve` rebuilds on every tick): an
 * unchanged file is not validated again, but any change to the file or to the Tag vocabulary is,
 * and what it remembers cannot be changed by one build for the next.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadIssues } from '../../src/content/load-issues.ts';
import { issueText, tempProject } from '../build/site-helpers.ts';

it('an unchanged file gives the same (frozen) Issue; an edited file or Tag vocabulary is validated again', async () => {
  const project = await tempProject([]);
  const issues = path.join(project, 'issues');
  try {
    const file = path.join(issues, '2024-04-15.md');
    const tagged = issueText('2024-04-15').replace('    abstract:\n      zh: "摘要 1。"', '    abstract:\n      zh: "摘要 1。"\n    tags: [llm]');
    await writeFile(file, tagged);
    await writeFile(path.join(issues, 'tags.yml'), 'llm: { zh: 大语言模型, en: Large language models }\n');

    const first = await loadIssues(issues);
    expect(first.problems).toEqual([]);
    const again = await loadIssues(issues);
    expect(again.issues[0]).toBe(first.issues[0]);
    expect(Object.isFrozen(again.issues[0]!.papers[0]!.tags)).toBe(true);
    expect(() => again.issues[0]!.papers[0]!.tags.push('x')).toThrow(TypeError);

    // The vocabulary loses the tag: the same file is now refused.
    await writeFile(path.join(issues, 'tags.yml'), 'vision: { zh: 视觉, en: Vision }\n');
    const refused = await loadIssues(issues);
    expect(refused.issues).toEqual([]);
    expect(refused.problems.join('\n')).toMatch(/2024-04-15\.md:\d+: papers\.0\.tags\.0: .*llm/);

    // No vocabulary: any tag again, from the same text.
    await rm(path.join(issues, 'tags.yml'));
    expect((await loadIssues(issues)).problems).toEqual([]);

    // The file is edited: its new text is what counts.
    await writeFile(file, tagged.replace('Paper 1 of 2024-04-15', 'An edited title'));
    expect((await loadIssues(issues)).issues[0]!.papers[0]!.title.en).toBe('An edited title');
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});
