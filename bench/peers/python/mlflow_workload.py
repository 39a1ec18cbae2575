"""The MLflow client workload of bench/mlflow.ts, against whichever server MLFLOW_TRACKING_URI
names: per run, create it, log params one by one, log a metric per step, log one batch of
1,000 metrics, log a small pyfunc model (a logged model with its files), and finish the run.
Each call is timed with time.perf_counter around the client's own method; prints one JSON
object {call kind: [milliseconds ...]}.

    python mlflow_workload.py <runs> <steps>
"""
import json
import sys
import time

import mlflow
from mlflow.entities import Metric, Param

runs, steps = int(sys.argv[1]), int(sys.argv[2])
client = mlflow.MlflowClient()
times = {k: [] for k in ("create_run", "log_param", "log_metric", "log_batch_1000", "log_model", "finish_run")}


def timed(kind, fn):
    start = time.perf_counter()
    value = fn()
    times[kind].append((time.perf_counter() - start) * 1000)
    return value


class Constant(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [1] * len(model_input)


experiment = mlflow.set_experiment("bench")
for r in range(runs):
    run = timed("create_run", lambda: client.create_run(experiment.experiment_id, run_name=f"bench-{r}"))
    run_id = run.info.run_id
    for p in range(5):
        timed("log_param", lambda: client.log_param(run_id, f"param_{p}", str(p)))
    for step in range(steps):
        timed("log_metric", lambda: client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step))
    now = int(time.time() * 1000)
    batch = [Metric(f"m{i % 10}", float(i), now, i // 10) for i in range(1000)]
    timed("log_batch_1000", lambda: client.log_batch(run_id, metrics=batch))
    with mlflow.start_run(run_id=run_id):
        timed("log_model", lambda: mlflow.pyfunc.log_model(name="model", python_model=Constant(), pip_requirements=["mlflow"]))
    timed("finish_run", lambda: client.set_terminated(run_id, "FINISHED"))
print(json.dumps(times))
