"""Emits OpenLineage RunEvents with the real openlineage-python client, configured the way a
pipeline configures it: OPENLINEAGE_URL (with the trailing slash) and OPENLINEAGE_API_KEY.

argv[1] is a JSON list of events: {eventType, runId, job, inputs, outputs, parent?, error?, code?},
datasets as {namespace, name, version?, schema?: [[column, type], ...], dataSource?: uri}.
Prints one JSON line per event: {"ok": true} or {"ok": false, "status": <http status>, "body": ...}.
"""
import json
import sys
from datetime import datetime, timezone

import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    dataset_version_dataset,
    datasource_dataset,
    error_message_run,
    parent_run,
    schema_dataset,
    source_code_location_job,
)

PRODUCER = "https://github.com/pedigree/test-pipelines"


def dataset_facets(spec):
    facets = {}
    if "version" in spec:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=spec["version"])
    if "schema" in spec:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in spec["schema"]]
        )
    if "dataSource" in spec:
        facets["dataSource"] = datasource_dataset.DatasourceDatasetFacet(name=spec["namespace"], uri=spec["dataSource"])
    return facets


def to_event(spec):
    run_facets = {}
    if "parent" in spec:
        p = spec["parent"]
        run_facets["parent"] = parent_run.ParentRunFacet.create(runId=p["runId"], namespace=p["namespace"], name=p["name"])
    if "error" in spec:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(message=spec["error"], programmingLanguage="PYTHON")
    job_facets = {}
    if "code" in spec:
        c = spec["code"]
        job_facets["sourceCodeLocation"] = source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url=c["url"], repoUrl=c["url"], path=c["path"], version=c["commit"]
        )
    return RunEvent(
        eventType=RunState[spec["eventType"]],
        eventTime=datetime.now(timezone.utc).isoformat(),
        run=Run(runId=spec["runId"], facets=run_facets),
        job=Job(namespace=spec["job"]["namespace"], name=spec["job"]["name"], facets=job_facets),
        inputs=[InputDataset(namespace=d["namespace"], name=d["name"], facets=dataset_facets(d)) for d in spec.get("inputs", [])],
        outputs=[OutputDataset(namespace=d["namespace"], name=d["name"], facets=dataset_facets(d)) for d in spec.get("outputs", [])],
        producer=PRODUCER,
    )


def main():
    client = OpenLineageClient()  # OPENLINEAGE_URL, OPENLINEAGE_API_KEY from the environment
    for spec in json.loads(sys.argv[1]):
        try:
            client.emit(to_event(spec))
            print(json.dumps({"ok": True}))
        except requests.HTTPError as error:
            print(json.dumps({"ok": False, "status": error.response.status_code, "body": error.response.json()}))


if __name__ == "__main__":
    main()
