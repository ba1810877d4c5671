"""Text through the queues: a text-only model made from brand names alone analyses a generated
broadcast-like video; a version that only changes what a label reads as keeps its head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devtools.synth.benchmark import make_typeset_logos
from devtools.synth.video import BrandVideo, make_brand_video
from shared import layout
from shared.jobs import SUCCEEDED
from shared.messages import Sampling
from shared.models.store import ModelStore
from shared.submit import RequestError, Submitter
from tests.analysis_fixtures import install_model, train_small_model
from tests.conftest import wait_for_job


@pytest.fixture(scope="module")
def typeset_video(tmp_path_factory) -> tuple[BrandVideo, list[str]]:
    brands, distractors = make_typeset_logos(np.random.default_rng(3))
    video = make_brand_video(Path(tmp_path_factory.mktemp("typeset")) / "match.mp4", brands, distractors,
                             seconds=12.0, size=(960, 540), seed=4, min_frac=0.12, rotate=6.0,
                             absent=["Orbana"], must_show=["lookalike-Voltek"])
    return video, [f"{b.name}={b.design['text']}" for b in brands]


def test_a_text_only_model_reports_brands_it_was_only_told_the_names_of(clients, store, storage, run_worker,
                                                                        typeset_video):
    video, words = typeset_video
    run_worker(concurrency=2)
    submit = Submitter(clients)
    # Given a model made from the brands' names alone (no image, no labeling)
    job, mv = submit.train_text(",".join(words), "brands")
    assert wait_for_job(store, job.job_id, timeout=60).status == SUCCEEDED
    version = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("brands")
    assert (version.type, version.status) == ("text", "TRAINING_COMPLETED")
    assert version.texts["Axiom Labs"]["words"] == ["AXIOM LABS"]
    # When it analyses a video in which Orbana never appears and a rival's VOLTEK board does
    done = wait_for_job(store, submit.analyze(video.path, Sampling.at_fps(2), segment_seconds=6,
                                              model="brands").job_id, timeout=240)
    assert done.status == SUCCEEDED, done.error
    report = storage.get_json(layout.report_key(done.job_id))
    seconds = {b["label"]: b["screen_time_s"] for b in report["brands"]}
    # Then every brand it was told of is listed, the absent one with nothing, and the ones shown
    # are found for most of the time they were on screen (a loose floor: the bench has the figures)
    assert set(seconds) == {"Voltix", "Nordane", "Axiom Labs", "Kestrel", "Orbana"}
    assert seconds["Orbana"] == 0.0
    shown = [b for b in seconds if video.screen_time(b) > 1.0]
    assert shown and sum(seconds[b] for b in shown) >= 0.5 * sum(video.screen_time(b) for b in shown)
    assert all(seconds[b] <= video.screen_time(b) + 1.0 for b in seconds), (seconds, video.absent)


def test_changing_what_a_label_reads_as_makes_a_version_with_the_same_head(clients, store, run_worker):
    model = train_small_model(frames=20)
    mv = install_model(clients, model)
    run_worker(stages=["train"])
    submit = Submitter(clients)
    job, new = submit.retext("logos", mv.version, {"Dynamo": "DYNAMO"})
    assert wait_for_job(store, job.job_id).status == SUCCEEDED
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    version = models.get_version("logos", new.version)
    assert version.base_version == mv.version and version.words == {"Dynamo": "DYNAMO"}
    assert version.handle["artifact"] == mv.handle["artifact"]  # the same head, not retrained
    assert version.texts["Dynamo"]["words"] == ["DYNAMO"] and version.texts["Dynamo"]["source"] == "user"
    assert "before its text was changed" in version.metrics["extra"]["note"]
    with pytest.raises(RequestError, match="no label 'Nope'"):
        submit.retext("logos", mv.version, {"Nope": "X"})
