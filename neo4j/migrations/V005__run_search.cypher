// Run search (issue 5): `runs(filter, orderBy)` pages through indexes, never by sorting a project.
// Newest first, ties broken by id: the order comes from the index, so a page reads ~first rows.
CREATE INDEX run_project_started_id IF NOT EXISTS FOR (r:Run) ON (r.projectId, r.startedAt, r.id);
CREATE INDEX run_experiment_started_id IF NOT EXISTS FOR (r:Run) ON (r.experimentId, r.startedAt, r.id);
// Ordered by a metric's latest value: metric series carry their run's project.
CREATE INDEX metric_series_order IF NOT EXISTS FOR (m:MetricSeries) ON (m.projectId, m.key, m.last, m.runId);
MATCH (r:Run)-[:HAS_METRIC]->(m:MetricSeries) WHERE m.projectId IS NULL SET m.projectId = r.projectId;
