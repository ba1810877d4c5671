"""Training manifests in, training manifests out.

Reads the two files analysts actually have: SageMaker Ground Truth output manifests (JSON Lines, the
format Rekognition Custom Labels trains from) and COCO JSON (what CVAT and Label Studio export). Both
become a `Dataset`; `to_ground_truth_lines` writes one back out for Rekognition. Every error is a
`ManifestError` that says where the problem is, because the analyst has to find it in their file;
a broken line does not hide the next one (`read_manifest` lists them all), so one pass fixes the file.
"""

from __future__ import annotations

import json
import math
import os
import posixpath
import re
from collections.abc import Hashable
from datetime import datetime, timezone
from typing import Any

from shared.errors import JobError
from shared.models.dataset import TYPES, Box, Dataset, Item
from shared.names import InvalidName, check_label

MIN_EXAMPLES = {"object": 3, "concept": 3}  # per label: fewer cannot be split into train and test

# Ground Truth `type` -> brandvis type. Other types (label verification, segmentation...) may sit on the
# same line as real labels, so they are skipped rather than refused.
GT_TYPES = {
    "groundtruth/object-detection": "object",
    "groundtruth/image-classification": "concept",
    "groundtruth/image-classification-multilabel": "concept",
}
BOX_TOLERANCE_PX = 0.5  # float exports (CVAT, Label Studio) overshoot the edge by rounding, not by mistake
MAX_PROBLEMS = 10


class ManifestError(JobError):
    """A training manifest the analyst must fix; the message names the line, image or label."""


def parse_manifest(text: str, kind: str | None = None, name: str = "manifest") -> Dataset:
    """A Ground Truth manifest or a COCO file -> `Dataset`; `kind` None means: as the file says.
    Refuses the file with every broken line listed."""
    dataset, found = read_manifest(text, kind, name)
    refuse(found)
    return dataset


def read_manifest(text: str, kind: str | None = None, name: str = "manifest") -> tuple[Dataset, list[str]]:
    """The dataset of every line (COCO: annotation) that reads, and one problem for each that does
    not, so a caller can list them with what else it finds (missing images, too few examples).
    A problem with the whole file (empty, no labels, mixed types) is raised at once."""
    if kind is not None and kind not in TYPES:
        raise ManifestError(f"unknown type {kind!r}; accepted: {', '.join(TYPES)}")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ManifestError(f"{name} is empty")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # several lines: JSON Lines
    except RecursionError:
        raise ManifestError(f"{name}: JSON nested too deeply to be a manifest") from None
    if isinstance(whole, dict) and {"images", "annotations", "categories"} & whole.keys() and "source-ref" not in whole:
        return _parse_coco(whole, kind, name)
    return _parse_ground_truth(text, kind, name)


# -- Ground Truth ------------------------------------------------------------------------------
def _label_attributes(line: dict[str, Any]) -> list[tuple[str, str]]:
    """(attribute, Ground Truth type) for each key that has a `<key>-metadata` companion."""
    found = []
    for key, meta in line.items():
        attribute = key[: -len("-metadata")]
        if key.endswith("-metadata") and attribute in line and isinstance(meta, dict):
            found.append((attribute, str(meta.get("type", ""))))
    return found


def _parse_ground_truth(text: str, kind: str | None, name: str) -> tuple[Dataset, list[str]]:
    lines: list[tuple[int, dict[str, Any]]] = []
    broken: dict[int, str] = {}  # line number -> its problem, listed in line order
    for number, raw in enumerate(json_lines(text), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as e:
            broken[number] = f"{name} line {number}: not valid JSON ({e.msg})"
            continue
        except RecursionError:
            broken[number] = f"{name} line {number}: JSON nested too deeply"
            continue
        if not isinstance(line, dict):
            broken[number] = f"{name} line {number}: expected a JSON object, got {type(line).__name__}"
            continue
        lines.append((number, line))
    found = list(broken.values())
    if found and not lines:
        refuse(found)  # nothing readable: the file's own problems would only repeat it

    if kind is None:
        kinds = {GT_TYPES[t] for _, line in lines for _, t in _label_attributes(line) if t in GT_TYPES}
        if len(kinds) > 1:
            refuse(found + [f"{name} holds both bounding boxes and image-level labels; "
                            f"choose a type: {', '.join(TYPES)}"])
        if not kinds:
            refuse(found + [f"{name} has no labels: no key with a '<key>-metadata' companion of type "
                            f"{', '.join(GT_TYPES)}"])
        kind = kinds.pop()

    items: list[Item] = []
    attributes: list[str] = []
    for number, line in lines:
        try:
            item, mine = _ground_truth_item(line, kind, f"{name} line {number}", number)
        except ManifestError as e:
            broken[number] = str(e)
            continue
        items.append(item)
        attributes.extend(mine)
    found = [broken[n] for n in sorted(broken)]
    return _dataset(kind, items, attributes[0] if attributes else "bounding-box", "groundtruth"), found


def _ground_truth_item(line: dict[str, Any], kind: str, where: str, number: int) -> tuple[Item, list[str]]:
    """One line's item and the label attributes it was read from."""
    source = line.get("source-ref")
    if not isinstance(source, str) or not source:
        raise ManifestError(f"{where}: no source-ref")
    present = _label_attributes(line)
    mine = [a for a, t in present if GT_TYPES.get(t) == kind]
    if not mine:
        for a, t in present:
            if t in GT_TYPES:
                raise ManifestError(f"{where}: '{a}' holds {GT_TYPES[t]} labels ({t}), but type {kind!r} "
                                    f"was asked for")
        found = "; found " + ", ".join(f"{a!r} ({t or 'no type'})" for a, t in present) if present else ""
        raise ManifestError(f"{where}: no {kind} label attribute (a key with a '<key>-metadata' companion "
                            f"of type {', '.join(t for t, k in GT_TYPES.items() if k == kind)}{found})")
    if kind == "object":
        if len(mine) > 1:  # an adjustment job keeps the original boxes beside the adjusted ones
            adjusted = [a for a in mine if "adjustment-status" in line[f"{a}-metadata"]]
            if len(adjusted) != 1:
                raise ManifestError(f"{where}: several bounding-box attributes ({', '.join(mine)}); keep one")
            mine = adjusted
        return _object_item(line, mine[0], where, source, number), mine
    return _concept_item(line, mine, where, source, number), mine


def _object_item(line: dict[str, Any], attribute: str, where: str, source: str, number: int) -> Item:
    value, meta = line[attribute], line[f"{attribute}-metadata"]
    if not isinstance(value, dict) or not isinstance(value.get("annotations"), list):
        raise ManifestError(f"{where}: '{attribute}' has no annotations list")
    class_map = _class_map(meta)
    sizes = value.get("image_size")  # a one-element list in Ground Truth's output
    size = sizes[0] if isinstance(sizes, list) and sizes else {}
    width, height = (_int_or_none(size.get(k)) for k in ("width", "height")) if isinstance(size, dict) else (None, None)
    boxes = []
    for i, a in enumerate(value["annotations"], 1):
        class_id = str(a.get("class_id")) if isinstance(a, dict) else None
        if class_id not in class_map:
            raise ManifestError(f"{where}: box {i} has class_id {class_id} which is not in the class-map of "
                                f"'{attribute}' (known: {', '.join(class_map) or 'none'})")
        values = [_finite(a.get(k)) for k in ("left", "top", "width", "height")]  # type: ignore[union-attr]
        if None in values:
            raise ManifestError(f"{where}: box {i} ('{class_map[class_id]}') needs numeric left, top, width "
                                f"and height")
        boxes.append(Box(class_map[class_id], *values))  # type: ignore[arg-type]
    return Item(source, width, height, boxes=boxes, line=number)


def _class_map(meta: dict[str, Any]) -> dict[str, str]:
    class_map = meta.get("class-map")
    return {str(k): str(v) for k, v in class_map.items()} if isinstance(class_map, dict) else {}


def _concept_item(line: dict[str, Any], attributes: list[str], where: str, source: str, number: int) -> Item:
    """Rekognition reads the label from `class-name` (the value is an unused id); multi-label jobs list
    class ids to look up in `class-map`."""
    labels: list[str] = []
    for attribute in attributes:
        value, meta = line[attribute], line[f"{attribute}-metadata"]
        if meta["type"].endswith("-multilabel"):
            class_map = _class_map(meta)
            for class_id in value if isinstance(value, list) else [value]:
                if str(class_id) not in class_map:
                    raise ManifestError(f"{where}: class id {class_id} is not in the class-map of '{attribute}' "
                                        f"(known: {', '.join(class_map) or 'none'})")
                labels.append(class_map[str(class_id)])
        elif isinstance(meta.get("class-name"), str) and meta["class-name"]:
            labels.append(meta["class-name"])
        else:
            raise ManifestError(f"{where}: '{attribute}-metadata' has no class-name")
    return Item(source, labels=list(dict.fromkeys(labels)), line=number)


# -- COCO --------------------------------------------------------------------------------------
def _parse_coco(coco: dict[str, Any], kind: str | None, name: str) -> tuple[Dataset, list[str]]:
    missing = [k for k in ("images", "annotations", "categories") if not isinstance(coco.get(k), list)]
    if missing:
        raise ManifestError(f"{name} looks like COCO but has no {', '.join(missing)} list")
    if kind not in (None, "object"):
        raise ManifestError(f"{name} is a COCO file of bounding boxes (type 'object'), not {kind!r}")
    try:
        categories = {c["id"]: str(c["name"]) for c in coco["categories"]}
        items = {img["id"]: Item(str(img["file_name"]), _int_or_none(img.get("width")),
                                 _int_or_none(img.get("height")), line=img["id"]) for img in coco["images"]}
    except (KeyError, TypeError) as e:
        why = f"missing {e}" if isinstance(e, KeyError) else "an entry that is not an object, or an id that is a list"
        raise ManifestError(f"{name}: every COCO category needs id and name, every image id and file_name "
                            f"({why})") from None
    found = []
    for n, a in enumerate(coco["annotations"], 1):
        where = f"{name} annotation {a.get('id', n) if isinstance(a, dict) else n}"
        a = a if isinstance(a, dict) else {}
        image_id, category_id = a.get("image_id"), a.get("category_id")  # a missing one is None: an id too
        if not _known(image_id, items):
            found.append(f"{where}: image_id {image_id} is not in images")
            continue
        if not _known(category_id, categories):
            found.append(f"{where} (image {image_id}): category_id {category_id} is not in categories")
            continue
        bbox = a.get("bbox")
        values = [_finite(v) for v in bbox] if isinstance(bbox, list) and len(bbox) == 4 else [None]
        if None in values:
            found.append(f"{where} (image {image_id}): bbox must be [x, y, width, height], got {bbox}")
            continue
        items[image_id].boxes.append(Box(categories[category_id], *values))  # type: ignore[arg-type]
    return _dataset("object", list(items.values()), "bounding-box", "coco"), found


def _int_or_none(value: Any) -> int | None:
    number = _finite(value)
    return int(number) if number is not None and number >= 1 else None


def _finite(value: Any) -> float | None:
    """A JSON number as a float; None for anything else, NaN, Infinity or past a float's range (1e400)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _known(key: Any, table: dict[Any, Any]) -> bool:
    """`key in table`, false for a list or object where an id belongs (unhashable, so `in` would raise)."""
    return isinstance(key, Hashable) and key in table


def json_lines(text: str) -> list[str]:
    """JSON Lines are split at \n only: str.splitlines would also split inside a label holding U+2028
    or \x1c, which JSON writes raw (ensure_ascii=False)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _dataset(kind: str, items: list[Item], attribute: str, source_format: str) -> Dataset:
    names = {b.label for i in items for b in i.boxes} | {label for i in items for label in i.labels}
    return Dataset(kind, sorted(names), items, attribute, source_format)  # type: ignore[arg-type]


# -- validation --------------------------------------------------------------------------------
def line_of(dataset: Dataset, item: Item) -> str:
    """Where an item is in the analyst's file: its line, its COCO image id, or its labeling sequence."""
    kind = {"coco": "image", "labeling": "sequence"}.get(dataset.source_format, "line")
    return f"{kind} {item.line}"


def where(dataset: Dataset, item: Item) -> str:
    """How the analyst finds an item in their file: its line (or COCO image id) and its image."""
    return f"{line_of(dataset, item)} ({item.source_ref})"


def _outside(box: Box, width: int, height: int) -> bool:
    x0, y0, x1, y1 = box.xyxy
    return min(x0, y0) < -BOX_TOLERANCE_PX or x1 > width + BOX_TOLERANCE_PX or y1 > height + BOX_TOLERANCE_PX


def problems(dataset: Dataset, min_examples: int | None = None) -> list[str]:
    """Everything Rekognition (or our trainer) would refuse in this dataset, one line each."""
    if dataset.type not in TYPES:
        return [f"unknown type {dataset.type!r}; accepted: {', '.join(TYPES)}"]
    if not dataset.items:
        return ["the dataset has no images"]
    return item_problems(dataset) + label_problems(dataset, min_examples)


def item_problems(dataset: Dataset) -> list[str]:
    """What is wrong with each image's labels (no label, a box without area or outside the image)."""
    found = []
    for item in dataset.items:
        if dataset.type == "concept" and not item.labels:
            found.append(f"{where(dataset, item)}: no label; every image needs at least one")
        for box in item.boxes if dataset.type == "object" else []:
            shape = (f"box '{box.label}' (left {box.left:g}, top {box.top:g}, "
                     f"width {box.width:g}, height {box.height:g})")
            if box.width <= 0 or box.height <= 0:
                found.append(f"{where(dataset, item)}: {shape} has no area")
            elif item.width and item.height and _outside(box, item.width, item.height):
                found.append(f"{where(dataset, item)}: {shape} lies outside the {item.width}x{item.height} image")
    return found


def label_problems(dataset: Dataset, min_examples: int | None = None) -> list[str]:
    """No labels at all, or a label with too few examples to split into training and test: named
    with where its examples are, so the analyst can find them."""
    if not dataset.labels:
        return ["the dataset has no labels"]
    found = []
    for label in dataset.labels:
        try:
            check_label(label)
        except InvalidName as exc:
            found.append(str(exc))
    needed = MIN_EXAMPLES[dataset.type] if min_examples is None else min_examples
    for label, count in sorted(dataset.count().items()):
        if count < needed:
            places = [item for item in dataset.items if label in item.labels or any(b.label == label for b in item.boxes)]
            at = _places(dataset, places)
            found.append(f"label '{label}' has {count} example{'s' if count != 1 else ''}{at}; "
                         f"at least {needed} are needed")
    return found


def _places(dataset: Dataset, items: list[Item], most: int = 5) -> str:
    """ (lines 1, 4) / (image 3): where a few items are in the analyst's file."""
    if not items:
        return ""
    kind, _, _ = line_of(dataset, items[0]).partition(" ")
    numbers = [str(item.line) for item in items[:most]] + (["…"] if len(items) > most else [])
    return f" ({kind}{'s' if len(items) > 1 else ''} {', '.join(numbers)})"


def refuse(found: list[str]) -> None:
    """One ManifestError listing every problem (the first MAX_PROBLEMS), so the analyst fixes the
    file in one pass; nothing when there is none."""
    if found:
        more = len(found) - MAX_PROBLEMS
        raise ManifestError("\n".join(found[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])))


def validate(dataset: Dataset, min_examples: int | None = None) -> None:
    refuse(problems(dataset, min_examples))


# -- sources and output ------------------------------------------------------------------------
def bucket_refused(ref: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    """Why an s3:// image will not be read, or None: requests and workers read images only from
    the buckets the configuration allows (the project's own and BRANDVIS_IMAGE_BUCKETS), decided
    from the URI alone, so the answer never depends on what exists."""
    bucket = ref[len("s3://"):].partition("/")[0] if ref.startswith("s3://") else ""
    if bucket in allowed:
        return None
    return (f"{ref}: images are read only from s3://{', s3://'.join(allowed)} "
            "(BRANDVIS_IMAGE_BUCKETS adds buckets)")


def resolve_sources(dataset: Dataset, manifest_location: str) -> list[str]:
    """Where each image is: manifests written by hand or exported by CVAT name images relative to
    themselves, and the manifest may live on disk or in S3."""
    out = []
    for item in dataset.items:
        ref = item.source_ref
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", ref) or os.path.isabs(ref):
            out.append(ref)
        elif manifest_location.startswith("s3://"):
            bucket, _, key = manifest_location[len("s3://"):].partition("/")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(key), ref))
            if joined == ".." or joined.startswith("../"):
                raise ManifestError(f"{where(dataset, item)}: points outside the bucket s3://{bucket}")
            out.append(f"s3://{bucket}/{joined}")
        else:
            out.append(os.path.normpath(os.path.join(os.path.dirname(manifest_location), ref)))
    return out


def to_ground_truth_lines(dataset: Dataset, source_refs: list[str], attribute: str = "bounding-box") -> str:
    """The Ground Truth output format Rekognition's CreateProjectVersion trains from; `parse_manifest`
    reads it back to the same dataset. Class ids index `dataset.labels` so every line agrees."""
    if len(source_refs) != len(dataset.items):
        raise ValueError(f"{len(source_refs)} source-refs for {len(dataset.items)} items")
    if "-metadata" in attribute or attribute.endswith("-ref") or attribute == "source-ref":
        raise ManifestError(f"label attribute {attribute!r} may not contain '-metadata' or end with '-ref'")
    ids = {label: i for i, label in enumerate(dataset.labels)}
    meta = {"human-annotated": "yes", "creation-date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "job-name": f"labeling-job/{attribute}"}
    out = []
    for item, ref in zip(dataset.items, source_refs):
        line: dict[str, Any] = {"source-ref": ref}
        if dataset.type == "object":
            if not (item.width and item.height):
                raise ManifestError(f"{where(dataset, item)}: image size unknown; bounding-box manifests need it")
            line[attribute] = {
                "image_size": [{"width": item.width, "height": item.height, "depth": 3}],
                "annotations": [{"class_id": ids[b.label], "top": _num(b.top), "left": _num(b.left),
                                 "width": _num(b.width), "height": _num(b.height)} for b in item.boxes]}
            line[f"{attribute}-metadata"] = {
                "objects": [{"confidence": 1} for _ in item.boxes],
                "class-map": {str(i): label for label, i in ids.items()},
                "type": "groundtruth/object-detection", **meta}
        else:
            if not item.labels:
                raise ManifestError(f"{where(dataset, item)}: no label to write")
            for n, label in enumerate(item.labels):  # one attribute per label, as Rekognition documents
                key = attribute if n == 0 else f"{attribute}_{n}"
                line[key] = ids[label]
                line[f"{key}-metadata"] = {"confidence": 1, "class-name": label,
                                           "type": "groundtruth/image-classification", **meta}
        out.append(json.dumps(line))
    return "\n".join(out) + "\n"


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
