"""MLflow (tracking + model registry on a SQLite backend, MlflowClient in-process, no server)
as a peer of the Pedigree benchmark.

What MLflow can represent of the benchmark's shapes (bench/lib/shapes.ts):
  RUN                              -> a run (create_run; params with log_batch)
  USED run -> DATASET_VERSION      -> a dataset input of the run (log_inputs with DatasetInput);
                                      a dataset version exists only as some run's input
  USED run -> CHECKPOINT / MODEL_VERSION -> a model input (log_inputs with LoggedModelInput;
                                      a model version is used through its logged model)
  CHECKPOINT (GENERATED_BY run)    -> a logged model with source_run_id (create_logged_model)
  MODEL_VERSION (DERIVED_FROM ckpt)-> a registered model version with model_id = the
                                      checkpoint's logged model (create_model_version)
Not representable, so skipped at ingest and reported unsupported when a question needs them:
  GENERATED_BY dataset version -> run (run outputs hold logged models only; no dataset outputs)
  DEPLOYMENT / DEPLOYS (no deployment entity in MLflow's tracking store)

Lineage is walked with client calls, one per frontier node and relation (that is how a
user walks MLflow lineage; there is no graph query). Timings are taken inside Python with
time.perf_counter (IPC with the Node harness is not counted).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from typing import Any, Dict, List, Optional, Set, Tuple

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import mlflow  # noqa: E402
from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelInput, Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from protocol import enough, serve  # noqa: E402

logging.getLogger("mlflow").setLevel(logging.ERROR)
logging.getLogger("alembic").setLevel(logging.ERROR)

NO_DATASET_OUTPUTS = "MLflow cannot record a dataset version GENERATED_BY a run (run outputs hold logged models only)"
NO_DEPLOYMENTS = "MLflow's tracking store has no deployment entity"



def mlflow_digest(digest: str) -> str:
    """MLflow stores at most 36 characters of a dataset digest: keep the hex, cut to fit."""
    return digest.split(":", 1)[-1][:36]

class Store:
    def __init__(self, root: str, name: str) -> None:
        os.makedirs(root, exist_ok=True)
        uri = f"sqlite:///{os.path.join(root, 'mlflow.db')}"
        self.uri = uri
        self.client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        self.experiment = self.client.create_experiment(name, artifact_location=f"file://{os.path.join(root, 'artifacts')}")
        self.kind: Dict[str, str] = {}
        self.run_id: Dict[str, str] = {}  # RUN key -> run id
        self.model_id: Dict[str, str] = {}  # CHECKPOINT key -> logged model id
        self.version: Dict[str, Tuple[str, str]] = {}  # MODEL_VERSION key -> (name, version)
        self.version_model: Dict[str, str] = {}  # MODEL_VERSION key -> logged model id
        self.datasets: Dict[str, Dict[str, Any]] = {}  # DATASET_VERSION key -> spec node
        self.dataset_key: Dict[Tuple[str, str], str] = {}  # (name, digest) -> key
        self.key_of_run: Dict[str, str] = {}
        self.key_of_model: Dict[str, str] = {}
        self.registered: Set[str] = set()
        # Edges of the shape MLflow could not store: a question that needs them is unsupported.
        self.unstored_up: Set[str] = set()  # derived keys whose source link was dropped
        self.unstored_down: Set[str] = set()  # source keys whose derived link was dropped
        # Downstream edges MLflow stores but offers no search for (model inputs of runs,
        # model versions of a logged model are searchable; runs using a model are not).
        self.model_users: Set[str] = set()


class Peer:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pedigree-bench-mlflow-")
        # MLflow falls back to ./mlflow.db wherever no tracking URI reaches: keep that here.
        os.chdir(self.dir)
        self.stores: Dict[str, Store] = {}

    def hello(self, _: Dict[str, Any]) -> Dict[str, Any]:
        return {"version": mlflow.__version__, "python": sys.version.split()[0]}

    def open(self, request: Dict[str, Any]) -> Dict[str, Any]:
        index = len(self.stores)
        self.stores[request["store"]] = Store(os.path.join(self.dir, f"store-{index}"), f"bench-{index}")
        return {"ok": True}

    def store(self, request: Dict[str, Any]) -> Store:
        store = self.stores[request["store"]]
        # create_model_version(model_id=...) resolves the logged model through the global
        # tracking URI, not the client's: point it at this store.
        mlflow.set_tracking_uri(store.uri)
        mlflow.set_registry_uri(store.uri)
        return store

    # ---- ingest: one client call per node or edge ---------------------------------------
    def ingest_single(self, request: Dict[str, Any]) -> Dict[str, Any]:
        store = self.store(request)
        client = store.client
        nodes: List[Dict[str, Any]] = request["nodes"][: request["limit"]]
        started = time.perf_counter()
        written = 0
        skipped = 0
        for node in nodes:
            key, kind = node["key"], node["kind"]
            store.kind[key] = kind
            if kind == "DATASET_VERSION":
                # No call: MLflow stores a dataset only as an input of a run (see USED).
                store.datasets[key] = node
                store.dataset_key[(node["dataset"], mlflow_digest(node["digest"]))] = key
                written += 1
            elif kind == "RUN":
                run = client.create_run(store.experiment, run_name=node["name"], tags={"pedigree.key": key, "pedigree.type": node["type"]})
                if node["params"]:
                    client.log_batch(run.info.run_id, params=[Param(k, str(v)) for k, v in node["params"].items()])
                store.run_id[key] = run.info.run_id
                store.key_of_run[run.info.run_id] = key
                written += 1
            elif kind == "CHECKPOINT":
                model = client.create_logged_model(store.experiment, name=key.replace(".", "-"), source_run_id=store.run_id[node["run"]], params={"step": str(node["step"])}, tags={"pedigree.key": key})
                store.model_id[key] = model.model_id
                store.key_of_model[model.model_id] = key
                written += 2  # the node and its GENERATED_BY edge
            elif kind == "MODEL_VERSION":
                source = node["source"]
                model_id = store.model_id[source]
                if node["model"] not in store.registered:
                    client.create_registered_model(node["model"])
                    store.registered.add(node["model"])
                version = client.create_model_version(node["model"], source=f"models:/{model_id}", tags={"pedigree.key": key}, await_creation_for=0)
                store.version[key] = (node["model"], version.version)
                store.version_model[key] = model_id
                written += 2  # the node and its DERIVED_FROM edge
            else:
                store.unstored_down.add(node["modelVersion"])
                skipped += 2
        for edge in request["edges"]:
            kind, derived, source = edge["kind"], edge["from"], edge["to"]
            if kind != "USED" and kind != "GENERATED_BY":
                continue  # implied edges were written with their node (or skipped) above
            if derived not in store.kind or source not in store.kind:
                continue
            if kind == "GENERATED_BY":
                if store.kind[derived] == "DATASET_VERSION":
                    store.unstored_up.add(derived)
                    store.unstored_down.add(source)
                    skipped += 1
                continue  # a checkpoint's GENERATED_BY was written with the checkpoint
            run_id = store.run_id[derived]
            if store.kind[source] == "DATASET_VERSION":
                ds = store.datasets[source]
                dataset = Dataset(name=ds["dataset"], digest=mlflow_digest(ds["digest"]), source_type="s3", source=f'{{"uri": "{ds["uri"]}"}}')
                client.log_inputs(run_id, datasets=[DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])])
            else:
                model_id = store.model_id.get(source) or store.version_model[source]
                client.log_inputs(run_id, models=[LoggedModelInput(model_id)])
                store.model_users.add(source)
            written += 1
        ms = (time.perf_counter() - started) * 1000
        return {"ms": ms, "elements": written, "skipped": skipped}

    # ---- traversal by client calls --------------------------------------------------------
    def upstream(self, store: Store, key: str) -> List[str]:
        client = store.client
        kind = store.kind[key]
        if key in store.unstored_up:
            raise Unsupported(NO_DATASET_OUTPUTS)
        if kind == "DATASET_VERSION":
            return []
        if kind == "MODEL_VERSION":
            name, version = store.version[key]
            mv = client.get_model_version(name, version)
            # The SQL registry keeps the logged model only in the version's source URI.
            return [store.key_of_model[mv.source.removeprefix("models:/")]]
        if kind == "CHECKPOINT":
            model = client.get_logged_model(store.model_id[key])
            return [store.key_of_run[model.source_run_id]]
        if kind == "RUN":
            run = client.get_run(store.run_id[key])
            found = [store.dataset_key[(d.dataset.name, d.dataset.digest)] for d in run.inputs.dataset_inputs]
            for model_input in run.inputs.model_inputs or []:
                model_key = store.key_of_model.get(model_input.model_id)
                # A model version was logged as an input through its logged model.
                users = [k for k, m in store.version_model.items() if m == model_input.model_id and k in store.model_users]
                found.extend(users if users else ([model_key] if model_key else []))
            return found
        raise Unsupported(NO_DEPLOYMENTS)

    def downstream(self, store: Store, keys: List[str]) -> List[str]:
        """One search per frontier node and relation."""
        client = store.client
        found: List[str] = []
        runs_in_frontier: List[str] = []
        for key in keys:
            kind = store.kind[key]
            if key in store.unstored_down:
                raise Unsupported(NO_DATASET_OUTPUTS if kind == "RUN" else NO_DEPLOYMENTS)
            if key in store.model_users:
                raise Unsupported("MLflow has no search for the runs that used a logged model as input")
            if kind == "DATASET_VERSION":
                ds = store.datasets[key]
                token: Optional[str] = None
                while True:
                    runs = client.search_runs([store.experiment], filter_string=f"dataset.name = '{ds['dataset']}' AND dataset.digest = '{mlflow_digest(ds['digest'])}'", max_results=50_000, page_token=token)
                    found.extend(store.key_of_run[r.info.run_id] for r in runs)
                    token = runs.token
                    if not token:
                        break
            elif kind == "RUN":
                runs_in_frontier.append(store.run_id[key])
            elif kind == "CHECKPOINT":
                versions = client.search_model_versions(f"model_id = '{store.model_id[key]}'") if any(m == store.model_id[key] for m in store.version_model.values()) else []
                found.extend(k for k, v in store.version.items() if any(v == (mv.name, mv.version) for mv in versions))
        # The checkpoints of a frontier of runs: one search per 100 runs (source_run_id IN).
        for start in range(0, len(runs_in_frontier), 100):
            quoted = ", ".join(f"'{r}'" for r in runs_in_frontier[start : start + 100])
            token = None
            while True:
                models = client.search_logged_models([store.experiment], filter_string=f"source_run_id IN ({quoted})", max_results=1000, page_token=token)
                found.extend(store.key_of_model[m.model_id] for m in models)
                token = models.token
                if not token:
                    break
        return found

    def walk(self, store: Store, root: str, direction: str, depth: int, limit: Optional[int]) -> int:
        seen = {root}
        frontier = [root]
        count = 0
        for _ in range(depth):
            if not frontier:
                break
            if direction == "UPSTREAM":
                reached = [k for key in frontier for k in self.upstream(store, key)]
            else:
                reached = self.downstream(store, frontier)
            frontier = []
            for key in reached:
                if key not in seen:
                    seen.add(key)
                    frontier.append(key)
                    count += 1
                    if limit is not None and count >= limit:
                        return count
        return count

    def traverse(self, request: Dict[str, Any]) -> Dict[str, Any]:
        store = self.store(request)
        samples: List[float] = []
        count = 0
        try:
            for i in range(request["runs"] + 1):  # the first run warms up and is not kept
                started = time.perf_counter()
                count = self.walk(store, request["root"], request["direction"], request["depth"], request.get("limit"))
                if i > 0:
                    samples.append((time.perf_counter() - started) * 1000)
                if enough(samples, request):
                    break
        except Unsupported as reason:
            return {"unsupported": str(reason)}
        return {"samples": samples, "count": count}

    def lookup(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """Runs: one search_runs with `attributes.run_id IN (...)`; model versions and
        checkpoints: one get_model_version / get_logged_model call each (no IN search)."""
        store = self.store(request)
        keys: List[str] = request["keys"]
        if any(store.kind.get(k) in ("DATASET_VERSION", "DEPLOYMENT") for k in keys):
            return {"unsupported": "MLflow has no lookup of dataset versions or deployments by id"}
        client = store.client
        run_ids = [store.run_id[k] for k in keys if store.kind.get(k) == "RUN"]
        versions = [store.version[k] for k in keys if store.kind.get(k) == "MODEL_VERSION"]
        models = [store.model_id[k] for k in keys if store.kind.get(k) == "CHECKPOINT"]
        samples: List[float] = []
        count = 0
        for i in range(request["runs"] + 1):
            started = time.perf_counter()
            found = 0
            if run_ids:
                quoted = ", ".join(f"'{r}'" for r in run_ids)
                found += len(client.search_runs([store.experiment], filter_string=f"attributes.run_id IN ({quoted})", max_results=50_000))
            for name, version in versions:
                found += 1 if client.get_model_version(name, version) else 0
            for model_id in models:
                found += 1 if client.get_logged_model(model_id) else 0
            if i > 0:
                samples.append((time.perf_counter() - started) * 1000)
            if enough(samples, request):
                break
            count = found
        return {"samples": samples, "count": count}

    # ---- training metrics: what an autologger sends ----------------------------------------
    def log_metrics(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """`batchCalls` log_batch calls of `batchSize` points of one key, then `singlePoints`
        log_metric calls of one point, each on a run of its own (after a short warm-up on
        another run), the same decaying series bench/lib/metrics.ts sends. Per-call times in ms."""
        index = len(self.stores)
        store = Store(os.path.join(self.dir, f"store-{index}"), f"bench-metrics-{index}")
        self.stores[f"metrics-{index}"] = store
        client = store.client
        size = request["batchSize"]

        def value(step: int) -> float:
            return math.exp(-step / 20_000) + 0.01 * math.sin(step)

        def batch(run_id: str, key: str, start: int) -> None:
            now = int(time.time() * 1000)
            client.log_batch(run_id, metrics=[Metric(key, value(step), now, step) for step in range(start, start + size)])

        warm = client.create_run(store.experiment, run_name="warmup").info.run_id
        for i in range(request["warmupBatches"]):
            batch(warm, f"warm{i % 10}", (i // 10) * size)
        for step in range(request["warmupSingles"]):
            client.log_metric(warm, "warm-single", value(step), step=step)

        batch_run = client.create_run(store.experiment, run_name="batches").info.run_id
        batches: List[float] = []
        for call in range(request["batchCalls"]):
            started = time.perf_counter()
            batch(batch_run, "loss", call * size)
            batches.append((time.perf_counter() - started) * 1000)
        single_run = client.create_run(store.experiment, run_name="singles").info.run_id
        singles: List[float] = []
        for step in range(request["singlePoints"]):
            started = time.perf_counter()
            client.log_metric(single_run, "loss", value(step), step=step)
            singles.append((time.perf_counter() - started) * 1000)
        stored = {run: len(client.get_metric_history(run, "loss")) for run in (batch_run, single_run)}
        return {"batches": batches, "singles": singles, "stored": [stored[batch_run], stored[single_run]]}

    def close(self, _: Dict[str, Any]) -> Dict[str, Any]:
        self.stores.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
        return {"ok": True}


class Unsupported(Exception):
    pass


def main() -> None:
    peer = Peer()
    serve({
        "hello": peer.hello,
        "open": peer.open,
        "ingest_single": peer.ingest_single,
        "traverse": peer.traverse,
        "lookup": peer.lookup,
        "log_metrics": peer.log_metrics,
        "close": peer.close,
    })


if __name__ == "__main__":
    main()
