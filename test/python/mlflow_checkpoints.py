"""Checkpoints as MLflow's autologgers upload them (the PyTorch Lightning and Keras autologgers'
checkpoint callback, MlflowModelCheckpointCallbackBase, driven here without a framework):
one per epoch under checkpoints/epoch_<n>/. Prints the run id."""
import json

import mlflow
from mlflow.utils.checkpoint_utils import MlflowModelCheckpointCallbackBase


class Checkpointer(MlflowModelCheckpointCallbackBase):
    def save_checkpoint(self, filepath):
        with open(filepath, "wb") as f:
            f.write(f"weights of {filepath}".encode())


with mlflow.start_run() as run:
    callback = Checkpointer(
        checkpoint_file_suffix=".pth", monitor="val_loss", mode="min",
        save_best_only=False, save_weights_only=False, save_freq="epoch",
    )
    for epoch in range(3):
        callback.check_and_save_checkpoint_if_needed(
            current_epoch=epoch, global_step=(epoch + 1) * 50, metric_dict={"val_loss": 1.0 / (epoch + 1)}
        )
print(json.dumps({"run_id": run.info.run_id}))
