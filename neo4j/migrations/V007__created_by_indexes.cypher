// User.runs and User.modelVersions (issue 7): a user's newest runs and model versions by the
// subject that created them. Numbered after the issue so parallel branches do not collide.
CREATE INDEX run_created_by IF NOT EXISTS FOR (r:Run) ON (r.createdBy, r.createdAt);
CREATE INDEX model_version_created_by IF NOT EXISTS FOR (v:ModelVersion) ON (v.createdBy, v.createdAt);
