"""Ground Truth's labeling files, byte-compatible, both ways.

In (what the label stage writes, what Ground Truth reads): one frame-sequence file per video, the
dataset manifest listing them and the label configuration, for video-frame object detection; an
image manifest and a classification configuration for whole-frame labels (concept).
Out (what Ground Truth writes, and our labeler writes the same way): the output manifest, whose
`bounding-box-ref` points at one `SeqLabel.json` per sequence, or whose lines carry one class per
image. `read_output` turns it back into a `Dataset`; frames nobody boxed stay in it as negatives.
Shapes follow the SageMaker Developer Guide (sms-video-manual-data-setup, sms-data-output,
sms-label-cat-config-attributes) and the AWS sample (v1.4.0) where the two differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from shared.models.dataset import Box, Dataset, Item
from shared.names import check_label

MAX_LABELS = 250
MAX_LABEL_CHARS = 16
MAX_SEQUENCE_FRAMES = 2000  # Ground Truth's limit per frame sequence
THIN_TO = 1200  # the AWS sample keeps at most this many frames per video
PLACEHOLDER = "PLACE_HOLDER"  # the sample's second class for a one-label classification job
VIDEO_ATTRIBUTE = "bounding-box-ref"  # video-frame jobs need a label attribute ending in -ref
CLASS_ATTRIBUTE = "image-classification"
VIDEO_TYPE = "groundtruth/video-object-detection"
CLASS_TYPE = "groundtruth/image-classification"
VIDEO_CONFIG_VERSION = "2020-03-01"
CLASS_CONFIG_VERSION = "2018-11-28"
SHORT_INSTRUCTION = "Draw a box around every brand mark you can read or recognise; leave frames without one empty."
FULL_INSTRUCTION = ("<ul><li>Draw one tight box per visible logo, including small, partly hidden or tilted ones."
                    "</li><li>Pick the brand the logo belongs to.</li><li>A frame with no brand needs no box."
                    "</li></ul>")


class LabelingFormatError(ValueError):
    """A labeling file that does not have the shape Ground Truth gives it; says which file and where."""


def check_labels(labels: Iterable[str]) -> list[str]:
    """Label names as Ground Truth accepts them: 1-16 characters, at most 250, no repeats."""
    out: list[str] = []
    for raw in labels:
        label = check_label(raw)
        if len(label) > MAX_LABEL_CHARS:
            raise ValueError(f"label {label!r} has {len(label)} characters; Ground Truth allows at most "
                             f"{MAX_LABEL_CHARS}")
        if label == PLACEHOLDER:
            raise ValueError(f"label {label!r} is reserved")
        if label in out:
            raise ValueError(f"label {label!r} is given twice")
        out.append(label)
    if not out:
        raise ValueError("give at least one label")
    if len(out) > MAX_LABELS:
        raise ValueError(f"{len(out)} labels; Ground Truth allows at most {MAX_LABELS}")
    return out


def thin(frames: Sequence[str], limit: int = THIN_TO) -> list[str]:
    """At most `limit` frames, evenly spread, first and last kept (the sample's thinning)."""
    n = len(frames)
    if n <= limit:
        return list(frames)
    if limit == 1:
        return [frames[0]]
    picks = sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    return [frames[i] for i in picks]


# -- input files -------------------------------------------------------------------------------
def sequence_file(seq_no: int, prefix: str, frames: Sequence[str]) -> dict[str, Any]:
    if not prefix.endswith("/"):
        raise ValueError(f"sequence prefix must end with '/': {prefix}")
    if len(frames) > MAX_SEQUENCE_FRAMES:
        raise ValueError(f"sequence {seq_no} has {len(frames)} frames; Ground Truth allows {MAX_SEQUENCE_FRAMES}")
    return {"seq-no": seq_no, "prefix": prefix, "number-of-frames": len(frames),
            "frames": [{"frame-no": i, "frame": name} for i, name in enumerate(frames)]}


def manifest_lines(uris: Iterable[str]) -> str:
    """An input manifest: one `source-ref` per line (sequence files, or images)."""
    return "\n".join(json.dumps({"source-ref": uri}) for uri in uris)


def video_label_config(labels: Sequence[str]) -> dict[str, Any]:
    return {"document-version": VIDEO_CONFIG_VERSION, "labels": [{"label": label} for label in labels],
            "categoryGlobalAttributes": [],
            "instructions": {"shortInstruction": SHORT_INSTRUCTION, "fullInstruction": FULL_INSTRUCTION}}


def class_labels(labels: Sequence[str]) -> list[str]:
    """Classification needs two classes: one label gets the sample's placeholder beside it."""
    return list(labels) + ([PLACEHOLDER] if len(labels) < 2 else [])


def class_label_config(labels: Sequence[str]) -> dict[str, Any]:
    return {"document-version": CLASS_CONFIG_VERSION, "labels": [{"label": label} for label in class_labels(labels)]}


TEMPLATE_NAME = "imageClassificationTemplate.liquid"  # the sample's name for the worker template
CLASSIFICATION_TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-image-classifier
    name="crowd-image-classifier"
    src="{{ task.input.taskObject | grant_read_access }}"
    header="Select a label (concept) that best represents the image."
    categories="{{ task.input.labels | to_json | escape }}"
  >
    <full-instructions header="Image classification instructions">
      <ol><li><strong>Read</strong> the task carefully and inspect the image.</li>
      <li><strong>Read</strong> the options and review the examples provided to understand more about the labels.</li>
      <li><strong>Choose</strong> the appropriate label that best suits the image.</li></ol>
    </full-instructions>
    <short-instructions>
      <p>Choose the brand whose mark is the main subject of the frame.</p>
    </short-instructions>
  </crowd-image-classifier>
</crowd-form>
"""


# -- output files ------------------------------------------------------------------------------
def output_manifest_key(output_prefix: str, job_name: str) -> str:
    return f"{output_prefix.rstrip('/')}/{job_name}/manifests/output/output.manifest"


def seq_label_key(output_prefix: str, job_name: str, object_id: int) -> str:
    return f"{output_prefix.rstrip('/')}/{job_name}/annotations/consolidated-annotation/output/{object_id}/SeqLabel.json"


@dataclass(frozen=True)
class FrameBoxes:
    """One frame's boxes, in pixels, as a worker left them."""

    frame_no: int
    frame: str
    boxes: list[Box]


def class_map(labels: Sequence[str], used: Iterable[str] | None = None) -> dict[str, str]:
    """Class id (a string) -> label; Ground Truth lists only the classes a sequence uses."""
    wanted = set(used) if used is not None else None
    return {str(i): label for i, label in enumerate(labels) if wanted is None or label in wanted}


def _pixels(b: Box) -> dict[str, int]:
    """Whole pixels, rounded at the corners (rounding left and width apart can cross the frame's edge)."""
    x0, y0, x1, y1 = (round(v) for v in b.xyxy)
    return {"height": y1 - y0, "width": x1 - x0, "top": y0, "left": x0}


def seq_label(frames: Iterable[FrameBoxes], labels: Sequence[str]) -> dict[str, Any]:
    ids = {label: str(i) for i, label in enumerate(labels)}
    return {"detection-annotations": [
        {"annotations": [{**_pixels(b), "class-id": ids[b.label], "label-category-attributes": {}} for b in f.boxes],
         "frame-no": f.frame_no, "frame": f.frame, "frame-attributes": {}}
        for f in frames]}


def video_output_line(sequence_uri: str, seq_label_uri: str, used_map: dict[str, str], job_name: str,
                      created: str) -> dict[str, Any]:
    return {"source-ref": sequence_uri, VIDEO_ATTRIBUTE: seq_label_uri,
            f"{VIDEO_ATTRIBUTE}-metadata": {"class-map": used_map, "job-name": f"labeling-job/{job_name}",
                                            "human-annotated": "yes", "creation-date": created, "type": VIDEO_TYPE}}


def class_output_line(image_uri: str, labels: Sequence[str], label: str, job_name: str, created: str) -> dict[str, Any]:
    return {"source-ref": image_uri, CLASS_ATTRIBUTE: class_labels(labels).index(label),
            f"{CLASS_ATTRIBUTE}-metadata": {"class-name": label, "confidence": 1.0, "type": CLASS_TYPE,
                                            "job-name": f"labeling-job/{job_name}", "human-annotated": "yes",
                                            "creation-date": created}}


# -- reading output back -----------------------------------------------------------------------
Fetch = Callable[[str], bytes]  # s3:// URI -> bytes


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelingFormatError(f"{what}: not valid JSON ({exc})") from None


def _lines(text: str, name: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip():
            line = _json(raw.encode(), f"{name} line {number}")
            if not isinstance(line, dict):
                raise LabelingFormatError(f"{name} line {number}: expected a JSON object")
            out.append((number, line))
    return out


def _attribute(line: dict[str, Any], gt_type: str) -> str | None:
    for key, meta in line.items():
        if key.endswith("-metadata") and isinstance(meta, dict) and meta.get("type") == gt_type:
            return key[: -len("-metadata")]
    return None


def read_output(text: str, kind: str, labels: Sequence[str], fetch: Fetch,
                name: str = "output.manifest", unlisted_are_negatives: bool = True) -> Dataset:
    """A labeling job's output manifest -> `Dataset` of images (`source-ref` = the frame's s3:// URI).

    Video: each line names a sequence file and its SeqLabel.json; a frame listed there is an item with
    its boxes, or none (a negative example; the sample dropped those). Ground Truth lists only the
    frames a worker boxed, after they saw every frame: its unlisted frames are negatives too. Our
    labeler lists every frame a person saved, so `unlisted_are_negatives=False` leaves out the rest
    (frames nobody looked at are not known to be empty).
    Concept: one class per image; the placeholder class is dropped, as the sample does.
    """
    if kind == "object":
        return _read_video_output(text, labels, fetch, name, unlisted_are_negatives)
    items: list[Item] = []
    for number, line in _lines(text, name):
        attribute = _attribute(line, CLASS_TYPE)
        if attribute is None:
            raise LabelingFormatError(f"{name} line {number}: no {CLASS_TYPE} attribute")
        label = line[f"{attribute}-metadata"].get("class-name")
        if label == PLACEHOLDER:
            continue
        if label not in labels:
            raise LabelingFormatError(f"{name} line {number}: class {label!r} is not one of the job's labels")
        items.append(Item(str(line.get("source-ref", "")), labels=[str(label)], line=number))
    return Dataset("concept", list(labels), items, attribute=CLASS_ATTRIBUTE, source_format="labeling")


def _read_video_output(text: str, labels: Sequence[str], fetch: Fetch, name: str, unlisted: bool) -> Dataset:
    items: list[Item] = []
    for number, line in _lines(text, name):
        where = f"{name} line {number}"
        attribute = _attribute(line, VIDEO_TYPE)
        sequence_uri = line.get("source-ref")
        if not isinstance(sequence_uri, str):
            raise LabelingFormatError(f"{where}: no source-ref")
        sequence = _json(fetch(sequence_uri), sequence_uri)
        prefix = str(sequence.get("prefix", ""))
        if not prefix.endswith("/"):
            prefix += "/"
        frames = sequence.get("frames")
        if not isinstance(frames, list):
            raise LabelingFormatError(f"{sequence_uri}: no frames list")
        drawn: dict[int, list[Box]] = {}
        if attribute is not None:
            meta = line[f"{attribute}-metadata"]
            cmap = {str(k): str(v) for k, v in (meta.get("class-map") or {}).items()}
            annotations = _json(fetch(str(line[attribute])), str(line[attribute])).get("detection-annotations", [])
            for entry in annotations:
                boxes = []
                for i, a in enumerate(entry.get("annotations", []), 1):
                    label = cmap.get(str(a.get("class-id")))
                    if label is None or label not in labels:
                        raise LabelingFormatError(f"{line[attribute]}: frame {entry.get('frame-no')} box {i}: class-id "
                                                  f"{a.get('class-id')!r} is not a known label")
                    boxes.append(Box(label, float(a["left"]), float(a["top"]), float(a["width"]), float(a["height"])))
                drawn[int(entry["frame-no"])] = boxes
        for f in frames:
            if unlisted or int(f["frame-no"]) in drawn:
                items.append(Item(prefix + str(f["frame"]), boxes=drawn.get(int(f["frame-no"]), []), line=number))
    return Dataset("object", list(labels), items, attribute="bounding-box", source_format="labeling")


__all__ = ["LabelingFormatError", "check_labels", "thin", "sequence_file", "manifest_lines", "video_label_config",
           "class_label_config", "class_labels", "read_output", "seq_label", "video_output_line", "class_output_line",
           "FrameBoxes", "class_map", "output_manifest_key", "seq_label_key", "CLASSIFICATION_TEMPLATE"]
