/**
 * Creating, listing, pausing and deleting webhooks: project ADMINs only, since a webhook sends
 * the project's events outside and its URL may itself be a credential. The signing secret is
 * returned once, by createWebhook, and never read back through the API.
 */
import { requireRole } from '../../auth/authorize.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { checkFirst } from '../../domain/connection.ts';
import { badInput, notFound } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import type { Executor, Tx } from '../../neo4j/executor.ts';
import {
  createWebhook as createWebhookNode,
  deleteWebhook as deleteWebhookNode,
  deliveriesOf,
  setWebhookActive as setActive,
  webhookById,
  webhooksOfProject,
  type WebhookDeliveryRow,
  type WebhookRow,
} from '../../neo4j/queries/webhooks.ts';
import { appendAudit } from '../outbox.ts';
import { requireProject } from '../../recording/refs.ts';
import { checkFilter } from '../filter.ts';
import { BlockedAddressError, hostOf, resolveTarget, urlProblem } from './address.ts';
import { newSigningSecret, sealSecret } from './secrets.ts';

export interface WebhookSettings {
  /** PEDIGREE_WEBHOOK_ALLOW_PRIVATE. */
  readonly allowPrivate: boolean;
  /** PEDIGREE_WEBHOOK_SECRET_KEY, when secrets are stored sealed. */
  readonly secretKey: string | undefined;
}

export interface WebhookDeps {
  readonly executor: Executor;
  readonly viewer: Viewer;
  readonly settings: WebhookSettings;
}

export interface CreateWebhookInput {
  readonly project: string;
  readonly url: string;
  readonly kinds?: readonly string[] | null | undefined;
  readonly names?: readonly string[] | null | undefined;
}

/**
 * Validates the URL (syntax, then every address it resolves to: BAD_USER_INPUT on input.url)
 * and the filters (as EventFilter's), then stores the webhook with its cursor at the log's head.
 */
export async function createWebhook(deps: WebhookDeps, input: CreateWebhookInput): Promise<{ secret: string; webhook: WebhookRow }> {
  requireRole(deps.viewer, input.project, 'ADMIN', () => notFound('project', input.project, 'input.project'));
  const problem = urlProblem(input.url);
  if (problem) throw badInput('input.url', `input.url ${problem}`);
  try {
    await resolveTarget(hostOf(new URL(input.url)), deps.settings.allowPrivate);
  } catch (error) {
    const reason = error instanceof BlockedAddressError ? error.message : `${hostOf(new URL(input.url))} does not resolve`;
    throw badInput('input.url', `input.url is refused: ${reason}`);
  }
  const filter = checkFilter({ kinds: input.kinds, names: input.names });
  const secret = newSigningSecret();
  const id = newId('Webhook');
  const webhook = await deps.executor.write('createWebhook', async (tx) => {
    await requireProject(tx, deps.viewer, input.project, 'ADMIN');
    const row = await createWebhookNode(tx, {
      id,
      projectId: input.project,
      url: input.url,
      kinds: filter.kinds,
      names: filter.names,
      secret: sealSecret(secret, deps.settings.secretKey),
      createdBy: deps.viewer.subject,
    });
    await appendAudit(tx, { projectId: input.project, actor: deps.viewer.subject, subjectId: null, details: { webhook: id, url: input.url, kinds: filter.kinds, names: filter.names } });
    return row;
  });
  return { secret, webhook };
}

/** The webhook when the viewer is ADMIN of its project; NOT_FOUND when it cannot see it. */
async function requireWebhook(deps: WebhookDeps, tx: Tx, id: string): Promise<WebhookRow> {
  const found = await webhookById(tx, id);
  const hidden = () => notFound('webhook', id, 'id');
  if (!found) throw hidden();
  requireRole(deps.viewer, found.projectId, 'ADMIN', hidden);
  return found;
}

export async function setWebhookActive(deps: WebhookDeps, id: string, active: boolean): Promise<WebhookRow> {
  return deps.executor.write('setWebhookActive', async (tx) => {
    const found = await requireWebhook(deps, tx, id);
    if (found.active === active) return found;
    const row = await setActive(tx, id, active);
    await appendAudit(tx, { projectId: found.projectId, actor: deps.viewer.subject, subjectId: null, details: { webhook: id, active } });
    return row;
  });
}

export async function deleteWebhook(deps: WebhookDeps, id: string): Promise<boolean> {
  return deps.executor.write('deleteWebhook', async (tx) => {
    const found = await requireWebhook(deps, tx, id);
    await deleteWebhookNode(tx, id);
    await appendAudit(tx, { projectId: found.projectId, actor: deps.viewer.subject, subjectId: null, details: { webhook: id, url: found.url } });
    return true;
  });
}

export async function listWebhooks(deps: Omit<WebhookDeps, 'settings'>, projectId: string): Promise<WebhookRow[]> {
  requireRole(deps.viewer, projectId, 'ADMIN', () => notFound('project', projectId, 'project'));
  return deps.executor.readOne('webhooks', (tx) => webhooksOfProject(tx, projectId));
}

export async function listDeliveries(
  deliveries: { load(key: { webhookId: string; first: number }): Promise<WebhookDeliveryRow[]> },
  webhook: WebhookRow,
  first: number,
): Promise<WebhookDeliveryRow[]> {
  if (checkFirst(first) === 0) return [];
  return deliveries.load({ webhookId: webhook.id, first });
}

/**
 * The batch function of the per-request webhookDeliveries loader: one statement per distinct
 * `first` (the webhooks of one page share it), in the order of `keys`.
 */
export async function deliveriesOfWebhooks(executor: Executor, keys: readonly { webhookId: string; first: number }[]): Promise<WebhookDeliveryRow[][]> {
  const pages = new Map<string, WebhookDeliveryRow[]>();
  for (const [first, group] of Map.groupBy(keys, (key) => key.first)) {
    const ids = group.map((key) => key.webhookId);
    const found = await executor.readOne('webhookDeliveries', (tx) => deliveriesOf(tx, ids, first));
    ids.forEach((id, i) => pages.set(`${id}:${first}`, found[i]!));
  }
  return keys.map(({ webhookId, first }) => pages.get(`${webhookId}:${first}`)!);
}
