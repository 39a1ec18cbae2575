/**
 * Rows as stored in Neo4j (one per label), shared by queries, loaders and resolvers; they are
 * the parents resolvers receive (codegen `mappers`). JSON-valued fields are stored as
 * canonical JSON strings (`...Json`) and parsed by resolvers. Timestamps are Neo4j datetimes,
 * read back as Dates.
 */
export interface Stamped {
  readonly id: string;
  readonly createdAt: Date;
  /** The authenticated subject that created it (a User id, an API token id, or 'admin'). */
  readonly createdBy: string | null;
}

export interface ProjectRow extends Stamped {
  readonly name: string;
  readonly description: string | null;
}

interface Scoped extends Stamped {
  readonly projectId: string;
}

/** Lineage nodes may carry the client key of a recordLineage batch (unique per project). */
interface LineageRow extends Scoped {
  readonly externalId: string | null;
}

export interface DatasetRow extends Scoped {
  readonly name: string;
  readonly description: string | null;
  /** The number the next version gets; incremented under the dataset's write lock. */
  readonly nextNumber: number;
}

export interface DatasetVersionRow extends LineageRow {
  readonly datasetId: string;
  readonly number: number;
  readonly label: string | null;
  readonly digest: string;
  readonly uri: string;
  readonly sizeBytes: number | null;
  readonly recordCount: number | null;
  readonly schemaJson: string | null;
  readonly propertiesJson: string;
}

export interface ExperimentRow extends Scoped {
  readonly name: string;
}

export type RunType = 'DATA_PROCESSING' | 'TRAINING' | 'FINE_TUNING' | 'EVALUATION' | 'INFERENCE' | 'PIPELINE' | 'OTHER';
export type RunStatus = 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELED' | 'CACHED';

export interface RunRow extends LineageRow {
  readonly experimentId: string | null;
  readonly parentId: string | null;
  readonly name: string;
  readonly type: RunType;
  readonly status: RunStatus;
  readonly paramsJson: string;
  readonly codeJson: string | null;
  readonly environmentJson: string | null;
  /** Latest value per metric key, as a JSON object. */
  readonly summaryMetricsJson: string;
  readonly fingerprint: string;
  readonly idempotencyKey: string | null;
  readonly startedAt: Date;
  readonly endedAt: Date | null;
  /** Free-form string tags (e.g. MLflow's run tags) as a JSON object; absent on runs that never had one. */
  readonly tagsJson?: string | null;
}

export type RetentionState = 'RETAINED' | 'DELETED';

export interface CheckpointRow extends LineageRow {
  readonly runId: string;
  readonly step: number;
  readonly epoch: number | null;
  readonly uri: string;
  readonly digest: string | null;
  readonly sizeBytes: number | null;
  readonly metricsJson: string;
  readonly retention: RetentionState;
  readonly deletedAt: Date | null;
}

export interface ArtifactRow extends LineageRow {
  readonly type: string;
  readonly name: string;
  readonly uri: string | null;
  readonly digest: string | null;
  readonly propertiesJson: string;
}

export interface ModelRow extends Scoped {
  readonly name: string;
  readonly description: string | null;
  readonly nextNumber: number;
}

export type ModelVersionStatus = 'REGISTERED' | 'VALIDATED' | 'REJECTED' | 'ARCHIVED';

export interface ModelVersionRow extends LineageRow {
  readonly modelId: string;
  readonly number: number;
  readonly semver: string | null;
  readonly description: string | null;
  readonly status: ModelVersionStatus;
  readonly metricsJson: string;
}

export type DeploymentStatus = 'ACTIVE' | 'SUPERSEDED' | 'ROLLED_BACK' | 'RETIRED' | 'FAILED';

export interface DeploymentRow extends LineageRow {
  readonly modelId: string;
  readonly modelVersionId: string;
  readonly environment: string;
  readonly endpoint: string | null;
  readonly status: DeploymentStatus;
  readonly replacesId: string | null;
  readonly deployedAt: Date;
  readonly endedAt: Date | null;
}

/** Any row of a label that implements LineageNode, tagged with its label (not `label`: dataset versions have one). */
export type LineageNodeRow =
  | ({ readonly nodeLabel: 'DatasetVersion' } & DatasetVersionRow)
  | ({ readonly nodeLabel: 'Run' } & RunRow)
  | ({ readonly nodeLabel: 'Checkpoint' } & CheckpointRow)
  | ({ readonly nodeLabel: 'ModelVersion' } & ModelVersionRow)
  | ({ readonly nodeLabel: 'Deployment' } & DeploymentRow)
  | ({ readonly nodeLabel: 'Artifact' } & ArtifactRow);

export type LineageLabel = LineageNodeRow['nodeLabel'];

export const LINEAGE_LABELS: readonly LineageLabel[] = ['DatasetVersion', 'Run', 'Checkpoint', 'ModelVersion', 'Deployment', 'Artifact'];

export const NODE_KIND_BY_LABEL = {
  DatasetVersion: 'DATASET_VERSION',
  Run: 'RUN',
  Checkpoint: 'CHECKPOINT',
  ModelVersion: 'MODEL_VERSION',
  Deployment: 'DEPLOYMENT',
  Artifact: 'ARTIFACT',
} as const satisfies Record<LineageLabel, string>;

/** A reference to a User of the company graph: Pedigree knows only the id (the subject). */
export interface UserRef {
  readonly id: string;
}

export type Role = 'VIEWER' | 'WRITER' | 'ADMIN';

/** An API token as stored: the secret itself never is, only its sha256 (`hash`, not exposed). */
export interface ApiTokenRow {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

/** One change in a project's audit trail (written with its events; never pruned). */
export interface AuditEntryRow {
  /** The id of the event it accompanies (time-ordered), or a fresh one. */
  readonly id: string;
  readonly projectId: string;
  readonly at: Date;
  readonly actor: string | null;
  readonly action: string;
  readonly subjectId: string | null;
  readonly detailsJson: string;
}
