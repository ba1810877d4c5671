"""Hostile inputs for the parsers that read what users and queues hand us (Hypothesis strategies).

Shared by `tests/test_hostile.py` (a modest number of examples, reproducible) and `bench/hostile.py`
(the same strategies, many more examples, counted per family for docs/reliability.md). Each family
pairs a strategy with the call it feeds and the errors that call may raise: anything else is a
traceback the user would see, which is what the tests look for.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from hypothesis import strategies as st

from shared.errors import JobError, MessageDecodeError
from shared.labeling.labelers import LabelingError
from shared.labeling.task import LabelingTask, TaskSequence

# -- building blocks ---------------------------------------------------------------------------
HOSTILE_NUMBERS = st.sampled_from([0, -1, 1, 2**63, -(2**63) - 1, 10**400, 1e308, -1e308, 5e-324,
                                   math.nan, math.inf, -math.inf, True, False, 0.5, -0.0])
HOSTILE_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "../../etc/passwd", "/etc/passwd", "..", "../", "s3://other-bucket/../x.jpg",
                     "s3://", "C:\\Windows\\win.ini", "\\\\server\\share\\a.jpg", "a\x00b", "\ud800", "\u2028",
                     "a\u2028b.jpg", "\ufeff", "%2e%2e%2fsecret", "file:///etc/passwd", "x" * 5000,
                     "groundtruth/object-detection", "groundtruth/image-classification",
                     "groundtruth/image-classification-multilabel", "groundtruth/video-object-detection",
                     "1/0", "0/0", "1e999999", "nan", "-1", "2", "1/3"]),
)
SCALARS = st.one_of(st.none(), HOSTILE_NUMBERS, st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    HOSTILE_TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)), max_leaves=12)


def deep(depth: int) -> str:
    """JSON nested deeper than the parser's recursion limit."""
    return "[" * depth + "]" * depth


DEEP = st.sampled_from([deep(100_000), '{"a":' * 50_000 + "1" + "}" * 50_000, "[" * 200_000])


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    if isinstance(value, dict):
        return {k: _replace(v, path[1:], new) if k == path[0] else v for k, v in value.items()}
    return [_replace(v, path[1:], new) if i == path[0] else v for i, v in enumerate(value)]


@st.composite
def mutated(draw: st.DrawFn, valid: Any, times: int = 3) -> Any:
    """A valid document with a few of its values (or whole subtrees) swapped for hostile ones, or removed."""
    doc = valid
    for _ in range(draw(st.integers(1, times))):
        path = draw(st.sampled_from(_paths(doc)))
        if path and draw(st.booleans()) and isinstance(doc, dict) and len(path) == 1:
            doc = {k: v for k, v in doc.items() if k != path[0]}
        else:
            doc = _replace(doc, path, draw(JSON_VALUES))
    return doc


def dumps(value: Any, ascii_only: bool) -> str:
    """JSON as a tool might write it: Python's NaN/Infinity tokens included, non-ASCII raw or escaped."""
    return json.dumps(value, ensure_ascii=ascii_only)


def text_of(docs: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return st.builds(dumps, docs, st.booleans())


RANDOM_TEXT = st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")), DEEP)


# -- valid documents the mutations start from ----------------------------------------------------
def valid_messages() -> list[dict[str, Any]]:
    from shared.messages import (CollectMessage, Detecting, DetectMessage, ExtractMessage, Keyframe, ModelRef,
                                 ProbeMessage, Sampling, Segment, VideoRef)
    video = VideoRef(video_id="0123456789abcdef", key="media/0123456789abcdef/clip.mp4", name="clip.mp4")
    detect = Detecting(model=ModelRef(name="logos", model_version=1, backend="local"), min_confidence=0.5)
    sampling = Sampling.at_fps(2)
    return [json.loads(m.encode()) for m in (
        ProbeMessage.for_video("job1", video, sampling, 30.0, detect),
        ExtractMessage.for_segment("job1", video, sampling, Segment(index=0, start_pts=0, end_pts=1000, keyframes=[Keyframe(pts=0, index=0)]), "1/1000", 0,
                                   10.0, detect),
        DetectMessage.for_segment("job1", video, sampling, 0, detect),
        CollectMessage.for_version("job1", "logos", 1, "uploads/m.manifest", None, None))]


def labeling_event_doc() -> dict[str, Any]:
    return {"version": "0", "detail-type": "SageMaker Ground Truth Labeling Job State Change",
            "source": "aws.sagemaker", "resources": ["arn:aws:sagemaker:us-east-1:1:labeling-job/logos-abc"],
            "detail": {"LabelingJobStatus": "Completed"}}


GT_OBJECT_LINE = {
    "source-ref": "s3://bucket/images/a.jpg",
    "bounding-box": {"image_size": [{"width": 640, "height": 480, "depth": 3}],
                     "annotations": [{"class_id": 0, "left": 10, "top": 20, "width": 100, "height": 50}]},
    "bounding-box-metadata": {"objects": [{"confidence": 1}], "class-map": {"0": "Acme"},
                              "type": "groundtruth/object-detection", "human-annotated": "yes"}}
GT_CONCEPT_LINE = {"source-ref": "images/b.jpg", "label": 0,
                   "label-metadata": {"class-name": "Acme", "confidence": 1,
                                      "type": "groundtruth/image-classification"}}
COCO_DOC = {"images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
                       {"id": 2, "file_name": "images/b.jpg", "width": 64, "height": 48}],
            "categories": [{"id": 1, "name": "Acme"}, {"id": 2, "name": "Borealis"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 20, 100, 50]},
                            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [1, 2, 3, 4]}]}
LABEL_STUDIO_DOC = [{"id": 1, "data": {"image": "/data/upload/1/abcd1234-a.jpg"}, "annotations": [
    {"result": [{"type": "rectanglelabels", "original_width": 640, "original_height": 480,
                 "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "rectanglelabels": ["Acme"]}}]}]}]
GT_VIDEO_LINE = {"source-ref": "seq-1.json", "frames-ref": "SeqLabel.json",
                 "frames-ref-metadata": {"class-map": {"0": "Acme"}, "type": "groundtruth/video-object-detection"}}


def manifest_lines(kind: str) -> st.SearchStrategy[str]:
    """A JSON Lines manifest: valid lines and mutated ones, with \\n or \\r\\n between them."""
    valid = GT_OBJECT_LINE if kind == "object" else GT_CONCEPT_LINE
    line = st.one_of(st.just(valid), mutated(valid))
    return st.builds(lambda lines, sep: sep.join(lines),
                     st.lists(text_of(line), min_size=1, max_size=5), st.sampled_from(["\n", "\r\n"]))


def task(kind: str = "object") -> LabelingTask:
    """A small built-in labeling task (one video, three frames, one images sequence) to import onto."""
    seqs = [TaskSequence(seq_no=1, source="clip.mp4", video_id="v1", prefix="s3://bucket/frames/v1/",
                         frames=["0.jpg", "250.jpg", "500.jpg"]),
            TaskSequence(seq_no=2, source="images", prefix="s3://bucket/images/", frames=["0123456789ab-a.jpg"])]
    return LabelingTask(name="logos-abc", job_id="job1", kind=kind, labels=["Acme", "Borealis"], labeler="builtin",
                        model="logos", model_version=1, sequences=seqs, manifest_uri="s3://bucket/m.manifest",
                        config_uri="s3://bucket/c.json", output_prefix="s3://bucket/out/",
                        frame_sizes={"1": [640, 480]})


# -- the families ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    name: str
    inputs: st.SearchStrategy[Any]
    call: Callable[[Any], Any]
    allowed: tuple[type[BaseException], ...]  # the project's errors this call may raise


def _decode(body: str) -> Any:
    from shared.messages import decode
    return decode(body)


def _labeling_event(body: str) -> Any:
    from workers.events import labeling_event

    class _Labels:  # the store's lookup, without DynamoDB: the name must be one it could look up
        def get(self, name: str) -> None:
            if not isinstance(name, str) or not name or len(name.encode("utf-8")) > 1024:
                raise AssertionError(f"a name DynamoDB would refuse reached the store: {name!r}")
            return None

    class _Ctx:
        labels = _Labels()

    return labeling_event(body, _Ctx())  # type: ignore[arg-type]


def _manifest(text: str) -> Any:
    from shared.models.manifest import read_manifest
    dataset, _ = read_manifest(text)
    for item in dataset.items:  # a dataset that reads must be usable: finite boxes, real sizes
        for b in item.boxes:
            assert all(math.isfinite(v) for v in (b.left, b.top, b.width, b.height)), b
        assert item.width is None or item.width > 0
    return dataset


def _import(kind: str) -> Callable[[str], Any]:
    from shared.labeling.imports import read_import
    labeling = task(kind)

    def call(text: str | bytes) -> Any:
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        return read_import(data, "labels.json", labeling, fetch=None, base_dir=Path("/nonexistent-base"))
    return call


def families() -> list[Family]:
    from shared.models.manifest import ManifestError
    messages = st.sampled_from(valid_messages())
    return [
        Family("message decoding (worker queue bodies)",
               st.one_of(RANDOM_TEXT, text_of(JSON_VALUES), text_of(messages.flatmap(mutated))),
               _decode, (MessageDecodeError,)),
        Family("labeling events (EventBridge envelopes on the events queue)",
               st.one_of(RANDOM_TEXT, text_of(JSON_VALUES), text_of(mutated(labeling_event_doc()))),
               _labeling_event, (MessageDecodeError,)),
        Family("Ground Truth manifests (object and concept)",
               st.one_of(RANDOM_TEXT, manifest_lines("object"), manifest_lines("concept")),
               _manifest, (ManifestError,)),
        Family("COCO training files",
               st.one_of(text_of(mutated(COCO_DOC, times=4)), text_of(JSON_VALUES.map(lambda v: {**COCO_DOC, "x": v}))),
               _manifest, (ManifestError,)),
        Family("label imports (Ground Truth, COCO, Label Studio, CVAT, zip)",
               st.one_of(RANDOM_TEXT, st.binary(max_size=300), manifest_lines("object"),
                         text_of(mutated(COCO_DOC, times=4)), text_of(mutated(LABEL_STUDIO_DOC, times=4)),
                         text_of(mutated(GT_VIDEO_LINE)), cvat_xml()),
               _import("object"), (LabelingError, JobError)),
        Family("label imports onto a concept job",
               st.one_of(manifest_lines("concept"), text_of(mutated(LABEL_STUDIO_DOC, times=4)), cvat_xml()),
               _import("concept"), (LabelingError, JobError)),
    ]


@st.composite
def cvat_xml(draw: st.DrawFn) -> str:
    from xml.sax.saxutils import quoteattr
    attr = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBERS.map(str))
    boxes = "".join(f"<box label={quoteattr(draw(attr))} xtl={quoteattr(draw(attr))} ytl=\"1\" xbr=\"30\" "
                    f"ybr={quoteattr(draw(attr))} rotation={quoteattr(draw(attr))}/><tag label={quoteattr(draw(attr))}/>"
                    for _ in range(draw(st.integers(0, 2))))
    text = (f"<annotations><image id=\"0\" name={quoteattr(draw(attr))} width={quoteattr(draw(attr))} "
            f"height=\"480\">{boxes}</image></annotations>")
    return "".join(c for c in text if c not in "\x00\ud800")  # XML cannot hold these at all
