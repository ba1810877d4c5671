"""The `brandvis` command as a user runs it: real processes, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port



@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """No stack running on this port: commands that need one start it embedded."""
    return {**os.environ, "BRANDVIS_STACK_PORT": str(free_port()), "BRANDVIS_DATA_DIR": str(tmp_path / "data"),
            "BRANDVIS_CACHE_DIR": str(tmp_path / "cache")}


def brandvis(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=180)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_probe_prints_the_seeds_json(videos):
    doc = json.loads(brandvis("probe", str(videos["h264"])).stdout)
    assert doc["streams"][0]["codec_name"] == "h264"
    assert [f["coded_picture_number"] for f in doc["frames"]] == [0, 48, 96, 144, 192]


def test_probe_of_a_bad_file_is_one_clear_line(bad_inputs):
    proc = brandvis("probe", str(bad_inputs["audio"]), check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: no video stream in podcast.mp4 (it has 1 audio stream only)"


def test_frames_writes_samples_or_keyframes(videos, tmp_path):
    brandvis("frames", str(videos["h264"]), "--fps", "2", "--out", str(tmp_path / "fps"))
    assert sorted(p.name for p in (tmp_path / "fps").iterdir()) == [f"{k:06d}.jpg" for k in range(20)]
    brandvis("frames", str(videos["h264"]), "--keyframes", "--out", str(tmp_path / "kf"))
    assert sorted(p.name for p in (tmp_path / "kf").iterdir()) == sorted(f"{n}.jpg" for n in (0, 48, 96, 144, 192))


@pytest.mark.parametrize("args,message", [
    (["frames", "{video}", "--out", "x"], "choose --keyframes or --fps N"),
    (["frames", "{video}", "--fps", "fast", "--out", "x"], "--fps must be a number"),
    (["train", "--name", "x"], "give a MANIFEST of labeled images, --media FILE... --labels A,B to label raw media, or --text"),
    (["train", "--name", "x", "--text", "ab,ab"], "--text: label 'ab' is given twice"),
    (["analyze", "{video}", "--out", "r.json"], "--out and --csv need --model"),
    (["analyze", "{video}", "--fps", "0.1"], "--fps must be between 0.2"),
    (["analyze", "nope.mp4"], "no such file: nope.mp4"),
    (["analyze", "{video}", "--model", "logos"], "error: no model named logos; models: none (brandvis train)"),
    (["worker", "--stages", "probe,paint"], "unknown stage(s) paint"),
])
def test_usage_errors_name_the_problem(videos, user_env, args, message):
    args = [a.replace("{video}", str(videos["h264"])) for a in args]
    proc = brandvis(*args, env=user_env, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_analyze_wait_without_a_running_stack_uses_an_embedded_one(videos, user_env):
    # When a user runs analyze --wait with nothing running
    proc = brandvis("analyze", str(videos["h264"]), "--fps", "2", "--wait", env=user_env)
    # Then it ran the job to the end, printed the result, and left it in the data folder
    result = json.loads(proc.stdout)
    assert result["frames"] == 20 and result["sprites"][0].endswith("sprite_0.jpg")
    assert "succeeded" in proc.stderr and "started an embedded one" in proc.stderr
    listing = brandvis("jobs", env=user_env).stdout
    assert "SUCCEEDED" in listing and "h264.mp4" in listing
    job_id = listing.split("\n")[1].split()[0]
    status = json.loads(brandvis("status", job_id, "--json", env=user_env).stdout)
    assert status["stages"]["extract"]["metrics"]["frames"] == 20
    assert status["stages"]["sprite"] == {"expected": 1, "done": 1, "metrics": {"tiles": 5}, "last_error": None}


def test_analyze_wait_of_a_bad_file_exits_non_zero_with_the_reason(bad_inputs, user_env):
    proc = brandvis("analyze", str(bad_inputs["image"]), "--wait", env=user_env, check=False)
    assert proc.returncode == 1
    assert "failed: not a video: photo.mp4 is a still image (PNG)" in proc.stderr


def test_analyze_against_a_running_stack_queues_and_returns(clients, config, store, videos):
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint}
    job_id = brandvis("analyze", str(videos["h264"]), "--keyframes", env=env).stdout.strip()
    job = store.get_job(job_id)
    assert job.status == "QUEUED" and job.request["sampling"] == {"mode": "keyframes", "fps": None}
    assert brandvis("status", "no-such-job", env=env, check=False).stderr.strip().startswith("error: no job no-such-job")


def test_train_wait_then_models_lists_the_version(user_env, tmp_path):
    from devtools.synth.benchmark import export_ground_truth, make_benchmark

    manifest = export_ground_truth(make_benchmark(seed=4, n_train=30, n_test=1, photos=[]).train, tmp_path / "set")
    proc = brandvis("train", str(manifest), "--name", "logos", "--wait", env=user_env)
    assert "logos v1: F1" in proc.stderr and "succeeded" in proc.stderr
    assert json.loads(proc.stdout)["version"] == 1
    listing = brandvis("models", env=user_env).stdout
    assert "logos" in listing and "TRAINING_COMPLETED" in listing and "local" in listing


def test_train_then_analyze_with_the_model_prints_and_saves_the_report(user_env, tmp_path):
    import csv

    from devtools.synth.benchmark import export_ground_truth, make_benchmark
    from devtools.synth.video import make_brand_video

    bench = make_benchmark(seed=4, n_train=30, n_test=1, photos=[])
    brandvis("train", str(export_ground_truth(bench.train, tmp_path / "set")), "--name", "logos", "--wait",
             env=user_env)
    video = make_brand_video(tmp_path / "match.mp4", bench.brands, bench.distractors, seconds=12, seed=5)
    # When a user analyses a video with the model and asks for the report and the tables
    proc = brandvis("analyze", str(video.path), "--model", "logos", "--fps", "2", "--out", str(tmp_path / "r.json"),
                    "--csv", str(tmp_path / "tables"), env=user_env)
    # Then the report is printed as a table, saved, and the CSVs have one row per brand / exposure
    assert "model logos (local), min confidence 0.5" in proc.stdout and "screen time" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schema"] == "brandvis.report/v1" and len(report["frames"]) == 24
    with (tmp_path / "tables" / "brands.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["label"] for r in rows) == sorted(b.name for b in bench.brands)
    with (tmp_path / "tables" / "appearances.csv").open() as f:
        exposures = list(csv.DictReader(f))
    assert len(exposures) == sum(len(b["appearances"]) for b in report["brands"])
    # And `brandvis report JOB` prints the same figures later
    job_id = report["extras"]["job_id"]
    again = brandvis("report", job_id, "--appearances", env=user_env).stdout
    top = report["brands"][0]
    assert top["label"] in again and "from" in again
    assert json.loads(brandvis("report", job_id, "--json", env=user_env).stdout) == report
    # And at a lower threshold than the job's, rebuilt from the detections it stored (kept down to 0.2):
    # cut at 0.5 again, its frames are the job's own
    proc = brandvis("report", job_id, "--min-confidence", "0.3", "--json", env=user_env)
    looser = json.loads(proc.stdout)
    assert "rebuilt at min confidence 0.3 from the stored detections (the job ran at 0.5; its detections go " \
           "down to 0.2)" in proc.stderr
    assert looser["model"]["min_confidence"] == 0.3 and looser["extras"]["job_id"] == job_id
    assert all(lab["confidence"] >= 0.3 for f in looser["frames"] for lab in f["labels"])
    assert [{**f, "labels": [lab for lab in f["labels"] if lab["confidence"] >= 0.5]}
            for f in looser["frames"]] == report["frames"]


def test_report_of_a_job_without_a_model_says_so(videos, user_env):
    brandvis("analyze", str(videos["h264"]), "--keyframes", "--wait", env=user_env)
    job_id = brandvis("jobs", env=user_env).stdout.split("\n")[1].split()[0]
    proc = brandvis("report", job_id, env=user_env, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: job {job_id} is not an analysis with a model: it has no report"
    proc = brandvis("analyze", str(videos["h264"]), "--model", "nope", env=user_env, check=False)
    assert proc.returncode == 2 and "no model named nope" in proc.stderr


def test_train_with_a_broken_manifest_line_says_which(user_env, tmp_path):
    manifest = tmp_path / "broken.manifest"
    manifest.write_text('{"source-ref": "a.jpg"}\n{not json\n')
    proc = brandvis("train", str(manifest), "--name", "x", env=user_env, check=False)
    assert proc.returncode == 2 and "line 2: not valid JSON" in proc.stderr


def test_demo_data_writes_a_labeled_set_and_a_video_with_its_truth(tmp_path):
    from devtools.synth.broadcast import DEMO_LABELED

    proc = brandvis("demo-data", str(tmp_path / "demo"), "--seconds", "6")
    assert "next: brandvis train" in proc.stderr
    lines = (tmp_path / "demo" / "labels" / "output.manifest").read_text().splitlines()
    assert len(lines) == DEMO_LABELED and json.loads(lines[0])["source-ref"] == "frame_0000.jpg"
    labeled = {a["class_id"] for line in lines for a in json.loads(line)["bounding-box"]["annotations"]}
    truth = json.loads((tmp_path / "demo" / "truth.json").read_text())
    assert set(truth["screen_time_s"]) == {"Voltix", "Nordane", "Axiom Labs", "Kestrel", "Orbana"} == set(
        json.loads(lines[0])["bounding-box-metadata"]["class-map"].values())
    assert len(labeled) == 5  # every brand is labeled somewhere, also the one the clip leaves out
    assert truth["absent"] and all(truth["screen_time_s"][b] == 0 for b in truth["absent"])
    assert 0 < sum(truth["screen_time_s"].values()) <= 6 * 4  # at most a few boards' brands at once
    doc = json.loads(brandvis("probe", str(tmp_path / "demo" / "match.mp4")).stdout)
    assert (doc["streams"][0]["width"], doc["streams"][0]["height"]) == (1280, 720)


def test_train_summary_says_when_a_label_had_no_held_out_example(capsys):
    from types import SimpleNamespace

    from cli.output import print_version

    print_version(SimpleNamespace(name="logos", version=2, training_seconds=13, metrics={
        "f1": 0.46, "precision": 0.38, "recall": 0.6, "test_images": 12, "per_label": {
            "Acme": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0},
            "Dynamo": {"precision": 0.0, "recall": 1.0, "f1": 0.0, "tp": 0, "fp": 3, "fn": 0}}}))
    text = capsys.readouterr().err
    assert "Acme                 precision 1.00  recall 1.00" in text
    assert "Dynamo               no held-out example; 3 false detection(s)" in text and "recall 1.00  F1 0.00" not in text


# -- issue 13: checks before anything starts, errors in full, a quick --help ----------------------
def test_fps_above_the_videos_frame_rate_is_refused_before_anything_starts(videos, user_env, tmp_path):
    # Given a 24 frames/s video and no stack running
    # When a user asks for 100 frames a second
    proc = brandvis("analyze", str(videos["h264"]), "--fps", "100", env=user_env, check=False)
    # Then it is refused at once, naming the video's rate, and no stack was started for it
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: --fps 100 asks for more frames than h264.mp4 has (24 frames/s); "
                                   "use --fps 24 or less")
    assert not Path(user_env["BRANDVIS_DATA_DIR"]).exists()
    # And the video's own rate is accepted
    assert brandvis("analyze", str(videos["h264"]), "--fps", "24", env=user_env).stdout.strip()


def test_dashboard_upload_with_too_high_a_rate_is_refused_before_the_upload(clients, storage, videos):
    from shared.messages import Sampling
    from shared.submit import RequestError, Submitter

    # Given the dashboard's upload of a 24 frames/s video, sampled at 30 frames/s
    with videos["h264"].open("rb") as f, pytest.raises(RequestError, match=r"--fps 30 asks for more frames than h264.mp4"):
        Submitter(clients).upload_video_stream(f, "h264.mp4", Sampling.at_fps(30))
    # Then nothing was uploaded
    assert list(storage.list_keys("media/")) == []


def test_a_broken_manifest_lists_every_problem_with_its_line(user_env, tmp_path):
    import cv2
    import numpy as np

    from tests.test_manifest import boxes_line

    # Given a manifest with a broken line, a missing image and a label with too few examples
    for n in ("1.png", "2.png", "3.png"):
        cv2.imwrite(str(tmp_path / n), np.zeros((480, 640, 3), np.uint8))
    lines = [boxes_line("1.png", [(0, 1, 1, 5, 5), (1, 10, 10, 5, 5)]), "{not json",
             boxes_line("2.png", [(0, 1, 1, 5, 5), (1, 10, 10, 5, 5)]), boxes_line("3.png", [(0, 1, 1, 5, 5)]),
             boxes_line("gone.png", [(0, 1, 1, 5, 5)])]
    (tmp_path / "set.manifest").write_text("\n".join(lines) + "\n")

    # When it is trained from
    proc = brandvis("train", str(tmp_path / "set.manifest"), "--name", "x", env=user_env, check=False)

    # Then all three are listed, each with its line, and nothing was queued
    assert proc.returncode == 2
    listed = proc.stderr[proc.stderr.index("error: "):].removeprefix("error: ").splitlines()
    assert listed == ["set.manifest line 2: not valid JSON (Expecting property name enclosed in double quotes)",
                      f"line 5: image not found: {tmp_path / 'gone.png'}",
                      "label 'Globex' has 2 examples (lines 1, 3); at least 3 are needed"]
    assert "no jobs yet" in brandvis("jobs", env=user_env).stdout


def test_jobs_and_status_show_a_long_error_in_full(clients, store, config):
    # Given a failed job whose reason is long, with [brackets] in it
    reason = ("probe failed: " + "the container declares a duration its packets never reach; " * 4
              + "[moov] box at the end: re-mux the file with the index first and analyse it again")
    store.create_job("20260101-000000-aaaaaa", "analyze", {"video": {"name": "long.mp4"}}, first_stage="probe")
    store.fail_job("20260101-000000-aaaaaa", reason)
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint}

    def words(text: str) -> str:
        return " ".join(text.split())

    # When the jobs are listed and the job's status is asked for, Then the whole reason is there, wrapped
    listing = brandvis("jobs", env=env).stdout
    assert words(reason) in words(listing)
    assert max(len(line) for line in listing.splitlines()) <= 200
    assert words(reason) in words(brandvis("status", "20260101-000000-aaaaaa", env=env).stdout)
    # And `jobs --json` gives each job as `status --json` does, with its input
    doc = json.loads(brandvis("jobs", "--json", env=env).stdout)
    assert [(j["job_id"], j["status"], j["error"], j["input"]) for j in doc] == [
        ("20260101-000000-aaaaaa", "FAILED", reason, "long.mp4")]


def test_status_without_a_job_lists_workers_and_marks_silent_ones_stale(clients, config):
    from datetime import datetime, timedelta, timezone

    from shared.presence import STALE_AFTER_S, WorkerPresence

    # Given a worker seen just now, one that stopped, and one whose last heartbeat is old
    presence = WorkerPresence(clients.dynamodb, clients.names.jobs_table)
    presence.seen("fresh", "host", 1, ["probe"], "2026-01-01T00:00:00Z")
    presence.seen("done", "host", 2, ["probe"], "2026-01-01T00:00:00Z", stopped=True)
    presence.seen("silent", "host", 3, ["probe"], "2026-01-01T00:00:00Z")
    old = (datetime.now(timezone.utc) - timedelta(seconds=STALE_AFTER_S + 5)).isoformat().replace("+00:00", "Z")
    presence.update("worker#silent", "worker", "SET last_seen = :at", {":at": old})
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint}

    # When `brandvis status` is asked without a job
    doc = json.loads(brandvis("status", "--json", env=env).stdout)
    table = brandvis("status", env=env).stdout

    # Then each worker has its state, and the silent one is stale
    assert {w["worker_id"]: w["state"] for w in doc} == {"fresh": "running", "done": "stopped", "silent": "stale"}
    rows = {line.split()[0]: line.split() for line in table.splitlines()[1:] if line.strip()}
    assert rows["silent"][3] == "stale", table


def test_help_and_version_import_nothing_heavy():
    # Given the CLI as a user starts it, When it is asked for help or its version
    script = ("import json, sys\nfrom cli.main import main\nsys.argv = ['brandvis', *sys.argv[1:]]\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "heavy = ('boto3', 'botocore', 'av', 'numpy', 'pandas', 'moto', 'rich', 'shared.jobs')\n"
              "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n")
    for args in (["--help"], ["train", "--help"], ["--version"]):
        proc = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        # Then it answers without loading AWS, video, array or table libraries
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.splitlines()[-1]) == [], args
    assert brandvis("--version").stdout.startswith("brandvis ")


def test_help_lists_every_closed_set_and_names_every_value():
    import re

    from cli.app import command
    from cli.choices import Backend, DatasetType, ExportFormat, Labeler, Stage
    from shared.labeling.exports import FORMATS
    from shared.labeling.task import LABELERS
    from shared.models.backend import BACKENDS
    from shared.models.dataset import TYPES
    from shared.names import STAGES

    # Given the CLI's closed sets, Then each is the set the requests accept
    for choice, source in ((Backend, BACKENDS), (DatasetType, TYPES), (Labeler, LABELERS), (ExportFormat, FORMATS),
                           (Stage, STAGES)):
        assert [c.value for c in choice] == list(source), choice

    # When every command's help is rendered
    def helps(cmd, parent=None, path=("brandvis",)):
        ctx = cmd.make_context(path[-1], [], parent=parent, resilient_parsing=True)
        yield " ".join(path), cmd.get_help(ctx)
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from helps(sub, ctx, path + (name,))

    pages = dict(helps(command()))
    # Then no value is shown as a bare type placeholder (<str>, <bool>, <float range>...)
    assert {p: re.findall(r"<[a-z_\[\] ]+>", text) for p, text in pages.items() if re.search(r"<[a-z_\[\] ]+>", text)} == {}
    # And the choices are listed where they are taken
    assert "--backend [local|rekognition]" in pages["brandvis train"].replace("<", "[").replace(">", "]")
    for page, choices in (("brandvis train", "object|concept"), ("brandvis train", "builtin|groundtruth"),
                          ("brandvis label export", "coco|groundtruth|yolo"), ("brandvis redrive", "|".join(STAGES))):
        assert choices in pages[page], (page, choices)


def test_a_value_outside_a_closed_set_is_one_clear_line(user_env):
    proc = brandvis("train", "--text", "acme", "--name", "x", "--backend", "cloud", env=user_env, check=False)
    assert proc.returncode == 2
    assert "Invalid value for '--backend'" in proc.stderr
    assert "'cloud' is not one of 'local', 'rekognition'" in proc.stderr
def _judged_report():
    """A report from a weak model that never saw Dynamo held out: Acme on screen 0.75-4.75 s."""
    import numpy as np

    from shared.detections import Detections
    from shared.report.build import build_report

    seen = Detections(np.array([[100.0, 100, 300, 200]]), [0.9], ["Acme"], (1280, 720))
    return build_report([(t / 2, seen) for t in range(2, 10)], duration_s=10.0, width=1280, height=720, fps=25.0,
                        sampled_fps=2.0, model={"name": "logos", "backend": "local", "version": 2},
                        min_confidence=0.5, labels=["Acme", "Dynamo"], gap_s=1.0, evaluation={
                            "f1": 0.46, "precision": 0.38, "recall": 0.6, "threshold": 0.5, "test_images": 12,
                            "per_label": {"Acme": {"precision": 0.9, "recall": 0.75, "f1": 0.82, "tp": 9, "fp": 1, "fn": 3},
                                          "Dynamo": {"precision": 0.0, "recall": 1.0, "f1": 0.0, "tp": 0, "fp": 3, "fn": 0}}})


def test_report_shows_the_models_quality_and_compares_with_the_truth(clients, config, tmp_path):
    from shared.report.compare import compare, parse_truth
    from tests.analysis_fixtures import stored_analysis

    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint}
    report = _judged_report()
    job_id = stored_analysis(clients, report)
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"screen_time_s": {"Acme": 5.0, "Dynamo": 0.0, "Cobalt": 2.0}, "absent": ["Dynamo"]}))
    # When a user asks for the report with the truth beside it
    text = brandvis("report", job_id, "--truth", str(truth), env=env).stdout
    # Then the model's held-out quality and its warnings come with the figures
    assert "held-out evaluation of logos v2: F1 0.46 (precision 0.38, recall 0.60) on 12 images" in text
    assert "per label: Acme 0.82 / 0.90 / 0.75 · Dynamo no held-out example" in text
    assert "warning: Dynamo: no held-out example — its screen time is unverified" in text
    acme = next(b for b in report["brands"] if b["label"] == "Acme")["uncertainty"]
    assert "likely true" in text and "unverified" in text
    assert f"0:{acme['low_s']:04.1f}–0:{acme['high_s']:04.1f}" in text
    # And the comparison: Acme 4 s reported of 5 s, Cobalt unknown to the model, Dynamo absent
    acme_row = next(line for line in text.splitlines() if line.strip().startswith("Acme ") and "5.00 s" in line)
    assert acme_row.split()[1:8] == ["4.00", "s", "5.00", "s", "-1.00", "s", "-20.0"]
    assert "mean absolute error over 1 present brand(s): 20.0 %" in text
    assert "in the truth but not known to the model: Cobalt" in text
    # The JSON form is the comparison itself
    as_json = json.loads(brandvis("report", job_id, "--truth", str(truth), "--json", env=env).stdout)
    assert as_json == compare(report, parse_truth(truth.read_text()))
    assert as_json["mean_abs_error_pct"] == 20.0 and as_json["absent_reported_s"] == {"Dynamo": 0.0}
    # A threshold below what the job's detections were kept down to is refused, naming that floor
    proc = brandvis("report", job_id, "--min-confidence", "0.3", env=env, check=False)
    assert proc.returncode == 2 and proc.stderr.strip() == (
        f"error: job {job_id} kept detections down to confidence 0.5 only, not 0.3: analyse the video again with "
        "--min-confidence 0.3 to look that low")


def test_report_with_a_bad_truth_file_names_the_problem(user_env, tmp_path):
    truth = tmp_path / "truth.json"
    truth.write_text('{"screen_time_s": {"Acme": "lots"}}')
    proc = brandvis("report", "20261201-120000-report", "--truth", str(truth), env=user_env, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == 'error: truth.json: screen_time_s.Acme is "lots", not a number of seconds >= 0'
    proc = brandvis("report", "20261201-120000-report", "--truth", str(tmp_path / "none.json"), env=user_env,
                    check=False)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: no such file: {tmp_path / 'none.json'}"


def test_a_report_written_before_the_quality_fields_prints_as_before(capsys):
    from cli.output import print_report
    from tests.test_report import OLD_REPORT

    print_report(OLD_REPORT)
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.strip().startswith("A "))
    # no range to show, no warning to give; first seen from the appearance (interval rule), not the old sample time
    assert row.split()[:4] == ["A", "0:01.0", "–", "100.0%"] and "0:00.8" in row and "0:01.8" in row
    assert "warning" not in text and "held-out" not in text
