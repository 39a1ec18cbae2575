// GraphQL Code Generator: resolver types from schema/*.graphql into src/generated/ (not
// committed; `npm run typecheck` regenerates). Mappers name the row types resolvers receive.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useTypeImports: true,
        enumsAsTypes: true,
        contextType: '../context.ts#Context',
        mappers: {
          Project: '../domain/rows.ts#ProjectRow',
          Dataset: '../domain/rows.ts#DatasetRow',
          DatasetVersion: '../domain/rows.ts#DatasetVersionRow',
          Experiment: '../domain/rows.ts#ExperimentRow',
          Run: '../domain/rows.ts#RunRow',
          Checkpoint: '../domain/rows.ts#CheckpointRow',
          Artifact: '../domain/rows.ts#ArtifactRow',
          Model: '../domain/rows.ts#ModelRow',
          ModelVersion: '../domain/rows.ts#ModelVersionRow',
          Deployment: '../domain/rows.ts#DeploymentRow',
          LineageNode: '../domain/rows.ts#LineageNodeRow',
          User: '../domain/rows.ts#UserRef',
          ApiToken: '../domain/rows.ts#ApiTokenRow',
          AuditEntry: '../domain/rows.ts#AuditEntryRow',
          Webhook: '../neo4j/queries/webhooks.ts#WebhookRow',
          WebhookDelivery: '../neo4j/queries/webhooks.ts#WebhookDeliveryRow',
          VersionEvent: '../neo4j/queries/events.ts#StoredEvent',
          LineageGraph: '../lineage/traversal.ts#LineageGraphRow<LineageNodeRow>',
          LineageHit: '../lineage/traversal.ts#LineageHitRow',
          ReleasePolicy: '../neo4j/queries/governance.ts#ReleasePolicyRow',
          Approval: '../neo4j/queries/governance.ts#ApprovalRow',
          Quarantine: '../neo4j/queries/governance.ts#QuarantineRow',
          ReleaseCheckFailure: '../governance/rules.ts#ReleaseFailure',
          FeatureProfile: '../monitoring/skew.ts#FeatureProfileRow',
          SkewReport: '../monitoring/skew.ts#SkewReportRow',
          ServingWindow: '../neo4j/queries/monitoring.ts#ServingWindowRow',
        },
        scalars: { DateTime: { input: 'string', output: 'Date | string' }, JSON: 'unknown', ID: 'string' },
        avoidOptionals: { field: true, inputValue: false, object: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
      },
    },
  },
};

export default config;
