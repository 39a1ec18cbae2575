/**
 * MLflow 3 logged models and the model registry. A logged model is an Artifact of type
 * `model` GENERATED_BY its source run (recordArtifact); finalizing it records the sha256 of
 * every uploaded file and a digest over them (completeArtifact). A registered model is a
 * Model (createModel); a model version is a ModelVersion DERIVED_FROM the logged model, or
 * GENERATED_BY the run when only a run is given (registerModelVersion); aliases move through
 * setModelAlias, with its role, history and events; deleting one goes through deleteModelAlias.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/json.ts';
import { completeArtifact, recordArtifact } from '../../recording/artifacts.ts';
import { createModel, deleteModelAlias, registerModelVersion, setModelAlias } from '../../recording/models.ts';
import { loggedModelIds, loggedModels, registeredModels, registryVersionByAlias, registryVersions } from '../../neo4j/queries/mlflow.ts';
import { requireRunInProject, resolveExperiment, type Call, type Handler } from './call.ts';
import { doesNotExist, invalidParameter } from './errors.ts';
import { keyValues, optionalInteger, optionalString, requiredString, stringList } from './fields.ts';
import { bareRegisteredModelShape, loggedModelShape, loggedModelUri, modelVersionShape, registeredModelShape, type LoggedModelProperties } from './shapes.ts';
import { nextPageToken } from './tracking.ts';

const LOGGED_MODEL_STATUSES = new Set(['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED']);

async function loggedModelById(call: Call, modelId: string) {
  const [row] = await call.ctx.executor.read('mlflow.getLoggedModel', (tx) => loggedModels(tx, call.project.id, [modelId]));
  if (!row) throw doesNotExist(`Logged model with ID '${modelId}' not found.`);
  return row;
}

const createLoggedModel: Handler = async (call) => {
  const experimentId = requiredString(call.message, 'experiment_id');
  const name = optionalString(call.message, 'name') ?? 'model';
  const modelType = optionalString(call.message, 'model_type');
  const sourceRunId = optionalString(call.message, 'source_run_id');
  const tags = keyValues(call.message, 'tags');
  const params = keyValues(call.message, 'params');
  const experiment = await resolveExperiment(call, experimentId);
  if (sourceRunId !== null) await requireRunInProject(call, sourceRunId);
  const properties: LoggedModelProperties = {
    'mlflow.experimentId': experiment.mlflowId,
    'mlflow.modelType': modelType,
    'mlflow.status': 'LOGGED_MODEL_PENDING',
    'mlflow.tags': tags,
    'mlflow.params': params,
  };
  const artifact = await recordArtifact(call.ctx, { project: call.project.id, type: 'model', name, properties, producedBy: sourceRunId });
  return { model: loggedModelShape(artifact, sourceRunId) };
};

const getLoggedModel: Handler = async (call) => {
  const row = await loggedModelById(call, call.params['model_id']!);
  return { model: loggedModelShape(row.artifact, row.runId) };
};

/** Records the digest of every uploaded file and one over all of them: sha256 of the canonical JSON {path: sha256}. */
const finalizeLoggedModel: Handler = async (call) => {
  const modelId = call.params['model_id']!;
  const status = requiredString(call.message, 'status');
  if (!LOGGED_MODEL_STATUSES.has(status)) throw invalidParameter(`Invalid value '${status}' for parameter 'status'.`);
  const { artifact } = await loggedModelById(call, modelId);
  const experimentId = (JSON.parse(artifact.propertiesJson) as LoggedModelProperties)['mlflow.experimentId'] ?? '0';
  const uri = loggedModelUri(experimentId, modelId);
  const files = await call.store.digestsUnder(call.project.id, uri.slice('mlflow-artifacts:/'.length));
  const manifest = Object.fromEntries(files.map((f) => [f.path, f.sha256]));
  const ready = status === 'LOGGED_MODEL_READY' && files.length > 0;
  const updated = await completeArtifact(call.ctx, {
    artifact: modelId,
    uri,
    ...(ready ? { digest: `sha256:${createHash('sha256').update(canonicalJson(manifest)).digest('hex')}` } : {}),
    properties: { 'mlflow.status': status, files: manifest },
  });
  const [row] = await call.ctx.executor.read('mlflow.getLoggedModel', (tx) => loggedModels(tx, call.project.id, [modelId]));
  return { model: loggedModelShape(updated, row?.runId ?? null) };
};

const setLoggedModelTags: Handler = async (call) => {
  const modelId = call.params['model_id']!;
  const tags = keyValues(call.message, 'tags');
  await loggedModelById(call, modelId);
  await completeArtifact(call.ctx, { artifact: modelId, properties: { 'mlflow.tags': tags } });
  return {};
};

const deleteLoggedModelTag: Handler = async (call) => {
  const modelId = call.params['model_id']!;
  await loggedModelById(call, modelId);
  await completeArtifact(call.ctx, { artifact: modelId, properties: { 'mlflow.tags': { [call.params['tag_key']!]: null } } });
  return {};
};

const logLoggedModelParams: Handler = async (call) => {
  const modelId = call.params['model_id']!;
  const params = keyValues(call.message, 'params');
  await loggedModelById(call, modelId);
  await completeArtifact(call.ctx, { artifact: modelId, properties: { 'mlflow.params': params } });
  return {};
};

const searchLoggedModels: Handler = async (call) => {
  const experimentIds = new Set(stringList(call.message, 'experiment_ids'));
  const limit = optionalInteger(call.message, 'max_results') ?? 100;
  const token = optionalString(call.message, 'page_token');
  const offset = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isSafeInteger(offset) || offset < 0 || limit < 1) throw invalidParameter('Invalid page_token or max_results.');
  if ((optionalString(call.message, 'filter') ?? '').trim() !== '') throw invalidParameter('Filters on logged models are not supported here.');
  const rows = await call.ctx.executor.read('mlflow.searchLoggedModels', async (tx) => loggedModels(tx, call.project.id, await loggedModelIds(tx, call.project.id)));
  const shapes = rows.map((r) => loggedModelShape(r.artifact, r.runId)).filter((m) => experimentIds.size === 0 || experimentIds.has(m.info.experiment_id));
  const page = shapes.slice(offset, offset + limit);
  return { models: page, ...nextPageToken(offset, page.length, shapes.length) };
};

// ------------------------------------------------------------------ registry

async function registeredModelByName(call: Call, name: string) {
  const [row] = await call.ctx.executor.read('mlflow.getRegisteredModel', (tx) => registeredModels(tx, call.project.id, [name]));
  if (!row) throw doesNotExist(`Registered Model with name=${name} not found`);
  return row;
}

function versionNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw invalidParameter(`Invalid value '${value}' for parameter 'version': it must be a version number.`);
  return Number(value);
}

async function versionByNumber(call: Call, name: string, version: string) {
  const [row] = await call.ctx.executor.read('mlflow.getModelVersion', (tx) => registryVersions(tx, call.project.id, name, [versionNumber(version)]));
  if (!row) throw doesNotExist(`Model Version (name=${name}, version=${version}) not found`);
  return row;
}

const createRegisteredModel: Handler = async (call) => {
  const name = requiredString(call.message, 'name');
  const model = await createModel(call.ctx, { project: call.project.id, name, description: optionalString(call.message, 'description') });
  return { registered_model: bareRegisteredModelShape(model) };
};

const getRegisteredModel: Handler = async (call) => {
  const row = await registeredModelByName(call, requiredString(call.message, 'name'));
  const latest = row.latest === null ? [] : await call.ctx.executor.read('mlflow.getRegisteredModel', (tx) => registryVersions(tx, call.project.id, row.model.name, [row.latest!]));
  return { registered_model: { ...registeredModelShape(row), latest_versions: latest.map(modelVersionShape) } };
};

/** `name = '...'` or `name LIKE '...'`, or no filter. */
function registryNameFilter(filter: string | null): ((name: string) => boolean) | null {
  if (filter === null || filter.trim() === '') return null;
  const match = /^\s*name\s*(=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (!match) throw invalidParameter(`Unsupported filter '${filter}': only name = '...' and name LIKE '...' are supported here.`);
  const value = match[2]!.replaceAll("''", "'");
  if (match[1] === '=') return (name) => name === value;
  const pattern = new RegExp(`^${value.split('%').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, match[1]!.toUpperCase() === 'ILIKE' ? 'i' : '');
  return (name) => pattern.test(name);
}

const searchRegisteredModels: Handler = async (call) => {
  const test = registryNameFilter(optionalString(call.message, 'filter'));
  const rows = await call.ctx.executor.read('mlflow.searchRegisteredModels', (tx) => registeredModels(tx, call.project.id, null));
  const limit = optionalInteger(call.message, 'max_results') ?? 100;
  const matching = rows.filter((r) => test === null || test(r.model.name));
  return { registered_models: matching.slice(0, limit).map(registeredModelShape) };
};

const getLatestVersions: Handler = async (call) => {
  const row = await registeredModelByName(call, requiredString(call.message, 'name'));
  const latest = row.latest === null ? [] : await call.ctx.executor.read('mlflow.getLatestVersions', (tx) => registryVersions(tx, call.project.id, row.model.name, [row.latest!]));
  return { model_versions: latest.map(modelVersionShape) };
};

const setAlias: Handler = async (call) => {
  const name = requiredString(call.message, 'name');
  const alias = requiredString(call.message, 'alias');
  const version = await versionByNumber(call, name, requiredString(call.message, 'version'));
  await setModelAlias(call.ctx, { model: version.version.modelId, alias, version: version.version.id });
  return {};
};

const getByAlias: Handler = async (call) => {
  const name = requiredString(call.message, 'name');
  const alias = requiredString(call.message, 'alias');
  const row = await call.ctx.executor.read('mlflow.getModelVersionByAlias', (tx) => registryVersionByAlias(tx, call.project.id, name, alias));
  if (!row) throw doesNotExist(`Registered model alias ${alias} not found.`);
  return { model_version: modelVersionShape(row) };
};

const deleteAlias: Handler = async (call) => {
  const name = requiredString(call.message, 'name');
  const alias = requiredString(call.message, 'alias');
  const { model } = await registeredModelByName(call, name);
  await deleteModelAlias(call.ctx, { model: model.id, alias });
  return {};
};

/** The logged model a version's `source` names (`models:/<id>`), when it does. */
function modelIdOf(source: string): string | null {
  const match = /^models:\/([^/@]+)$/.exec(source);
  return match ? match[1]! : null;
}

const createModelVersion: Handler = async (call) => {
  const name = requiredString(call.message, 'name');
  const source = requiredString(call.message, 'source');
  const runId = optionalString(call.message, 'run_id');
  const modelId = optionalString(call.message, 'model_id') ?? modelIdOf(source);
  const description = optionalString(call.message, 'description');
  const from = modelId ?? runId;
  if (from === null) throw invalidParameter(`Model version source '${source}' names neither a logged model (models:/<model id>) nor a run (run_id).`);
  if (runId !== null) await requireRunInProject(call, runId);
  const version = await registerModelVersion(call.ctx, { project: call.project.id, model: name, source: from, description });
  const [row] = await call.ctx.executor.read('mlflow.getModelVersion', (tx) => registryVersions(tx, call.project.id, name, [version.number]));
  return { model_version: modelVersionShape(row!) };
};

const getModelVersion: Handler = async (call) => {
  const row = await versionByNumber(call, requiredString(call.message, 'name'), requiredString(call.message, 'version'));
  return { model_version: modelVersionShape(row) };
};

const searchModelVersions: Handler = async (call) => {
  const filter = optionalString(call.message, 'filter') ?? '';
  const match = /^\s*name\s*=\s*'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (!match) throw invalidParameter(`Unsupported filter '${filter}': only name = '...' is supported here.`);
  const rows = await call.ctx.executor.read('mlflow.searchModelVersions', (tx) => registryVersions(tx, call.project.id, match[1]!.replaceAll("''", "'"), null));
  const limit = optionalInteger(call.message, 'max_results') ?? 10_000;
  return { model_versions: rows.slice(0, limit).map(modelVersionShape) };
};

const getDownloadUri: Handler = async (call) => {
  const row = await versionByNumber(call, requiredString(call.message, 'name'), requiredString(call.message, 'version'));
  if (row.sourceId?.startsWith('art_')) {
    const { artifact } = await loggedModelById(call, row.sourceId);
    const experimentId = (JSON.parse(artifact.propertiesJson) as LoggedModelProperties)['mlflow.experimentId'] ?? '0';
    return { artifact_uri: loggedModelUri(experimentId, artifact.id) };
  }
  if (row.sourceUri) return { artifact_uri: row.sourceUri };
  throw doesNotExist(`Model Version (name=${row.modelName}, version=${row.version.number}) has no stored files.`);
};

export const MODEL_ROUTES: Record<string, Handler> = {
  'POST logged-models': createLoggedModel,
  'POST logged-models/search': searchLoggedModels,
  'GET logged-models/:model_id': getLoggedModel,
  'PATCH logged-models/:model_id': finalizeLoggedModel,
  'PATCH logged-models/:model_id/tags': setLoggedModelTags,
  'DELETE logged-models/:model_id/tags/:tag_key': deleteLoggedModelTag,
  'POST logged-models/:model_id/params': logLoggedModelParams,
  'POST registered-models/create': createRegisteredModel,
  'GET registered-models/get': getRegisteredModel,
  'GET registered-models/search': searchRegisteredModels,
  'POST registered-models/get-latest-versions': getLatestVersions,
  'POST registered-models/alias': setAlias,
  'GET registered-models/alias': getByAlias,
  'DELETE registered-models/alias': deleteAlias,
  'POST model-versions/create': createModelVersion,
  'GET model-versions/get': getModelVersion,
  'GET model-versions/search': searchModelVersions,
  'GET model-versions/get-download-uri': getDownloadUri,
};

