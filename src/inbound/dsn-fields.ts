/**
 * RFC 3464 delivery-status fields: the body of a `message/delivery-status` part is one per-message
 * block and one block per recipient, each a run of RFC 822-style `Name: value` lines (continuation
 * lines start with white space), blocks separated by blank lines. Pure.
 */

export type DsnBlock = Record<string, string>;

export interface DsnFields {
  perMessage: DsnBlock;
  recipients: DsnRecipient[];
}

export interface DsnRecipient {
  /** The address part of Final-Recipient (or Original-Recipient), e.g. `reader@example.net`. */
  recipient: string | null;
  /** `failed`, `delayed`, `delivered`, `relayed`, `expanded` (lower case). */
  action: string | null;
  /** The enhanced status code, e.g. `5.1.1`. */
  status: string | null;
  diagnostic: string | null;
}

function blocks(text: string): DsnBlock[] {
  const out: DsnBlock[] = [];
  for (const chunk of text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    const block: DsnBlock = {};
    let last: string | null = null;
    for (const line of chunk.split('\n')) {
      if (/^[ \t]/.test(line) && last) {
        block[last] += ` ${line.trim()}`;
        continue;
      }
      const m = /^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      // The first occurrence wins (a repeated field is a malformed report, not a second value).
      if (!(last in block)) block[last] = m[2]!.trim();
    }
    if (Object.keys(block).length > 0) out.push(block);
  }
  return out;
}

/** `rfc822; Reader@Example.net` → `Reader@Example.net`; null when empty. */
export function addressOfTyped(value: string | undefined): string | null {
  if (!value) return null;
  const v = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  const a = v.trim().replace(/^<|>$/g, '');
  return a === '' ? null : a;
}

/** `smtp; 550 5.1.1 …` → `550 5.1.1 …`; null when empty. */
function diagnosticText(value: string | undefined): string | null {
  if (!value) return null;
  const v = /^[\w-]+\s*;/.test(value) ? value.slice(value.indexOf(';') + 1) : value;
  return v.trim() === '' ? null : v.trim();
}

export function parseDsnFields(text: string): DsnFields {
  const all = blocks(text);
  const isRecipient = (b: DsnBlock) => 'final-recipient' in b || 'original-recipient' in b || 'action' in b || 'status' in b;
  const perMessage = all.find((b) => !isRecipient(b)) ?? {};
  const recipients = all.filter(isRecipient).map((b) => ({
    recipient: addressOfTyped(b['final-recipient'] ?? b['original-recipient']),
    action: b.action ? b.action.toLowerCase().split(/[\s(]/)[0]! : null,
    status: /^([245]\.\d{1,3}\.\d{1,3})/.exec(b.status ?? '')?.[1] ?? null,
    diagnostic: diagnosticText(b['diagnostic-code']),
  }));
  return { perMessage, recipients };
}
