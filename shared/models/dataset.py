"""A labeled dataset as brandvis holds it, whatever file it came from (Ground Truth, COCO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TYPES = ("object", "concept")  # what a labeled dataset holds
#: What a model version detects: boxes, whole-frame labels, or brands read by name (no dataset).
MODEL_TYPES = (*TYPES, "text")


@dataclass(frozen=True)
class Box:
    """Ground Truth's convention: pixel left/top/width/height."""

    label: str
    left: float
    top: float
    width: float
    height: float

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return self.left, self.top, self.left + self.width, self.top + self.height


@dataclass
class Item:
    source_ref: str  # as written in the file: s3://bucket/key, or a path (relative to the manifest)
    width: int | None = None
    height: int | None = None
    boxes: list[Box] = field(default_factory=list)  # object mode; none = a negative frame
    labels: list[str] = field(default_factory=list)  # concept mode
    line: int = 0  # where it came from: manifest line (1-based) or COCO image id


@dataclass
class Dataset:
    type: Literal["object", "concept", "text"]
    labels: list[str]
    items: list[Item]
    attribute: str = "bounding-box"  # the label attribute the manifest used
    source_format: str = "groundtruth"  # or "coco", or "labeling" (a labeling job's output)

    def count(self) -> dict[str, int]:
        """Examples per label: boxes in object mode, images in concept mode."""
        counts = {label: 0 for label in self.labels}
        for item in self.items:
            for name in ([b.label for b in item.boxes] if self.type == "object" else item.labels):
                counts[name] = counts.get(name, 0) + 1
        return counts
