"""`brandvis analyze` and `brandvis report`: run an analysis, read its visibility report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from cli.commands import config as load_config
from cli.commands.media import require_file, sampling
from cli.output import err, escape, finish, print_campaign, print_comparison, print_report, wait, wait_many


def analyze(videos: list[Path] = typer.Argument(..., metavar="VIDEO", help="Videos, folders of videos or "
                                                 "glob patterns ('matches/*.mp4'): one job each."),
            model: Optional[str] = typer.Option(None, metavar="NAME", help="Model name: adds detection and the visibility report."),
            model_version: Optional[int] = typer.Option(None, metavar="N", help="Model version (default: the newest trained)."),
            fps: str = typer.Option("2", metavar="F", help="Frames sampled per second (0.2 up to the video's rate)."),
            keyframes: bool = typer.Option(False, "--keyframes", help="Keyframes only: a quick look."),
            min_confidence: float = typer.Option(0.5, min=0.0, max=1.0, metavar="C", help="Detections below this are ignored."),
            gap: Optional[float] = typer.Option(None, metavar="SECONDS", help="Seconds: detections closer than this are one appearance."),
            report_out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Download the report JSON here (implies --wait)."),
            csv_dir: Optional[Path] = typer.Option(None, "--csv", metavar="DIR", help="Write brands.csv and appearances.csv here (implies --wait)."),
            segment_seconds: Optional[float] = typer.Option(None, metavar="SECONDS", help="Seconds of video per extract message."),
            campaign: Optional[str] = typer.Option(None, metavar="NAME", help="Add the videos to this campaign "
                                                   "(made on first use): `brandvis report --campaign NAME` adds them up."),
            meta: Optional[str] = typer.Option(None, metavar="K=V,...", help="Meta for every video of the campaign: "
                                               "date=YYYY-MM-DD,event=...,channel=...,audience=..."),
            meta_csv: Optional[Path] = typer.Option(None, "--meta-csv", metavar="FILE", help="Meta per video: a CSV "
                                                    "with columns file,date,event,channel,audience (default: "
                                                    "campaign.csv next to the videos, if there is one)."),
            wait_: bool = typer.Option(False, "--wait", help="Show progress; exit 0 only if the job succeeds.")) -> None:
    """Analyse a video: probe -> frames per segment -> sprites; with --model, detection per segment
    and the visibility report (screen time, appearances, share, position, size) per brand. Several
    videos are one job each, all queued at once; --campaign reports them together."""
    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.storage import Storage
    from shared.submit import RequestError, Submitter, check_sampling

    paths = expand_videos(videos)
    chosen = sampling(None if keyframes else fps, keyframes)
    if (report_out or csv_dir) and model is None:
        raise RequestError("--out and --csv need --model: without a model there is no report")
    if len(paths) > 1 or campaign is not None or meta or meta_csv:
        return analyze_many(paths, chosen, campaign=campaign, meta=meta, meta_csv=meta_csv, model=model,
                            model_version=model_version, min_confidence=min_confidence, gap=gap,
                            segment_seconds=segment_seconds, report_out=report_out, csv_dir=csv_dir, wait_=wait_)
    video = paths[0]
    check_sampling(video, chosen)  # --fps above the video's rate: refused before any stack starts
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


#: What a folder or a glob pattern expands to (a file named on the command line is taken as it is).
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv"}
META_CSV = "campaign.csv"


def expand_videos(args: list[Path]) -> list[Path]:
    """Files as given, folders to their videos (by suffix, sorted), glob patterns the shell did not
    expand ('*.mp4' in quotes) to their matches; every path that leads nowhere is named at once."""
    import glob

    from shared.submit import RequestError

    found: list[Path] = []
    problems = []
    for arg in args:
        text = str(arg)
        if arg.is_dir():
            inside = sorted(p for p in arg.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
            if not inside:
                problems.append(f"no videos in folder {arg} ({', '.join(sorted(VIDEO_SUFFIXES))})")
            found += inside
        elif arg.is_file():
            found.append(arg)
        elif glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text) if Path(m).is_file()
                             and Path(m).suffix.lower() in VIDEO_SUFFIXES)
            if not matches:
                problems.append(f"no videos match {text}")
            found += matches
        else:
            problems.append(f"no such file: {arg}" if not arg.exists() else f"not a file: {arg}")
    if problems:
        raise RequestError("; ".join(problems))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return [next(p for p in found if p.resolve() == r) for r in unique]


def video_meta(paths: list[Path], meta: str | None, meta_csv: Path | None) -> tuple[dict[Path, dict[str, str]], list[Path]]:
    """Each video's meta: --meta for all, a CSV row (by file name) on top of it; and the CSVs read.
    The CSV is --meta-csv, or campaign.csv in the videos' folders. A row naming a file that is
    neither among the videos nor beside the CSV is an error (a typo); every problem is listed."""
    from shared.report.campaign import CampaignError, meta_csv_rows, parse_meta_option
    from shared.submit import RequestError

    problems: list[str] = []
    common: dict[str, str] = {}
    if meta:
        try:
            common = parse_meta_option(meta)
        except CampaignError as exc:
            problems.append(str(exc))
    if meta_csv is not None:
        require_file(meta_csv)
        sources = [meta_csv]
    else:
        sources = [f / META_CSV for f in dict.fromkeys(p.parent for p in paths) if (f / META_CSV).is_file()]
    by_name: dict[str, list[Path]] = {}
    for p in paths:
        by_name.setdefault(p.name, []).append(p)
    rows: dict[str, dict[str, str]] = {}
    for source in sources:
        found, wrong = meta_csv_rows(source.read_text(encoding="utf-8", errors="replace"), source.name)
        problems += wrong
        for name, row in found.items():
            if name not in by_name and not (source.parent / name).is_file():
                problems.append(f"{source.name}: no video named {name!r} among the videos given or beside the CSV")
            elif len(by_name.get(name, [])) > 1:
                problems.append(f"{source.name}: {name!r} names {len(by_name[name])} of the videos given (rename one)")
            elif name in rows:
                problems.append(f"{source.name}: {name} has meta in two CSVs")
            else:
                rows[name] = row
    if problems:
        raise RequestError("; ".join(problems))
    return {p: {**common, **rows.get(p.name, {})} for p in paths}, sources


def analyze_many(paths: list[Path], chosen: Any, *, campaign: str | None, meta: str | None, meta_csv: Path | None,
                 model: str | None, model_version: int | None, min_confidence: float, gap: float | None,
                 segment_seconds: float | None, report_out: Path | None, csv_dir: Path | None, wait_: bool) -> None:
    """Several videos (or a campaign's): everything checked first, then one job each, all queued
    at once (the workers take them in parallel); --wait shows a bar per video and one in total."""
    from cli.stack_session import session
    from shared.report.campaign import name_problem
    from shared.submit import RequestError, Submitter, check_sampling

    if len(paths) > 1 and (report_out or csv_dir):
        raise RequestError("--out and --csv take one video; for several, use --campaign NAME and "
                           "`brandvis report --campaign NAME --json / --csv DIR`")
    if campaign is None and (meta or meta_csv):
        raise RequestError("--meta and --meta-csv describe a campaign's videos: give --campaign NAME too")
    if campaign is not None:
        if model is None:
            raise RequestError("--campaign needs --model: a campaign adds up the videos' reports")
        problem = name_problem(campaign)
        if problem:
            raise RequestError(problem)
    metas, sources = video_meta(paths, meta, meta_csv) if campaign is not None else ({p: {} for p in paths}, [])
    problems = []
    for p in paths:  # --fps above a video's rate: refused for all before any stack starts
        try:
            check_sampling(p, chosen)
        except RequestError as exc:
            problems.append(str(exc))
    if problems:
        raise RequestError("; ".join(problems))
    for source in sources:
        err.print(f"meta from {source}")
    waiting = wait_ or report_out is not None or csv_dir is not None
    config = load_config()
    with session(config.replace(poll_wait_s=1) if waiting else config, run_workers=waiting) as clients:
        submitter = Submitter(clients)
        jobs = []
        for p in paths:
            job = submitter.analyze(p, chosen, segment_seconds, model=model, model_version=model_version,
                                    min_confidence=min_confidence, gap_s=gap, campaign=campaign, meta=metas[p] or None)
            jobs.append(job)
            err.print(f"job {job.job_id} queued ({p.name}, {chosen.slug}"
                      + (f", campaign {campaign})" if campaign else ")"))
        if not waiting:
            for job in jobs:
                print(job.job_id)
            return
        from shared.jobs import FAILED, SUCCEEDED, JobStore

        finals = wait_many(JobStore(clients.dynamodb, clients.names.jobs_table), jobs)
        if len(finals) == 1 and model and finals[0].status == SUCCEEDED:
            from shared.storage import Storage

            data = load_report(Storage(clients.s3, clients.names.bucket), finals[0].job_id)
            print_report(data)
            save_report(data, report_out, csv_dir)
        if campaign is not None:
            from shared.campaigns import campaign_report

            print_campaign(campaign_report(clients, campaign))
    for j in finals:
        print(j.job_id)
    failed = [j for j in finals if j.status == FAILED]
    for j in failed:
        err.print(f"[red]job {j.job_id} failed[/] ({escape(j.request['video']['name'])}): {escape(j.error or '')}")
    err.print(f"{len(finals) - len(failed)} of {len(finals)} job(s) succeeded")
    if failed:
        raise typer.Exit(1)


def report(job_id: Optional[str] = typer.Argument(None, metavar="JOB", help="An analysis job id (`brandvis jobs`)."),
           report_out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Also save the report JSON here."),
           csv_dir: Optional[Path] = typer.Option(None, "--csv", metavar="DIR", help="Also write brands.csv and appearances.csv here "
                                                  "(a campaign: brands, videos, per_video, over_time)."),
           xlsx: Optional[Path] = typer.Option(None, "--xlsx", metavar="FILE", help="Also write the tables as one workbook."),
           campaign: Optional[str] = typer.Option(None, metavar="NAME", help="A campaign's report instead of one "
                                                  "job's: every video added up (`brandvis analyze ... --campaign`)."),
           rate: Optional[float] = typer.Option(None, min=0.0, metavar="R", help="With --campaign: media value at R "
                                                "per 30 s of prominence-weighted exposure (BRANDVIS_CURRENCY)."),
           appearances: bool = typer.Option(False, "--appearances", help="List every appearance too."),
           truth: Optional[Path] = typer.Option(None, "--truth", help="True screen times "
                                                '({"screen_time_s": {brand: s}, "absent": [...]}, as demo-data '
                                                "writes): compare the report with them."),
           as_json: bool = typer.Option(False, "--json", help="Print the report JSON instead of tables "
                                                             "(with --truth: the comparison JSON).")) -> None:
    """Print an analysis job's visibility report as a table; with --truth, how far it is from the truth.
    With --campaign, the campaign's report: brands over all its videos, failed ones listed."""
    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.storage import Storage
    from shared.submit import RequestError

    if (job_id is None) == (campaign is None):
        raise RequestError("give a JOB or --campaign NAME (one of the two)")
    if campaign is not None:
        return campaign_command(campaign, rate=rate, as_json=as_json, report_out=report_out, csv_dir=csv_dir,
                                xlsx=xlsx, truth=truth)
    if rate is not None:
        raise RequestError("--rate prices a campaign (--campaign NAME); the Results page prices one video")
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
    if xlsx is not None:
        from shared.report.tables import xlsx_bytes

        _write_bytes(xlsx, xlsx_bytes(data))


def campaign_command(name: str, *, rate: float | None, as_json: bool, report_out: Path | None,
                     csv_dir: Path | None, xlsx: Path | None, truth: Path | None) -> None:
    from cli.stack_session import session
    from shared.campaigns import campaign_report
    from shared.report.campaign import check_name
    from shared.submit import RequestError

    if truth is not None:
        raise RequestError("--truth compares one video's report: give its JOB, not --campaign")
    check_name(name)  # before any stack starts
    with session(load_config(), quiet=True) as clients:
        data = campaign_report(clients, name, rate_per_30s=rate)
    if as_json:
        print(json.dumps(data, indent=1))
    else:
        print_campaign(data)
    if report_out is not None:
        _write_bytes(report_out, json.dumps(data, indent=1).encode())
    if csv_dir is not None:
        from shared.report.campaign_tables import write_campaign_csvs

        paths = write_campaign_csvs(data, csv_dir)
        err.print(f"tables written: {', '.join(str(p) for p in paths)}")
    if xlsx is not None:
        from shared.report.campaign_tables import campaign_xlsx_bytes

        _write_bytes(xlsx, campaign_xlsx_bytes(data))


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    err.print(f"written: {path}")


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
