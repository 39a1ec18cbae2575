"""Deletes a registered model alias with the mlflow client and reads it back: the alias answers
RESOURCE_DOES_NOT_EXIST afterwards, deleting it again does too, and it can be set again.
Prints what it observed."""
import json
import os

import mlflow
from mlflow.exceptions import MlflowException

name = os.environ["MODEL_NAME"]
client = mlflow.MlflowClient()
client.create_registered_model(name)
run = client.create_run("0")
client.set_terminated(run.info.run_id)
for _ in range(2):
    client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)


def error_code(call):
    try:
        call()
        return None
    except MlflowException as error:
        return error.error_code


client.set_registered_model_alias(name, "champion", "1")
result = {"before": client.get_model_version_by_alias(name, "champion").version}
client.delete_registered_model_alias(name, "champion")
result["get_after_delete"] = error_code(lambda: client.get_model_version_by_alias(name, "champion"))
result["aliases_after_delete"] = client.get_registered_model(name).aliases
result["version_aliases_after_delete"] = client.get_model_version(name, "1").aliases
result["delete_again"] = error_code(lambda: client.delete_registered_model_alias(name, "champion"))
client.set_registered_model_alias(name, "champion", "2")
result["after_reset"] = client.get_model_version_by_alias(name, "champion").version
print(json.dumps(result))
