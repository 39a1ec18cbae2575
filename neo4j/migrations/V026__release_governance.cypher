// Release governance (src/governance): the per-project gate whose lock serializes releases
// with the policy, approval and quarantine writes they depend on; policies keyed by target;
// approvals per version and target; the quarantine trail per node.

CREATE CONSTRAINT release_gate_project IF NOT EXISTS FOR (g:ReleaseGate) REQUIRE g.projectId IS UNIQUE;

CREATE CONSTRAINT release_policy_id IF NOT EXISTS FOR (p:ReleasePolicy) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT release_policy_key IF NOT EXISTS FOR (p:ReleasePolicy) REQUIRE (p.projectId, p.key) IS UNIQUE;
CREATE INDEX release_policy_target IF NOT EXISTS FOR (p:ReleasePolicy) ON (p.projectId, p.targetKind, p.target);

CREATE CONSTRAINT approval_key IF NOT EXISTS FOR (a:Approval) REQUIRE (a.versionId, a.key) IS UNIQUE;
CREATE INDEX approval_version IF NOT EXISTS FOR (a:Approval) ON (a.versionId);

CREATE INDEX quarantine_node IF NOT EXISTS FOR (q:Quarantine) ON (q.nodeId);
CREATE INDEX quarantine_project IF NOT EXISTS FOR (q:Quarantine) ON (q.projectId);
