// Constraints and indexes of the graph model (DESIGN.md §3).
// Every statement is idempotent (IF NOT EXISTS) so a half-applied migration can run again.
// Uniqueness constraints ignore nodes that lack one of the properties, which is what the
// optional natural keys (label, semver, idempotencyKey, externalId, digest) need.

// Every lineage node: global id, project scoping, creation time for asOf and paging.
CREATE CONSTRAINT lineage_node_id IF NOT EXISTS FOR (n:LineageNode) REQUIRE n.id IS UNIQUE;
CREATE INDEX lineage_node_project IF NOT EXISTS FOR (n:LineageNode) ON (n.projectId);
CREATE INDEX lineage_node_created IF NOT EXISTS FOR (n:LineageNode) ON (n.createdAt);
CREATE CONSTRAINT lineage_node_external_id IF NOT EXISTS FOR (n:LineageNode) REQUIRE (n.projectId, n.externalId) IS UNIQUE;

CREATE CONSTRAINT project_id IF NOT EXISTS FOR (p:Project) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT project_name IF NOT EXISTS FOR (p:Project) REQUIRE p.name IS UNIQUE;

CREATE CONSTRAINT dataset_id IF NOT EXISTS FOR (d:Dataset) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT dataset_name IF NOT EXISTS FOR (d:Dataset) REQUIRE (d.projectId, d.name) IS UNIQUE;

CREATE CONSTRAINT dataset_version_id IF NOT EXISTS FOR (v:DatasetVersion) REQUIRE v.id IS UNIQUE;
CREATE CONSTRAINT dataset_version_digest IF NOT EXISTS FOR (v:DatasetVersion) REQUIRE (v.datasetId, v.digest) IS UNIQUE;
CREATE CONSTRAINT dataset_version_number IF NOT EXISTS FOR (v:DatasetVersion) REQUIRE (v.datasetId, v.number) IS UNIQUE;
CREATE CONSTRAINT dataset_version_label IF NOT EXISTS FOR (v:DatasetVersion) REQUIRE (v.datasetId, v.label) IS UNIQUE;

CREATE CONSTRAINT experiment_id IF NOT EXISTS FOR (e:Experiment) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT experiment_name IF NOT EXISTS FOR (e:Experiment) REQUIRE (e.projectId, e.name) IS UNIQUE;

CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT run_idempotency_key IF NOT EXISTS FOR (r:Run) REQUIRE (r.projectId, r.idempotencyKey) IS UNIQUE;
CREATE INDEX run_fingerprint IF NOT EXISTS FOR (r:Run) ON (r.fingerprint);
CREATE INDEX run_project_started IF NOT EXISTS FOR (r:Run) ON (r.projectId, r.startedAt);

CREATE CONSTRAINT metric_series_key IF NOT EXISTS FOR (s:MetricSeries) REQUIRE (s.runId, s.key) IS UNIQUE;

CREATE CONSTRAINT checkpoint_id IF NOT EXISTS FOR (c:Checkpoint) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT checkpoint_step IF NOT EXISTS FOR (c:Checkpoint) REQUIRE (c.runId, c.step) IS UNIQUE;

CREATE CONSTRAINT model_id IF NOT EXISTS FOR (m:Model) REQUIRE m.id IS UNIQUE;
CREATE CONSTRAINT model_name IF NOT EXISTS FOR (m:Model) REQUIRE (m.projectId, m.name) IS UNIQUE;

CREATE CONSTRAINT model_version_id IF NOT EXISTS FOR (v:ModelVersion) REQUIRE v.id IS UNIQUE;
CREATE CONSTRAINT model_version_number IF NOT EXISTS FOR (v:ModelVersion) REQUIRE (v.modelId, v.number) IS UNIQUE;
CREATE CONSTRAINT model_version_semver IF NOT EXISTS FOR (v:ModelVersion) REQUIRE (v.modelId, v.semver) IS UNIQUE;

CREATE CONSTRAINT alias_name IF NOT EXISTS FOR (a:Alias) REQUIRE (a.modelId, a.name) IS UNIQUE;

CREATE CONSTRAINT deployment_id IF NOT EXISTS FOR (d:Deployment) REQUIRE d.id IS UNIQUE;
CREATE INDEX deployment_model_env IF NOT EXISTS FOR (d:Deployment) ON (d.modelId, d.environment);

CREATE CONSTRAINT artifact_id IF NOT EXISTS FOR (a:Artifact) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT artifact_digest IF NOT EXISTS FOR (a:Artifact) REQUIRE (a.projectId, a.type, a.name, a.digest) IS UNIQUE;

// Transactional outbox (DESIGN.md §6): seq is allocated from one counter node.
CREATE CONSTRAINT event_seq IF NOT EXISTS FOR (e:Event) REQUIRE e.seq IS UNIQUE;
CREATE CONSTRAINT event_id IF NOT EXISTS FOR (e:Event) REQUIRE e.id IS UNIQUE;
CREATE INDEX event_occurred IF NOT EXISTS FOR (e:Event) ON (e.occurredAt);
CREATE CONSTRAINT counter_name IF NOT EXISTS FOR (c:Counter) REQUIRE c.name IS UNIQUE;
