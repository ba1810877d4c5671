"""Two labelers behind one interface: SageMaker Ground Truth, and brandvis's own (the default).

Both take a `LabelingTask` whose Ground Truth input files are written already, both end with
Ground Truth's output files under `<output_prefix><name>/` and the same "Labeling Job State
Change" event on EventBridge, so the events consumer and collect never ask which one it was.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from shared.errors import JobError
from shared.labeling.task import LabelingTask
from shared.names import LABELING_DETAIL_TYPE


class LabelingError(JobError):
    """The labeling job cannot be started or finished as asked; names the setting or frame at fault."""


class Labeler(Protocol):
    name: str

    def start(self, task: LabelingTask) -> None:
        """Start labeling; a second call for the same task (a redelivered message) changes nothing."""

    def failure_reason(self, name: str, status: str) -> str:
        """Why a labeling job ended Failed or Stopped, for the job's error."""


BUILTIN_SOURCE = "brandvis.labeler"


def labeling_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:labeling-job/{name}"


def state_change_event(name: str, status: str, region: str, account: str) -> dict[str, Any]:
    """A PutEvents entry shaped as Ground Truth's own event, from the built-in labeler's source."""
    return {"Source": BUILTIN_SOURCE, "DetailType": LABELING_DETAIL_TYPE,
            "Resources": [labeling_arn(region, account, name)], "Detail": json.dumps({"LabelingJobStatus": status})}


def labeler_for(name: str, clients: Any) -> Labeler:
    """The labeler a task names; Ground Truth's client is made only when it is used."""
    if name == "builtin":
        from shared.labeling.builtin import BuiltinLabeler

        return BuiltinLabeler(clients)
    if name == "groundtruth":
        from shared.labeling.groundtruth import GroundTruthLabeler

        return GroundTruthLabeler(clients.client("sagemaker"), clients.config)
    raise LabelingError(f"unknown labeler {name!r}; labelers: builtin, groundtruth")
