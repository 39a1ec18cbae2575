// Webhooks (src/events/webhooks/): one node per endpoint, holding its delivery cursor and the
// lease that lets one gateway at a time deliver it; one node per (webhook, event) delivery.
// Numbered after the issue so parallel branches do not collide.
CREATE CONSTRAINT webhook_id IF NOT EXISTS FOR (w:Webhook) REQUIRE w.id IS UNIQUE;
CREATE INDEX webhook_project IF NOT EXISTS FOR (w:Webhook) ON (w.projectId);
// MERGE key of a delivery record: written again on every attempt of the same event.
CREATE CONSTRAINT webhook_delivery_key IF NOT EXISTS FOR (d:WebhookDelivery) REQUIRE (d.webhookId, d.eventId) IS UNIQUE;
// Webhook.deliveries: newest first by seq.
CREATE INDEX webhook_delivery_seq IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.webhookId, d.seq);
// Pruning delivery records older than the event retention.
CREATE INDEX webhook_delivery_updated IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.updatedAt);
// Gateways that deliver webhooks announce themselves on this one node (parallel lists of
// instance ids and the instant each is alive until), so they can share the webhooks out.
// One node created here, so a gateway's start or stop never changes the number of nodes.
MERGE (r:WebhookInstances {name: 'instances'}) ON CREATE SET r.ids = [], r.aliveUntil = [];
