"""Cached clients and loaders: the only place the dashboard reads AWS state.

`cache_resource` holds the clients (shared, thread-safe); `cache_data` holds plain results with a
short TTL so pages stay live without hammering the stack. Reports and images never change once
written, so they are cached longer. The dashboard writes nothing but requests (`submit()`: jobs,
model start/stop, redrive); the workers carry them out. The one exception is people's own work
on the Label page (`labeler()`: a frame's boxes, Finish), which is the built-in labeler's input.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import cv2
import numpy as np
import streamlit as st

from dashboard.text import md
from shared import job_report, layout
from shared.aws import Clients, make_clients
from shared.campaigns import campaign_report as build_campaign_report
from shared.campaigns import list_campaigns
from shared.config import Config
from shared.jobs import SUCCEEDED, WAITING, Job, JobStore, counter_name, ordered_counters
from shared.labeling import prelabels as label_proposals
from shared.labeling.builtin import BuiltinLabeler
from shared.labeling.propagate import Proposal, carry, merge
from shared.labeling.store import FrameLabel
from shared.labeling.task import LabelingTask
from shared.messages import Detecting, Sampling
from shared.models.backend import TRAINING_COMPLETED
from shared.models.dataset import Box
from shared.models.store import ModelStore
from shared.presence import WorkerPresence
from shared.stack.server import health
from shared.storage import Storage
from shared.submit import Submitter


@st.cache_resource
def config() -> Config:
    return Config.load()


@st.cache_resource
def clients() -> Clients:
    return make_clients(config())


def stack_problem() -> str | None:
    """Why the dashboard cannot reach its stack, or None when it can."""
    c = config()
    # A stack busy answering workers' long polls and saving a snapshot can take over a second on
    # two loaded cores: a short probe would show "no stack" on a page that then works.
    if c.is_local and not (health(c.endpoint or "", timeout=5.0) or {}).get("ready"):
        return f"No local stack answers at {c.endpoint}. Start everything with `make run`."
    return None


def store() -> JobStore:
    c = clients()
    return JobStore(c.dynamodb, c.names.jobs_table)


def storage() -> Storage:
    c = clients()
    return Storage(c.s3, c.names.bucket)


def model_store() -> ModelStore:
    c = clients()
    return ModelStore(c.dynamodb, c.names.jobs_table)


def submit() -> Submitter:
    return Submitter(clients())


def upload_limit_mb() -> int:
    """The file uploaders' limit: the launcher gives Streamlit's server the same (cli/commands/runtime.py)."""
    return config().upload_max_mb


def upload_help() -> str:
    return (f"Up to {upload_limit_mb():,} MB a file (BRANDVIS_UPLOAD_MAX_MB): the dashboard holds an upload in "
            "memory until it is in the bucket. Larger videos: `brandvis analyze FILE` streams from disk.")


def oversized(files: list[Any]) -> str | None:
    """The refusal of uploads over the limit, should one get past the uploader (a dashboard started by
    hand with a larger server.maxUploadSize)."""
    limit = upload_limit_mb()
    big = [f for f in files if f is not None and f.size > limit * 1024 * 1024]
    if not big:
        return None
    named = ", ".join(f"{md(f.name)} ({f.size / 1024 ** 2:,.1f} MB)" for f in big)
    return (f"Too large to upload here: {named}; the dashboard takes up to {limit:,} MB a file "
            f"(BRANDVIS_UPLOAD_MAX_MB). Analyze it with `brandvis analyze FILE`, which streams it from disk.")


@st.cache_data(ttl=2, show_spinner=False)
def jobs(limit: int = 100) -> list[dict[str, Any]]:
    return [_plain(j) for j in store().list_jobs(limit=limit)]


@st.cache_data(ttl=2, show_spinner=False)
def job(job_id: str) -> dict[str, Any] | None:
    j = store().get_job(job_id)
    return _plain(j) if j else None


def _plain(job: Job) -> dict[str, Any]:
    """Plain data for cache_data: the video facts as a dict, the counters in workflow order with names."""
    out = asdict(job)
    out["video"] = job.video.model_dump() if job.video else None
    out["counters"] = [(c, counter_name(job, c)) for c in ordered_counters(job)]
    return out


def analyses_with_reports(limit: int = 100) -> list[dict[str, Any]]:
    """Finished analyses that ran a model, newest first."""
    return [j for j in jobs(limit) if j["kind"] == "analyze" and j["status"] == SUCCEEDED and "detect" in j["request"]]


@st.cache_data(ttl=3600, show_spinner="Loading the report…")
def report(job_id: str) -> dict[str, Any]:
    return storage().get_json(layout.report_key(job_id))


def thresholds(job_record: dict[str, Any]) -> tuple[float, float]:
    """(the lowest threshold the job's stored detections can be reported at, the one it ran at)."""
    return job_report.floor(job_record["request"]), float(job_record["request"]["detect"]["min_confidence"])


@st.cache_data(ttl=3600, show_spinner="Rebuilding the report from the stored detections…")
def report_at(job_id: str, min_confidence: float) -> dict[str, Any]:
    """The report at another threshold (cached per job and exact threshold); ThresholdError says
    why not (below the floor the job's detections were kept down to)."""
    found = store().get_job(job_id)
    if found is None:
        raise job_report.ThresholdError(f"no job {job_id}")
    return job_report.rethreshold(storage(), model_store(), found, min_confidence)


@st.cache_data(ttl=5, show_spinner=False)
def campaign_names() -> list[str]:
    """Every campaign, newest first."""
    return list_campaigns(clients())


@st.cache_data(ttl=5, show_spinner="Adding up the campaign…")
def campaign_report(name: str, rate_per_30s: float | None = None, currency: str | None = None,
                    weight_by_prominence: bool = False) -> dict[str, Any]:
    """The campaign's report (brandvis.campaign/v1), built from its members' jobs and reports as they
    stand, priced at the page's rate card; a short TTL, as its videos may still be running."""
    return build_campaign_report(clients(), name, rate_per_30s=rate_per_30s, currency=currency,
                                 weight_by_prominence=weight_by_prominence)


@st.cache_data(ttl=3600, show_spinner=False)
def object_bytes(key: str) -> bytes | None:
    s = storage()
    return s.get_bytes(key) if s.exists(key) else None


@st.cache_data(ttl=3600, show_spinner=False)
def frame_names(job_id: str) -> dict[float, str]:
    """Sample time -> frame name, from the job's detection files (one per segment)."""
    j = job(job_id)
    if not j:
        return {}
    req = j["request"]
    video_id, sampling = req["video"]["video_id"], Sampling(**req["sampling"])
    detect = Detecting.model_validate(req["detect"])
    s = storage()
    return {round(float(f["t_s"]), 6): f["name"]
            for key in s.list_keys(layout.detections_prefix(video_id, sampling, detect)) for f in s.get_json(key)["frames"]}


def frame_key(job_record: dict[str, Any], name: str) -> str:
    req = job_record["request"]
    return layout.frame_key(req["video"]["video_id"], Sampling(**req["sampling"]), name)


def sprite_key(job_record: dict[str, Any], sheet: int) -> str:
    req = job_record["request"]
    return layout.sprite_key(req["video"]["video_id"], Sampling(**req["sampling"]), sheet)


@st.cache_data(ttl=5, show_spinner=False)
def trained_models() -> dict[str, int]:
    """Model name -> its newest trained version."""
    newest: dict[str, int] = {}
    for mv in model_store().list_all():
        if mv.status == TRAINING_COMPLETED:
            newest[mv.name] = max(newest.get(mv.name, 0), mv.version)
    return dict(sorted(newest.items()))


@st.cache_data(ttl=3, show_spinner=False)
def model_versions() -> list[dict[str, Any]]:
    return [asdict(v) for v in model_store().list_all()]


@st.cache_data(ttl=2, show_spinner=False)
def queue_depths() -> list[dict[str, Any]]:
    from shared.queues import depths

    return [asdict(d) for d in depths(clients())]


@st.cache_data(ttl=2, show_spinner=False)
def dead_letters(stage: str) -> list[dict[str, Any]]:
    from shared.queues import peek_dead_letters

    return [asdict(d) for d in peek_dead_letters(clients(), stage)]


@st.cache_data(ttl=2, show_spinner=False)
def workers() -> list[dict[str, Any]]:
    c = clients()
    return [asdict(w) for w in WorkerPresence(c.dynamodb, c.names.jobs_table).list_workers()]


def uploaded_videos() -> dict[str, dict[str, Any]]:
    """Videos already in the bucket that probe read (from earlier jobs), newest first: video id ->
    its VideoRef. A file probe refused (text, empty, no video stream) is not offered again."""
    seen: dict[str, dict[str, Any]] = {}
    for j in jobs():
        video = j["request"].get("video")
        if j["video"] and video and {"video_id", "key", "name"} <= set(video) and video["video_id"] not in seen:
            seen[video["video_id"]] = video
    return seen


# -- the Label page (the built-in labeler) -------------------------------------------------------
def labeler() -> BuiltinLabeler:
    """Where the Label page saves frames and finishes: a person's labels, not a stage's work."""
    return BuiltinLabeler(clients())


def labeling_jobs() -> list[dict[str, Any]]:
    """Training jobs waiting for people on the built-in labeler, newest first."""
    return [j for j in jobs() if j["status"] == WAITING
            and (j["outputs"].get("labeling") or {}).get("labeler") == "builtin"]


@st.cache_data(ttl=2, show_spinner=False)
def labeling(job_id: str) -> tuple[dict[str, Any], LabelingTask]:
    """(the labeling job record, its task) for a training job; LabelingError says why there is none."""
    record, task = labeler().for_job(job_id)
    return asdict(record), task


@st.cache_data(ttl=2, show_spinner=False)
def labeled_frames(name: str) -> dict[tuple[int, int], FrameLabel]:
    """The frames people saved, by (seq_no, frame_no). Cleared by the page after each save."""
    return labeler().store.frames(name)


@st.cache_data(ttl=2, show_spinner=False)
def label_progress(name: str, total: int) -> dict[str, Any]:
    return labeler().store.progress(name, total)


@st.cache_data(ttl=3600, show_spinner=False)
def frame_jpeg(uri: str) -> bytes | None:
    """A frame to label (s3:// URI from the task)."""
    return object_bytes(storage().key_of(uri))


def _decode(jpeg: bytes | None) -> np.ndarray | None:
    return None if jpeg is None else cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


@st.cache_data(ttl=3600, show_spinner=False)
def frame_size(uri: str) -> tuple[int, int] | None:
    """(width, height) of a frame to label."""
    image = _decode(frame_jpeg(uri))
    return None if image is None else (image.shape[1], image.shape[0])


@st.cache_data(ttl=3600, show_spinner=False)
def thumbnail(uri: str, width: int = 160) -> bytes | None:
    image = _decode(frame_jpeg(uri))
    if image is None:
        return None
    small = cv2.resize(image, (width, max(1, round(image.shape[0] * width / image.shape[1]))),
                       interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()


@st.cache_data(ttl=3600, show_spinner=False)
def prelabels(name: str, seq_no: int, _task: LabelingTask) -> dict[int, list[dict[str, Any]]]:
    """The model's proposals the label stage stored for a sequence ({} when it made none)."""
    return label_proposals.load(_task, storage(), seq_no)


@st.cache_data(ttl=3600, show_spinner=False)
def proposals(name: str, seq_no: int, frame_no: int, previous: tuple[tuple[str, float, float, float, float], ...],
              rejected: tuple[tuple[str, float, float, float, float], ...],
              _task: LabelingTask) -> tuple[list[Proposal], list[Proposal]]:
    """What a frame not yet saved starts with: the boxes saved on the frame before it (`previous`),
    carried to where their contents moved, then the model's pre-labels where none is and where the
    person did not delete the same one on the frame before (`rejected`, carried the same way).
    Returns (proposals, the rejected boxes as carried here: still refused on this frame)."""
    seq = _task.sequence(seq_no)
    model = prelabels(name, seq_no, _task).get(frame_no, [])
    if _task.kind == "concept":  # whole-frame labels: the model's, best first
        return [Proposal(Box(p["label"], 0, 0, 0, 0), "model", float(p.get("confidence", 0.0)))
                for p in sorted(model, key=lambda p: -float(p.get("confidence", 0.0)))
                if p.get("label") in _task.labels], []
    carried: list[Proposal] = []
    refused: list[Proposal] = []
    if (previous or rejected) and frame_no > 0:
        before = _decode(frame_jpeg(seq.prefix + seq.frames[frame_no - 1]))
        now = _decode(frame_jpeg(seq.prefix + seq.frames[frame_no]))
        if before is not None and now is not None:
            carried = carry(before, now, [Box(*b) for b in previous])
            refused = carry(before, now, [Box(*b) for b in rejected])
    return merge(carried, model, _task.labels, refused), refused
