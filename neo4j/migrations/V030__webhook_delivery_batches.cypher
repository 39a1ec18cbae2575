// Webhook delivery records, compact (src/neo4j/queries/webhooks.ts): one node per webhook and
// flush holding its finished deliveries as parallel lists, and the delivery being retried as
// `pending*` properties of the webhook, instead of one node per (webhook, event). The event's
// columns are no longer copied: deliveries read them from the event log.
// Webhook.deliveries: newest batches first.
CREATE INDEX webhook_delivery_batch_seq IF NOT EXISTS FOR (b:WebhookDeliveryBatch) ON (b.webhookId, b.maxSeq);
// Pruning batches older than the event retention.
CREATE INDEX webhook_delivery_batch_written IF NOT EXISTS FOR (b:WebhookDeliveryBatch) ON (b.writtenAt);
// A delivery still being retried moves onto its webhook (at most one per webhook: later events
// wait behind it), and its node goes, in one statement, so running this again finds nothing.
MATCH (d:WebhookDelivery {state: 'PENDING'})
OPTIONAL MATCH (w:Webhook {id: d.webhookId})
WITH d, w ORDER BY d.seq
WITH w, collect(d) AS ds
CALL (w, ds) {
  WITH w, [d IN ds WHERE d.seq > w.cursor][0] AS d WHERE d IS NOT NULL
  SET w.pendingEventId = d.eventId, w.pendingSeq = d.seq, w.pendingAttempts = d.attempts, w.pendingStatusCode = d.lastStatusCode,
    w.pendingError = d.lastError, w.pendingFirstAttemptMs = d.firstAttemptAt.epochMillis, w.pendingNextAttemptMs = d.nextAttemptAt.epochMillis
}
UNWIND ds AS d
DETACH DELETE d;
// The finished ones become batches of at most 100 per webhook, in seq order, written when the
// newest of them was; again in one statement.
MATCH (d:WebhookDelivery)
WITH d ORDER BY d.seq
WITH d.webhookId AS webhookId, collect(d) AS finished
CALL (webhookId, finished) {
  UNWIND range(0, size(finished) - 1, 100) AS from
  WITH finished[from..from + 100] AS ds
  CREATE (:WebhookDeliveryBatch {
    webhookId: webhookId,
    writtenAt: reduce(at = ds[0].updatedAt, d IN ds | CASE WHEN d.updatedAt > at THEN d.updatedAt ELSE at END),
    minSeq: ds[0].seq, maxSeq: ds[-1].seq, seqs: [d IN ds | d.seq], states: [d IN ds | d.state], attempts: [d IN ds | d.attempts],
    statusCodes: [d IN ds | coalesce(d.lastStatusCode, 0)], errors: [d IN ds | coalesce(d.lastError, '')],
    deliveredAt: [d IN ds | coalesce(d.deliveredAt.epochMillis, 0)]
  })
}
UNWIND finished AS d
DETACH DELETE d;
DROP CONSTRAINT webhook_delivery_key IF EXISTS;
DROP INDEX webhook_delivery_seq IF EXISTS;
DROP INDEX webhook_delivery_updated IF EXISTS;
