"""`brandvis`: the command line. Each command is a thin shell over shared/ and workers/."""

from __future__ import annotations

import json
import os
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Optional

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from shared.config import Config, ConfigError
from shared.errors import JobError
from shared.jobs import FAILED, SUCCEEDED, Job, JobStore
from shared.messages import Sampling
from shared.models.backend import BackendError
from shared.models.store import ModelStore, ModelVersion
from shared.report.load import load_report
from shared.requests import MIN_FPS, RequestError, Requests
from shared.storage import Storage
from shared.stack.server import StackError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="brandvis: brand detection and screen-time analytics, self-hosted.")
stack_app = typer.Typer(no_args_is_help=True, help="The embedded local AWS stack.")
app.add_typer(stack_app, name="stack")

# Piped output (scripts, tests) gets wide lines instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def _config() -> Config:
    return Config.load()


# -- stack ----------------------------------------------------------------------------------
@stack_app.command("up")
def stack_up(port: Optional[int] = typer.Option(None, help="Port (default BRANDVIS_STACK_PORT or 4599)."),
             data_dir: Optional[Path] = typer.Option(None, help="State folder (default BRANDVIS_DATA_DIR)."),
             no_persist: bool = typer.Option(False, "--no-persist", help="Keep nothing on disk.")) -> None:
    """Start the local stack in the foreground (Ctrl-C stops it; state is kept in the data folder)."""
    import signal
    import threading

    from shared.stack.server import LocalStack
    from workers.middleware.log_context import configure_logging

    config = _config()
    if port is not None:
        config = config.replace(stack_port=port)
    if data_dir is not None:
        config = config.replace(data_dir=data_dir)
    if not config.is_local:
        raise StackError("BRANDVIS_MODE=aws: there is no local stack to start (terraform provisions AWS)")
    configure_logging(config.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stack = LocalStack(config, persist=not no_persist).start()
    err.print(f"local stack ready at {stack.endpoint} (data: {config.data_dir if not no_persist else 'not kept'})")
    stop.wait()
    stack.stop()
    err.print("local stack stopped; state saved")


@stack_app.command("status")
def stack_status() -> None:
    """Say whether a local stack answers, and where its data lives."""
    from shared.stack.server import health

    config = _config()
    state = health(config.endpoint or "") if config.is_local else None
    if not config.is_local:
        out.print(f"mode: aws (region {config.region}); no local stack is used")
    elif state is None:
        out.print(f"no local stack at {config.endpoint}")
        raise typer.Exit(1)
    else:
        out.print(f"local stack at {config.endpoint}: {'ready' if state.get('ready') else 'starting'}, "
                  f"pid {state.get('pid')}, data {state.get('data_dir') or 'not kept'}")


# -- worker ---------------------------------------------------------------------------------
@app.command()
def worker(stages: Optional[str] = typer.Option(None, help="Comma-separated stages (default: all implemented)."),
           concurrency: int = typer.Option(1, min=1, help="Messages processed at once.")) -> None:
    """Consume stage queues until SIGTERM/Ctrl-C (finishes the current messages, then stops)."""
    from shared.aws import make_clients
    from shared.stack.server import wait_until_ready
    from workers.middleware.log_context import configure_logging
    from workers.registry import implemented
    from workers.worker import Worker

    config = _config()
    configure_logging(config.log_level)
    wanted = [s.strip() for s in stages.split(",")] if stages else None
    if wanted:
        unknown = [s for s in wanted if s not in implemented()]
        if unknown:
            raise RequestError(f"unknown stage(s) {', '.join(unknown)}; implemented: {', '.join(implemented())}")
    wait_until_ready(config, timeout_s=120)
    Worker(make_clients(config), stages=wanted, concurrency=concurrency).run_forever()


# -- media tools ----------------------------------------------------------------------------
@app.command()
def probe(video: Path = typer.Argument(..., help="A video file.")) -> None:
    """Print stream info and the keyframe list as JSON (the seed's ffprobe fields)."""
    from shared.media.probe import probe_video

    _require_file(video)
    print(json.dumps(probe_video(video).to_ffprobe(), indent=2))


@app.command()
def frames(video: Path = typer.Argument(..., help="A video file."),
           out_dir: Path = typer.Option(..., "--out", help="Folder for the JPEGs."),
           keyframes: bool = typer.Option(False, "--keyframes", help="Every keyframe (training)."),
           fps: Optional[str] = typer.Option(None, help="Uniform sampling rate, e.g. 2 or 0.5.")) -> None:
    """Write frames to a folder with the same code the extract stage uses."""
    from shared.media.extraction import extract_segment
    from shared.media.frames import SegmentReader
    from shared.media.probe import probe_video
    from shared.media.segments import plan_segments

    _require_file(video)
    sampling = _sampling(fps, keyframes)
    started = time.perf_counter()
    info = probe_video(video)
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for segment in plan_segments(info, segment_seconds=1e9):
        reader = SegmentReader(video, segment, sampling, info.time_base, info.origin_pts, info.end_s, tiles=False)
        result = extract_segment(reader, lambda name, jpeg, _meta: (out_dir / f"{name}.jpg").write_bytes(jpeg),
                                 _config().jpeg_quality)
        count += len(result.frames)
        if result.stopped_early:
            err.print(f"[yellow]warning:[/] {result.stopped_early}")
    if info.truncation_warning:
        err.print(f"[yellow]warning:[/] {info.truncation_warning}")
    err.print(f"{count} frames ({sampling.slug}) written to {out_dir} in {time.perf_counter() - started:.2f} s")


@app.command("demo-data")
def demo_data(out_dir: Path = typer.Argument(..., help="Folder to write the sample data into."),
              seconds: float = typer.Option(60.0, min=5.0, help="Length of the sample video.")) -> None:
    """Write sample data to try brandvis with: 60 labeled frames (a Ground Truth manifest) and a
    1280x720 video with the same brands at known times (generated here, nothing downloaded)."""
    import json as _json

    from shared.models.synth.benchmark import export_ground_truth, make_benchmark
    from shared.models.synth.video import make_brand_video

    bench = make_benchmark(seed=7, n_test=0, photos=[])
    manifest = export_ground_truth(bench.train, out_dir / "labels")
    video = make_brand_video(out_dir / "match.mp4", bench.brands, bench.distractors, seconds=seconds,
                             size=(1280, 720), seed=2)
    truth = {b.name: round(video.screen_time(b.name), 2) for b in bench.brands}
    (out_dir / "truth.json").write_text(_json.dumps({"screen_time_s": truth, "absent": video.absent}, indent=1))
    err.print(f"labeled frames: {manifest}\nvideo: {video.path} ({seconds:g} s)\n"
              f"true screen times: {out_dir / 'truth.json'}\nnext: brandvis train {manifest} --name logos --wait")


# -- jobs -----------------------------------------------------------------------------------
@app.command()
def analyze(video: Path = typer.Argument(..., help="The video to analyse."),
            model: Optional[str] = typer.Option(None, help="Model name: adds detection and the visibility report."),
            model_version: Optional[int] = typer.Option(None, help="Model version (default: the newest trained)."),
            fps: str = typer.Option("2", help="Frames sampled per second (0.2 up to the video's rate)."),
            keyframes: bool = typer.Option(False, "--keyframes", help="Keyframes only: a quick look."),
            min_confidence: float = typer.Option(0.5, min=0.0, max=1.0, help="Detections below this are ignored."),
            gap: Optional[float] = typer.Option(None, help="Seconds: detections closer than this are one appearance."),
            report_out: Optional[Path] = typer.Option(None, "--out", help="Download the report JSON here (implies --wait)."),
            csv_dir: Optional[Path] = typer.Option(None, "--csv", help="Write brands.csv and appearances.csv here (implies --wait)."),
            segment_seconds: Optional[float] = typer.Option(None, help="Seconds of video per extract message."),
            wait: bool = typer.Option(False, "--wait", help="Show progress; exit 0 only if the job succeeds.")) -> None:
    """Analyse a video: probe -> frames per segment -> sprites; with --model, detection per segment
    and the visibility report (screen time, appearances, share, position, size) per brand."""
    _require_file(video)
    sampling = _sampling(None if keyframes else fps, keyframes)
    if (report_out or csv_dir) and model is None:
        raise RequestError("--out and --csv need --model: without a model there is no report")
    wait = wait or report_out is not None or csv_dir is not None
    from cli.stack_session import session

    config = _config()
    with session(config.replace(poll_wait_s=1) if wait else config, run_workers=wait) as clients:
        job = Requests(clients).analyze(video, sampling, segment_seconds, model=model, model_version=model_version,
                                        min_confidence=min_confidence, gap_s=gap)
        ref = job.request.get("detect", {}).get("model")
        err.print(f"job {job.job_id} queued ({video.name}, {sampling.slug}"
                  + (f", model {ref['name']} v{ref['model_version']})" if ref else ")"))
        if not wait:
            print(job.job_id)
            return
        final = _wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id)
        if final.status == SUCCEEDED and model:
            data = load_report(Storage(clients.s3, clients.names.bucket), final.job_id)
            _print_report(data)
            _save_report(data, report_out, csv_dir)
        _finish(final)


@app.command()
def report(job_id: str = typer.Argument(..., help="An analysis job id (`brandvis jobs`)."),
           report_out: Optional[Path] = typer.Option(None, "--out", help="Also save the report JSON here."),
           csv_dir: Optional[Path] = typer.Option(None, "--csv", help="Also write brands.csv and appearances.csv here."),
           appearances: bool = typer.Option(False, "--appearances", help="List every appearance too."),
           as_json: bool = typer.Option(False, "--json", help="Print the report JSON instead of tables.")) -> None:
    """Print an analysis job's visibility report as a table."""
    from cli.stack_session import session

    with session(_config(), quiet=True) as clients:
        job = JobStore(clients.dynamodb, clients.names.jobs_table).get_job(job_id)
        if job is None:
            raise RequestError(f"no job {job_id}; `brandvis jobs` lists them")
        if job.kind != "analyze" or "detect" not in job.request:
            raise RequestError(f"job {job_id} is not an analysis with a model: it has no report")
        if job.status != SUCCEEDED:
            raise RequestError(f"job {job_id} is {job.status}: the report exists once it has SUCCEEDED"
                               + (f" ({job.error})" if job.error else ""))
        data = load_report(Storage(clients.s3, clients.names.bucket), job_id)
    if as_json:
        print(json.dumps(data, indent=1))
    else:
        _print_report(data, appearances)
    _save_report(data, report_out, csv_dir)


def _print_report(data: dict, appearances: bool = False) -> None:
    from shared.report.tables import appearances_table, brands_table

    v, m = data["video"], data["model"]
    rate = f"{v['sampled_fps']:g} frames/s" if v["sampled_fps"] else "keyframes"
    out.print(f"{data['extras'].get('video_name', 'video')}: {v['duration_s']:.1f} s, {v['width']}x{v['height']}, "
              f"sampled at {rate}; model {m['name']} ({m['backend']}), min confidence {m['min_confidence']:g}")
    table = Table(box=None)
    for col in ("brand", "screen time", "share", "of video", "appearances", "first seen", "last seen", "solus",
                "confidence", "mean size", "prominence"):
        table.add_column(col, justify="left" if col == "brand" else "right", no_wrap=True)
    for r in brands_table(data).to_dict("records"):
        seen = r["screen_time_s"] > 0
        table.add_row(str(r["label"]), _clock(r["screen_time_s"]), f"{r['share_of_screen_time']:.1%}",
                      f"{(r['share_of_video'] or 0):.1%}", str(r["appearances"]),
                      _clock(r["first_seen_s"]) if seen else "–", _clock(r["last_seen_s"]) if seen else "–",
                      _clock(r["solus_time_s"] or 0), _num(r["mean_confidence"], "{:.2f}") if seen else "–",
                      _num(r["mean_area_pct"], "{:.1f} %") if seen else "–",
                      _num(r["prominence"], "{:.0f}") if seen else "–")
    out.print(table)
    if appearances:
        t = Table("brand", "#", "from", "to", "on screen", "confidence", "prominence", box=None)
        for r in appearances_table(data).to_dict("records"):
            t.add_row(str(r["label"]), str(r["appearance"]), _clock(r["start_s"]), _clock(r["end_s"]),
                      f"{r['screen_time_s']:.1f} s", _num(r["mean_confidence"], "{:.2f}"),
                      _num(r["prominence"], "{:.0f}"))
        out.print(t)


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None or value != value else fmt.format(value)


def _clock(seconds: float | None) -> str:
    """m:ss.s, how analysts read positions in a video."""
    if seconds is None or seconds != seconds:
        return "–"
    m, s = divmod(float(seconds), 60)
    return f"{int(m)}:{s:04.1f}"


def _save_report(data: dict, report_out: Path | None, csv_dir: Path | None) -> None:
    from shared.report.tables import write_csvs

    if report_out is not None:
        report_out.parent.mkdir(parents=True, exist_ok=True)
        report_out.write_text(json.dumps(data, indent=1))
        err.print(f"report written to {report_out}")
    if csv_dir is not None:
        paths = write_csvs(data, csv_dir)
        err.print(f"tables written: {', '.join(str(p) for p in paths)}")


@app.command()
def train(manifest: str = typer.Argument(..., help="Ground Truth output manifest (JSON lines) or COCO JSON; path or s3://"),
          name: str = typer.Option(..., "--name", help="Model name; each training adds a version."),
          kind: Optional[str] = typer.Option(None, "--type", help="object (boxes) or concept (whole frame)."),
          backend: str = typer.Option("local", help="local (this machine's CPU) or rekognition (AWS)."),
          wait: bool = typer.Option(False, "--wait", help="Show progress; exit 0 only if training succeeds.")) -> None:
    """Train a model version from a labeled manifest."""
    from cli.stack_session import session

    config = _config()
    with session(config.replace(poll_wait_s=1) if wait else config, run_workers=wait) as clients:
        job, mv = Requests(clients).train(manifest, name, kind, backend)
        err.print(f"job {job.job_id} queued: {name} version {mv.version} ({mv.type}, {backend}, "
                  f"{sum(mv.counts.values())} examples of {len(mv.labels)} labels)")
        if not wait:
            print(job.job_id)
            return
        final = _wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id)
        if final.status == SUCCEEDED:
            _print_version(ModelStore(clients.dynamodb, clients.names.jobs_table).get(name, mv.version))
        _finish(final)


@app.command()
def models(name: Optional[str] = typer.Argument(None, help="Only this model's versions.")) -> None:
    """List model versions: backend, status, examples, training time, evaluation."""
    from cli.stack_session import session

    with session(_config(), quiet=True) as clients:
        store = ModelStore(clients.dynamodb, clients.names.jobs_table)
        rows = store.list_versions(name) if name else store.list_all()
    table = Table(box=None)
    for col in ("model", "version", "backend", "type", "status", "labels", "train s", "F1", "P", "R", "created"):
        table.add_column(col, no_wrap=col != "labels", overflow="fold")
    for v in rows:
        m = v.metrics or {}
        scores = [f"{m[key]:.2f}" if key in m else "–" for key in ("f1", "precision", "recall")]
        table.add_row(v.name, str(v.version), v.backend, v.type, _status_text(v.status), ", ".join(v.labels),
                      f"{v.training_seconds:.0f}" if v.training_seconds else "–", *scores,
                      v.created_at[:19].replace("T", " "))
    out.print(table if rows else "no models yet: `brandvis train MANIFEST --name NAME`")


def _print_version(mv: ModelVersion | None) -> None:
    if mv is None or not mv.metrics:
        return
    m = mv.metrics
    err.print(f"{mv.name} v{mv.version}: F1 {m['f1']:.2f} (precision {m['precision']:.2f}, recall {m['recall']:.2f}) "
              f"on {m['test_images']} held-out images; trained in {mv.training_seconds or 0:.0f} s")
    for label, v in m.get("per_label", {}).items():
        if v.get("tp", 0) + v.get("fn", 0) == 0 and "fp" in v:  # recall means nothing without an example
            err.print(f"  {label:20s} no held-out example; {v['fp']} false detection(s)")
            continue
        err.print(f"  {label:20s} precision {v['precision']:.2f}  recall {v['recall']:.2f}  F1 {v['f1']:.2f}")


@app.command()
def jobs(limit: int = typer.Option(20, help="How many, newest first.")) -> None:
    """List jobs with their status and progress."""
    from cli.stack_session import session

    with session(_config(), quiet=True) as clients:
        rows = JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=limit)
    table = Table(box=None)
    table.add_column("job", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("video", overflow="fold")
    table.add_column("created", no_wrap=True)
    table.add_column("error", overflow="fold")
    for j in rows:
        video = (j.request.get("video") or {}).get("name", "")
        table.add_row(j.job_id, j.kind, _status_text(j.status), video, j.created_at[:19].replace("T", " "),
                      (j.error or "")[:80])
    out.print(table if rows else "no jobs yet")


@app.command()
def status(job_id: str = typer.Argument(..., help="A job id from `brandvis jobs`."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Show one job: per-stage progress, warnings, error, result."""
    from cli.stack_session import session

    with session(_config(), quiet=True) as clients:
        job = JobStore(clients.dynamodb, clients.names.jobs_table).get_job(job_id)
    if job is None:
        raise RequestError(f"no job {job_id}; `brandvis jobs` lists them")
    if as_json:
        print(json.dumps(_job_dict(job), indent=2))
        return
    out.print(f"job {job.job_id} ({job.kind}): {_status_text(job.status)}")
    video = job.request.get("video", {}).get("name")
    if video:
        facts = job.facts
        detail = f", {facts['duration_s']} s, {facts['width']}x{facts['height']}" if "duration_s" in facts else ""
        out.print(f"video: {video}{detail}")
    table = Table("stage", "done", "expected", "started", "finished", "last error", box=None)
    for stage in _stage_order(job):
        p = job.stages[stage]
        table.add_row(stage, str(p.done), "?" if p.expected is None else str(p.expected),
                      (p.started_at or "")[11:19], (p.finished_at or "")[11:19], (p.last_error or "")[:60])
    out.print(table)
    for w in job.warnings:
        out.print(f"[yellow]warning:[/] {w}")
    if job.error:
        out.print(f"[red]error:[/] {job.error}")
    if job.result:
        out.print_json(json.dumps(job.result))


@app.command()
def dashboard() -> None:
    """Run the Streamlit dashboard (bound to BRANDVIS_DASHBOARD_ADDRESS, 127.0.0.1 by default)."""
    config = _config()
    script = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    args = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", config.dashboard_address,
            "--server.port", str(config.dashboard_port), "--server.headless", "true", "--server.maxUploadSize", "8192", "--client.toolbarMode", "minimal",
            "--browser.gatherUsageStats", "false"]
    os.execv(sys.executable, args)


# -- helpers --------------------------------------------------------------------------------
def _require_file(path: Path) -> None:
    if not path.exists():
        raise RequestError(f"no such file: {path}")
    if not path.is_file():
        raise RequestError(f"not a file: {path}")


def _sampling(fps: str | None, keyframes: bool) -> Sampling:
    if keyframes:
        return Sampling.every_keyframe()
    if fps is None:
        raise RequestError("choose --keyframes or --fps N")
    try:
        rate = Fraction(fps)
    except (ValueError, ZeroDivisionError):
        raise RequestError(f"--fps must be a number like 2 or 0.5, not {fps!r}") from None
    if rate < MIN_FPS or rate > 240:
        raise RequestError(f"--fps must be between 0.2 and the video's frame rate, not {fps}")
    return Sampling.at_fps(rate)


def _stage_order(job: Job) -> list[str]:
    from shared.names import STAGES

    return [s for s in STAGES if s in job.stages]


def _status_text(status: str) -> str:
    colour = {SUCCEEDED: "green", FAILED: "red", "RUNNING": "cyan", "WAITING": "yellow"}.get(status, "white")
    return f"[{colour}]{status}[/]"


def _job_dict(job: Job) -> dict:
    return {"job_id": job.job_id, "kind": job.kind, "status": job.status, "created_at": job.created_at,
            "finished_at": job.finished_at, "error": job.error, "warnings": job.warnings, "facts": job.facts,
            "result": job.result, "stages": {s: {"expected": p.expected, "done": p.done, "metrics": p.metrics,
                                                 "last_error": p.last_error} for s, p in job.stages.items()}}


def _wait(store: JobStore, job_id: str) -> Job:
    """Progress bars per stage until the job ends (reads the job record; workers do the work)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars: dict[str, int] = {}
    with Progress(TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as progress:
        while True:
            job = store.get_job(job_id)
            if job is None:
                raise RequestError(f"job {job_id} disappeared")
            for stage in _stage_order(job):
                p = job.stages[stage]
                if stage not in bars:
                    bars[stage] = progress.add_task(stage, total=p.expected)
                progress.update(bars[stage], total=p.expected, completed=p.done)
            if job.finished:
                return job
            time.sleep(0.25)


def _finish(job: Job) -> None:
    for w in job.warnings:
        err.print(f"[yellow]warning:[/] {w}")
    if job.status == SUCCEEDED:
        result = job.result or {}
        if job.kind == "analyze":
            err.print(f"[green]job {job.job_id} succeeded[/]: {result.get('frames', 0)} frames in "
                      f"{result.get('segments', 0)} segments, {len(result.get('sprites', []))} sprite sheet(s)")
        else:
            err.print(f"[green]job {job.job_id} succeeded[/]")
        print(json.dumps(result, indent=2))
        return
    err.print(f"[red]job {job.job_id} failed:[/] {job.error}")
    raise typer.Exit(1)


def main() -> None:
    """Entry point: user errors become one clear line on stderr, never a traceback."""
    try:
        app()
    except (JobError, RequestError, StackError, ConfigError, BackendError) as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
    except (BotoCoreError, ClientError) as exc:
        err.print(f"[red]error:[/] AWS request failed: {exc}")
        sys.exit(3)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
