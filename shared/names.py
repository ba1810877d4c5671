"""Every queue, table, bucket and rule name, in one place.

`infra/terraform/` builds the same names from the same prefix (see `variables.tf`); the local
stack provisions exactly these. Changing a name here means changing it there.
"""

from __future__ import annotations

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

#: The EventBridge detail-type both labelers (Ground Truth and ours) emit.
LABELING_DETAIL_TYPE = "SageMaker Ground Truth Labeling Job State Change"
LABELING_SOURCES = ("aws.sagemaker", "brandvis.labeler")


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
