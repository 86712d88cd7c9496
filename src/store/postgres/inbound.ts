/**
 * The inbound half of the PostgreSQL Store: inbound-steps.ts driven with awaits inside one
 * transaction. Two intakes applying events for the same Subscriber serialize on its row lock.
 */
import type { InboundStore } from '../inbound-store.ts';
import { FIND_BY_MESSAGE_ID, LIST_EVENTS, applySteps, inboundEventFromRow, toNumbered, type InboundEventRow, type Row, type Step } from '../inbound-steps.ts';
import { deliveryFromRow, type DeliveryRow } from '../rows.ts';
import { tx, type Pool, type Queryable } from './db.ts';

async function run(q: Queryable, step: Step): Promise<Row[]> {
  const { text, values } = toNumbered(step);
  return (await q.query(text, values)).rows as Row[];
}

export function postgresInboundStore(pool: Pool) {
  return {
    async findDeliveryByMessageId(messageId) {
      const [row] = await run(pool, { sql: FIND_BY_MESSAGE_ID, params: { messageId } });
      return row ? deliveryFromRow(row as unknown as DeliveryRow) : null;
    },
    async applyInboundEvent(e, opts) {
      return tx(pool, async (c) => {
        const steps = applySteps(e, opts);
        let next = steps.next();
        while (!next.done) next = steps.next(await run(c, next.value));
        return next.value;
      });
    },
    async listInboundEvents(q) {
      const rows = await run(pool, { sql: LIST_EVENTS, params: { subscriberId: q.subscriberId ?? null, issueId: q.issueId ?? null, limit: q.limit } });
      return rows.map((r) => inboundEventFromRow(r as unknown as InboundEventRow));
    },
  } satisfies InboundStore;
}
