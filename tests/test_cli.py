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
