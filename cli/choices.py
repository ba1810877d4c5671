"""The closed sets the CLI accepts, as enums so `--help` lists them and typos are refused at once.

They mirror constants in shared/ (importing those would load boto3 and pydantic for `--help`);
tests/test_cli.py checks that each matches its source.
"""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):  # shared.models.backend.BACKENDS
    local = "local"
    rekognition = "rekognition"


class DatasetType(StrEnum):  # shared.models.dataset.TYPES
    object = "object"
    concept = "concept"


class Labeler(StrEnum):  # shared.labeling.task.LABELERS
    builtin = "builtin"
    groundtruth = "groundtruth"


class ExportFormat(StrEnum):  # shared.labeling.exports.FORMATS
    coco = "coco"
    groundtruth = "groundtruth"
    yolo = "yolo"


def value(choice: StrEnum | None) -> str | None:
    """The plain string the requests take (stored in job records as such)."""
    return None if choice is None else choice.value


def _stages() -> type[StrEnum]:
    from shared.names import STAGES  # a plain tuple: cheap to import

    return StrEnum("Stage", {s: s for s in STAGES})


Stage = _stages()
