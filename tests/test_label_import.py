"""`brandvis label import/export/finish/status` on a built-in labeling job, without workers.

The task is built directly: tiny generated frames in S3 for two videos (both have a frame called
`0.jpg`) and one uploaded image, the task JSON where the label stage writes it, the labeling job
registered and the training job pointing at it. Import files are written here in each tool's
documented shape (Ground Truth sms-data-output, COCO, Label Studio's JSON export, CVAT for images 1.1).
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import cv2
import numpy as np
import pytest

from shared.aws import Clients
from shared.jobs import JobStore
from shared.labeling import formats
from shared.labeling.builtin import BuiltinLabeler
from shared.labeling.exports import export
from shared.labeling.imports import FrameSizes, read_import, save_import
from shared.labeling.labelers import LabelingError
from shared.labeling.store import IN_PROGRESS, FrameLabel, LabelingJob, LabelStore
from shared.labeling.task import LabelingTask, TaskSequence, labeling_job_name, output_prefix, task_key
from shared.models.dataset import Box
from shared.models.manifest import parse_manifest
from shared.names import LABELING_DETAIL_TYPE
from shared.storage import Storage
from shared.table import now_iso

LABELS = ["Voltix", "Norda"]
W, H = 64, 48
VIDEOS = {"alpha.mp4": ["0.jpg", "48.jpg", "96.jpg"], "beta.mp4": ["0.jpg", "50.jpg", "100.jpg"]}
UPLOADED = "0123456789ab-shelf.jpg"  # the label stage's name for an uploaded shelf.jpg
JOB_ID = "20260101-000000-abc123"


def _pixels(seed: int, size: tuple[int, int] = (W, H)) -> np.ndarray:
    """Blocky noise: every frame looks unlike the others, also as a thumbnail."""
    blocks = np.random.default_rng(seed).integers(0, 256, (size[1] // 4, size[0] // 4, 3), dtype=np.uint8)
    return cv2.resize(blocks, size, interpolation=cv2.INTER_NEAREST)


def _jpeg(image: np.ndarray, quality: int = 95) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


class Job:
    """The task under test, its frames' pixels and a reader of our bucket."""

    def __init__(self, clients: Clients, storage: Storage, task: LabelingTask, pixels: dict[tuple[int, int], Any]):
        self.clients, self.storage, self.task, self.pixels = clients, storage, task, pixels
        self.store = LabelStore(clients.dynamodb, clients.names.jobs_table)

    def fetch(self, uri: str) -> bytes:
        return self.storage.get_bytes(self.storage.key_of(uri))

    def read(self, data: str | bytes, name: str = "labels.json", **kwargs: Any):
        return read_import(data.encode() if isinstance(data, str) else data, name, self.task, fetch=self.fetch,
                           **kwargs)

    def imported(self, data: str | bytes, name: str = "labels.json", **kwargs: Any) -> dict[tuple[int, int], FrameLabel]:
        result = self.read(data, name, **kwargs)
        assert result.problems == []
        save_import(self.store, self.task, result)
        return self.store.frames(self.task.name)


def make_job(clients: Clients, storage: Storage, kind: str = "object") -> Job:
    name = labeling_job_name("logos", JOB_ID)
    sequences, pixels = [], {}
    for seq_no, (video, frames) in enumerate(VIDEOS.items(), 1):
        prefix = f"videos/v{seq_no}/frames/"
        for no, frame in enumerate(frames):
            pixels[(seq_no, no)] = _pixels(seq_no * 100 + no)
            storage.put_bytes(prefix + frame, _jpeg(pixels[(seq_no, no)]), "image/jpeg")
        sequences.append(TaskSequence(seq_no=seq_no, source=video, video_id=f"v{seq_no}", prefix=storage.uri(prefix),
                                      frames=frames, times=[0.0, 2.0, 4.0]))
    images = f"labeling/{name}/input/images/"
    pixels[(3, 0)] = _pixels(7, (80, 60))
    storage.put_bytes(images + UPLOADED, _jpeg(pixels[(3, 0)]), "image/jpeg")
    sequences.append(TaskSequence(seq_no=3, source="images", prefix=storage.uri(images), frames=[UPLOADED]))
    placed = []
    for s in sequences:
        key = f"labeling/{name}/input/seq-{s.seq_no}.json"
        storage.put_json(key, formats.sequence_file(s.seq_no, s.prefix, s.frames))
        placed.append(s.model_copy(update={"uri": storage.uri(key)}))
    task = LabelingTask(name=name, job_id=JOB_ID, kind=kind, labels=LABELS, labeler="builtin", model="logos",
                        model_version=1, sequences=placed, manifest_uri=storage.uri(f"labeling/{name}/input/m"),
                        config_uri=storage.uri(f"labeling/{name}/input/c"), output_prefix=storage.uri(output_prefix(name)),
                        created_at=now_iso(), frame_sizes={"1": [W, H], "2": [W, H]})
    storage.put_json(task_key(name), task.model_dump())
    job = Job(clients, storage, task, pixels)
    job.store.register(LabelingJob(name=name, job_id=JOB_ID, labeler="builtin", kind=kind, status=IN_PROGRESS,
                                   task_key=task_key(name), frames=task.frame_count, created_at=task.created_at))
    jobs = JobStore(clients.dynamodb, clients.names.jobs_table)
    jobs.create_job(JOB_ID, "train", {"model": "logos", "labeler": "builtin", "type": kind}, "label")
    jobs.add_outputs(JOB_ID, {"labeling": {"name": name, "labeler": "builtin", "frames": task.frame_count}})
    return job


@pytest.fixture
def job(clients: Clients, storage: Storage) -> Job:
    return make_job(clients, storage)


@pytest.fixture
def concept_job(clients: Clients, storage: Storage) -> Job:
    return make_job(clients, storage, "concept")


def coco(images: list[tuple[str, int, int]], boxes: list[tuple[int, str, list[float]]]) -> str:
    cats = {label: i for i, label in enumerate(LABELS, 1)}
    return json.dumps({
        "images": [{"id": i, "file_name": f, "width": w, "height": h} for i, (f, w, h) in enumerate(images, 1)],
        "annotations": [{"id": n, "image_id": image, "category_id": cats[label], "bbox": bbox, "iscrowd": 0,
                         "area": bbox[2] * bbox[3]} for n, (image, label, bbox) in enumerate(boxes, 1)],
        "categories": [{"id": i, "name": label} for label, i in cats.items()]})


def gt_line(source: str, boxes: list[tuple[int, list[int]]], class_map: dict[str, str] | None = None,
            size: tuple[int, int] = (W, H)) -> str:
    """One line of a Ground Truth bounding-box job's output (sms-data-output)."""
    return json.dumps({
        "source-ref": source,
        "bounding-box": {"image_size": [{"width": size[0], "height": size[1], "depth": 3}],
                         "annotations": [{"class_id": c, "left": b[0], "top": b[1], "width": b[2], "height": b[3]}
                                         for c, b in boxes]},
        "bounding-box-metadata": {"objects": [{"confidence": 0.9} for _ in boxes],
                                  "class-map": class_map or {"0": "Voltix", "1": "Norda"},
                                  "type": "groundtruth/object-detection", "human-annotated": "yes",
                                  "creation-date": "2026-01-01T00:00:00.000000", "job-name": "labeling-job/logos"}})


def boxes_of(frames: dict[tuple[int, int], FrameLabel]) -> dict[tuple[int, int], list[tuple]]:
    return {k: [(b.label, round(b.left, 3), round(b.top, 3), round(b.width, 3), round(b.height, 3)) for b in f.boxes]
            for k, f in frames.items()}


# -- the four formats --------------------------------------------------------------------------
def test_coco_labels_the_frames_it_names_and_leaves_the_rest(job):
    data = coco([("alpha.mp4/0.jpg", W, H), ("48.jpg", W, H), ("shelf.jpg", 80, 60), ("beta/100.jpg", W, H)],
                [(1, "Voltix", [4, 5, 20, 10]), (3, "Norda", [0, 0, 80, 60]), (3, "Voltix", [10.5, 20, 30, 15.25])])
    frames = job.imported(data, "instances.json")
    assert boxes_of(frames) == {
        (1, 0): [("Voltix", 4, 5, 20, 10)],
        (1, 1): [],  # named without a box: reviewed, no brand
        (3, 0): [("Norda", 0, 0, 80, 60), ("Voltix", 10.5, 20, 30, 15.25)],
        (2, 2): [],
    }
    assert {f.source for f in frames.values()} == {"imported"}
    assert job.store.progress(job.task.name, job.task.frame_count)["done"] == 4


def test_ground_truth_image_lines_match_by_uri_or_name(job):
    lines = [gt_line(job.task.frame_uri(1, 2), [(1, [10, 10, 20, 20]), (0, [0, 0, 64, 48])]),
             gt_line("s3://their-bucket/frames/beta.mp4/50.jpg", []),
             gt_line("images/shelf.jpg", [(0, [40, 30, 40, 30])], size=(80, 60))]
    frames = job.imported("\n".join(lines) + "\n", "output.manifest")
    assert boxes_of(frames) == {(1, 2): [("Norda", 10, 10, 20, 20), ("Voltix", 0, 0, 64, 48)], (2, 1): [],
                                (3, 0): [("Voltix", 40, 30, 40, 30)]}


def test_ground_truth_video_output_read_from_disk_beside_the_manifest(job, tmp_path):
    # Ground Truth's video-frame output, downloaded: the frame sequence (their bucket's prefix), its
    # SeqLabel.json, and the output manifest pointing at both by relative paths
    (tmp_path / "seq").mkdir()
    (tmp_path / "seq" / "seq-1.json").write_text(json.dumps(
        formats.sequence_file(1, "s3://their-bucket/alpha/", VIDEOS["alpha.mp4"])))
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "SeqLabel.json").write_text(json.dumps({"detection-annotations": [
        {"annotations": [{"height": 10, "width": 20, "top": 3, "left": 4, "class-id": "1",
                          "label-category-attributes": {}}], "frame-no": "0", "frame": "0.jpg", "frame-attributes": {}},
        {"annotations": [], "frame-no": 2, "frame": "96.jpg", "frame-attributes": {}}]}))
    line = formats.video_output_line("seq/seq-1.json", "annotations/SeqLabel.json", {"0": "Voltix", "1": "Norda"},
                                     "their-job", "2026-01-01T00:00:00.000")
    manifest = tmp_path / "output.manifest"
    manifest.write_text(json.dumps(line) + "\n")
    result = job.read(manifest.read_bytes(), "output.manifest", base_dir=tmp_path)
    assert result.format == "groundtruth-video" and result.problems == []
    assert boxes_of(result.frames) == {(1, 0): [("Norda", 4, 3, 20, 10)], (1, 2): []}
    # Ground Truth's own jobs list only boxed frames: the others were seen and are empty, when told so
    everything = job.read(manifest.read_bytes(), "output.manifest", base_dir=tmp_path, unlisted_are_negatives=True)
    assert sorted(everything.frames) == [(1, 0), (1, 1), (1, 2)] and everything.frames[(1, 1)].boxes == []


def test_label_studio_export_in_percent_with_upload_prefixes(job):
    tasks = [
        {"id": 11, "data": {"image": "/data/upload/3/ab12cd34-96.jpg"},
         "annotations": [
             {"id": 1, "was_cancelled": True, "result": [{"type": "rectanglelabels", "value": {
                 "x": 0, "y": 0, "width": 10, "height": 10, "rectanglelabels": ["Nope"]}}]},
             {"id": 2, "was_cancelled": False, "result": [{
                 "id": "r1", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
                 "original_width": W, "original_height": H, "image_rotation": 0,
                 "value": {"x": 25.0, "y": 50.0, "width": 50.0, "height": 25.0, "rotation": 0,
                           "rectanglelabels": ["Norda"]}}]}]},
        {"id": 12, "data": {"image": "/data/local-files/?d=frames/beta.mp4/50.jpg"},
         "annotations": [{"id": 3, "result": []}]},
        {"id": 13, "data": {"image": "/data/upload/3/ffff0000-100.jpg"}, "annotations": []},
    ]
    result = job.read(json.dumps(tasks), "project-1.json")
    assert result.format == "labelstudio" and result.problems == []
    assert boxes_of(result.frames) == {(1, 2): [("Norda", 16, 24, 32, 12)], (2, 1): []}
    assert any("1 task(s) without an annotation" in n for n in result.notes)


CVAT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><name>logos</name><size>3</size><mode>annotation</mode>
    <labels><label><name>Voltix</name></label><label><name>Norda</name></label></labels></task></meta>
  <image id="0" name="alpha/48.jpg" width="64" height="48">
    <box label="Voltix" source="manual" occluded="0" xtl="2.50" ytl="4.00" xbr="32.50" ybr="24.00" z_order="0">
    </box>
    <box label="Norda" source="manual" occluded="0" xtl="40.00" ytl="30.00" xbr="64.30" ybr="48.00" z_order="0"/>
  </image>
  <image id="1" name="beta/0.jpg" width="64" height="48">
  </image>
</annotations>
"""


def test_cvat_for_images_xml_and_its_zip(job, tmp_path):
    result = job.read(CVAT, "annotations.xml")
    assert result.format == "cvat" and result.problems == []
    # a box 0.3 px past the edge (float export) is put onto the edge
    assert boxes_of(result.frames) == {(1, 1): [("Voltix", 2.5, 4, 30, 20), ("Norda", 40, 30, 24, 18)], (2, 0): []}
    with zipfile.ZipFile(tmp_path / "task.zip", "w") as z:
        z.writestr("annotations.xml", CVAT)
    assert sorted(job.read((tmp_path / "task.zip").read_bytes(), "task.zip").frames) == [(1, 1), (2, 0)]


@pytest.mark.parametrize("fmt", ["groundtruth", "labelstudio", "cvat"])
def test_concept_labels_one_class_per_frame(concept_job, fmt):
    named = [("alpha.mp4/0.jpg", "Voltix"), ("beta.mp4/50.jpg", "Norda"), ("shelf.jpg", None)]
    if fmt == "groundtruth":
        data = "\n".join(json.dumps({"source-ref": ref, "class": 0, "class-metadata": {
            "class-name": label or formats.PLACEHOLDER, "confidence": 1, "type": "groundtruth/image-classification",
            "job-name": "labeling-job/x", "human-annotated": "yes", "creation-date": "2026-01-01T00:00:00"}})
            for ref, label in named)
    elif fmt == "labelstudio":
        data = json.dumps([{"id": i, "data": {"image": ref}, "annotations": [{"result": [
            {"type": "choices", "from_name": "brand", "to_name": "image", "value": {"choices": [label]}}] if label
            else []}]} for i, (ref, label) in enumerate(named)])
    else:
        data = "<annotations><version>1.1</version>" + "".join(
            f'<image id="{i}" name="{ref}">' + (f'<tag label="{label}" source="manual"/>' if label else "") + "</image>"
            for i, (ref, label) in enumerate(named)) + "</annotations>"
    frames = concept_job.imported(data)
    assert {k: f.labels for k, f in frames.items()} == {(1, 0): ["Voltix"], (2, 1): ["Norda"], (3, 0): []}
    assert all(f.boxes == [] for f in frames.values())


# -- problems ----------------------------------------------------------------------------------
def test_every_problem_is_listed_with_its_line_and_nothing_is_saved(job):
    lines = [
        gt_line("alpha.mp4/0.jpg", [(0, [1, 1, 10, 10])]),  # fine
        gt_line("alpha.mp4/48.jpg", [(2, [1, 1, 10, 10])], {"0": "Voltix", "2": "Acme"}),  # unknown label
        gt_line("beta.mp4/50.jpg", [(1, [50, 40, 20, 10])]),  # outside the 64x48 frame
        gt_line("gamma.mp4/7.jpg", []),  # no such frame
        gt_line("0.jpg", []),  # alpha's or beta's?
        gt_line("alpha.mp4/96.jpg", [(1, [5, 5, 0, 8])]),  # no area
        gt_line("s3://their-bucket/x/alpha.mp4/0.jpg", []),  # the first line's frame again
        gt_line("images/shelf.jpg", [(0, [1, 1, 10, 10])], size=(160, 90)),  # another shape than the frame
    ]
    result = job.read("\n".join(lines), "output.manifest")
    problems = result.problems
    assert len(problems) == 7, problems
    assert problems[0].startswith("line 2 (alpha.mp4/48.jpg): box 1: label 'Acme' is not one of this labeling "
                                  "job's labels (Voltix, Norda)")
    assert problems[1].startswith("line 3 (beta.mp4/50.jpg): box 1 'Norda' (left 50, top 40, width 20, height 10) "
                                  "lies outside the 64x48 image")
    assert problems[2] == f"line 4 (gamma.mp4/7.jpg): no frame of labeling job {job.task.name} is named '7.jpg'"
    assert problems[3] == ("line 5 (0.jpg): '0.jpg' is a frame of 2 sequences (alpha.mp4/0.jpg, beta.mp4/0.jpg): "
                           "write 'alpha.mp4/0.jpg', or match by content (--images DIR)")
    assert problems[4].startswith("line 6 (alpha.mp4/96.jpg): box 1 'Norda'") and "has no area" in problems[4]
    assert problems[5] == ("line 7 (s3://their-bucket/x/alpha.mp4/0.jpg): frame alpha.mp4/0.jpg is labeled already "
                           "by line 1")
    assert problems[6] == ("line 8 (images/shelf.jpg): the file says the image is 160x90, but frame "
                           f"images/{UPLOADED} is 80x60")
    with pytest.raises(LabelingError) as caught:
        save_import(job.store, job.task, result)
    message = str(caught.value)
    assert message.startswith("output.manifest: 7 problems, nothing was imported:\n")
    assert all(p in message for p in problems)
    assert job.store.frames(job.task.name) == {}


def test_problems_in_coco_label_studio_and_cvat_name_their_element(job):
    bad_coco = coco([("alpha.mp4/0.jpg", W, H)], [(1, "Voltix", [60, 0, 10, 10])])
    assert job.read(bad_coco).problems == [
        ("image id 1 (alpha.mp4/0.jpg): annotation id 1 'Voltix' (left 60, top 0, width 10, height 10) lies outside "
         "the 64x48 image")]
    bad_ls = [{"id": 5, "data": {"image": "48.jpg"}, "annotations": [{"result": [
        {"id": "a", "type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 5, "height": 5,
                                                          "rectanglelabels": ["Acme"]}},
        {"id": "b", "type": "polygonlabels", "value": {"points": [], "polygonlabels": ["Voltix"]}}]}]}]
    assert job.read(json.dumps(bad_ls)).problems == [
        "task id 5 (48.jpg): result 'b': polygonlabels regions are not boxes; draw rectangles",
        "task id 5 (48.jpg): result 'a': label 'Acme' is not one of this labeling job's labels (Voltix, Norda)"]
    bad_cvat = CVAT.replace('label="Norda"', 'label="Acme"')
    assert job.read(bad_cvat, "annotations.xml").problems == [
        ("line 6 <image id=0> (alpha/48.jpg): line 9 <box>: label 'Acme' is not one of this labeling job's labels "
         "(Voltix, Norda)")]
    with pytest.raises(LabelingError, match="not a text file"):
        job.read(b"\xff\xd8\xff\xe0 a jpeg", "photo.jpg")


# -- by content --------------------------------------------------------------------------------
def test_images_renamed_by_another_tool_are_matched_by_content(job, tmp_path):
    # The analyst's tool renamed the frames and saved them as PNG at twice the size; one is a byte copy
    (tmp_path / "img").mkdir()
    big = cv2.resize(job.pixels[(1, 1)], (2 * W, 2 * H), interpolation=cv2.INTER_LINEAR)
    cv2.imwrite(str(tmp_path / "img" / "frame_000001.png"), big)
    (tmp_path / "img" / "frame_000002.jpg").write_bytes(job.fetch(job.task.frame_uri(2, 0)))
    cv2.imwrite(str(tmp_path / "img" / "frame_000003.png"), _pixels(999))  # a frame of something else
    data = coco([("frame_000001.png", 2 * W, 2 * H), ("frame_000002.jpg", W, H)],
                [(1, "Voltix", [20, 10, 40, 30]), (2, "Norda", [0, 0, 8, 8])])
    by_name = job.read(data)
    assert [p.split(":")[1].strip() for p in by_name.problems] == [
        f"no frame of labeling job {job.task.name} is named 'frame_000001.png'",
        f"no frame of labeling job {job.task.name} is named 'frame_000002.jpg'"]
    result = job.read(data, images_dir=tmp_path / "img")
    assert result.problems == []
    # the PNG matched alpha's 48.jpg by its pixels, its box scaled back to the 64x48 frame; the copy by its bytes
    assert boxes_of(result.frames) == {(1, 1): [("Voltix", 10, 5, 20, 15)], (2, 0): [("Norda", 0, 0, 8, 8)]}
    assert any("scaled" in n for n in result.notes)
    unknown = job.read(coco([("frame_000003.png", W, H)], []), images_dir=tmp_path / "img")
    assert unknown.problems == [(f"image id 1 (frame_000003.png): its image matches no frame of labeling job "
                                 f"{job.task.name}, by content or by name")]


# -- export and finish -------------------------------------------------------------------------
def test_exports_read_back(job, tmp_path):
    job.imported(coco([("alpha.mp4/0.jpg", W, H), ("beta.mp4/0.jpg", W, H), ("shelf.jpg", 80, 60)],
                      [(1, "Voltix", [4, 5, 20, 10]), (1, "Norda", [30.5, 6, 10, 10]), (3, "Norda", [40, 30, 40, 30])]))
    frames = job.store.frames(job.task.name)
    sizes = FrameSizes(job.task, job.fetch)

    # COCO: a file parse_manifest (training) reads, and label import puts back on the same frames
    coco_file = export(job.task, frames, "coco", sizes=sizes).write(tmp_path / "out.json")
    dataset = parse_manifest(coco_file.read_text())
    assert [(i.source_ref, i.width, i.height, [b.label for b in i.boxes]) for i in dataset.items] == [
        ("alpha.mp4/0.jpg", W, H, ["Voltix", "Norda"]), ("beta.mp4/0.jpg", W, H, []),
        (f"images/{UPLOADED}", 80, 60, ["Norda"])]
    assert boxes_of(job.read(coco_file.read_bytes()).frames) == boxes_of(frames)

    # Ground Truth: object-detection lines on the frames' s3:// URIs, whole pixels
    gt = export(job.task, frames, "groundtruth", sizes=sizes)
    dataset = parse_manifest(gt.files[f"{job.task.name}.manifest"].decode())
    assert dataset.type == "object" and dataset.labels == sorted(LABELS)
    assert [(i.source_ref, i.width, i.height, i.boxes) for i in dataset.items] == [
        (job.task.frame_uri(1, 0), W, H, [Box("Voltix", 4, 5, 20, 10), Box("Norda", 30, 6, 10, 10)]),
        (job.task.frame_uri(2, 0), W, H, []), (job.task.frame_uri(3, 0), 80, 60, [Box("Norda", 40, 30, 40, 30)])]

    # YOLO: class cx cy w h as fractions, an empty file for a frame without a brand; a folder or a zip
    yolo = export(job.task, frames, "yolo", sizes=sizes)
    folder = yolo.write(tmp_path / "yolo")
    assert (folder / "classes.txt").read_text() == "Voltix\nNorda\n"
    assert "nc: 2" in (folder / "data.yaml").read_text()
    rows = [line.split() for line in (folder / "labels" / "alpha.mp4" / "0.txt").read_text().splitlines()]
    assert [r[0] for r in rows] == ["0", "1"]
    assert [float(v) for v in rows[0][1:]] == pytest.approx([14 / W, 10 / H, 20 / W, 10 / H], abs=1e-6)
    assert (folder / "labels" / "beta.mp4" / "0.txt").read_text() == ""
    assert (folder / "labels" / "images" / "0123456789ab-shelf.txt").read_text().split() == [
        "1", "0.750000", "0.750000", "0.500000", "0.500000"]
    assert (folder / "images.txt").read_text().splitlines()[0] == "images/alpha.mp4/0.jpg"
    with zipfile.ZipFile(yolo.write(tmp_path / "yolo.zip")) as z:
        assert "labels/alpha.mp4/0.txt" in z.namelist()


def test_concept_exports_ground_truth_classification(concept_job):
    concept_job.imported("<annotations><image name='alpha.mp4/0.jpg'><tag label='Norda'/></image>"
                         "<image name='beta.mp4/0.jpg'/></annotations>", "annotations.xml")
    sizes = FrameSizes(concept_job.task, concept_job.fetch)
    frames = concept_job.store.frames(concept_job.task.name)
    gt = export(concept_job.task, frames, "groundtruth", sizes=sizes)
    assert gt.frames == 1 and gt.skipped == 1  # the frame without a brand has no class to write
    dataset = parse_manifest(next(iter(gt.files.values())).decode())
    assert [(i.source_ref, i.labels) for i in dataset.items] == [(concept_job.task.frame_uri(1, 0), ["Norda"])]
    with pytest.raises(LabelingError, match="export it as groundtruth"):
        export(concept_job.task, frames, "yolo", sizes=sizes)


def test_finish_after_import_writes_ground_truths_output_and_announces_it(job, clients):
    job.imported(coco([("alpha.mp4/0.jpg", W, H), ("alpha.mp4/96.jpg", W, H), ("beta.mp4/50.jpg", W, H)],
                      [(1, "Voltix", [4.4, 5, 20, 10]), (3, "Norda", [1, 2, 3, 4])]))
    uri = BuiltinLabeler(clients).finish(job.task)
    assert uri.endswith(f"{job.task.name}/manifests/output/output.manifest")
    text = job.fetch(uri).decode()
    dataset = formats.read_output(text, "object", LABELS, job.fetch, unlisted_are_negatives=False)
    assert [(i.source_ref, i.boxes) for i in dataset.items] == [
        (job.task.frame_uri(1, 0), [Box("Voltix", 4, 5, 20, 10)]), (job.task.frame_uri(1, 2), []),
        (job.task.frame_uri(2, 1), [Box("Norda", 1, 2, 3, 4)])]
    # the state-change event went through the EventBridge rule to the events queue
    url = clients.sqs.get_queue_url(QueueName=clients.names.events_queue)["QueueUrl"]
    bodies = [json.loads(m["Body"]) for m in
              clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])]
    assert [(b["detail-type"], b["detail"]["LabelingJobStatus"], b["resources"][0].rsplit("/", 1)[-1])
            for b in bodies] == [(LABELING_DETAIL_TYPE, "Completed", job.task.name)]
    # and that output, imported (Ground Truth video output in our bucket), is the same frames again
    again = job.read(text, "output.manifest")
    assert again.format == "groundtruth-video" and again.problems == []
    assert boxes_of(again.frames) == {(1, 0): [("Voltix", 4, 5, 20, 10)], (1, 2): [], (2, 1): [("Norda", 1, 2, 3, 4)]}


# -- the command -------------------------------------------------------------------------------
def test_label_commands_import_export_finish_and_status(job, config, tmp_path):
    from tests.test_cli import brandvis

    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint}
    bad = tmp_path / "bad.json"
    bad.write_text(coco([("0.jpg", W, H), ("alpha.mp4/48.jpg", W, H)], [(2, "Voltix", [0, 0, 90, 9])]))
    proc = brandvis("label", "import", JOB_ID, str(bad), env=env, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: bad.json: 2 problems, nothing was imported:\nimage id 1 (0.jpg): '0.jpg' "
                                  "is a frame of 2 sequences"), proc.stderr
    good = tmp_path / "good.json"
    good.write_text(coco([("alpha.mp4/0.jpg", W, H), ("alpha.mp4/48.jpg", W, H)], [(2, "Voltix", [0, 0, 9, 9])]))
    proc = brandvis("label", "import", JOB_ID, str(good), "--no-finish", env=env)
    assert "imported 2 frame(s) from good.json (coco)" in proc.stderr and "1 without a brand" in proc.stderr
    proc = brandvis("label", "export", job.task.name, "--format", "yolo", "--out", str(tmp_path / "y.zip"), env=env)
    assert proc.stdout.strip() == str(tmp_path / "y.zip") and "2 frame(s)" in proc.stderr
    # a file brandvis did not write is not overwritten (the zip it wrote would be)
    bad.write_text("my own notes")
    proc = brandvis("label", "export", job.task.name, "--format", "coco", "--out", str(bad), env=env, check=False)
    assert proc.returncode == 2 and "bad.json is a file brandvis did not write" in proc.stderr, proc.stderr
    assert bad.read_text() == "my own notes"
    proc = brandvis("label", "finish", JOB_ID, env=env)
    assert proc.stdout.strip().endswith("/manifests/output/output.manifest")
    status = json.loads(brandvis("label", "status", JOB_ID, "--json", env=env).stdout)
    assert (status["status"], status["done"], status["total"], status["per_label"]) == (
        "Completed", 2, 7, {"Voltix": 1, "Norda": 0})
    assert status["sequences"][0] == {"seq_no": 1, "source": "alpha.mp4", "frames": 3, "done": 2}
