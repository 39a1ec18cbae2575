// Webhook delivery records, compact (src/neo4j/queries/webhooks.ts): one node per webhook and
// flush holding its finished deliveries as parallel lists, and the delivery being retried as
// `pending*` properties of the webhook, instead of one node per (webhook, event).
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
  SET w.pendingEventId = d.eventId, w.pendingSeq = d.seq, w.pendingKind = d.kind, w.pendingSubjectId = d.subjectId,
    w.pendingName = d.name, w.pendingPreviousId = d.previousId, w.pendingAlias = d.alias, w.pendingActor = d.actor,
    w.pendingOccurredAt = d.occurredAt.epochMillis, w.pendingAttempts = d.attempts, w.pendingStatusCode = d.lastStatusCode,
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
    webhookId: webhookId, projectId: ds[0].projectId,
    writtenAt: reduce(at = ds[0].updatedAt, d IN ds | CASE WHEN d.updatedAt > at THEN d.updatedAt ELSE at END),
    minSeq: ds[0].seq, maxSeq: ds[-1].seq,
    eventIds: [d IN ds | d.eventId], seqs: [d IN ds | d.seq], kinds: [d IN ds | d.kind], subjectIds: [d IN ds | d.subjectId],
    names: [d IN ds | coalesce(d.name, '')], previousIds: [d IN ds | coalesce(d.previousId, '')],
    aliases: [d IN ds | coalesce(d.alias, '')], actors: [d IN ds | coalesce(d.actor, '')],
    occurredAt: [d IN ds | d.occurredAt.epochMillis], states: [d IN ds | d.state], attempts: [d IN ds | d.attempts],
    statusCodes: [d IN ds | coalesce(d.lastStatusCode, 0)], errors: [d IN ds | coalesce(d.lastError, '')],
    deliveredAt: [d IN ds | coalesce(d.deliveredAt.epochMillis, 0)]
  })
}
UNWIND finished AS d
DETACH DELETE d;
DROP CONSTRAINT webhook_delivery_key IF EXISTS;
DROP INDEX webhook_delivery_seq IF EXISTS;
DROP INDEX webhook_delivery_updated IF EXISTS;
