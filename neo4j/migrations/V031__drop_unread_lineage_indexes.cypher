// Two indexes of V001 that no statement reads: nodes are found by id, by (projectId, externalId)
// or through their own label's keys, and `asOf` filters nodes a traversal already reached. Every
// lineage node written paid two index entries for them: about a tenth of a recordLineage batch
// (bench/write-profile.ts: 635 ms to 577 ms a batch of 9,500 elements).
DROP INDEX lineage_node_project IF EXISTS;
DROP INDEX lineage_node_created IF EXISTS;
