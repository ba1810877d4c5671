"""A trained local model and brand videos with known truth, made once and installed per test
(the stack is reset between tests; training again for each would cost minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.aws import Clients
from shared.models.local.head import Head
from shared.models.local.trainer import LabeledImage, train_head
from shared.models.store import ModelStore, ModelVersion, model_prefix
from devtools.synth.benchmark import Benchmark, make_benchmark
from devtools.synth.video import BrandVideo, make_brand_video
from shared.storage import Storage


@dataclass
class TrainedModel:
    bench: Benchmark
    head: Head

    @property
    def labels(self) -> list[str]:
        return [b.name for b in self.bench.brands]


def train_small_model(seed: int = 7, frames: int = 40) -> TrainedModel:
    bench = make_benchmark(seed=seed, n_train=frames, n_test=0, photos=[])
    labels = [b.name for b in bench.brands]
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    head = train_head(train, labels, synthetic=200)
    return TrainedModel(bench, head)


def install_model(clients: Clients, model: TrainedModel, name: str = "logos",
                  status: str = "TRAINING_COMPLETED") -> ModelVersion:
    """Record a trained version with its head in S3, as the train stage would have left it."""
    storage = Storage(clients.s3, clients.names.bucket)
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    mv = models.create_version(name, "local", "object", model.labels, "job-test", {},
                               lambda v: f"{model_prefix(name, v)}/manifest.jsonl")
    artifact = f"{mv.prefix}/output/head.npz"
    storage.put_bytes(artifact, model.head.to_bytes())
    handle = {"backend": "local", "type": "object", "artifact": artifact, "evaluation": {}, "training_seconds": 1.0}
    models.update_version(name, mv.version, status=status, handle=handle)
    return models.get_version(name, mv.version)  # type: ignore[return-value]


def brand_video(folder: Path, model: TrainedModel, seconds: float = 20.0, seed: int = 3) -> BrandVideo:
    return make_brand_video(folder / f"brands-{seed}.mp4", model.bench.brands, model.bench.distractors,
                            seconds=seconds, seed=seed)


def finished_analysis(clients: Clients, run_worker, model: TrainedModel, video: BrandVideo,  # type: ignore[no-untyped-def]
                      name: str = "logos") -> str:
    """A real analysis with a model, run to SUCCEEDED by in-process workers; returns the job id."""
    from shared.jobs import JobStore
    from shared.messages import Sampling
    from shared.submit import Submitter
    from tests.conftest import wait_for_job

    install_model(clients, model, name=name)
    worker = run_worker(concurrency=2)
    job = Submitter(clients).analyze(video.path, Sampling.at_fps(2), segment_seconds=8, model=name)
    done = wait_for_job(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id, timeout=240)
    worker.stop()
    assert done.status == "SUCCEEDED", done.error
    return job.job_id


def stored_analysis(clients: Clients, report: dict, job_id: str = "20261201-120000-report") -> str:
    """A SUCCEEDED analysis whose report is the one given, as aggregate would have left it (for
    pages and commands that only read reports: no video, no workers)."""
    from shared import layout
    from shared.jobs import JobStore
    from shared.messages import Sampling

    jobs = JobStore(clients.dynamodb, clients.names.jobs_table)
    m = report["model"]
    jobs.create_job(job_id, "analyze", {
        "video": {"video_id": "v" * 16, "key": "uploads/match.mp4", "name": "match.mp4"},
        "sampling": Sampling.at_fps(2).model_dump(), "segment_seconds": 30, "gap_s": 1.0,
        "detect": {"model": {"name": m["name"], "model_version": m.get("version") or 1, "backend": m["backend"]},
                   "min_confidence": m["min_confidence"]}}, first_stage="probe")
    Storage(clients.s3, clients.names.bucket).put_json(layout.report_key(job_id), report)
    jobs.succeed_job(job_id, {"report": layout.report_key(job_id)})
    return job_id
