"""A training script as a user writes it: sklearn autologging, a pandas dataset logged as an
input, a registered model, an alias, and loading the model back by alias. Only the
environment (MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN) points it at Pedigree. Prints one
JSON line with what it recorded."""
import json
import os

import mlflow
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

model_name = os.environ["MODEL_NAME"]
mlflow.set_experiment(os.environ["EXPERIMENT_NAME"])
# cloudpickle: the default format (skops) needs a package mlflow-skinny does not bring.
mlflow.sklearn.autolog(serialization_format="cloudpickle")

features, target = load_iris(return_X_y=True, as_frame=True)
frame = pd.concat([features, target.rename("target")], axis=1)
dataset = mlflow.data.from_pandas(frame, name="iris", targets="target")

with mlflow.start_run() as run:
    mlflow.log_input(dataset, context="training")
    model = LogisticRegression(max_iter=300).fit(features, target)
    mlflow.log_metric("holdout_accuracy", 0.93)
    info = mlflow.sklearn.log_model(
        model, name="model", registered_model_name=model_name, serialization_format="cloudpickle"
    )

version = info.registered_model_version
client = mlflow.MlflowClient()
client.set_registered_model_alias(model_name, "champion", version)
loaded = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
predictions = loaded.predict(features.head(5))
print(json.dumps({
    "run_id": run.info.run_id,
    "experiment_id": run.info.experiment_id,
    "model_id": info.model_id,
    "version": int(version),
    "predictions": [int(p) for p in predictions],
    "expected": [int(p) for p in model.predict(features.head(5))],
    "digest": dataset.digest,
}))
