/**
 * The rules of release policies, evaluated over facts already read (no I/O): every rule of
 * every policy that applies is checked and every failing one reported, so a refusal lists all
 * that must change, not just the first.
 */
import type { ModelVersionRow } from '../domain/rows.ts';
import type { Comparison, MetricRequirementRow, ReleaseFacts, ReleasePolicyRow } from '../neo4j/queries/governance.ts';

export interface ReleaseFailure {
  readonly policy: ReleasePolicyRow;
  /** 'status', 'metric:<key>', 'approvals' or 'clean-lineage'. */
  readonly rule: string;
  readonly message: string;
  /** For 'clean-lineage': the quarantined nodes among the version and its upstream. */
  readonly quarantined: readonly string[];
}

export function policyMetrics(policy: ReleasePolicyRow): MetricRequirementRow[] {
  return JSON.parse(policy.metricsJson) as MetricRequirementRow[];
}

/** Whether any of the policies needs the upstream search for quarantined nodes. */
export function needsLineage(policies: readonly ReleasePolicyRow[]): boolean {
  return policies.some((p) => p.requireCleanLineage);
}

/** Whether the policies read anything beyond the version's own row (run metrics, approvals, lineage). */
export function needsFacts(policies: readonly ReleasePolicyRow[]): boolean {
  return policies.some((p) => p.requireCleanLineage || p.requiredApprovals > 0 || policyMetrics(p).length > 0);
}

const SYMBOL: Record<Comparison, string> = { LT: '<', LTE: '<=', GT: '>', GTE: '>=' };

export function compare(actual: number, comparison: Comparison, expected: number): boolean {
  switch (comparison) {
    case 'LT':
      return actual < expected;
    case 'LTE':
      return actual <= expected;
    case 'GT':
      return actual > expected;
    case 'GTE':
      return actual >= expected;
    default: {
      const unreachable: never = comparison;
      throw new Error(`unknown comparison ${String(unreachable)}`);
    }
  }
}

/** The version's own value of the metric, else the producing run's latest one; null when neither is a number. */
export function metricValue(versionMetrics: Record<string, unknown>, runMetrics: Record<string, unknown>, key: string): number | null {
  for (const source of [versionMetrics, runMetrics]) {
    const value = source[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return null;
}

function parseObject(json: string | null): Record<string, unknown> {
  if (json === null) return {};
  const value = JSON.parse(json) as unknown;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Every failing rule of every policy, in policy order, then rule order (status, metrics, approvals, clean lineage). */
export function evaluate(policies: readonly ReleasePolicyRow[], version: ModelVersionRow, facts: ReleaseFacts): ReleaseFailure[] {
  const versionMetrics = parseObject(version.metricsJson);
  const runMetrics = parseObject(facts.runMetricsJson);
  const failures: ReleaseFailure[] = [];
  for (const policy of policies) {
    const fail = (rule: string, message: string, quarantined: readonly string[] = []) => failures.push({ policy, rule, message, quarantined });
    if (policy.requiredStatus != null && version.status !== policy.requiredStatus) {
      fail('status', `the version is ${version.status}; ${policy.requiredStatus} is required`);
    }
    for (const { key, comparison, value } of policyMetrics(policy)) {
      const actual = metricValue(versionMetrics, runMetrics, key);
      if (actual === null) fail(`metric:${key}`, `the version has no metric '${key}' (nor has the run that produced it); ${key} ${SYMBOL[comparison]} ${value} is required`);
      else if (!compare(actual, comparison, value)) fail(`metric:${key}`, `${key} is ${actual}; ${key} ${SYMBOL[comparison]} ${value} is required`);
    }
    if (facts.approvers.length < policy.requiredApprovals) {
      fail('approvals', `${facts.approvers.length} of ${policy.requiredApprovals} required approvals for ${policy.targetKind.toLowerCase()} '${policy.target}' from users other than the version's creator`);
    }
    if (policy.requireCleanLineage && facts.quarantined.length > 0) {
      fail('clean-lineage', `${facts.quarantined.length} quarantined node(s) upstream of the version: ${facts.quarantined.slice(0, 5).join(', ')}${facts.quarantined.length > 5 ? ', ...' : ''}`, facts.quarantined);
    }
  }
  return failures;
}
