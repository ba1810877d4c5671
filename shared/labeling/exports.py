"""`brandvis label export`: a built-in labeling job's reviewed frames, in the formats other tools read.

- `coco`: one JSON; images are `<video name>/<frame>` (uploaded images: `images/<name>`), their
  s3:// URI in `coco_url`; categories in the job's label order, ids from 1; boxes `[x, y, w, h]`.
- `groundtruth`: per-image output manifest lines (`groundtruth/object-detection`, or
  `groundtruth/image-classification` for concept) with s3:// `source-ref`s, the form Rekognition
  trains from and `brandvis train` reads; pixel boxes rounded to whole pixels, as Ground Truth writes.
- `yolo`: `classes.txt`, `data.yaml`, one `labels/<video name>/<frame stem>.txt` per frame
  (`class cx cy w h`, fractions of the frame; empty for a frame without a brand), `images.txt`
  listing the matching `images/...` paths and `sources.csv` saying where each frame is in S3 (the
  frames themselves are not copied).

Only frames a person reviewed are exported (a frame with no box is a negative example); in
concept jobs, a reviewed frame without a class has nothing to say and is left out. The COCO and
Ground Truth files name frames so that `label import` reads them back onto the same frames.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.labeling.imports import FrameSizes, describe, sequence_dirs
from shared.labeling.labelers import LabelingError
from shared.labeling.store import FrameLabel
from shared.labeling.task import LabelingTask
from shared.models.dataset import Box, Dataset, Item
from shared.models.manifest import to_ground_truth_lines
from shared.table import now_iso

FORMATS = ("coco", "groundtruth", "yolo")
Frame = tuple[int, int]


@dataclass
class Export:
    """The exported files by relative path; `write` puts them on disk."""

    format: str
    files: dict[str, bytes]
    frames: int  # frames exported
    skipped: int = 0  # reviewed frames with nothing to export (concept frames without a class)
    notes: list[str] = field(default_factory=list)

    def write(self, out: Path) -> Path:
        """COCO and Ground Truth: one file at `out`. YOLO: a folder, or a zip when `out` ends in .zip."""
        # YOLO folders are named after videos: no name may climb out of `out` (or the zip)
        for name in self.files if self.format == "yolo" else ():
            normal = posixpath.normpath(name.replace("\\", "/"))
            if posixpath.isabs(normal) or normal == ".." or normal.startswith("../") or (
                    out.suffix.lower() != ".zip" and not (out / normal).resolve().is_relative_to(out.resolve())):
                raise LabelingError(f"{name!r} would be written outside {out}; nothing was written")
        out.parent.mkdir(parents=True, exist_ok=True)
        if self.format != "yolo":
            (content,) = self.files.values()
            out.write_bytes(content)
            return out
        if out.suffix.lower() == ".zip":
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, content in sorted(self.files.items()):
                    archive.writestr(name, content)
            return out
        for name, content in self.files.items():
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return out


def default_name(task: LabelingTask, fmt: str) -> str:
    return {"coco": f"{task.name}-coco.json", "groundtruth": f"{task.name}.manifest",
            "yolo": f"{task.name}-yolo"}[fmt]


def export(task: LabelingTask, frames: dict[Frame, FrameLabel], fmt: str, *, sizes: FrameSizes) -> Export:
    """`frames`: what the LabelStore holds (reviewed frames); `sizes` gives each frame's pixels."""
    if fmt not in FORMATS:
        raise LabelingError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    if task.kind == "concept" and fmt != "groundtruth":
        raise LabelingError(f"{fmt} holds boxes, but labeling job {task.name} labels whole frames: export it as "
                            f"groundtruth")
    keys = sorted(k for k in frames if k[0] in {s.seq_no for s in task.sequences}
                  and 0 <= k[1] < len(task.sequence(k[0]).frames))
    wanted = [k for k in keys if task.kind == "object" or frames[k].labels]
    if not wanted:
        raise LabelingError(f"nothing is labeled in {task.name} yet: label some frames first")
    sized = {k: _size(task, sizes, k) for k in wanted} if task.kind == "object" else {}
    if fmt == "coco":
        files = {default_name(task, fmt): _coco(task, frames, wanted, sized)}
    elif fmt == "groundtruth":
        files = {default_name(task, fmt): _ground_truth(task, frames, wanted, sized)}
    else:
        files = _yolo(task, frames, wanted, sized)
    return Export(fmt, files, len(wanted), skipped=len(keys) - len(wanted))


def _size(task: LabelingTask, sizes: FrameSizes, frame: Frame) -> tuple[int, int]:
    size = sizes.get(*frame)
    if size is None:
        raise LabelingError(f"frame {describe(task, frame)} cannot be read, so its size is unknown: "
                            f"{task.frame_uri(*frame)}")
    return size


def _coco(task: LabelingTask, frames: dict[Frame, FrameLabel], wanted: list[Frame],
          sizes: dict[Frame, tuple[int, int]]) -> bytes:
    ids = {label: i for i, label in enumerate(task.labels, 1)}
    images, annotations = [], []
    for image_id, frame in enumerate(wanted, 1):
        width, height = sizes[frame]
        images.append({"id": image_id, "file_name": describe(task, frame), "width": width, "height": height,
                       "coco_url": task.frame_uri(*frame)})
        for b in frames[frame].boxes:
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": ids[b.label],
                                "bbox": [_num(b.left), _num(b.top), _num(b.width), _num(b.height)],
                                "area": _num(b.width * b.height), "iscrowd": 0, "segmentation": []})
    doc: dict[str, Any] = {
        "info": {"description": f"brandvis labeling job {task.name}", "version": "1.0", "date_created": now_iso()},
        "licenses": [], "images": images, "annotations": annotations,
        "categories": [{"id": i, "name": label, "supercategory": "brand"} for label, i in ids.items()]}
    return json.dumps(doc, indent=1).encode()


def _whole_pixels(box: Box) -> Box:
    """Ground Truth writes whole pixels; rounding the corners keeps the box inside the frame."""
    x0, y0, x1, y1 = (round(v) for v in box.xyxy)
    return Box(box.label, x0, y0, max(1, x1 - x0), max(1, y1 - y0))


def _ground_truth(task: LabelingTask, frames: dict[Frame, FrameLabel], wanted: list[Frame],
                  sizes: dict[Frame, tuple[int, int]]) -> bytes:
    if task.kind == "object":
        items = [Item(task.frame_uri(*k), *sizes[k], boxes=[_whole_pixels(b) for b in frames[k].boxes])
                 for k in wanted]
        attribute = "bounding-box"
    else:
        items = [Item(task.frame_uri(*k), labels=frames[k].labels[:1]) for k in wanted]
        attribute = "image-classification"
    dataset = Dataset(task.kind, list(task.labels), items, attribute, "labeling")
    return to_ground_truth_lines(dataset, [i.source_ref for i in items], attribute).encode()


def _yolo(task: LabelingTask, frames: dict[Frame, FrameLabel], wanted: list[Frame],
          sizes: dict[Frame, tuple[int, int]]) -> dict[str, bytes]:
    ids = {label: i for i, label in enumerate(task.labels)}
    dirs = sequence_dirs(task)
    files: dict[str, bytes] = {}
    images: list[str] = []
    sources = io.StringIO()
    table = csv.writer(sources, lineterminator="\n")
    table.writerow(["image", "labels", "uri"])
    for frame in wanted:
        seq = task.sequence(frame[0])
        name = seq.frames[frame[1]]
        width, height = sizes[frame]
        lines = []
        for b in frames[frame].boxes:
            cx, cy = (b.left + b.width / 2) / width, (b.top + b.height / 2) / height
            lines.append(f"{ids[b.label]} {cx:.6f} {cy:.6f} {b.width / width:.6f} {b.height / height:.6f}")
        label_path = f"labels/{dirs[seq.seq_no]}/{posixpath.splitext(name)[0]}.txt"
        files[label_path] = "".join(line + "\n" for line in lines).encode()
        images.append(f"images/{dirs[seq.seq_no]}/{name}")
        table.writerow([images[-1], label_path, task.frame_uri(*frame)])
    files["classes.txt"] = "".join(label + "\n" for label in task.labels).encode()
    names = "\n".join(f"  {i}: {json.dumps(label)}" for label, i in ids.items())
    files["data.yaml"] = (f"# brandvis labeling job {task.name}: YOLO boxes. The frames are not included:\n"
                          f"# sources.csv says where each is in S3; put them at the paths images.txt lists.\n"
                          f"path: .\ntrain: images.txt\nval: images.txt\nnc: {len(ids)}\nnames:\n{names}\n").encode()
    files["images.txt"] = "".join(path + "\n" for path in images).encode()
    files["sources.csv"] = sources.getvalue().encode()
    return files


def _num(value: float) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else round(value, 3)


__all__ = ["FORMATS", "Export", "export", "default_name"]
