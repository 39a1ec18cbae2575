"""What a VIEWER token may do through the mlflow client: read, and nothing else. Prints the
error code of each refused write."""
import json

import mlflow
from mlflow.exceptions import MlflowException

client = mlflow.MlflowClient()
result = {"default_experiment": client.get_experiment("0").name, "refused": []}
for write in (
    lambda: client.create_experiment("viewer-experiment"),
    lambda: client.create_run("0"),
    lambda: client.create_registered_model("viewer-model"),
):
    try:
        write()
        result["refused"].append(None)
    except MlflowException as error:
        result["refused"].append(error.error_code)
print(json.dumps(result))
