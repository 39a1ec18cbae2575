// Serving observations (src/monitoring): dataset profiles, serving windows, skew thresholds.
// None of these is a lineage node: no :LineageNode label, no lineage relationship, so no
// traversal ever reaches them.

// One profile per dataset version, immutable once set; concurrent first sets race on this.
CREATE CONSTRAINT dataset_profile_version IF NOT EXISTS FOR (p:DatasetProfile) REQUIRE p.datasetVersionId IS UNIQUE;

// A window is identified by (deployment, start, end): recording it again is idempotent.
CREATE CONSTRAINT serving_window_key IF NOT EXISTS FOR (w:ServingWindow) REQUIRE (w.deploymentId, w.start, w.end) IS UNIQUE;
// A deployment's windows newest first (servingWindows, latestSkew) read in index order.
CREATE INDEX serving_window_newest IF NOT EXISTS FOR (w:ServingWindow) ON (w.deploymentId, w.end, w.start);
// Retention prunes by end.
CREATE INDEX serving_window_end IF NOT EXISTS FOR (w:ServingWindow) ON (w.end);

// One threshold per project, model name and feature name ('' for "any").
CREATE CONSTRAINT skew_threshold_scope IF NOT EXISTS FOR (t:SkewThreshold) REQUIRE (t.projectId, t.model, t.feature) IS UNIQUE;
