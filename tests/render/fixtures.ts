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
