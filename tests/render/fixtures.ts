/** Fixture issues and a Config for the rendering suites (real files, parsed by the real parser). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, type Config } from '../../src/config.ts';
import { parseIssue } from '../../src/content/parse-issue.ts';
import type { Issue } from '../../src/model.ts';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures');
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');

export function loadFixture(rel: string): Issue {
  const file = path.join(FIXTURES, rel);
  return parseIssue(file, readFileSync(file, 'utf8'));
}

/** The seed issue: issues/2024-04-15.md once imported, else our fixture made from the seed digest. */
export function seedIssue(): Issue {
  const imported = path.join(ROOT, 'issues', '2024-04-15.md');
  return existsSync(imported) ? parseIssue(imported, readFileSync(imported, 'utf8')) : loadFixture('issues/2024-04-15.md');
}

export const adversarialIssue = (): Issue => loadFixture('adversarial/2024-04-22.md');

export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({ SITE_URL: 'https://news.example.org/digest/', ...overrides }, ROOT);
}

export const NOW = new Date('2024-04-20T01:00:00Z');

/** An issue file with three papers covering the abstract cases: both, only Chinese, only English. */
export function mixedIssueText(o: { title: string; frontExtra?: string; note: string }): string {
  return `---
title: "${o.title}"
${o.frontExtra ?? ''}week: { start: 2024-05-06, end: 2024-05-10 }
publish_at: 2024-05-11T09:00:00+08:00
status: ready
papers:
  - title: { en: "Both Abstracts", zh: "两种摘要" }
    abstract: { zh: "中文摘要一。", en: "English abstract one." }
    links: { code: "https://github.com/example/both", paper: "https://arxiv.org/abs/2405.00001" }
  - title: { en: "Chinese Only", zh: "只有中文" }
    abstract: { zh: "只有中文摘要。" }
    links: { code: "https://github.com/example/zh" }
  - title: { en: "English Only", zh: "只有英文" }
    abstract: { en: "Only an English abstract." }
---
${o.note}
`;
}
