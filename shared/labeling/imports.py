"""`brandvis label import`: labels made in another tool, put on a built-in labeling job's frames.

Reads what analysts bring back: a Ground Truth output manifest (per-image object-detection or
classification lines, or the video-frame output whose `-ref` attribute points at one SeqLabel.json
per sequence), COCO JSON, a Label Studio JSON export, or CVAT for images 1.1 XML (or the zip CVAT
downloads). Each image the file names becomes one task frame, reviewed: its boxes (object) or its
class (concept), or none, which says "no brand here". Frames the file does not name stay as they were.

Every problem is listed with where it is in the file and which image it is about (capped like
training manifests), and nothing is imported while there is one: a half-applied import would leave
the analyst guessing which half.

Which frame an image is:
- by content, when the images the file refers to are given (`images_dir`): the image's bytes are
  compared with every task frame's (each frame downloaded once): the SHA-256 first, which only
  matches the very JPEG we extracted (exported as-is); else a 16x16 grey thumbnail, which survives
  re-encoding, PNG conversion and resizing (mean absolute difference at most `PIXEL_TOLERANCE` grey
  levels), not cropping. Two frames alike within the tolerance (a static shot) are decided by name.
- by name: the frame's s3:// URI; `<video name>/<frame>` (also without the video's extension, and
  `images/<name>` for uploaded images); the frame's file name (`250.jpg`, or an uploaded image's own
  name), also behind Label Studio's 8-character upload prefix, also with another extension (a PNG
  export of `250.jpg`). A file name that two videos share is ambiguous and says how to fix it.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.parsers import expat

import cv2
import numpy as np

from shared.labeling import formats
from shared.labeling.labelers import LabelingError
from shared.labeling.store import FrameLabel, LabelStore
from shared.labeling.task import LabelingTask
from shared.models.dataset import Box
from shared.models.manifest import BOX_TOLERANCE_PX, MAX_PROBLEMS, ManifestError, json_lines, parse_manifest
from shared.table import now_iso
from shared.uploads import safe_name

Fetch = Callable[[str], bytes]  # s3:// URI in our bucket -> bytes

FORMATS = ("groundtruth", "groundtruth-video", "coco", "labelstudio", "cvat")
PIXEL_TOLERANCE = 6.0  # grey levels, mean over a 16x16 thumbnail: re-encoding moves it by 1-2
SIZE_ASPECT_TOLERANCE = 0.01  # an image labeled at another size with the same shape is scaled back
UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{12}-")  # the label stage's prefix for uploaded images
LABEL_STUDIO_PREFIX = re.compile(r"^[A-Za-z0-9]{8}-(.+)$")  # /data/upload/<project>/<8 chars>-<name>
VIDEO_TYPES = (formats.VIDEO_TYPE, "groundtruth/video-object-tracking")
CVAT_SHAPES = ("polygon", "polyline", "points", "cuboid", "ellipse", "mask", "skeleton")

Frame = tuple[int, int]  # (seq_no, frame_no)


# -- what a file says, before it is matched ----------------------------------------------------
@dataclass
class _Box:
    label: str
    left: float
    top: float
    width: float
    height: float
    where: str  # in the file: "box 2", "annotation id 15", "line 40 <box>"
    percent: bool = False  # Label Studio: 0-100 of the image


@dataclass
class _Entry:
    where: str  # in the file: "line 3", "image id 7", "task id 12", "line 9 <image id=3>"
    ref: str  # the image as the file names it
    width: int | None = None  # the size the file says the image has
    height: int | None = None
    boxes: list[_Box] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # concept
    frame: Frame | None = None  # known without matching (Ground Truth video output in our bucket)

    @property
    def at(self) -> str:
        return f"{self.where} ({self.ref})"


@dataclass
class _Parsed:
    format: str
    entries: list[_Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """Per frame, what the file says; `problems` empty means it may be saved."""

    format: str
    file_name: str
    frames: dict[Frame, FrameLabel]
    problems: list[str]
    notes: list[str] = field(default_factory=list)

    def check(self) -> None:
        """One LabelingError listing every problem (the first MAX_PROBLEMS)."""
        if not self.problems:
            return
        n = len(self.problems)
        more = n - MAX_PROBLEMS
        head = f"{self.file_name}: {n} problem{'s' if n != 1 else ''}, nothing was imported:"
        raise LabelingError("\n".join([head, *self.problems[:MAX_PROBLEMS]] +
                                      ([f"... and {more} more"] if more > 0 else [])))

    def per_label(self) -> dict[str, int]:
        """Boxes (object) or frames (concept) per label."""
        counts: dict[str, int] = {}
        for f in self.frames.values():
            for label in [b.label for b in f.boxes] + f.labels:
                counts[label] = counts.get(label, 0) + 1
        return counts


# -- frame sizes -------------------------------------------------------------------------------
class FrameSizes:
    """Each task frame's (width, height): the label stage's size per video, else the image's own
    (uploaded images differ), read once. None when the frame cannot be read."""

    def __init__(self, task: LabelingTask, fetch: Fetch | None) -> None:
        self.task, self.fetch = task, fetch
        self._read: dict[Frame, tuple[int, int] | None] = {}

    def known(self, frame: Frame, size: tuple[int, int]) -> None:
        self._read[frame] = size

    def get(self, seq_no: int, frame_no: int) -> tuple[int, int] | None:
        size = self.task.frame_sizes.get(str(seq_no))
        if size and len(size) == 2 and size[0] > 0 and size[1] > 0:
            return int(size[0]), int(size[1])
        if (seq_no, frame_no) not in self._read:
            self._read[(seq_no, frame_no)] = self._decode(seq_no, frame_no)
        return self._read[(seq_no, frame_no)]

    def _decode(self, seq_no: int, frame_no: int) -> tuple[int, int] | None:
        if self.fetch is None:
            return None
        try:
            image = cv2.imdecode(np.frombuffer(self.fetch(self.task.frame_uri(seq_no, frame_no)), np.uint8),
                                 cv2.IMREAD_GRAYSCALE)
        except Exception:  # noqa: BLE001 - a frame we cannot read has no size; the caller says so
            return None
        return None if image is None else (int(image.shape[1]), int(image.shape[0]))


def sequence_dirs(task: LabelingTask) -> dict[int, str]:
    """The folder each sequence's frames go in when exported (`<video name>/<frame>`, `images/`),
    unique per task: a video name given twice gets its sequence number."""
    names = [s.source for s in task.sequences]
    return {s.seq_no: s.source if names.count(s.source) == 1 else f"{s.source}-{s.seq_no}" for s in task.sequences}


def describe(task: LabelingTask, frame: Frame) -> str:
    seq = task.sequence(frame[0])
    return f"{sequence_dirs(task)[seq.seq_no]}/{seq.frames[frame[1]]}"


# -- matching an image to a frame --------------------------------------------------------------
def _stem(name: str) -> str:
    return posixpath.splitext(name)[0]


def _parts(ref: str) -> list[str]:
    """The path components of a URI, URL (Label Studio's `?d=` local files) or path."""
    path = ref.strip()
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", path) or path.startswith("/data/"):
        split = urlsplit(path)
        query = parse_qs(split.query)
        path = query["d"][0] if "d" in query else split.path
    return [p for p in unquote(path).replace("\\", "/").split("/") if p not in ("", ".")]


class _Matcher:
    def __init__(self, task: LabelingTask, fetch: Fetch | None, images_dir: Path | None) -> None:
        self.task, self.fetch, self.images_dir = task, fetch, images_dir
        self.by_uri: dict[str, Frame] = {}
        self.by_name: dict[str, list[Frame]] = {}
        self.by_stem: dict[str, list[Frame]] = {}
        self.dirs: dict[int, set[str]] = {}
        dirs = sequence_dirs(task)
        for seq in task.sequences:
            folder = {dirs[seq.seq_no], seq.source, _stem(seq.source), safe_name(seq.source),
                      _stem(safe_name(seq.source))}
            self.dirs[seq.seq_no] = {d.casefold() for d in folder}
            for no, name in enumerate(seq.frames):
                frame = (seq.seq_no, no)
                self.by_uri[seq.prefix + name] = frame
                names = {name}
                if seq.video_id is None and UPLOAD_PREFIX.match(name):
                    names.add(name[13:])  # the image's own (safe) name, as it was uploaded
                for n in names:
                    self.by_name.setdefault(n.casefold(), []).append(frame)
                    self.by_stem.setdefault(_stem(n).casefold(), []).append(frame)
        self._files: dict[str, Path] | None = None
        self._content: tuple[dict[str, list[Frame]], list[Frame], np.ndarray] | None = None

    def match(self, ref: str) -> tuple[Frame | None, str]:
        """The frame an image is, or None and why not (for the analyst)."""
        if ref in self.by_uri:
            return self.by_uri[ref], ""
        parts = _parts(ref)
        if not parts:
            return None, "no image name"
        named = self._by_name(parts)
        seen = self._by_content(parts)
        if seen:
            if len(seen) == 1:
                return seen[0], ""
            both = [f for f in seen if f in named]
            if len(both) == 1:
                return both[0], ""
            return None, (f"its image looks like {len(seen)} frames alike ({self._list(seen)}); "
                          f"name the frame, as '{describe(self.task, seen[0])}'")
        if len(named) == 1:
            return named[0], ""
        if named:
            return None, (f"'{parts[-1]}' is a frame of {len(named)} sequences ({self._list(named)}): "
                          f"write '{describe(self.task, named[0])}', or match by content (--images DIR)")
        if seen is not None:
            return None, f"its image matches no frame of labeling job {self.task.name}, by content or by name"
        return None, f"no frame of labeling job {self.task.name} is named '{parts[-1]}'"

    def _list(self, frames: list[Frame]) -> str:
        return ", ".join(describe(self.task, f) for f in frames[:4]) + (", ..." if len(frames) > 4 else "")

    def _by_name(self, parts: list[str]) -> list[Frame]:
        base = parts[-1]
        m = LABEL_STUDIO_PREFIX.match(base)
        tries = [(self.by_name, base), (self.by_name, m.group(1) if m else None),
                 (self.by_stem, _stem(base)), (self.by_stem, _stem(m.group(1)) if m else None)]
        folder = parts[-2].casefold() if len(parts) > 1 else None
        for index, key in tries:
            if key is None:
                continue
            hits = index.get(key.casefold(), [])
            if not hits and key != safe_name(key):
                hits = index.get(safe_name(key).casefold(), [])
            if folder is not None and len(hits) > 1:
                narrowed = [f for f in hits if folder in self.dirs[f[0]]]
                hits = narrowed or hits
            if hits:
                return hits
        return []

    # -- by content --------------------------------------------------------------------------
    def _file(self, parts: list[str]) -> Path | None:
        if self.images_dir is None:
            return None
        if self._files is None:
            self._files = {}
            names: dict[str, list[Path]] = {}
            for path in sorted(self.images_dir.rglob("*")):
                if path.is_file():
                    self._files[path.relative_to(self.images_dir).as_posix().casefold()] = path
                    names.setdefault(path.name.casefold(), []).append(path)
            for name, paths in names.items():
                if len(paths) == 1:
                    self._files.setdefault(name, paths[0])
        for i in range(len(parts)):
            found = self._files.get("/".join(parts[i:]).casefold())
            if found is not None:
                return found
        return None

    def _by_content(self, parts: list[str]) -> list[Frame] | None:
        """None: nothing to compare (no images given, or this one is not among them)."""
        path = self._file(parts)
        if path is None:
            return None
        by_hash, frames, thumbs = self._index()
        data = path.read_bytes()
        exact = by_hash.get(hashlib.sha256(data).hexdigest())
        if exact:
            return exact
        thumb = _thumb(data)
        if thumb is None or not frames:
            return []
        distance = np.abs(thumbs - thumb).mean(axis=1)
        return [frames[i] for i in np.argsort(distance, kind="stable") if distance[i] <= PIXEL_TOLERANCE]

    def _index(self) -> tuple[dict[str, list[Frame]], list[Frame], np.ndarray]:
        """Every task frame's SHA-256 and thumbnail: each downloaded once, a few at a time."""
        if self._content is None:
            if self.fetch is None:
                raise LabelingError("matching by content needs the frames: no way to read them was given")
            frames = [(s.seq_no, no) for s in self.task.sequences for no in range(len(s.frames))]
            fetch = self.fetch

            def load(frame: Frame) -> tuple[str, np.ndarray | None]:
                data = fetch(self.task.frame_uri(*frame))
                return hashlib.sha256(data).hexdigest(), _thumb(data)

            with ThreadPoolExecutor(max_workers=8) as pool:
                loaded = list(pool.map(load, frames))
            by_hash: dict[str, list[Frame]] = {}
            for frame, (digest, _) in zip(frames, loaded):
                by_hash.setdefault(digest, []).append(frame)
            kept = [(f, t) for f, (_, t) in zip(frames, loaded) if t is not None]
            thumbs = np.stack([t for _, t in kept]) if kept else np.zeros((0, 256), np.float32)
            self._content = by_hash, [f for f, _ in kept], thumbs
        return self._content


def _thumb(data: bytes) -> np.ndarray | None:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return None
    return cv2.resize(image, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()


# -- reading each format -----------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer past a float's range (10**400)
        return None
    return number if math.isfinite(number) else None


def _list(value: Any) -> list[Any]:
    """A list where the file should have one; anything else (a number, an object, null) reads as empty."""
    return value if isinstance(value, list) else []


def _size(value: Any) -> int | None:
    number = _number(value)
    return round(number) if number is not None and number > 0 else None


def _box(label: Any, values: Iterable[Any], where: str, problems: list[str], at: str,
         percent: bool = False) -> _Box | None:
    numbers = [_number(v) for v in values]
    if any(n is None for n in numbers):
        problems.append(f"{at}: {where} needs numeric left, top, width and height")
        return None
    if not isinstance(label, str) or not label.strip():
        problems.append(f"{at}: {where} has no label")
        return None
    left, top, width, height = numbers
    return _Box(label.strip(), left, top, width, height, where, percent)  # type: ignore[arg-type]


class _Refs:
    """The files a Ground Truth video manifest points at: s3:// in our bucket, or paths next to it."""

    def __init__(self, fetch: Fetch | None, base_dir: Path | None) -> None:
        self.fetch, self.base_dir = fetch, base_dir

    def json(self, ref: str) -> Any:
        if ref.startswith("s3://"):
            if self.fetch is None:
                raise ValueError("cannot read S3 here")
            try:
                data = self.fetch(ref)
            except Exception as exc:  # noqa: BLE001 - named to the analyst, whatever S3 said
                raise ValueError(f"cannot read it ({type(exc).__name__}: {exc})") from None
        else:
            path = Path(ref)
            if not path.is_absolute():
                path = (self.base_dir or Path.cwd()) / ref
            if not path.is_file():
                raise ValueError(f"no such file: {path}")
            data = path.read_bytes()
        try:
            return json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _json_lines(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    lines, problems = [], []
    for number, raw in enumerate(json_lines(text), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.append(f"line {number}: JSON nested too deeply")
            continue
        if not isinstance(line, dict):
            problems.append(f"line {number}: expected a JSON object")
            continue
        lines.append((number, line))
    return lines, problems


def _video_attribute(line: dict[str, Any]) -> str | None:
    for key, meta in line.items():
        if key.endswith("-metadata") and isinstance(meta, dict) and meta.get("type") in VIDEO_TYPES:
            return key[: -len("-metadata")]
    return None


def _ground_truth(text: str, task: LabelingTask, refs: _Refs, unlisted_are_negatives: bool) -> _Parsed:
    lines, problems = _json_lines(text)
    if problems:
        return _Parsed("groundtruth", problems=problems)
    if any(_video_attribute(line) for _, line in lines):
        return _ground_truth_video(lines, task, refs, unlisted_are_negatives)
    out = _Parsed("groundtruth")
    try:
        dataset = parse_manifest(text, task.kind, "manifest")
    except ManifestError as exc:  # the file's shape is wrong: its first problem is the one to fix
        message = str(exc)
        out.problems.append(message[len("manifest "):] if message.startswith("manifest line") else
                            re.sub(r"^manifest\b", "the file", message))
        return out
    for item in dataset.items:
        entry = _Entry(f"line {item.line}", item.source_ref, item.width, item.height)
        entry.boxes = [_Box(b.label, b.left, b.top, b.width, b.height, f"box {i}") for i, b in enumerate(item.boxes, 1)]
        entry.labels = [label for label in item.labels if label != formats.PLACEHOLDER]
        out.entries.append(entry)
    return out


def _ground_truth_video(lines: list[tuple[int, dict[str, Any]]], task: LabelingTask, refs: _Refs,
                        unlisted_are_negatives: bool) -> _Parsed:
    """Ground Truth's video-frame output: per sequence, its frame-sequence file and its SeqLabel.json."""
    out = _Parsed("groundtruth-video")
    if task.kind != "object":
        out.problems.append("the file holds video-frame boxes, but this labeling job labels whole frames (concept)")
        return out
    by_prefix = {s.prefix: s for s in task.sequences}
    for number, line in lines:
        where = f"line {number}"
        attribute = _video_attribute(line)
        sequence_ref = line.get("source-ref")
        if attribute is None or not isinstance(line.get(attribute), str):
            out.problems.append(f"{where}: no video-frame label attribute (a '<name>-ref' key with a "
                                f"'-metadata' companion of type {formats.VIDEO_TYPE})")
            continue
        if not isinstance(sequence_ref, str):
            out.problems.append(f"{where}: no source-ref (the frame-sequence file)")
            continue
        try:
            sequence = refs.json(sequence_ref)
            prefix, frames = str(sequence["prefix"]), {int(f["frame-no"]): str(f["frame"]) for f in sequence["frames"]}
        except ValueError as exc:
            out.problems.append(f"{where}: frame-sequence file {sequence_ref}: {exc}")
            continue
        except (KeyError, TypeError):
            out.problems.append(f"{where}: {sequence_ref} is not a frame-sequence file (no prefix and frames list)")
            continue
        if not prefix.endswith("/"):
            prefix += "/"
        if not prefix.startswith("s3://") and not Path(prefix).is_absolute():  # relative to the sequence file
            prefix = posixpath.join(posixpath.dirname(sequence_ref), prefix)
        seq_label_ref = str(line[attribute])
        name = posixpath.basename(seq_label_ref)
        meta = line[f"{attribute}-metadata"]
        class_map = {str(k): str(v) for k, v in (meta.get("class-map") or {}).items()}
        try:
            annotations = refs.json(seq_label_ref)
            listed = annotations.get("detection-annotations", annotations.get("tracking-annotations"))
            if not isinstance(listed, list):
                raise KeyError
        except ValueError as exc:
            out.problems.append(f"{where}: {seq_label_ref}: {exc}")
            continue
        except (KeyError, AttributeError):
            out.problems.append(f"{where}: {seq_label_ref} has no detection-annotations list")
            continue
        ours = by_prefix.get(prefix)
        named: set[int] = set()
        for entry in listed:
            try:
                frame_no = int(entry["frame-no"])
            except (KeyError, TypeError, ValueError):
                out.problems.append(f"{where}: {name}: a frame without a frame-no")
                continue
            frame_name = str(entry.get("frame") or frames.get(frame_no, ""))
            named.add(frame_no)
            item = _Entry(f"{where}, {name} frame {frame_no}", prefix + frame_name)
            if ours is not None and frame_name in ours.frames:
                item.frame = (ours.seq_no, ours.frames.index(frame_name))
            for i, a in enumerate(entry.get("annotations") or [], 1):
                a = a if isinstance(a, dict) else {}
                label = class_map.get(str(a.get("class-id")))
                if label is None:
                    out.problems.append(f"{item.at}: box {i} has class-id {a.get('class-id')!r}, which is not in "
                                        f"the class-map (known: {', '.join(class_map) or 'none'})")
                    continue
                box = _box(label, (a.get(k) for k in ("left", "top", "width", "height")), f"box {i}", out.problems,
                           item.at)
                if box is not None:
                    item.boxes.append(box)
            out.entries.append(item)
        if unlisted_are_negatives:
            for frame_no, frame_name in sorted(frames.items()):
                if frame_no not in named:
                    item = _Entry(f"{where}, {posixpath.basename(sequence_ref)} frame {frame_no}", prefix + frame_name)
                    if ours is not None and frame_name in ours.frames:
                        item.frame = (ours.seq_no, ours.frames.index(frame_name))
                    out.entries.append(item)
    return out


def _coco(doc: dict[str, Any], task: LabelingTask) -> _Parsed:
    out = _Parsed("coco")
    missing = [k for k in ("images", "annotations", "categories") if not isinstance(doc.get(k), list)]
    if missing:
        out.problems.append(f"looks like COCO but has no {', '.join(missing)} list")
        return out
    if task.kind != "object" and doc["annotations"]:
        out.problems.append("a COCO file holds boxes, but this labeling job labels whole frames (concept)")
        return out
    categories: dict[Any, str] = {}
    for n, c in enumerate(doc["categories"], 1):
        if not isinstance(c, dict) or not isinstance(c.get("id"), Hashable) or not isinstance(c.get("name"), str):
            out.problems.append(f"category {n}: needs an id and a name")
            continue
        categories[c["id"]] = c["name"]
    images: dict[Any, _Entry] = {}
    for n, img in enumerate(doc["images"], 1):
        if not isinstance(img, dict) or not isinstance(img.get("id"), Hashable) or not isinstance(img.get("file_name"), str):
            out.problems.append(f"image {n}: needs an id and a file_name")
            continue
        if img["id"] in images:
            out.problems.append(f"image id {img['id']}: given twice")
            continue
        images[img["id"]] = _Entry(f"image id {img['id']}", img["file_name"], _size(img.get("width")),
                                   _size(img.get("height")))
    for n, a in enumerate(doc["annotations"], 1):
        a = a if isinstance(a, dict) else {}
        where = f"annotation id {a['id']}" if "id" in a else f"annotation {n}"
        image_id = a.get("image_id")
        entry = images.get(image_id) if isinstance(image_id, Hashable) else None
        if entry is None:
            out.problems.append(f"{where}: image_id {a.get('image_id')!r} is not in images")
            continue
        category_id = a.get("category_id")  # a missing one is None, which a category may have as its id
        if not isinstance(category_id, Hashable) or category_id not in categories:
            out.problems.append(f"{entry.at}: {where}: category_id {category_id!r} is not in categories")
            continue
        bbox = a.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4):
            out.problems.append(f"{entry.at}: {where}: bbox must be a list of x, y, width, height; got {bbox!r}")
            continue
        box = _box(categories[category_id], bbox, where, out.problems, entry.at)
        if box is not None:
            entry.boxes.append(box)
    out.entries = list(images.values())
    return out


def _label_studio(tasks: list[Any], task: LabelingTask) -> _Parsed:
    """Label Studio's JSON export: a list of tasks, each with its annotations (cancelled ones skipped;
    of several, the one marked ground truth, else the last); boxes in percent of the image."""
    out = _Parsed("labelstudio")
    if not any(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in tasks):
        out.problems.append("a JSON list, but not of Label Studio tasks (each with data and annotations): export "
                            "from Label Studio as JSON, not JSON-MIN")
        return out
    unlabeled = several = 0
    for n, t in enumerate(tasks, 1):
        if not isinstance(t, dict) or not isinstance(t.get("data"), dict):
            out.problems.append(f"task {n}: not a Label Studio task (no data)")
            continue
        where = f"task id {t['id']}" if "id" in t else f"task {n}"
        data = t["data"]
        ref = data.get("image")
        if not isinstance(ref, str):
            ref = next((v for v in data.values() if isinstance(v, str) and re.search(r"\.(jpe?g|png|webp|bmp)\b", v,
                                                                                     re.IGNORECASE)), None)
        if not isinstance(ref, str):
            out.problems.append(f"{where}: no image in data")
            continue
        done = [a for a in _list(t.get("annotations") or t.get("completions"))
                if isinstance(a, dict) and not a.get("was_cancelled")]
        if not done:
            unlabeled += 1
            continue
        several += len(done) > 1
        chosen = next((a for a in done if a.get("ground_truth")), done[-1])
        entry = _Entry(where, ref)
        for i, r in enumerate(_list(chosen.get("result")), 1):
            r = r if isinstance(r, dict) else {}
            kind, value = str(r.get("type", "")), r.get("value")
            value = value if isinstance(value, dict) else {}
            what = f"result {r['id']!r}" if "id" in r else f"result {i}"
            entry.width = entry.width or _size(r.get("original_width"))
            entry.height = entry.height or _size(r.get("original_height"))
            if kind == "rectanglelabels":
                if task.kind != "object":
                    out.problems.append(f"{entry.at}: {what}: a box, but this labeling job labels whole frames")
                    continue
                labels = _list(value.get("rectanglelabels"))
                if len(labels) != 1:
                    out.problems.append(f"{entry.at}: {what}: a box needs exactly one label, it has {len(labels)}")
                    continue
                rotation = _number(value.get("rotation")) or 0.0
                if abs(rotation) > 0.5:
                    out.problems.append(f"{entry.at}: {what}: a box rotated by {rotation:g} degrees; "
                                        f"brandvis boxes are upright: redraw it")
                    continue
                box = _box(labels[0], (value.get(k) for k in ("x", "y", "width", "height")), what, out.problems,
                           entry.at, percent=True)
                if box is not None:
                    entry.boxes.append(box)
            elif kind == "choices":
                if task.kind != "concept":
                    out.problems.append(f"{entry.at}: {what}: a whole-image label, but this labeling job needs "
                                        f"boxes")
                    continue
                entry.labels.extend(str(c) for c in _list(value.get("choices")))
            elif kind == "rectangle":
                out.problems.append(f"{entry.at}: {what}: a box without a label")
            elif kind.endswith("labels"):
                out.problems.append(f"{entry.at}: {what}: {kind} regions are not boxes; draw rectangles")
        out.entries.append(entry)
    if unlabeled:
        out.notes.append(f"{unlabeled} task(s) without an annotation were left as they are")
    if several:
        out.notes.append(f"{several} task(s) had several annotations: the ground-truth one, else the last, was used")
    return out


def _cvat(text: str, task: LabelingTask) -> _Parsed:
    """CVAT for images 1.1: `<image name width height>` with `<box label xtl ytl xbr ybr>` and `<tag label>`."""
    out = _Parsed("cvat")
    parser = expat.ParserCreate()
    current: list[_Entry] = []
    root: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if not root:
            root.append(name)
            return
        if name == "track" and not any("CVAT for video" in p for p in out.problems):
            out.problems.append(f"line {line}: <track>: this is CVAT for video; export the task as CVAT for "
                                f"images 1.1")
        if name == "image":
            current.append(_Entry(f"line {line} <image id={attrs.get('id', '?')}>", attrs.get("name", ""),
                                  _size(attrs.get("width")), _size(attrs.get("height"))))
            return
        if not current:
            return
        entry = current[-1]
        what = f"line {line} <{name}>"
        if name == "box":
            if task.kind != "object":
                out.problems.append(f"{entry.at}: {what}: a box, but this labeling job labels whole frames")
                return
            if abs(_number(attrs.get("rotation")) or 0.0) > 0.5:
                out.problems.append(f"{entry.at}: {what}: rotated by {attrs['rotation']} degrees; brandvis boxes "
                                    f"are upright: redraw it")
                return
            x0, y0, x1, y1 = (_number(attrs.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
            if None in (x0, y0, x1, y1):
                out.problems.append(f"{entry.at}: {what} needs numeric xtl, ytl, xbr and ybr")
                return
            box = _box(attrs.get("label"), (x0, y0, x1 - x0, y1 - y0), what, out.problems, entry.at)  # type: ignore[operator]
            if box is not None:
                entry.boxes.append(box)
        elif name == "tag":
            if task.kind != "concept":
                out.problems.append(f"{entry.at}: {what}: a whole-image label, but this labeling job needs boxes")
                return
            entry.labels.append(attrs.get("label", ""))
        elif name in CVAT_SHAPES:
            out.problems.append(f"{entry.at}: {what}: a {name} is not a box; draw rectangles")

    def end(name: str) -> None:
        if name == "image" and current:
            out.entries.append(current.pop())

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        return _Parsed("cvat", problems=[f"line {exc.lineno}: not valid XML ({expat.ErrorString(exc.code)})"])
    if root and root[0] != "annotations":
        return _Parsed("cvat", problems=[f"an XML file whose root is <{root[0]}>, not CVAT's <annotations>"])
    return out


def _unzip(data: bytes, file_name: str) -> tuple[bytes, str]:
    """CVAT and others download a zip: its annotations.xml, or its one JSON file."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise LabelingError(f"{file_name}: not a readable zip file") from None
    names = [n for n in archive.namelist() if not n.endswith("/")]
    chosen = [n for n in names if posixpath.basename(n) == "annotations.xml"] or \
        [n for n in names if n.lower().endswith((".json", ".manifest", ".jsonl"))]
    if len(chosen) != 1:
        raise LabelingError(f"{file_name}: a zip with {len(chosen) or 'no'} annotation files; give the one to "
                            f"import ({', '.join(chosen[:5]) or 'annotations.xml or a .json'})")
    return archive.read(chosen[0]), f"{file_name}:{chosen[0]}"


def _parse(data: bytes, file_name: str, task: LabelingTask, refs: _Refs, unlisted_are_negatives: bool) -> _Parsed:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelingError(f"{file_name}: not a text file (a Ground Truth manifest, COCO or Label Studio JSON, or "
                            f"CVAT XML)") from None
    if not text.strip():
        raise LabelingError(f"{file_name} is empty")
    if text.lstrip().startswith("<"):
        return _cvat(text, task)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # several lines: JSON Lines
    except RecursionError:
        raise LabelingError(f"{file_name}: JSON nested too deeply to be labels") from None
    if isinstance(whole, list):
        return _label_studio(whole, task)
    if isinstance(whole, dict) and {"images", "annotations", "categories"} & whole.keys() and "source-ref" not in whole:
        return _coco(whole, task)
    return _ground_truth(text, task, refs, unlisted_are_negatives)


# -- matched and checked -----------------------------------------------------------------------
def read_import(data: bytes, file_name: str, task: LabelingTask, *, fetch: Fetch | None,
                base_dir: Path | None = None, images_dir: Path | None = None,
                unlisted_are_negatives: bool = False) -> ImportResult:
    """What `data` (the file's bytes) says about `task`'s frames, and every problem with it.

    `fetch` reads s3:// URIs in our bucket (frames, and a Ground Truth manifest's files there);
    `base_dir` is where paths in the file are relative to (the file's folder); `images_dir` holds the
    images the file refers to, to match them by content. Ground Truth's video output lists the
    frames a worker boxed; `unlisted_are_negatives` says its other frames were seen and hold no
    brand (true of Ground Truth's own jobs, not of a partial export).
    """
    if data[:4] == b"PK\x03\x04":
        data, file_name = _unzip(data, file_name)
    parsed = _parse(data, file_name, task, _Refs(fetch, base_dir), unlisted_are_negatives)
    problems, notes = list(parsed.problems), list(parsed.notes)
    matcher = _Matcher(task, fetch, images_dir)
    sizes = FrameSizes(task, fetch)
    frames: dict[Frame, FrameLabel] = {}
    first: dict[Frame, _Entry] = {}
    scaled: list[str] = []
    at = now_iso()
    for entry in parsed.entries:
        frame = entry.frame
        if frame is None:
            frame, why = matcher.match(entry.ref)
            if frame is None:
                problems.append(f"{entry.at}: {why}")
                continue
        if frame in first:
            problems.append(f"{entry.at}: frame {describe(task, frame)} is labeled already by {first[frame].where}")
            continue
        first[frame] = entry
        label = _check(entry, frame, task, sizes, problems, scaled)
        if label is not None:
            label.at = at
            frames[frame] = label
    if not parsed.entries and not problems:
        problems.append("the file names no image")
    if scaled:
        notes.append(f"{len(scaled)} image(s) were labeled at another size ({scaled[0]}): their boxes were scaled "
                     f"to the frame")
    return ImportResult(parsed.format, file_name, frames, problems, notes)


def _check(entry: _Entry, frame: Frame, task: LabelingTask, sizes: FrameSizes, problems: list[str],
           scaled: list[str]) -> FrameLabel | None:
    """The entry as the frame's label, in the frame's pixels; its problems appended."""
    known = set(task.labels)
    bad = len(problems)
    for b in entry.boxes:
        if b.label not in known:
            problems.append(f"{entry.at}: {b.where}: label '{b.label}' is not one of this labeling job's labels "
                            f"({', '.join(task.labels)})")
    if task.kind == "concept":
        labels = [label for label in dict.fromkeys(entry.labels) if label != formats.PLACEHOLDER]
        for label in labels:
            if label not in known:
                problems.append(f"{entry.at}: label '{label}' is not one of this labeling job's labels "
                                f"({', '.join(task.labels)})")
        if len(labels) > 1:
            problems.append(f"{entry.at}: {len(labels)} labels ({', '.join(labels)}); a frame takes one")
        return None if len(problems) > bad else FrameLabel(frame[0], frame[1], labels=labels, source="imported")

    size = sizes.get(*frame)
    declared = (entry.width, entry.height) if entry.width and entry.height else None
    sx = sy = 1.0
    if size is None:
        size = declared
    elif declared is not None and declared != size and any(not b.percent for b in entry.boxes):
        w, h = declared
        if abs((w / h) / (size[0] / size[1]) - 1) > SIZE_ASPECT_TOLERANCE:
            problems.append(f"{entry.at}: the file says the image is {w}x{h}, but frame {describe(task, frame)} is "
                            f"{size[0]}x{size[1]}")
            return None
        sx, sy = size[0] / w, size[1] / h
        scaled.append(f"{w}x{h} for {size[0]}x{size[1]}")
    boxes = []
    for b in entry.boxes:
        if b.percent:
            if size is None:
                problems.append(f"{entry.at}: {b.where}: the image size is unknown, so its percentages cannot be "
                                f"turned into pixels")
                continue
            left, top, width, height = (b.left * size[0] / 100, b.top * size[1] / 100, b.width * size[0] / 100,
                                        b.height * size[1] / 100)
        else:
            left, top, width, height = b.left * sx, b.top * sy, b.width * sx, b.height * sy
        shape = f"{b.where} '{b.label}' (left {left:g}, top {top:g}, width {width:g}, height {height:g})"
        if width <= 0 or height <= 0:
            problems.append(f"{entry.at}: {shape} has no area")
            continue
        if size is not None:
            x1, y1 = left + width, top + height
            if min(left, top) < -BOX_TOLERANCE_PX or x1 > size[0] + BOX_TOLERANCE_PX or y1 > size[1] + BOX_TOLERANCE_PX:
                problems.append(f"{entry.at}: {shape} lies outside the {size[0]}x{size[1]} image")
                continue
            left, top = max(left, 0.0), max(top, 0.0)  # within the tolerance: onto the edge
            width, height = min(x1, size[0]) - left, min(y1, size[1]) - top
        boxes.append(Box(b.label, left, top, width, height))
    if len(problems) > bad:
        return None
    return FrameLabel(frame[0], frame[1], boxes=boxes, source="imported")


def save_import(store: LabelStore, task: LabelingTask, result: ImportResult) -> int:
    """Save every frame of a clean import (all or nothing); the number saved."""
    result.check()
    return store.save_frames(task.name, [result.frames[k] for k in sorted(result.frames)])


__all__ = ["FORMATS", "ImportResult", "FrameSizes", "read_import", "save_import", "sequence_dirs", "describe",
           "PIXEL_TOLERANCE"]
