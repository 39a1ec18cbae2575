import { describe, expect, it } from 'vitest';
import { compare, evaluate, metricValue, needsFacts, needsLineage } from '../../../src/governance/rules.ts';
import type { ModelVersionRow } from '../../../src/domain/rows.ts';
import type { ReleaseFacts, ReleasePolicyRow } from '../../../src/neo4j/queries/governance.ts';

const policy = (over: Partial<ReleasePolicyRow> = {}): ReleasePolicyRow => ({
  id: 'rpol_1',
  projectId: 'prj_1',
  targetKind: 'ENVIRONMENT',
  target: 'prod',
  modelId: null,
  requiredStatus: null,
  metricsJson: '[]',
  requiredApprovals: 0,
  requireCleanLineage: false,
  createdAt: new Date(0),
  createdBy: 'admin',
  ...over,
});

const version = (over: Partial<ModelVersionRow> = {}): ModelVersionRow => ({
  id: 'mv_1',
  projectId: 'prj_1',
  modelId: 'mdl_1',
  number: 1,
  semver: null,
  description: null,
  status: 'REGISTERED',
  metricsJson: '{}',
  createdAt: new Date(0),
  createdBy: 'alice',
  externalId: null,
  ...over,
});

const facts = (over: Partial<ReleaseFacts> = {}): ReleaseFacts => ({ runMetricsJson: null, approvers: [], quarantined: [], ...over });

describe('release rules', () => {
  it('compares with each comparison, bounds included only for LTE and GTE', () => {
    expect([compare(1, 'LT', 1), compare(1, 'LTE', 1), compare(1, 'GT', 1), compare(1, 'GTE', 1)]).toEqual([false, true, false, true]);
    expect([compare(0.5, 'LT', 1), compare(2, 'GT', 1)]).toEqual([true, true]);
  });

  it("reads a metric from the version first, then from the producing run, ignoring values that are not numbers", () => {
    expect(metricValue({ accuracy: 0.8 }, { accuracy: 0.95 }, 'accuracy')).toBe(0.8);
    expect(metricValue({}, { accuracy: 0.95 }, 'accuracy')).toBe(0.95);
    expect(metricValue({ accuracy: 'high' }, { accuracy: 0.95 }, 'accuracy')).toBe(0.95);
    expect(metricValue({}, {}, 'accuracy')).toBeNull();
  });

  it('lists every failing rule of every policy, in policy and rule order', () => {
    const strict = policy({
      requiredStatus: 'VALIDATED',
      metricsJson: JSON.stringify([{ key: 'accuracy', comparison: 'GTE', value: 0.9 }, { key: 'latency', comparison: 'LT', value: 10 }]),
      requiredApprovals: 2,
      requireCleanLineage: true,
    });
    const perModel = policy({ id: 'rpol_2', modelId: 'mdl_1', metricsJson: JSON.stringify([{ key: 'f1', comparison: 'GT', value: 0.5 }]) });
    const failures = evaluate([strict, perModel], version({ metricsJson: '{"latency":4}' }), facts({ runMetricsJson: '{"accuracy":0.85}', approvers: ['bob'], quarantined: ['dsv_1'] }));
    expect(failures.map((f) => [f.policy.id, f.rule])).toEqual([
      ['rpol_1', 'status'],
      ['rpol_1', 'metric:accuracy'],
      ['rpol_1', 'approvals'],
      ['rpol_1', 'clean-lineage'],
      ['rpol_2', 'metric:f1'],
    ]);
    expect(failures[1]!.message).toBe('accuracy is 0.85; accuracy >= 0.9 is required');
    expect(failures[3]!.quarantined).toEqual(['dsv_1']);
    expect(failures[4]!.message).toContain("no metric 'f1'");
  });

  it('passes a version that meets every rule', () => {
    const strict = policy({ requiredStatus: 'VALIDATED', metricsJson: JSON.stringify([{ key: 'accuracy', comparison: 'GTE', value: 0.9 }]), requiredApprovals: 1, requireCleanLineage: true });
    expect(evaluate([strict], version({ status: 'VALIDATED' }), facts({ runMetricsJson: '{"accuracy":0.9}', approvers: ['bob'] }))).toEqual([]);
  });

  it('reads facts only for rules that need them', () => {
    expect(needsFacts([policy({ requiredStatus: 'VALIDATED' })])).toBe(false);
    expect(needsFacts([policy({ requiredApprovals: 1 })])).toBe(true);
    expect(needsLineage([policy({ requiredApprovals: 1 })])).toBe(false);
    expect(needsLineage([policy(), policy({ requireCleanLineage: true })])).toBe(true);
  });
});
