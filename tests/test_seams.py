"""Segment seams: a segment's detection also sees the next segment's first samples (extract takes
them, "ahead"), so a local model follows a mark across the seam; reports add what it found there
to the next segment's own detections. A backend that takes frames one by one is not given them."""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pytest

from shared import job_report, layout
from shared.detections import Detections
from shared.media.images import encode_jpeg
from shared.messages import DetectMessage, Detecting, ModelRef, Sampling, SegmentSpan, VideoFacts, VideoRef
from shared.models.backend import TRAINING_COMPLETED
from shared.models.store import ModelStore, model_prefix
from workers.context import StageContext
from workers.stages.detect import detect

VIDEO = VideoRef(video_id="00112233445566778899", key="media/00112233445566778899/source/v.mp4", name="v.mp4")
REF = ModelRef(name="acme", model_version=1, backend="local")
SAMPLING = Sampling.at_fps(2)
SPEC = Detecting(model=REF, min_confidence=0.5, floor=0.2)
BOX = [10.0, 10.0, 50.0, 30.0]


class FollowsAlong:
    """A stand-in for the local backend: it finds "acme" on a bright frame and, as following does,
    on the frames after one where it found it."""

    name, reads_bucket = "local", False

    def __init__(self, sequential: bool) -> None:
        self._sequential = sequential
        self.given: list[int] = []

    def ready(self, handle) -> bool:  # type: ignore[no-untyped-def]
        return True

    def sequential(self, handle) -> bool:  # type: ignore[no-untyped-def]
        return self._sequential

    def detect_sequence(self, handle, images: Iterable[np.ndarray], min_confidence: float = 0.5,  # type: ignore[no-untyped-def]
                        followed_only: int = 0) -> list[Detections]:
        frames = list(images)
        self.given.append((len(frames), followed_only))
        out, seen = [], False
        for image in frames:
            seen = seen or image.mean() > 128
            out.append(Detections(np.array([BOX], np.float32), np.array([0.9], np.float32),
                                  np.array(["acme"], object), (64, 48)) if seen else Detections.empty((64, 48)))
        return out


def _frame(storage, name: str, bright: bool, segment: int | None = None) -> dict:  # type: ignore[no-untyped-def]
    key = (layout.seam_frame_key(VIDEO.video_id, SAMPLING, segment, name) if segment is not None
           else layout.frame_key(VIDEO.video_id, SAMPLING, name))
    storage.put_bytes(key, encode_jpeg(np.full((48, 64, 3), 220 if bright else 20, np.uint8)), "image/jpeg")
    return {"name": name, "t": int(name) / 2, "key": key}


@pytest.fixture
def ctx(clients) -> StageContext:  # type: ignore[no-untyped-def]
    context = StageContext.create(clients)
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    models.create_version("acme", "local", "object", ["acme"], "job-1", {},
                          lambda v: f"{model_prefix('acme', v)}/manifest.jsonl")
    models.update_version("acme", 1, status=TRAINING_COMPLETED, handle={"backend": "local", "artifact": "x"})
    return context


@pytest.mark.parametrize("sequential", [True, False])
def test_detect_looks_across_the_seam_only_for_a_backend_that_uses_the_frames_order(ctx, sequential):
    # Segment 0's own frames are dark; the next segment's first sample (taken "ahead") is bright
    backend = FollowsAlong(sequential)
    ctx._backends["local"] = backend  # type: ignore[assignment]
    index = {"frames": [_frame(ctx.storage, "000000", False), _frame(ctx.storage, "000001", False)],
             "ahead": [_frame(ctx.storage, "000002", True, segment=0), _frame(ctx.storage, "000003", False, segment=0)],
             "frame_size": [64, 48]}
    ctx.storage.put_json(layout.segment_index_key(VIDEO.video_id, SAMPLING, 0), index)
    result = detect(DetectMessage.for_segment("job-1", VIDEO, SAMPLING, 0, SPEC), ctx)
    written = ctx.storage.get_json(layout.detections_key(VIDEO.video_id, SAMPLING, SPEC, 0))
    assert [f["t_s"] for f in written["frames"]] == [0.0, 0.5]  # the segment's own, as before
    assert result.metrics == {"frames": 2, "detections": 0}
    if sequential:
        assert backend.given == [(4, 1)]  # the first frame past the seam detected, the next only followed into
        assert [f["t_s"] for f in written["ahead"]] == [1.0, 1.5]
        assert [[c["Name"] for c in f["CustomLabels"]] for f in written["ahead"]] == [["acme"], ["acme"]]
    else:
        assert backend.given == [(2, 0)] and written["ahead"] == []


def test_a_report_adds_what_the_segment_before_found_across_the_seam(storage):
    # Segment 0 found acme on frame 1.0 s (ahead of it, by following); segment 1, which owns that
    # frame, did not, but found it at 1.5 s; both found "beta" on 1.0 s at the same place
    def frame(t: float, labels: list[tuple[str, float]]) -> dict:
        det = Detections(np.array([BOX] * len(labels), np.float32).reshape(-1, 4),
                         np.array([c for _, c in labels], np.float32), np.array([n for n, _ in labels], object),
                         (64, 48))
        return {"t_s": t, "name": f"{int(t * 2):06d}", **det.to_rekognition()}

    files = [{"frames": [frame(0.0, []), frame(0.5, [])], "ahead": [frame(1.0, [("acme", 0.8), ("beta", 0.6)])]},
             {"frames": [frame(1.0, [("beta", 0.7)]), frame(1.5, [("acme", 0.9)])], "ahead": []}]
    for i, body in enumerate(files):
        storage.put_json(layout.detections_key(VIDEO.video_id, SAMPLING, SPEC, i), body)
    facts = VideoFacts(duration_s=2.0, end_s=2.0, width=64, height=48, fps=25.0, codec="h264", frame_count=50,
                       keyframe_count=2, segments=[SegmentSpan(index=0, start_s=0.0, end_s=1.0),
                                                   SegmentSpan(index=1, start_s=1.0, end_s=2.0)])
    frames = job_report.stored_frames(storage, VIDEO.video_id, SAMPLING, SPEC, facts)
    assert [t for t, _ in frames] == [0.0, 0.5, 1.0, 1.5]  # each frame once, in its own segment
    at_1 = frames[2][1]
    assert sorted(zip(at_1.labels.tolist(), at_1.confidence.tolist())) == [("acme", pytest.approx(0.8)), ("beta", pytest.approx(0.7))]
