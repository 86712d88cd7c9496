import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIssue } from '../../src/content/parse-issue.ts';

const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('shows an issue-file example that passes validation', () => {
    const section = README.slice(README.indexOf('## Issue files'));
    const example = /```markdown\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    const issue = parseIssue('2024-04-15.md', example as string);
    expect(issue.papers).toHaveLength(2);
    expect(issue.papers[0]?.id).toBe('arxiv:2404.08634');
    expect(issue.note).toContain('This week');
  });
});
