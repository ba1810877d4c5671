"""Every queue, table, bucket and rule name, in one place.

`infra/terraform/` builds the same names from the same prefix (see `variables.tf`); the local
stack provisions exactly these. Changing a name here means changing it there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Stage queues, in workflow order. Each has its own dead-letter queue.
STAGES: tuple[str, ...] = (
    "probe",
    "extract",
    "label",
    "collect",
    "train",
    "start-model",
    "stop-model",
    "detect",
    "sprite",
    "aggregate",
)

#: Queues the worker runtime consumes itself, beside the stages: labeling events (EventBridge) and
#: control requests (redrive) that touch queues, which stages never do.
CONSUMERS: tuple[str, ...] = ("events", "control")

#: SQS moves a message to the stage's DLQ once it has been received this many times.
MAX_RECEIVES = 3

#: How long SQS keeps a message (and a DLQ keeps a dead one): the maximum, 14 days.
QUEUE_RETENTION_S = 14 * 24 * 3600

#: The queues' own visibility timeout; each stage sets its own on receive and the heartbeat extends it.
QUEUE_VISIBILITY_S = 60

#: Ledger items carry this epoch-seconds attribute; DynamoDB's TTL deletes them after it. Longer
#: than SQS keeps a message, so a message still in a queue always has its ledger entry.
LEDGER_TTL_ATTRIBUTE = "expires_at"
LEDGER_TTL_S = 30 * 24 * 3600

#: Which worker group (one ECS service each on AWS) consumes which queues. Split by what the
#: work needs: media decodes video (CPU, ~750 MiB at 720p), models load ONNX weights or call
#: Rekognition/SageMaker (memory, ML rights), report is light bookkeeping and the runtime's own
#: queues (control needs the dead-letter rights nobody else gets). Every queue is in one group.
WORKER_GROUPS: dict[str, tuple[str, ...]] = {
    "media": ("probe", "extract", "sprite"),
    "models": ("label", "train", "start-model", "stop-model", "detect"),
    "report": ("collect", "aggregate", "events", "control"),
}

#: The EventBridge detail-type both labelers (Ground Truth and ours) emit.
LABELING_DETAIL_TYPE = "SageMaker Ground Truth Labeling Job State Change"
LABELING_SOURCES = ("aws.sagemaker", "brandvis.labeler")
#: The end states the rule forwards to the events queue.
LABELING_STATUSES = ("Completed", "Failed", "Stopped")


#: A name that becomes part of an S3 key or a record key (model names, campaign names): no '/',
#: no '..', nothing a shell or a URL would read differently.
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
#: Labels are shown, never put in keys: any printable text, as brands are named ("AT&T", "L'Oréal").
MAX_LABEL_LENGTH = 64


class InvalidName(ValueError):
    """A user-given name brandvis will not store; the message says which rule it breaks."""


def check_name(value: str, what: str = "name") -> str:
    """The one check for names that become key parts; every request calls it before storing one."""
    if not isinstance(value, str) or not USER_NAME.fullmatch(value) or ".." in value:
        raise InvalidName(f"{what} {value!r}: use letters, digits, '-', '_' or '.' (at most 63, starting with a "
                          "letter or digit, no '..')")
    return value


def check_label(value: str) -> str:
    """The one check for a label (a brand's name): printable, not blank, at most 64 characters.
    Labels reach reports, CSVs and the dashboard (which escapes them), never S3 keys."""
    label = value.strip() if isinstance(value, str) else ""
    if not label:
        raise InvalidName("a label is empty")
    if len(label) > MAX_LABEL_LENGTH:
        raise InvalidName(f"label {label[:MAX_LABEL_LENGTH]!r}… has {len(label)} characters; at most "
                          f"{MAX_LABEL_LENGTH}")
    if any(unicodedata.category(c)[0] == "C" for c in label):
        raise InvalidName(f"label {label!r} holds control characters")
    if label[0] in "=+-@":  # the CSV and XLSX exports carry labels: a spreadsheet would run it as a formula
        raise InvalidName(f"label {label!r} starts with {label[0]!r}: spreadsheets read that as a formula")
    return label


def file_display_name(name: str, default: str = "file") -> str:
    """What a user's file is called in records and exports: its base name only (a browser or a
    client may send "../../x.mp4" or "C:\\x.mp4"), no control characters. Keys never use it: they
    use the content hash and `shared.uploads.safe_name`."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()[:200]
    return default if base in ("", ".", "..") else base


@dataclass(frozen=True)
class Names:
    prefix: str = "brandvis"
    bucket_override: str = ""

    def queue(self, stage: str) -> str:
        if stage not in STAGES and stage not in CONSUMERS:
            raise KeyError(f"unknown queue {stage!r}; stages are {', '.join(STAGES)}, runtime queues "
                           f"{', '.join(CONSUMERS)}")
        return f"{self.prefix}-{stage}"

    def dlq(self, stage: str) -> str:
        return f"{self.queue(stage)}-dlq"

    @property
    def events_queue(self) -> str:
        return self.queue("events")

    @property
    def jobs_table(self) -> str:
        return f"{self.prefix}-jobs"

    @property
    def bucket(self) -> str:
        return self.bucket_override or f"{self.prefix}-data"

    @property
    def labeling_rule(self) -> str:
        return f"{self.prefix}-labeling-state-change"

    def all_queues(self) -> list[str]:
        """Main queues then DLQs: what provisioning creates and terraform declares."""
        mains = [self.queue(s) for s in STAGES + CONSUMERS]
        return mains + [f"{q}-dlq" for q in mains]


def infra_settings() -> dict[str, object]:
    """What `infra/terraform/settings.json` holds: terraform reads it, so both sides build the same
    queues. Regenerate with `make infra-settings` (a test compares)."""
    return {
        "_comment": "Generated from shared/names.py by `make infra-settings`; do not edit.",
        "prefix": Names().prefix,
        "stages": list(STAGES),
        "consumers": list(CONSUMERS),
        "max_receives": MAX_RECEIVES,
        "queue_retention_s": QUEUE_RETENTION_S,
        "queue_visibility_s": QUEUE_VISIBILITY_S,
        "ledger_ttl_attribute": LEDGER_TTL_ATTRIBUTE,
        "labeling_detail_type": LABELING_DETAIL_TYPE,
        "labeling_sources": list(LABELING_SOURCES),
        "labeling_statuses": list(LABELING_STATUSES),
        "worker_groups": {group: list(queues) for group, queues in WORKER_GROUPS.items()},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(infra_settings(), indent=2))
