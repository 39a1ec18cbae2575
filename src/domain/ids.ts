/**
 * Ids are `<prefix>_<UUIDv7 hex>`: globally unique, roughly time-ordered, and the prefix
 * names the label so `node(id)` finds the node without a scan.
 */
import { v7 as uuidv7 } from 'uuid';

export const ID_PREFIX = {
  Project: 'prj',
  Dataset: 'ds',
  DatasetVersion: 'dsv',
  Run: 'run',
  Experiment: 'exp',
  Checkpoint: 'ckp',
  Model: 'mdl',
  ModelVersion: 'mv',
  Deployment: 'dep',
  Artifact: 'art',
  Event: 'evt',
  ApiToken: 'tok',
  ReleasePolicy: 'rpol',
  Webhook: 'whk',
} as const;
export type IdLabel = keyof typeof ID_PREFIX;

const LABEL_BY_PREFIX = new Map<string, IdLabel>(
  Object.entries(ID_PREFIX).map(([label, prefix]) => [prefix, label as IdLabel]),
);

export function newId(label: IdLabel): string {
  return `${ID_PREFIX[label]}_${uuidv7().replaceAll('-', '')}`;
}

/** The label an id was minted for, or undefined for a malformed or foreign id. */
export function labelOf(id: string): IdLabel | undefined {
  const underscore = id.indexOf('_');
  if (underscore <= 0) return undefined;
  return LABEL_BY_PREFIX.get(id.slice(0, underscore));
}
