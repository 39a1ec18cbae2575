// V001's (projectId, startedAt) index on runs is read by no statement: run search pages through
// run_project_started_id (V005), which leads with the same two properties and which its
// statements name every property of (a composite index serves only a query that has a predicate
// on each of its properties). Every run written paid an index entry for it.
DROP INDEX run_project_started IF EXISTS;
