/**
 * The inbound half of the SQLite Store: inbound-steps.ts driven synchronously inside one
 * better-sqlite3 transaction (BEGIN IMMEDIATE: one writer, so two intakes cannot interleave).
 */
import type { Statement } from 'better-sqlite3';
import type { InboundStore } from '../inbound-store.ts';
import { FIND_BY_MESSAGE_ID, LIST_EVENTS, applySteps, inboundEventFromRow, type InboundEventRow, type Row, type Step } from '../inbound-steps.ts';
import { deliveryFromRow, type DeliveryRow } from '../rows.ts';
import type { Db } from './db.ts';

export function sqliteInboundStore(db: Db) {
  const prepared = new Map<string, Statement>();
  const run = (step: Step): Row[] => {
    let st = prepared.get(step.sql);
    if (!st) prepared.set(step.sql, (st = db.prepare(step.sql)));
    // better-sqlite3 wants exactly the named parameters the statement uses.
    const params = Object.fromEntries(Object.entries(step.params).filter(([k]) => step.sql.includes(`@${k}`)));
    return st.reader ? (st.all(params) as Row[]) : (st.run(params), []);
  };
  const apply = db.transaction((...args: Parameters<typeof applySteps>) => {
    const steps = applySteps(...args);
    let next = steps.next();
    while (!next.done) next = steps.next(run(next.value));
    return next.value;
  });

  return {
    async findDeliveryByMessageId(messageId) {
      const [row] = run({ sql: FIND_BY_MESSAGE_ID, params: { messageId } });
      return row ? deliveryFromRow(row as unknown as DeliveryRow) : null;
    },
    async applyInboundEvent(e, opts) {
      return apply.immediate(e, opts);
    },
    async listInboundEvents(q) {
      const rows = run({ sql: LIST_EVENTS, params: { subscriberId: q.subscriberId ?? null, issueId: q.issueId ?? null, limit: q.limit } });
      return rows.map((r) => inboundEventFromRow(r as unknown as InboundEventRow));
    },
  } satisfies InboundStore;
}
