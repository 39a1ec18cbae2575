import type { NodeKind } from '../api/queries.ts';

export const KIND_LABEL: Record<NodeKind, string> = {
  DATASET_VERSION: 'dataset version',
  RUN: 'run',
  CHECKPOINT: 'checkpoint',
  MODEL_VERSION: 'model version',
  DEPLOYMENT: 'deployment',
  ARTIFACT: 'artifact',
};

export const KIND_SHORT: Record<NodeKind, string> = {
  DATASET_VERSION: 'DATA',
  RUN: 'RUN',
  CHECKPOINT: 'CKPT',
  MODEL_VERSION: 'MODEL',
  DEPLOYMENT: 'DEPLOY',
  ARTIFACT: 'ARTIFACT',
};

export function formatInstant(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
