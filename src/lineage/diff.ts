/**
 * lineageDiff: what changed in provenance between two nodes of one kind (typically two
 * versions of a model): dataset versions upstream of one and not the other, and how the
 * producing runs differ (dotted params, code, environment; `producingRun` picks them).
 */
import type { LineageDeps } from './node.ts';
import { badInput } from '../domain/errors.ts';
import { MAX_DEPTH } from '../neo4j/queries/lineage.ts';
import type { DatasetVersionRow, LineageNodeRow, RunRow } from '../domain/rows.ts';
import { canonicalJson } from '../domain/json.ts';
import { differing, flatten, type ComparedValue } from '../experiments/compare.ts';
import { ofLabel, producingRun, provenanceOf } from './provenance.ts';

export interface LineageDiffRow {
  readonly from: LineageNodeRow;
  readonly to: LineageNodeRow;
  readonly datasetsAdded: DatasetVersionRow[];
  readonly datasetsRemoved: DatasetVersionRow[];
  readonly paramsChanged: ComparedValue[];
  readonly codeChanged: boolean;
  readonly environmentChanged: boolean;
  readonly fromRun: RunRow | null;
  readonly toRun: RunRow | null;
}

export async function lineageDiff(ctx: LineageDeps, fromId: string, toId: string): Promise<LineageDiffRow> {
  const [from, to] = await Promise.all([provenanceOf(ctx, fromId, 'from', MAX_DEPTH), provenanceOf(ctx, toId, 'to', MAX_DEPTH)]);
  if (from.subject.nodeLabel !== to.subject.nodeLabel) {
    throw badInput('to', `from is a ${from.subject.nodeLabel} and to a ${to.subject.nodeLabel}; compare two nodes of the same kind`);
  }
  const datasets = (side: typeof from) => ofLabel(side.upstream.map((entry) => entry.row), 'DatasetVersion');
  const before = datasets(from);
  const after = datasets(to);
  const beforeIds = new Set(before.map((d) => d.id));
  const afterIds = new Set(after.map((d) => d.id));
  const fromRun = producingRun(from);
  const toRun = producingRun(to);
  const params = (run: RunRow | null) => flatten(run ? JSON.parse(run.paramsJson) : {});
  const same = (a: string | null | undefined, b: string | null | undefined) => canonicalJson(JSON.parse(a ?? 'null')) === canonicalJson(JSON.parse(b ?? 'null'));
  return {
    from: from.subject,
    to: to.subject,
    datasetsAdded: after.filter((d) => !beforeIds.has(d.id)),
    datasetsRemoved: before.filter((d) => !afterIds.has(d.id)),
    paramsChanged: differing([params(fromRun), params(toRun)]),
    codeChanged: !same(fromRun?.codeJson, toRun?.codeJson),
    environmentChanged: !same(fromRun?.environmentJson, toRun?.environmentJson),
    fromRun,
    toRun,
  };
}
