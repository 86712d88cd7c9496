/**
 * The inbound half of the SQLite Store: inbound-steps.ts driven synchronously inside one
 * transaction (BEGIN IMMEDIATE: one writer, so two intakes cannot interleave).
 */
import type { InboundStore } from '../inbound-store.ts';
import { FIND_BY_MESSAGE_ID, LIST_EVENTS, applySteps, inboundEventFromRow, type InboundEventRow, type Row, type Step } from '../inbound-steps.ts';
import { deliveryFromRow, type DeliveryRow } from '../rows.ts';
import { transaction, type Db, type Statement } from './db.ts';

export function sqliteInboundStore(db: Db) {
  const prepared = new Map<string, Statement<Record<string, unknown>, Row>>();
  const run = (step: Step): Row[] => {
    let st = prepared.get(step.sql);
    if (!st) prepared.set(step.sql, (st = db.prepare<Record<string, unknown>, Row>(step.sql)));
    // node:sqlite refuses named parameters the statement does not use.
    const params = Object.fromEntries(Object.entries(step.params).filter(([k]) => step.sql.includes(`@${k}`)));
    // all() runs any statement; one without RETURNING gives no rows.
    return st.all(params);
  };
  const apply = (...args: Parameters<typeof applySteps>) => transaction(db, () => {
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
      return apply(e, opts);
    },
    async listInboundEvents(q) {
      const rows = run({ sql: LIST_EVENTS, params: { subscriberId: q.subscriberId ?? null, issueId: q.issueId ?? null, limit: q.limit } });
      return rows.map((r) => inboundEventFromRow(r as unknown as InboundEventRow));
    },
  } satisfies InboundStore;
}
