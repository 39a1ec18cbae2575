"""MLMD (google/ml-metadata on SQLite) as a peer of the Pedigree benchmark.

Mapping of the benchmark's shapes (bench/lib/shapes.ts):
  DATASET_VERSION, CHECKPOINT, MODEL_VERSION, DEPLOYMENT -> Artifacts of four types
  RUN                                                     -> Execution of type "Run"
  USED (run -> input)                                     -> INPUT event
  GENERATED_BY (artifact -> run)                          -> OUTPUT event
  DERIVED_FROM (model version -> checkpoint),
  DEPLOYS (deployment -> model version)                   -> a synthetic Execution ("Derive" /
      "Deploy") with an INPUT event from the source and an OUTPUT event to the derived artifact:
      MLMD events only join an artifact to an execution, so such an edge costs MLMD two hops
      and one extra node.

Depth: MLMD's max_num_hops counts artifact<->execution events, the same unit as Pedigree's
maxDepth for USED/GENERATED_BY. A store without synthetic executions is asked with
hops = depth. A store with them is asked with hops = 2 * depth (the worst case) and the
answer is trimmed to Pedigree's depth in Python (synthetic executions weigh 0), inside the
timed region, so the question and the count are the same as Pedigree's.

Every shape gets its own SQLite file (keys repeat across shapes); single-call ingest
writes into a separate file of its own.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections import deque
from typing import Any, Dict, List, Optional, Tuple

from ml_metadata import __version__ as MLMD_VERSION
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from protocol import enough, serve

# get_lineage_subgraph silently stops at 100 hops: on a 300-hop chain, max_num_hops=150
# returned the 100 nodes of max_num_hops=100 (ml-metadata 1.17.1; TFX's mlmd_resolver has
# _MAX_NUM_HOPS = 100 too). Deeper questions are reported unsupported, not answered short.
HOP_CAP = 100

ARTIFACT_KINDS = ("DATASET_VERSION", "CHECKPOINT", "MODEL_VERSION", "DEPLOYMENT")
Ref = Tuple[bool, int]  # (is_artifact, id)


class Store:
    def __init__(self, path: str) -> None:
        config = pb.ConnectionConfig()
        config.sqlite.filename_uri = path
        config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        self.mlmd = metadata_store.MetadataStore(config)
        self.refs: Dict[str, Ref] = {}
        self.kinds: Dict[str, str] = {}
        self.synthetic: set[int] = set()
        self.types: Dict[str, int] = {}
        for kind in ARTIFACT_KINDS:
            artifact_type = pb.ArtifactType(name=kind)
            self.types[kind] = self.mlmd.put_artifact_type(artifact_type)
        for name in ("RUN", "DERIVE", "DEPLOY"):
            self.types[name] = self.mlmd.put_execution_type(pb.ExecutionType(name=name))

    # ---- proto building -------------------------------------------------------------
    def artifact(self, node: Dict[str, Any]) -> pb.Artifact:
        kind = node["kind"]
        artifact = pb.Artifact(type_id=self.types[kind], external_id=node["key"], name=node["key"])
        props = artifact.custom_properties
        if kind == "DATASET_VERSION":
            artifact.uri = node["uri"]
            props["dataset"].string_value = node["dataset"]
            props["digest"].string_value = node["digest"]
        elif kind == "CHECKPOINT":
            artifact.uri = node["uri"]
            props["step"].int_value = node["step"]
        elif kind == "MODEL_VERSION":
            props["model"].string_value = node["model"]
        else:
            props["environment"].string_value = node["environment"]
        artifact.state = pb.Artifact.LIVE
        return artifact

    def execution(self, node: Dict[str, Any]) -> pb.Execution:
        execution = pb.Execution(type_id=self.types["RUN"], external_id=node["key"], name=node["key"])
        execution.last_known_state = pb.Execution.COMPLETE
        execution.custom_properties["run_name"].string_value = node["name"]
        execution.custom_properties["run_type"].string_value = node["type"]
        for name, value in node["params"].items():
            if isinstance(value, str):
                execution.custom_properties[name].string_value = value
            elif isinstance(value, int):
                execution.custom_properties[name].int_value = value
            else:
                execution.custom_properties[name].double_value = value
        return execution

    def remember(self, key: str, kind: str, ref: Ref) -> None:
        self.refs[key] = ref
        self.kinds[key] = kind


class Peer:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pedigree-bench-mlmd-")
        self.stores: Dict[str, Store] = {}
        self.opened = 0

    def store(self, name: str, fresh: bool = False) -> Store:
        if fresh or name not in self.stores:
            self.opened += 1
            self.stores[name] = Store(os.path.join(self.dir, f"store-{self.opened}.sqlite"))
        return self.stores[name]

    # ---- requests ---------------------------------------------------------------------
    def hello(self, _: Dict[str, Any]) -> Dict[str, Any]:
        return {"version": MLMD_VERSION, "python": sys.version.split()[0]}

    def open(self, request: Dict[str, Any]) -> Dict[str, Any]:
        self.store(request["store"], fresh=True)
        return {"ok": True}

    def ingest_batched(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """One put_lineage_subgraph per batch; keys of earlier batches are referred to by id."""
        store = self.stores[request["store"]]
        nodes: List[Dict[str, Any]] = request["nodes"]
        edges: List[Dict[str, Any]] = request["edges"]
        started = time.perf_counter()
        artifacts: List[pb.Artifact] = []
        executions: List[pb.Execution] = []
        local: Dict[str, Ref] = {}  # key -> (is_artifact, index in this request)
        for node in nodes:
            if node["kind"] == "RUN":
                local[node["key"]] = (False, len(executions))
                executions.append(store.execution(node))
            else:
                local[node["key"]] = (True, len(artifacts))
                artifacts.append(store.artifact(node))
        event_edges: List[Tuple[Optional[int], Optional[int], pb.Event]] = []
        synthetic_indexes: List[int] = []

        def link(execution_key: Optional[int], artifact_key: str, event_type: int, execution_ref: Optional[str]) -> None:
            event = pb.Event(type=event_type)
            execution_index: Optional[int] = execution_key
            if execution_ref is not None:
                if execution_ref in local:
                    execution_index = local[execution_ref][1]
                else:
                    event.execution_id = store.refs[execution_ref][1]
            artifact_index: Optional[int] = None
            if artifact_key in local:
                artifact_index = local[artifact_key][1]
            else:
                event.artifact_id = store.refs[artifact_key][1]
            event_edges.append((execution_index, artifact_index, event))

        for edge in edges:
            kind, source, derived = edge["kind"], edge["to"], edge["from"]
            if kind == "USED":
                link(None, source, pb.Event.INPUT, derived)
            elif kind == "GENERATED_BY":
                link(None, derived, pb.Event.OUTPUT, source)
            else:
                index = len(executions)
                synthetic_indexes.append(index)
                executions.append(pb.Execution(type_id=store.types["DERIVE" if kind == "DERIVED_FROM" else "DEPLOY"], last_known_state=pb.Execution.COMPLETE))
                link(index, source, pb.Event.INPUT, None)
                link(index, derived, pb.Event.OUTPUT, None)
        execution_ids, artifact_ids, _ = store.mlmd.put_lineage_subgraph(executions, artifacts, [], event_edges)
        ms = (time.perf_counter() - started) * 1000
        for node in nodes:
            is_artifact, index = local[node["key"]]
            store.remember(node["key"], node["kind"], (is_artifact, (artifact_ids if is_artifact else execution_ids)[index]))
        store.synthetic.update(execution_ids[i] for i in synthetic_indexes)
        return {"ms": ms, "elements": len(nodes) + len(edges)}

    def ingest_single(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """One call per node (put_artifacts / put_executions) and per edge (put_events; a
        derive/deploy edge is one put_lineage_subgraph of its synthetic execution)."""
        store = self.stores[request["store"]]
        nodes: List[Dict[str, Any]] = request["nodes"][: request["limit"]]
        started = time.perf_counter()
        synthetic: List[int] = []
        for node in nodes:
            if node["kind"] == "RUN":
                [node_id] = store.mlmd.put_executions([store.execution(node)])
                store.remember(node["key"], "RUN", (False, node_id))
            else:
                [node_id] = store.mlmd.put_artifacts([store.artifact(node)])
                store.remember(node["key"], node["kind"], (True, node_id))
        written = 0
        for edge in request["edges"]:
            kind, source, derived = edge["kind"], edge["to"], edge["from"]
            if source not in store.refs or derived not in store.refs:
                continue
            written += 1
            if kind == "USED":
                store.mlmd.put_events([pb.Event(type=pb.Event.INPUT, execution_id=store.refs[derived][1], artifact_id=store.refs[source][1])])
            elif kind == "GENERATED_BY":
                store.mlmd.put_events([pb.Event(type=pb.Event.OUTPUT, execution_id=store.refs[source][1], artifact_id=store.refs[derived][1])])
            else:
                execution = pb.Execution(type_id=store.types["DERIVE" if kind == "DERIVED_FROM" else "DEPLOY"], last_known_state=pb.Execution.COMPLETE)
                ids, _, _ = store.mlmd.put_lineage_subgraph([execution], [], [], [
                    (0, None, pb.Event(type=pb.Event.INPUT, artifact_id=store.refs[source][1])),
                    (0, None, pb.Event(type=pb.Event.OUTPUT, artifact_id=store.refs[derived][1])),
                ])
                synthetic.extend(ids)
        ms = (time.perf_counter() - started) * 1000
        store.synthetic.update(synthetic)
        return {"ms": ms, "elements": len(nodes) + written, "nodes": len(nodes)}

    def traverse(self, request: Dict[str, Any]) -> Dict[str, Any]:
        store = self.stores[request["store"]]
        depth: int = request["depth"]
        if request.get("limit") is not None:
            return {"unsupported": "get_lineage_subgraph has no result limit (nearest-first cut); it returns the whole neighbourhood"}
        hops = depth if not store.synthetic else 2 * depth
        if hops > HOP_CAP:
            why = f"depth {depth} needs max_num_hops={hops}" + ("" if hops == depth else " (derive/deploy edges cost 2 hops)")
            return {"unsupported": f"get_lineage_subgraph caps max_num_hops at {HOP_CAP}; {why}"}
        is_artifact, root_id = store.refs[request["root"]]
        starting = pb.LineageSubgraphQueryOptions.StartingNodes(filter_query=f"id = {root_id}")
        options = pb.LineageSubgraphQueryOptions(
            max_num_hops=hops,
            direction=pb.LineageSubgraphQueryOptions.UPSTREAM if request["direction"] == "UPSTREAM" else pb.LineageSubgraphQueryOptions.DOWNSTREAM,
        )
        if is_artifact:
            options.starting_artifacts.CopyFrom(starting)
        else:
            options.starting_executions.CopyFrom(starting)
        samples: List[float] = []
        count = 0
        for i in range(request["runs"] + 1):  # the first run warms up and is not kept
            started = time.perf_counter()
            graph = store.mlmd.get_lineage_subgraph(options, ["artifacts", "executions", "events"])
            count = self.count(store, graph, is_artifact, root_id, depth, request["direction"] == "UPSTREAM")
            if i > 0:
                samples.append((time.perf_counter() - started) * 1000)
            if enough(samples, request):
                break
        return {"samples": samples, "count": count, "hops": hops}

    @staticmethod
    def count(store: Store, graph: pb.LineageGraph, root_is_artifact: bool, root_id: int, depth: int, upstream: bool) -> int:
        """Nodes within `depth` of the root, the root excluded, synthetic executions weighing 0."""
        if not store.synthetic:
            return len(graph.artifacts) + len(graph.executions) - 1
        # Edges in the direction of travel: upstream goes artifact -> producing execution
        # (OUTPUT) and execution -> input artifact (INPUT); downstream the reverse.
        following: Dict[Tuple[bool, int], List[Tuple[bool, int]]] = {}
        for event in graph.events:
            a, e = (True, event.artifact_id), (False, event.execution_id)
            if (event.type == pb.Event.OUTPUT) == upstream:
                following.setdefault(a, []).append(e)
            else:
                following.setdefault(e, []).append(a)
        # 0-1 BFS: stepping onto a synthetic execution costs 0, onto anything else 1.
        root = (root_is_artifact, root_id)
        best: Dict[Tuple[bool, int], int] = {root: 0}
        queue: deque[Tuple[bool, int]] = deque([root])
        while queue:
            node = queue.popleft()
            for nxt in following.get(node, []):
                free = not nxt[0] and nxt[1] in store.synthetic
                cost = best[node] + (0 if free else 1)
                if cost <= depth and cost < best.get(nxt, depth + 1):
                    best[nxt] = cost
                    if free:
                        queue.appendleft(nxt)
                    else:
                        queue.append(nxt)
        return sum(1 for (is_artifact, node_id) in best if is_artifact or node_id not in store.synthetic) - 1

    def lookup(self, request: Dict[str, Any]) -> Dict[str, Any]:
        store = self.stores[request["store"]]
        keys: List[str] = request["keys"]
        artifact_keys = [k for k in keys if store.kinds.get(k) != "RUN"]
        execution_keys = [k for k in keys if store.kinds.get(k) == "RUN"]
        samples: List[float] = []
        count = 0
        for i in range(request["runs"] + 1):
            started = time.perf_counter()
            found = 0
            if artifact_keys:
                found += len(store.mlmd.get_artifacts_by_external_ids(artifact_keys))
            if execution_keys:
                found += len(store.mlmd.get_executions_by_external_ids(execution_keys))
            if i > 0:
                samples.append((time.perf_counter() - started) * 1000)
            if enough(samples, request):
                break
            count = found
        return {"samples": samples, "count": count}

    def close(self, _: Dict[str, Any]) -> Dict[str, Any]:
        self.stores.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
        return {"ok": True}


def main() -> None:
    peer = Peer()
    serve({
        "hello": peer.hello,
        "open": peer.open,
        "ingest_batched": peer.ingest_batched,
        "ingest_single": peer.ingest_single,
        "traverse": peer.traverse,
        "lookup": peer.lookup,
        "close": peer.close,
    })


if __name__ == "__main__":
    main()
