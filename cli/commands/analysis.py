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
            force: bool = typer.Option(False, "--force", help="Overwrite --out/--csv files brandvis did not write."),
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
    check_outputs(report_out, csv_dir, force)  # before any work: a refused path costs nothing
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
           force: bool = typer.Option(False, "--force", help="Overwrite --out/--csv files brandvis did not write."),
           truth: Optional[Path] = typer.Option(None, "--truth", help="True screen times "
                                                '({"screen_time_s": {brand: s}, "absent": [...]}, as demo-data '
                                                "writes): compare the report with them."),
           as_json: bool = typer.Option(False, "--json", help="Print the report JSON instead of tables "
                                                             "(with --truth: the comparison JSON).")) -> None:
    """Print an analysis job's visibility report as a table; with --truth, how far it is from the truth."""
    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.storage import Storage
    from shared.submit import RequestError

    known = read_truth(truth) if truth is not None else None  # a bad file fails before the stack starts
    check_outputs(report_out, csv_dir, force)
    with session(load_config(), quiet=True) as clients:
        job = JobStore(clients.dynamodb, clients.names.jobs_table).get_job(job_id)
        if job is None:
            raise RequestError(f"no job {job_id}; `brandvis jobs` lists them")
        if job.kind != "analyze" or "detect" not in job.request:
            raise RequestError(f"job {job_id} is not an analysis with a model: it has no report")
        if job.status != SUCCEEDED:
            raise RequestError(f"job {job_id} is {job.status}: the report exists once it has SUCCEEDED"
                               + (f" ({job.error})" if job.error else ""))
        data = load_report(Storage(clients.s3, clients.names.bucket), job_id)
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


def check_outputs(report_out: Path | None, csv_dir: Path | None, force: bool) -> None:
    """--out names one file, --csv a folder that gets only brands.csv and appearances.csv: neither
    replaces a file brandvis did not write (a link, someone's spreadsheet) without --force."""
    from cli.files import csv_table, refuse_clobber, report_json
    from shared.report.tables import TABLE_COLUMNS

    if report_out is not None:
        refuse_clobber(report_out, report_json, force)
    if csv_dir is not None:
        refuse_clobber(csv_dir, lambda p: p.is_dir(), force)
        for name, columns in TABLE_COLUMNS.items():
            refuse_clobber(csv_dir / f"{name}.csv", csv_table(columns), force)


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
