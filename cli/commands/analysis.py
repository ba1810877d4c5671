"""`brandvis analyze` and `brandvis report`: run an analysis, read its visibility report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from cli.commands import config as load_config
from cli.commands.media import require_file, sampling
from cli.output import err, finish, print_comparison, print_report, wait


def analyze(video: Path = typer.Argument(..., metavar="VIDEO", help="The video to analyse."),
            model: Optional[str] = typer.Option(None, metavar="NAME", help="Model name: adds detection and the visibility report."),
            model_version: Optional[int] = typer.Option(None, metavar="N", help="Model version (default: the newest trained)."),
            fps: str = typer.Option("2", metavar="F", help="Frames sampled per second (0.2 up to the video's rate)."),
            keyframes: bool = typer.Option(False, "--keyframes", help="Keyframes only: a quick look."),
            min_confidence: float = typer.Option(0.5, min=0.0, max=1.0, metavar="C", help="Detections below this are ignored."),
            gap: Optional[float] = typer.Option(None, metavar="SECONDS", help="Seconds: detections closer than this are one appearance."),
            report_out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Download the report JSON here (implies --wait)."),
            csv_dir: Optional[Path] = typer.Option(None, "--csv", metavar="DIR", help="Write brands.csv and appearances.csv here (implies --wait)."),
            segment_seconds: Optional[float] = typer.Option(None, metavar="SECONDS", help="Seconds of video per extract message."),
            wait_: bool = typer.Option(False, "--wait", help="Show progress; exit 0 only if the job succeeds.")) -> None:
    """Analyse a video: probe -> frames per segment -> sprites; with --model, detection per segment
    and the visibility report (screen time, appearances, share, position, size) per brand."""
    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.storage import Storage
    from shared.submit import RequestError, Submitter, check_sampling

    require_file(video)
    chosen = sampling(None if keyframes else fps, keyframes)
    check_sampling(video, chosen)  # --fps above the video's rate: refused before any stack starts
    if (report_out or csv_dir) and model is None:
        raise RequestError("--out and --csv need --model: without a model there is no report")
    waiting = wait_ or report_out is not None or csv_dir is not None
    config = load_config()
    with session(config.replace(poll_wait_s=1) if waiting else config, run_workers=waiting) as clients:
        job = Submitter(clients).analyze(video, chosen, segment_seconds, model=model, model_version=model_version,
                                         min_confidence=min_confidence, gap_s=gap)
        ref = job.request.get("detect", {}).get("model")
        err.print(f"job {job.job_id} queued ({video.name}, {chosen.slug}"
                  + (f", model {ref['name']} v{ref['model_version']})" if ref else ")"))
        if not waiting:
            print(job.job_id)
            return
        final = wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id)
        if final.status == SUCCEEDED and model:
            data = load_report(Storage(clients.s3, clients.names.bucket), final.job_id)
            print_report(data)
            save_report(data, report_out, csv_dir)
        finish(final)


def report(job_id: str = typer.Argument(..., metavar="JOB", help="An analysis job id (`brandvis jobs`)."),
           report_out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Also save the report JSON here."),
           csv_dir: Optional[Path] = typer.Option(None, "--csv", metavar="DIR", help="Also write brands.csv and appearances.csv here."),
           appearances: bool = typer.Option(False, "--appearances", help="List every appearance too."),
           truth: Optional[Path] = typer.Option(None, "--truth", help="True screen times "
                                                '({"screen_time_s": {brand: s}, "absent": [...]}, as demo-data '
                                                "writes): compare the report with them."),
           as_json: bool = typer.Option(False, "--json", help="Print the report JSON instead of tables "
                                                             "(with --truth: the comparison JSON)."),
           min_confidence: Optional[float] = typer.Option(None, min=0.0, max=1.0, metavar="C", help="Rebuild the "
                                                          "report at this threshold from the job's stored detections "
                                                          "(no new detection; down to the floor they were kept to).")
           ) -> None:
    """Print an analysis job's visibility report as a table; with --truth, how far it is from the truth;
    with --min-confidence, at another threshold."""
    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.models.store import ModelStore
    from shared.storage import Storage
    from shared.submit import RequestError

    known = read_truth(truth) if truth is not None else None  # a bad file fails before the stack starts
    with session(load_config(), quiet=True) as clients:
        job = JobStore(clients.dynamodb, clients.names.jobs_table).get_job(job_id)
        if job is None:
            raise RequestError(f"no job {job_id}; `brandvis jobs` lists them")
        if job.kind != "analyze" or "detect" not in job.request:
            raise RequestError(f"job {job_id} is not an analysis with a model: it has no report")
        if job.status != SUCCEEDED:
            raise RequestError(f"job {job_id} is {job.status}: the report exists once it has SUCCEEDED"
                               + (f" ({job.error})" if job.error else ""))
        storage = Storage(clients.s3, clients.names.bucket)
        if min_confidence is None:
            data = load_report(storage, job_id)
        else:
            data = rethreshold(storage, ModelStore(clients.dynamodb, clients.names.jobs_table), job, min_confidence)
    if known is not None:
        from shared.report.compare import compare

        result = compare(data, known)
        if as_json:
            print(json.dumps(result, indent=1))
        else:
            print_report(data, appearances)
            print_comparison(result)
    elif as_json:
        print(json.dumps(data, indent=1))
    else:
        print_report(data, appearances)
    save_report(data, report_out, csv_dir)


def rethreshold(storage: Any, models: Any, job: Any, min_confidence: float) -> dict[str, Any]:
    """The job's report at `min_confidence`, saying on stderr what it was rebuilt from."""
    from shared import job_report
    from shared.submit import RequestError

    try:
        data = job_report.rethreshold(storage, models, job, min_confidence)
    except job_report.ThresholdError as exc:
        raise RequestError(str(exc)) from None
    ran_at = job.request["detect"]["min_confidence"]
    err.print(f"report rebuilt at min confidence {min_confidence:g} from the stored detections (the job ran at "
              f"{ran_at:g}; its detections go down to {job_report.floor(job.request):g})")
    return data


def read_truth(path: Path) -> dict[str, Any]:
    from shared.report.compare import TruthError, parse_truth
    from shared.submit import RequestError

    require_file(path)
    try:
        return parse_truth(path.read_text(errors="replace"), path.name)
    except TruthError as exc:
        raise RequestError(str(exc)) from None


def load_report(storage: Any, job_id: str) -> dict[str, Any]:
    from shared import layout

    return storage.get_json(layout.report_key(job_id))


def save_report(data: dict[str, Any], report_out: Path | None, csv_dir: Path | None) -> None:
    from shared.report.tables import write_csvs

    if report_out is not None:
        report_out.parent.mkdir(parents=True, exist_ok=True)
        report_out.write_text(json.dumps(data, indent=1))
        err.print(f"report written to {report_out}")
    if csv_dir is not None:
        paths = write_csvs(data, csv_dir)
        err.print(f"tables written: {', '.join(str(p) for p in paths)}")


def register(app: typer.Typer) -> None:
    app.command()(analyze)
    app.command()(report)
