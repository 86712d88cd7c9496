/**
 * The machine translator that `sudi fetch` and the draft schedule call when TRANSLATE_* is set:
 * translate/translate-issue.ts, loaded only then, with its failures said on `log` (what was
 * translated shows up as what still needs a person, which both callers already print).
 */
import type { Config } from '../config.ts';
import type { LineLog } from '../log.ts';
import type { TranslateIssue } from '../sources/week-issue.ts';

export async function translatorFor(config: Pick<Config, 'translate'>, log: LineLog): Promise<TranslateIssue | undefined> {
  if (!config.translate) return undefined;
  const { translateIssue } = await import('../translate/translate-issue.ts');
  return async (front, opts) => {
    const r = await translateIssue(front, opts);
    for (const f of r.report.failed) log(`translation failed: papers.${f.paper}.${f.field} of ${f.name}: ${f.reason}; left empty`);
    if (r.report.failed.length > 0) log(`${r.report.failed.length} field(s) not translated: \`sudi translate\` on the issue file retries them`);
    return r;
  };
}
