// Access: API tokens (only the sha256 of the secret is stored, looked up on every request) and the audit trail.
CREATE CONSTRAINT api_token_id IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT api_token_hash IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.hash IS UNIQUE;
CREATE INDEX api_token_project IF NOT EXISTS FOR (t:ApiToken) ON (t.projectId);

// The audit trail (auditLog): one entry per change, newest first per project; never pruned.
CREATE INDEX audit_project_at IF NOT EXISTS FOR (a:AuditEntry) ON (a.projectId, a.at);
CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (a:AuditEntry) REQUIRE a.id IS UNIQUE;
