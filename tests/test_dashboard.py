"""Dashboard pages render what the store holds (Streamlit's AppTest against the test stack, with
data made by the real workers), assert on the rendered values."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts
from shared import job_report, layout
from shared.models.store import ModelStore
from shared.presence import WorkerPresence
from shared.report.tables import brands_table
from shared.storage import Storage
from tests.analysis_fixtures import brand_video, finished_analysis, install_model, train_small_model
from tests.conftest import ROOT, env, wait_for, wait_for_job

PAGES = ROOT / "dashboard" / "views"


@pytest.fixture(scope="module")
def model():
    return train_small_model()


@pytest.fixture(scope="module")
def video(model, tmp_path_factory):
    return brand_video(tmp_path_factory.mktemp("dash-videos"), model, seconds=20.0, seed=5)


@pytest.fixture
def dashboard_env(config):
    with env(BRANDVIS_ENDPOINT_URL=config.endpoint or ""):
        yield


def run(page: Path, query: dict | None = None) -> AppTest:
    import streamlit as st

    st.cache_resource.clear()  # the config is read per test environment
    st.cache_data.clear()
    at = AppTest.from_file(str(page), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def headers(frame) -> dict[str, dict]:
    """A shown table's column settings (header label, format, width) by data column."""
    return {c: v for c, v in json.loads(frame.proto.columns).items() if c in frame.value.columns}


def test_results_page_shows_the_report(clients, store, storage, run_worker, model, video, dashboard_env):
    job_id = finished_analysis(clients, run_worker, model, video)
    report = json.loads(storage.get_bytes(layout.report_key(job_id)))
    at = run(PAGES / "results.py", {"job": job_id})
    # The per-brand table is the report's, brand by brand, with every share in one percent format
    table = at.dataframe[0].value
    expected = brands_table(report)
    assert list(table["label"]) == list(expected["label"])
    assert list(table["screen_time_s"]) == list(expected["screen_time_s"])
    assert list(table["share_of_screen_time"]) == pytest.approx([100 * v for v in expected["share_of_screen_time"]])
    shown = headers(at.dataframe[0])
    assert {shown[c]["type_config"]["format"] for c in ("share_of_screen_time", "share_of_video")} == {"%.1f%%"}
    assert all("_" not in c["label"] for c in shown.values() if not c.get("hidden")), shown
    assert shown["last_seen_s"].get("hidden") and shown["likely_true"]["label"] == "true (s)"
    seen = expected[expected["screen_time_s"] > 0]
    assert at.metric[0].value == f"{len(seen)} of {len(expected)}"
    assert at.metric[1].value == f"{seen.iloc[0]['label']} · {seen.iloc[0]['screen_time_s']:.1f} s"
    assert at.caption[0].value.startswith(f"{video.path.name} · 20.0 s · 640×360 · sampled at 2 frames/s · model logos")
    # Media value: 1,000 per 30 s of exposure, unweighted, in the configured currency (USD by default)
    value = at.dataframe[1].value
    assert list(value["screen time (s)"]) == [round(v, 1) for v in expected["screen_time_s"]]
    assert value["value"].sum() == pytest.approx(sum(expected["screen_time_s"]) / 30 * 1000, abs=0.05 * len(value))
    assert at.selectbox(key="currency").value == "USD" and headers(at.dataframe[1])["value"]["label"] == "value (USD)"
    # The frame scrubber opens on the first sampled frame with a detection, and shows it
    first = next(f for f in report["frames"] if f["labels"])
    assert first["t_s"] > 0  # the video opens on no brand: the default is a choice, not the first frame
    assert at.select_slider(key="t").value == first["t_s"]
    captions = [img.proto.imgs[0].caption for img in at.get("image")]
    assert captions[0] == "Minute 0: a thumbnail every 2 s"
    assert captions[1] == ", ".join(f"{lab['label']} {lab['confidence']:.2f}" for lab in first["labels"])
    # Downloads are offered in every format; the exposures table reads in people's words
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Report (JSON)", "Per brand (CSV)", "Per exposure (CSV)", "Workbook (XLSX)"]
    exposures = headers(at.dataframe[2])
    assert set(exposures) == set(at.dataframe[2].value.columns)
    assert all("_" not in c["label"] for c in exposures.values()), exposures
    assert exposures["start_s"]["type_config"]["format"] == "%.1f"
    # The confidence slider runs from the floor the detections were kept down to, at the job's threshold;
    # moved, every figure is recounted from the stored detections at the new threshold
    slider = at.slider(key=f"min_confidence-{job_id}")
    assert (slider.min, slider.max, slider.value) == (0.2, 1.0, 0.5)
    slider.set_value(0.8).run()
    assert not at.exception, at.exception
    stricter = brands_table(job_report.rethreshold(storage, ModelStore(clients.dynamodb, clients.names.jobs_table),
                                                   store.get_job(job_id), 0.8))
    table = at.dataframe[0].value
    assert list(table["screen_time_s"]) == list(stricter["screen_time_s"])
    assert sum(stricter["screen_time_s"]) < sum(expected["screen_time_s"])
    assert "min confidence 0.8" in at.caption[0].value
    assert at.metric[3].value == str(int(stricter["appearances"].sum()))


def test_media_value_prices_the_seconds_it_shows_in_the_chosen_currency(clients, storage, run_worker, model, video,
                                                                         dashboard_env):
    job_id = finished_analysis(clients, run_worker, model, video)
    report = json.loads(storage.get_bytes(layout.report_key(job_id)))
    with env(BRANDVIS_CURRENCY="EUR"):
        at = run(PAGES / "results.py", {"job": job_id})
    assert at.selectbox(key="currency").value == "EUR"
    # Weighted by prominence, seconds are fractional: the value is priced from the seconds shown
    at.toggle[0].set_value(True).run()
    value = at.dataframe[1].value
    assert (value["valued seconds"] < value["screen time (s)"]).any()
    assert list(value["value"]) == [round(s / 30 * 1000, 2) for s in value["valued seconds"]]
    assert list(value["valued seconds"]) == [round(s, 1) for s in value["valued seconds"]]
    assert at.metric[-1].label == "Total (EUR)" and at.metric[-1].value == f"{value['value'].sum():,.2f}"
    # A currency with no minor unit is priced in whole units
    at.selectbox(key="currency").set_value("JPY").run()
    value = at.dataframe[1].value
    assert headers(at.dataframe[1])["value"]["label"] == "value (JPY)"
    assert list(value["value"]) == [round(s / 30 * 1000) for s in value["valued seconds"]]
    assert at.metric[-1].label == "Total (JPY)" and "." not in at.metric[-1].value
    assert len(report["brands"]) == len(value)


def test_heatmap_has_axes_and_tells_empty_cells_from_little_time(clients, storage, run_worker, model, video,
                                                                 dashboard_env):
    job_id = finished_analysis(clients, run_worker, model, video)
    report = json.loads(storage.get_bytes(layout.report_key(job_id)))
    label = brands_table(report).iloc[0]["label"]
    grid = report["extras"]["brands"][label]["heatmap"]
    spec = charts.heatmap(report, label).to_dict()
    frame, seen = spec["layer"]
    datasets = spec["datasets"]
    # Both axes say what they measure
    for layer in (frame, seen):
        assert layer["encoding"]["x"]["title"].startswith("% of the frame width")
        assert layer["encoding"]["y"]["title"].startswith("% of the height")
        assert layer["encoding"]["y"]["scale"]["reverse"] is True  # row 0 is the top of the frame
    # Every cell is drawn grey; only cells with time are coloured, so an empty cell is not a low value
    assert len(datasets[frame["data"]["name"]]) == 64 and "color" not in frame["encoding"]
    coloured = datasets[seen["data"]["name"]]
    assert sorted(c["seconds"] for c in coloured) == sorted(v for row in grid for v in row if v > 0)
    assert seen["encoding"]["color"]["legend"]["orient"] == "bottom"  # a side legend outgrew the short chart
    assert spec["autosize"]["type"] == "pad"  # axes and legend around the cells, not squeezed into its height


def test_results_page_without_analyses_says_how_to_start(clients, dashboard_env):
    at = run(PAGES / "results.py")
    assert "No finished analysis with a model yet" in at.info[0].value


def test_label_page_says_how_to_start_and_why_a_job_cannot_be_labeled(clients, store, dashboard_env):
    at = run(PAGES / "label.py")
    assert "No training job is waiting for labels" in at.info[0].value and "--media" in at.info[0].value
    # A link to a job that is not waiting on the built-in labeler says why, without a traceback
    at = run(PAGES / "label.py", {"job": "20261125-100000-aaaaaa"})
    assert at.error[0].value == "no job 20261125-100000-aaaaaa"
    store.create_job("20261125-100000-bbbbbb", "analyze", {"video": {"name": "final.mp4"}}, first_stage="probe")
    at = run(PAGES / "label.py", {"job": "20261125-100000-bbbbbb"})
    assert at.error[0].value == "job 20261125-100000-bbbbbb is not a training job from media"
    assert at.caption[0].value == "Job 20261125-100000-bbbbbb is QUEUED."


def test_analyze_page_offers_trained_models_only(clients, dashboard_env):
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    for name, status in (("logos", "TRAINING_COMPLETED"), ("draft", "TRAINING_IN_PROGRESS")):
        models.create_version(name, "local", "object", ["Acme"], "job", {}, lambda v, n=name: f"models/{n}/{v}")
        models.update_version(name, 1, status=status)
    at = run(PAGES / "analyze.py")
    model = next(s for s in at.selectbox if s.label == "Model")
    assert model.options == ["none: frames and sprites only", "logos"]
    assert model.value == "logos" and at.slider[0].value == 0.5


def test_analyze_page_follows_the_job_it_started(clients, store, counters, dashboard_env):
    import streamlit as st

    store.create_job("20261125-100000-aaaaaa", "analyze", {"video": {"name": "final.mp4"}}, first_stage="probe")
    counters.set_expected("20261125-100000-aaaaaa", "extract", 4)
    for n in range(3):
        counters.record_done("20261125-100000-aaaaaa", "extract", f"extract:{n}")
    store.fail_job("20261125-100000-aaaaaa", "extract failed after 3 attempts: disk full")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(PAGES / "analyze.py"), default_timeout=60)
    at.session_state["started_job"] = "20261125-100000-aaaaaa"
    at.run()
    assert at.subheader[0].value == "Job 20261125-100000-aaaaaa: FAILED"
    bars = {p.proto.text: p.proto.value for p in at.get("progress")}
    assert bars["extract: 3 of 4"] == 75 and bars["probe: 0 of 1"] == 0
    assert at.error[0].value == "extract failed after 3 attempts: disk full"


def test_models_page_shows_versions_and_per_label_evaluation(clients, model, dashboard_env):
    mv = install_model(clients, model)
    ModelStore(clients.dynamodb, clients.names.jobs_table).update_version(mv.name, mv.version, training_seconds=12.5, metrics={
        "f1": 0.8, "precision": 0.75, "recall": 0.86, "threshold": 0.5, "test_images": 12,
        "per_label": {"Acme": {"precision": 1.0, "recall": 0.5, "f1": 0.667, "tp": 1, "fp": 0, "fn": 1},
                      "Borealis": {"precision": 0.0, "recall": 1.0, "f1": 0.0, "tp": 0, "fp": 2, "fn": 0}},
        "extra": {"misses": [{"key": "datasets/abc/frame_0003.jpg", "missed": ["Acme"], "false": ["Borealis"]}]}})
    import cv2
    import numpy as np

    Storage(clients.s3, clients.names.bucket).put_bytes(
        "datasets/abc/frame_0003.jpg", cv2.imencode(".jpg", np.zeros((36, 64, 3), np.uint8))[1].tobytes())
    at = run(PAGES / "models.py")
    table = at.dataframe[0].value
    assert table.iloc[0]["model"] == "logos" and table.iloc[0]["F1"] == 0.8
    assert [m.value for m in at.metric] == ["0.80", "0.75", "0.86", "12 s"]
    per_label = at.dataframe[1].value
    assert per_label.iloc[0]["label"] == "Acme" and per_label.iloc[0]["recall"] == 0.5
    assert (per_label.iloc[0]["found"], per_label.iloc[0]["missed"]) == (1, 1)
    # Borealis had no held-out example: two false detections, and no recall to speak of
    assert per_label.iloc[1]["false"] == 2 and pd.isna(per_label.iloc[1]["recall"])
    assert at.get("image")[0].proto.imgs[0].caption == "missed: Acme · false: Borealis"


def test_models_page_says_what_labels_read_as_and_asks_for_a_version_with_new_text(clients, store, model,
                                                                                  dashboard_env):
    mv = install_model(clients, model)
    ModelStore(clients.dynamodb, clients.names.jobs_table).update_version(mv.name, mv.version, texts={
        "Dynamo": {"words": ["zexadowy"], "source": "read", "support": [4, 12], "says": "reads as zexadowy in 4 of 12 boxes"},
        "Acme": {"words": [], "source": None, "support": [0, 17], "says": "no text signature (not read as a word)"}})
    at = run(PAGES / "models.py")
    texts = at.dataframe[1].value
    assert list(texts["label"]) == ["Dynamo", "Acme"]
    assert list(texts["reads as"]) == ["zexadowy", "–"] and texts.iloc[0]["detail"] == "reads as zexadowy in 4 of 12 boxes"
    # Setting a label's words is a request: a new version, the same head, trained by a worker
    form_select = [s for s in at.selectbox if s.label == "Label"][0]
    form_select.set_value("Dynamo")
    at.text_input[0].input("DYNAMO")
    at.button[0].click().run()
    assert "version 2 requested" in at.success[0].value
    job = store.list_jobs(limit=1)[0]
    assert (job.kind, job.request["from_version"], job.request["words"]) == ("train", 1, {"Dynamo": "DYNAMO"})


def test_train_page_makes_a_text_only_model_from_names(clients, store, dashboard_env):
    at = run(PAGES / "train.py")
    brands = [t for t in at.text_input if t.label == "Brands"][0]
    brands.input("voltix, axiom-labs=AXIOM LABS")
    [t for t in at.text_input if t.key == "text_name"][0].input("names")
    [b for b in at.button if b.label == "Make the model"][0].click().run()
    assert "names version 1 (text-only)" in at.success[0].value and "axiom-labs reads as AXIOM LABS" in at.success[0].value
    job = store.list_jobs(limit=1)[0]
    assert job.request["words"] == {"voltix": "voltix", "axiom-labs": "AXIOM LABS"}


def test_models_page_warns_what_a_running_rekognition_model_costs(clients, dashboard_env):
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    models.create_version("cloud", "rekognition", "object", ["Acme"], "job", {}, lambda v: f"models/cloud/{v}")
    models.update_version("cloud", 1, status="TRAINING_COMPLETED", handle={"version_arn": "arn"}, deployment="RUNNING")
    at = run(PAGES / "models.py")
    assert "cloud v1 is **RUNNING**" in at.warning[0].value and "US$4 per inference unit per hour" in at.warning[0].value
    assert [b.disabled for b in at.button] == [True, False]  # start disabled, stop enabled


def test_train_page_offers_types_and_backends_and_lists_models(clients, model, dashboard_env):
    at = run(PAGES / "train.py")
    assert "No models yet." in at.info[0].value
    assert [t.label for t in at.tabs] == ["Label videos and images", "Labeled manifest", "Brand names only"]
    by_label = {(s.label, s.key): s.options for s in at.selectbox}
    assert by_label[("Type", None)] == ["from the manifest", "object", "concept"]
    assert by_label[("Backend", None)] == ["local", "rekognition"]
    assert by_label[("Labeler", None)] == ["builtin", "groundtruth"]  # the built-in labeler first: no bill
    assert by_label[("Type", "media_kind")] == ["object", "concept"]
    # labeling from media asks for files, labels and a name before anything is uploaded
    [b for b in at.button if b.label == "Extract frames and label"][0].click().run()
    assert "Choose videos or images" in at.error[0].value
    install_model(clients, model)
    table = run(PAGES / "train.py").dataframe[0].value
    assert table.iloc[0][["model", "version", "type", "backend", "status"]].tolist() == [
        "logos", 1, "object", "local", "TRAINING_COMPLETED"]
    assert table.iloc[0]["labels"] == ", ".join(model.labels)


def test_analyze_page_offers_only_uploads_that_probed_fine(clients, store, model, video, bad_inputs, run_worker,
                                                           dashboard_env):
    from shared.messages import Sampling
    from shared.submit import Submitter

    install_model(clients, model)
    submit = Submitter(clients)
    first = submit.analyze(video.path, Sampling.at_fps(1))
    refused = [submit.analyze(bad_inputs[k], Sampling.at_fps(1)) for k in ("text", "empty")]
    run_worker(stages=["probe"])
    assert [wait_for_job(store, j.job_id).status for j in refused] == ["FAILED", "FAILED"]
    wait_for(lambda: store.get_job(first.job_id).video, what="the video's probe")
    at = run(PAGES / "analyze.py")
    at.radio[0].set_value("Pick an uploaded one").run()
    # The text file and the empty file were uploaded, but probe refused them: not offered again
    assert at.selectbox[0].options == [video.path.name]
    assert at.selectbox[0].value == first.request["video"]["video_id"]
    at.button[0].click().run()
    started = at.session_state["started_job"]
    assert started != first.job_id
    again = store.get_job(started)
    assert again.request["video"] == first.request["video"] and again.request["detect"]["model"]["name"] == "logos"


def test_operations_page_lists_jobs_queues_dead_letters_and_workers(clients, store, run_worker, dashboard_env):
    from datetime import datetime

    from shared.names import STAGES
    from workers.registry import implemented

    store.create_job("20261125-100000-aaaaaa", "analyze", {"video": {"name": "final.mp4"}}, first_stage="probe")
    store.create_job("20261125-100001-bbbbbb", "analyze", {"video": {"name": "broken.mp4"}}, first_stage="probe")
    store.fail_job("20261125-100001-bbbbbb", "extract failed after 3 attempts: boom")
    dlq = clients.sqs.get_queue_url(QueueName=clients.names.dlq("extract"))["QueueUrl"]
    clients.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(
        {"version": 1, "job_id": "20261125-100001-bbbbbb", "message_id": "extract:v:fps-2:0000", "stage": "extract"}))
    WorkerPresence(clients.dynamodb, clients.names.jobs_table).seen("host-1-abcd", "host", 1, ["probe", "extract"],
                                                                    "2026-11-25T10:00:00Z")
    at = run(PAGES / "operations.py")
    jobs = at.dataframe[0].value
    assert list(jobs["job"]) == ["20261125-100001-bbbbbb", "20261125-100000-aaaaaa"]
    assert list(jobs["status"]) == ["FAILED", "QUEUED"]
    assert at.error[0].value == "extract failed after 3 attempts: boom"
    # The chosen job's time is its own, from request to failure (it has no video at all)
    failed = store.get_job("20261125-100001-bbbbbb")
    took = (datetime.fromisoformat(failed.finished_at.replace("Z", "+00:00"))
            - datetime.fromisoformat(failed.created_at.replace("Z", "+00:00"))).total_seconds()
    assert (at.metric[2].label, at.metric[2].value) == ("Run time", f"{took:.1f} s")
    assert headers(at.dataframe[0])["error"]["width"] == "large"
    # One queue per stage the workers run, in workflow order
    queues = at.dataframe[2].value
    assert list(queues["stage"]) == [s for s in implemented() if s in STAGES]
    assert int(queues.set_index("stage").loc["extract", "dead letters"]) == 1
    letters = at.dataframe[3].value
    assert list(letters["message"]) == ["extract:v:fps-2:0000"]
    assert at.dataframe[4].value.iloc[0]["worker"] == "host-1-abcd"
    # Redrive is a request: the page moves nothing itself...
    at.button[0].click().run()
    assert "Redrive of extract requested" in at.success[0].value
    assert store.get_job("20261125-100001-bbbbbb").status == "FAILED"
    # ...a worker does: the letter goes back to its queue and the job is reopened
    request = store.list_jobs(limit=1)[0]
    assert (request.kind, request.request) == ("redrive", {"stage": "extract"})
    run_worker(stages=["control"])
    done = wait_for_job(store, request.job_id)
    assert done.status == "SUCCEEDED" and done.result == {"stage": "extract", "moved": 1}
    assert store.get_job("20261125-100001-bbbbbb").status == "RUNNING"
    waiting = clients.sqs.get_queue_attributes(QueueUrl=clients.sqs.get_queue_url(
        QueueName=clients.names.queue("extract"))["QueueUrl"], AttributeNames=["ApproximateNumberOfMessages"])
    assert waiting["Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_pages_say_how_to_start_the_stack_when_none_runs(tmp_path):
    with env(BRANDVIS_ENDPOINT_URL="", BRANDVIS_STACK_PORT="1"):
        at = run(ROOT / "dashboard" / "app.py")
        for page in ("views/results.py", "views/analyze.py", "views/train.py", "views/label.py", "views/models.py",
                     "views/operations.py"):
            at.switch_page(page).run()
            assert not at.exception, at.exception
            assert "make run" in at.error[0].value, page


def test_results_page_shows_the_models_held_out_quality_and_warns_of_unverified_brands(clients, dashboard_env):
    import numpy as np

    from shared.detections import Detections
    from shared.report.build import build_report
    from tests.analysis_fixtures import stored_analysis

    # Given a report from a model whose held-out evaluation is weak and never saw Dynamo held out
    seen = Detections(np.array([[100.0, 100, 300, 200]]), [0.9], ["Acme"], (1280, 720))
    report = build_report([(t / 2, seen) for t in range(2, 10)], duration_s=10.0, width=1280, height=720, fps=25.0,
                          sampled_fps=2.0, model={"name": "logos", "backend": "local", "version": 2},
                          min_confidence=0.5, labels=["Acme", "Dynamo"], gap_s=1.0, evaluation={
                              "f1": 0.46, "precision": 0.38, "recall": 0.6, "threshold": 0.5, "test_images": 12,
                              "per_label": {"Acme": {"precision": 0.9, "recall": 0.75, "f1": 0.82, "tp": 9, "fp": 1, "fn": 3},
                                            "Dynamo": {"precision": 0.0, "recall": 1.0, "f1": 0.0, "tp": 0, "fp": 3, "fn": 0}}})
    job_id = stored_analysis(clients, report)
    # When the Results page shows it
    at = run(PAGES / "results.py", {"job": job_id})
    # Then the held-out figures sit under the caption, and the warnings are on the page
    assert at.caption[1].value == ("held-out evaluation of logos v2: F1 0.46 (precision 0.38, recall 0.60) on 12 "
                                   "images at confidence 0.5")
    assert at.caption[2].value == ("held-out F1 / precision / recall per label: Acme 0.82 / 0.90 / 0.75 · "
                                   "Dynamo no held-out example")
    assert [w.value for w in at.warning] == [
        "model logos v2 is weak: held-out F1 0.46 (precision 0.38, recall 0.60; below 0.80); screen times may be far "
        "off, see their ranges",
        "Dynamo: no held-out example — its screen time is unverified"]
    # And each brand has the range of its true screen time, or says it is unverified
    table = at.dataframe[0].value.set_index("label")
    acme = next(b for b in report["brands"] if b["label"] == "Acme")["uncertainty"]
    assert table.loc["Acme", "likely_true"] == f"{acme['low_s']:.1f}–{acme['high_s']:.1f}"
    assert table.loc["Dynamo", "likely_true"] == "unverified"
