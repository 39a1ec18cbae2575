/**
 * The OpenLineage 2-0-2 event schema (JSON Schema 2020-12), written for Pedigree from the
 * published specification (https://openlineage.io/spec/2-0-2/OpenLineage.json): no package in
 * the registries ships the spec file. It has the spec's event, run, job, dataset and base facet
 * definitions, plus the facets Pedigree reads, each at the facet key the spec gives it
 * (`version`, `schema`, `dataSource` on datasets; `errorMessage`, `parent` on runs;
 * `sourceCodeLocation`, `sourceCode` on jobs), from their facet specs. Every other facet is
 * checked as a base facet only (`_producer` and `_schemaURL`), as the spec does.
 * Annotation keywords of the spec (`description`, `example`) are left out.
 */

const string = { type: 'string' } as const;
const uri = { type: 'string', format: 'uri' } as const;

/** A facet definition: the base facet plus the facet's own object. */
function facet(base: string, own: Record<string, unknown>): Record<string, unknown> {
  return { allOf: [{ $ref: `#/$defs/${base}` }, { type: 'object', ...own }] };
}

export const OPENLINEAGE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://openlineage.io/spec/2-0-2/OpenLineage.json',
  $defs: {
    BaseEvent: {
      type: 'object',
      properties: {
        eventTime: { type: 'string', format: 'date-time' },
        producer: uri,
        schemaURL: uri,
      },
      required: ['eventTime', 'producer', 'schemaURL'],
    },
    RunEvent: {
      allOf: [
        { $ref: '#/$defs/BaseEvent' },
        {
          type: 'object',
          properties: {
            eventType: { type: 'string', enum: ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] },
            run: { $ref: '#/$defs/Run' },
            job: { $ref: '#/$defs/Job' },
            inputs: { type: 'array', items: { $ref: '#/$defs/InputDataset' } },
            outputs: { type: 'array', items: { $ref: '#/$defs/OutputDataset' } },
          },
          required: ['run', 'job'],
        },
      ],
    },
    JobEvent: {
      allOf: [
        { $ref: '#/$defs/BaseEvent' },
        {
          type: 'object',
          properties: {
            job: { $ref: '#/$defs/Job' },
            inputs: { type: 'array', items: { $ref: '#/$defs/InputDataset' } },
            outputs: { type: 'array', items: { $ref: '#/$defs/OutputDataset' } },
          },
          required: ['job'],
          not: { required: ['run'] },
        },
      ],
    },
    DatasetEvent: {
      allOf: [
        { $ref: '#/$defs/BaseEvent' },
        {
          type: 'object',
          properties: { dataset: { $ref: '#/$defs/StaticDataset' } },
          required: ['dataset'],
          not: { required: ['job', 'run'] },
        },
      ],
    },
    Run: {
      type: 'object',
      properties: {
        runId: { type: 'string', format: 'uuid' },
        facets: {
          type: 'object',
          properties: {
            errorMessage: { $ref: '#/$defs/ErrorMessageRunFacet' },
            parent: { $ref: '#/$defs/ParentRunFacet' },
          },
          additionalProperties: { $ref: '#/$defs/RunFacet' },
        },
      },
      required: ['runId'],
    },
    Job: {
      type: 'object',
      properties: {
        namespace: string,
        name: string,
        facets: {
          type: 'object',
          properties: {
            sourceCodeLocation: { $ref: '#/$defs/SourceCodeLocationJobFacet' },
            sourceCode: { $ref: '#/$defs/SourceCodeJobFacet' },
          },
          additionalProperties: { $ref: '#/$defs/JobFacet' },
        },
      },
      required: ['namespace', 'name'],
    },
    Dataset: {
      type: 'object',
      properties: {
        namespace: string,
        name: string,
        facets: {
          type: 'object',
          properties: {
            version: { $ref: '#/$defs/DatasetVersionDatasetFacet' },
            schema: { $ref: '#/$defs/SchemaDatasetFacet' },
            dataSource: { $ref: '#/$defs/DatasourceDatasetFacet' },
          },
          additionalProperties: { $ref: '#/$defs/DatasetFacet' },
        },
      },
      required: ['namespace', 'name'],
    },
    StaticDataset: { allOf: [{ $ref: '#/$defs/Dataset' }] },
    InputDataset: {
      allOf: [
        { $ref: '#/$defs/Dataset' },
        { type: 'object', properties: { inputFacets: { type: 'object', additionalProperties: { $ref: '#/$defs/InputDatasetFacet' } } } },
      ],
    },
    OutputDataset: {
      allOf: [
        { $ref: '#/$defs/Dataset' },
        { type: 'object', properties: { outputFacets: { type: 'object', additionalProperties: { $ref: '#/$defs/OutputDatasetFacet' } } } },
      ],
    },
    BaseFacet: {
      type: 'object',
      properties: { _producer: uri, _schemaURL: uri },
      additionalProperties: true,
      required: ['_producer', '_schemaURL'],
    },
    RunFacet: facet('BaseFacet', { additionalProperties: true }),
    JobFacet: facet('BaseFacet', { properties: { _deleted: { type: 'boolean' } } }),
    DatasetFacet: facet('BaseFacet', { properties: { _deleted: { type: 'boolean' } } }),
    InputDatasetFacet: facet('BaseFacet', {}),
    OutputDatasetFacet: facet('BaseFacet', {}),

    // The facets Pedigree reads (their own 1-x specs).
    DatasetVersionDatasetFacet: facet('DatasetFacet', { properties: { datasetVersion: string }, required: ['datasetVersion'] }),
    SchemaDatasetFacet: facet('DatasetFacet', { properties: { fields: { type: 'array', items: { $ref: '#/$defs/SchemaDatasetFacetFields' } } } }),
    SchemaDatasetFacetFields: {
      type: 'object',
      properties: {
        name: string,
        type: string,
        description: string,
        ordinal_position: { type: 'integer' },
        fields: { type: 'array', items: { $ref: '#/$defs/SchemaDatasetFacetFields' } },
      },
      required: ['name'],
    },
    DatasourceDatasetFacet: facet('DatasetFacet', { properties: { name: string, uri } }),
    ErrorMessageRunFacet: facet('RunFacet', {
      properties: { message: string, programmingLanguage: string, stackTrace: string },
      required: ['message', 'programmingLanguage'],
    }),
    ParentRunFacet: facet('RunFacet', {
      properties: {
        run: { type: 'object', properties: { runId: { type: 'string', format: 'uuid' } }, required: ['runId'] },
        job: { type: 'object', properties: { namespace: string, name: string }, required: ['namespace', 'name'] },
        root: {
          type: 'object',
          properties: {
            run: { type: 'object', properties: { runId: { type: 'string', format: 'uuid' } }, required: ['runId'] },
            job: { type: 'object', properties: { namespace: string, name: string }, required: ['namespace', 'name'] },
          },
          required: ['run', 'job'],
        },
      },
      required: ['run', 'job'],
    }),
    SourceCodeLocationJobFacet: facet('JobFacet', {
      properties: { type: string, url: uri, repoUrl: string, path: string, version: string, tag: string, branch: string, pullRequestNumber: string },
      required: ['type', 'url'],
    }),
    SourceCodeJobFacet: facet('JobFacet', { properties: { language: string, sourceCode: string }, required: ['language', 'sourceCode'] }),
  },
  oneOf: [{ $ref: '#/$defs/RunEvent' }, { $ref: '#/$defs/DatasetEvent' }, { $ref: '#/$defs/JobEvent' }],
} as const;

/** The event kinds of the spec, each a definition of the schema above. */
export type EventKind = 'RunEvent' | 'JobEvent' | 'DatasetEvent';
