// Start-up backfills that run once per version, like migrations (src/experiments/search-backfill.ts):
// one marker node per backfill, so a start-up reads one node instead of scanning every run.
CREATE CONSTRAINT pedigree_backfill_name IF NOT EXISTS FOR (b:PedigreeBackfill) REQUIRE b.name IS UNIQUE;
