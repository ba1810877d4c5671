"""What the CLI prints: consoles, tables, clocks, progress bars. Commands decide, this formats."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich and the stores load when a command prints, not for `--help`
    from rich.console import Console

    from shared.jobs import Job, JobStore
    from shared.models.store import ModelVersion


class LazyConsole:
    """A rich Console made on first use. Piped output (scripts, tests) gets wide lines instead of
    rich's 80-column default."""

    def __init__(self, stderr: bool) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    def get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            stream = sys.stderr if self.stderr else sys.stdout
            self._console = Console(stderr=self.stderr, width=None if stream.isatty() else 200)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


out = LazyConsole(stderr=False)
err = LazyConsole(stderr=True)


def escape(text: str) -> str:
    """rich's markup escape, imported on first use."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def Table(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - rich's Table, imported on first use
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


def clock(seconds: float | None) -> str:
    """m:ss.s, how analysts read positions in a video."""
    if seconds is None or seconds != seconds:
        return "–"
    m, s = divmod(float(seconds), 60)
    return f"{int(m)}:{s:04.1f}"


def num(value: float | None, fmt: str) -> str:
    return "–" if value is None or value != value else fmt.format(value)


def status_text(status: str) -> str:
    from shared.jobs import FAILED, RUNNING, SUCCEEDED, WAITING

    colour = {SUCCEEDED: "green", FAILED: "red", RUNNING: "cyan", WAITING: "yellow"}.get(status, "white")
    return f"[{colour}]{status}[/]"


def print_report(data: dict[str, Any], appearances: bool = False) -> None:
    from shared.report.quality import evaluation_line, per_label_line
    from shared.report.tables import appearances_table, brands_table

    v, m = data["video"], data["model"]
    rate = f"{v['sampled_fps']:g} frames/s" if v["sampled_fps"] else "keyframes"
    out.print(f"{data['extras'].get('video_name', 'video')}: {v['duration_s']:.1f} s, {v['width']}x{v['height']}, "
              f"sampled at {rate}; model {m['name']} ({m['backend']}), min confidence {m['min_confidence']:g}")
    for line in (evaluation_line(m), per_label_line(m)):
        if line:
            out.print(escape(line))
    for w in m.get("warnings", []):
        out.print(f"[yellow]warning:[/] {escape(w)}")
    table = Table(box=None)
    for col in ("brand", "screen time", "likely true", "share", "of video", "appearances", "first seen", "last seen",
                "solus", "confidence", "mean size", "prominence"):
        table.add_column(col, justify="left" if col == "brand" else "right", no_wrap=True)
    has_ranges = any("uncertainty" in b for b in data["brands"])  # older reports have none
    for r in brands_table(data).to_dict("records"):
        seen = r["screen_time_s"] > 0
        table.add_row(str(r["label"]), clock(r["screen_time_s"]), true_range(r, has_ranges),
                      f"{r['share_of_screen_time']:.1%}",
                      f"{(r['share_of_video'] or 0):.1%}", str(r["appearances"]),
                      clock(r["first_seen_s"]) if seen else "–", clock(r["last_seen_s"]) if seen else "–",
                      clock(r["solus_time_s"] or 0), num(r["mean_confidence"], "{:.2f}") if seen else "–",
                      num(r["mean_area_pct"], "{:.1f} %") if seen else "–",
                      num(r["prominence"], "{:.0f}") if seen else "–")
    out.print(table)
    if appearances:
        t = Table("brand", "#", "from", "to", "on screen", "confidence", "prominence", box=None)
        for r in appearances_table(data).to_dict("records"):
            t.add_row(str(r["label"]), str(r["appearance"]), clock(r["start_s"]), clock(r["end_s"]),
                      f"{r['screen_time_s']:.1f} s", num(r["mean_confidence"], "{:.2f}"), num(r["prominence"], "{:.0f}"))
        out.print(t)


def true_range(row: dict[str, Any], has_uncertainty: bool) -> str:
    """The range of true screen time the held-out figures imply; 'unverified' without them."""
    low, high = row.get("true_low_s"), row.get("true_high_s")
    if low is None or high is None or low != low or high != high:
        return "unverified" if has_uncertainty else "–"
    return f"{clock(low)}–{clock(high)}"


def print_comparison(result: dict[str, Any]) -> None:
    """A report against the truth: per brand, then the mean absolute % error and false seconds."""
    t = Table("brand", "reported", "true", "error", "error %", "in range", box=None, title="against the truth")
    for r in result["brands"]:
        t.add_row(str(r["label"]) + ("" if r["present"] else " (absent)"), num(r["reported_s"], "{:.2f} s"),
                  f"{r['true_s']:.2f} s", num(r["error_s"], "{:+.2f} s"), num(r["error_pct"], "{:+.1f} %"),
                  {True: "yes", False: "no", None: "–"}[r["true_in_range"]])
    out.print(t)
    mape = result["mean_abs_error_pct"]
    out.print(f"mean absolute error over {result['present_brands']} present brand(s): " + num(mape, "{:.1f} %"))
    if result["absent_reported_s"]:
        total = result["absent_reported_total_s"]
        out.print(f"absent brands reported for {total:.2f} s" + (", all of it false (" if total else " (")
                  + ", ".join(f"{k} {v:.2f} s" if v else k for k, v in result["absent_reported_s"].items()) + ")")
    for key, what in (("not_in_model", "in the truth but not known to the model"),
                      ("not_in_truth", "reported but not in the truth file")):
        if result[key]:
            out.print(f"{what}: {', '.join(result[key])}")


def print_version(mv: ModelVersion | None) -> None:
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


def labeling_line(job: Job, labeling: dict[str, Any]) -> str:
    """Where the labels stand, and where to give them."""
    head = f"labeling job {labeling['name']} ({labeling['labeler']}, {labeling['status']})"
    if labeling["labeler"] != "builtin":
        return f"{head}: {labeling['total']} frames on SageMaker Ground Truth (its console shows the workers' progress)"
    per_label = ", ".join(f"{k} {v}" for k, v in sorted(labeling.get("per_label", {}).items())) or "none yet"
    line = f"{head}: {labeling.get('done', 0)} of {labeling['total']} frames done; examples per label: {per_label}"
    if job.status == "WAITING":
        line += (f"\n  label them on the dashboard's Label page (/label?job={job.job_id}) and press Finish, or "
                 f"bring another tool's labels: `brandvis label import {job.job_id} FILE`")
    return line


def job_dict(job: Job) -> dict[str, Any]:
    return {"job_id": job.job_id, "kind": job.kind, "status": job.status, "created_at": job.created_at,
            "finished_at": job.finished_at, "error": job.error, "warnings": job.warnings,
            "video": job.video.model_dump() if job.video else None, "outputs": job.outputs,
            "result": job.result, "stages": {s: {"expected": p.expected, "done": p.done, "metrics": p.metrics,
                                                 "last_error": p.last_error} for s, p in job.stages.items()}}


def wait(jobs: JobStore, job_id: str) -> Job:
    """Progress bars per stage until the job ends (reads the job record; workers do the work), and
    the frames labeled while it waits for people."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from shared.jobs import counter_name, ordered_counters
    from shared.labeling.store import LabelStore, job_labeling

    labels = LabelStore(jobs.ddb, jobs.table)

    bars: dict[str, Any] = {}
    with Progress(TextColumn("{task.description:>11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err.get(), transient=False) as progress:
        while True:
            job = jobs.get_job(job_id)
            if job is None:
                raise RuntimeError(f"job {job_id} disappeared")
            for stage in ordered_counters(job):
                p = job.stages[stage]
                if stage not in bars:
                    bars[stage] = progress.add_task(counter_name(job, stage), total=p.expected)
                progress.update(bars[stage], total=p.expected, completed=p.done)
            if job.status == "WAITING" and labels is not None:
                done = job_labeling(labels, job.outputs)
                if done and "done" in done:
                    if "labeling" not in bars:
                        bars["labeling"] = progress.add_task("labeling", total=done["total"])
                    progress.update(bars["labeling"], total=done["total"], completed=done["done"])
            if job.finished:
                return job
            time.sleep(0.25)


def wait_many(jobs: JobStore, started: list[Job]) -> list[Job]:
    """One bar per job (its stage messages done of expected, growing as the job fans out) and
    one for the jobs finished, until all have ended. Finished jobs are not read again."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    pending = {j.job_id: j for j in started}
    finals: dict[str, Job] = {}
    interval = max(0.5, len(started) / 40)  # two reads per job per round: keep the table's load flat
    with Progress(TextColumn("{task.description:>24}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), console=err.get(), transient=False) as progress:
        total = progress.add_task("all videos", total=len(started), status="")
        bars = {j.job_id: progress.add_task(_short(j.request.get("video", {}).get("name", j.job_id)), total=None,
                                            status=j.status) for j in started}
        while pending:
            for job_id in list(pending):
                job = jobs.get_job(job_id)
                if job is None:
                    raise RuntimeError(f"job {job_id} disappeared")
                expected = sum(p.expected or 0 for p in job.stages.values())
                done = sum(p.done for p in job.stages.values())
                progress.update(bars[job_id], total=max(expected, 1), completed=min(done, max(expected, 1)),
                                status=status_text(job.status))
                if job.finished:
                    finals[job_id] = job
                    del pending[job_id]
            progress.update(total, completed=len(finals))
            if pending:
                time.sleep(interval)
    return [finals[j.job_id] for j in started]


def _short(name: str, width: int = 24) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def print_campaign(data: dict[str, Any]) -> None:
    """A campaign's brands, then every video left out of the totals and why."""
    from shared.report.campaign import currency_decimals
    from shared.report.campaign_tables import brands_table

    t = data["totals"]
    out.print(f"campaign {escape(data['campaign'])}: {t['videos']} video(s), {clock(t['duration_s'])} of video, "
              f"{clock(t['screen_time_s'])} of brand exposure"
              + (f"; {t['videos_failed']} failed" if t["videos_failed"] else "")
              + (f"; {t['videos_pending']} still running" if t["videos_pending"] else ""))
    priced = data["rate_per_30s"] is not None
    money = f"{{:,.{currency_decimals(data['currency'])}f}}"
    table = Table(box=None)
    cols = ["brand", "screen time", "share of voice", "exposures", "weighted", "videos", "best video", "worst video"]
    for col in cols + ([f"value ({data['currency']})"] if priced else []):
        table.add_column(col, justify="left" if col in ("brand", "best video", "worst video") else "right",
                         no_wrap=True)
    for r in brands_table(data).to_dict("records"):
        best = "–" if r["best_video"] is None or r["best_video"] != r["best_video"] else \
            f"{escape(r['best_video'])} ({r['best_video_s']:.1f} s)"
        worst = "–" if r["worst_video"] is None or r["worst_video"] != r["worst_video"] else \
            f"{escape(r['worst_video'])} ({r['worst_video_s']:.1f} s)"
        row = [escape(str(r["brand"])), clock(r["screen_time_s"]), f"{r['share_of_voice']:.1%}", str(r["exposures"]),
               clock(r["prominence_weighted_s"]), str(r["videos"]), best, worst]
        table.add_row(*row, *([num(r["media_value"], money)] if priced else []))
    out.print(table)
    if priced:
        out.print(f"media value: {money.format(t['media_value'])} {data['currency']} at "
                  f"{data['rate_per_30s']:g} per 30 s of " + {"prominence_weighted_s": "prominence-weighted exposure"}.get(
                      data["media_value_basis"], "screen time"))
    if t["videos_without_date"]:
        out.print(f"{t['videos_without_date']} video(s) without a date: in the totals, not over time")
    for v in data["videos"]:
        if v["status"] != "succeeded":
            what = "[red]failed[/]" if v["status"] == "failed" else "[cyan]running[/]"
            out.print(f"{what} {escape(v['video'])} (job {v['job_id']}): {escape(v['reason'] or '')} — not counted")


def finish(job: Job) -> None:
    """The job's end on stderr, its result as JSON on stdout; exit 1 when it failed."""
    import typer

    from shared.jobs import SUCCEEDED

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
