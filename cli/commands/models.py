"""`brandvis train`, `brandvis models`, `brandvis start-model` / `stop-model`."""

from __future__ import annotations

from typing import Optional

import typer

from cli.choices import Backend, DatasetType, Labeler, value
from cli.commands import config as load_config
from cli.output import err, finish, out, print_version, status_text, wait


def train(sources: Optional[list[str]] = typer.Argument(None, metavar="MANIFEST | FILE...",
                                                        help="A Ground Truth output manifest (JSON lines) or COCO "
                                                             "JSON, path or s3://; with --media, the videos and images "
                                                             "to label. Leave out with --text alone."),
          name: str = typer.Option(..., "--name", metavar="NAME", help="Model name; each training adds a version."),
          media: bool = typer.Option(False, "--media", help="Train from raw videos/images: frames are extracted and "
                                     "labeled first (the job WAITS for the labels)."),
          labels: Optional[str] = typer.Option(None, "--labels", metavar="A,B,C", help="With --media: the labels, \"A,B,C\" (1-16 "
                                               "characters each)."),
          labeler: Optional[Labeler] = typer.Option(None, "--labeler", help="With --media: builtin (the dashboard's "
                                                    "Label page, default) or groundtruth (SageMaker Ground Truth, "
                                                    "AWS)."),
          fps: Optional[str] = typer.Option(None, "--fps", metavar="F", help="With --media: label N frames a second instead of "
                                            "the keyframes."),
          keyframes: bool = typer.Option(False, "--keyframes", help="With --media: label the keyframes (default; at "
                                         "most 1,200 a video, evenly thinned)."),
          prelabel: Optional[str] = typer.Option(None, "--prelabel", metavar="MODEL[:V]|none", help="With --media: MODEL[:VERSION] whose "
                                                 "detections are proposed, or none (default: this model's newest)."),
          kind: Optional[DatasetType] = typer.Option(None, "--type", help="object (boxes) or concept (whole frame); "
                                                     "default: as the manifest says."),
          backend: Backend = typer.Option(Backend.local, help="local (this machine's CPU) or rekognition (AWS)."),
          text: Optional[str] = typer.Option(None, "--text", metavar="WORDS", help="Without MANIFEST: a text-only model from brand "
                                             "names, \"voltix,norda,axiom-labs=AXIOM LABS\". With one: what labels "
                                             "read as, \"Dynamo=DYNAMO\" (else learned from their boxes)."),
          wait_: bool = typer.Option(False, "--wait", help="Show progress; exit 0 only if training succeeds.")) -> None:
    """Train a model version from a labeled manifest, from raw media labeled first (--media), or from brand
    names alone (--text)."""
    from pathlib import Path

    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.models.store import ModelStore
    from shared.models.text.match import parse_words
    from shared.submit import RequestError, Submitter, parse_fps

    kind_, backend_, labeler_ = value(kind), backend.value, value(labeler)  # plain strings for the request
    if media:
        if not sources:
            raise RequestError("--media: give the videos and images to label")
        if not labels:
            raise RequestError("--media: give the labels to draw, --labels \"A,B,C\"")
        if fps and keyframes:
            raise RequestError("choose --fps or --keyframes, not both")
    elif labels or labeler or fps or keyframes or prelabel:
        raise RequestError("--labels, --labeler, --fps, --keyframes and --prelabel go with --media FILE...")
    elif sources and len(sources) > 1:
        raise RequestError(f"one MANIFEST, not {len(sources)} files (videos and images to label: --media)")
    manifest = sources[0] if sources and not media else None
    if manifest is None and text is None and not media:
        raise RequestError("give a MANIFEST of labeled images, --media FILE... --labels A,B to label raw media, "
                           "or --text \"brand,brand=WORDS\" for a text-only model")
    try:
        words = parse_words(text) if text and manifest is not None else None
    except ValueError as exc:
        raise RequestError(f"--text: {exc}") from None
    config = load_config()
    with session(config.replace(poll_wait_s=1) if wait_ else config, run_workers=wait_) as clients:
        submit = Submitter(clients)
        if media:
            assert sources is not None and labels is not None
            job, mv = submit.train_media([Path(s) for s in sources], labels, name, kind_ or "object", labeler_, backend_,
                                         parse_fps(fps) if fps else None, prelabel)
            err.print(f"job {job.job_id} queued: {name} version {mv.version} ({mv.type}, {backend_}) from "
                      f"{len(sources)} file(s); it WAITS while the frames are labeled "
                      f"({job.request['labeler']} labeler: `brandvis status {job.job_id}`)")
        elif manifest is None:
            assert text is not None
            job, mv = submit.train_text(text, name, backend_)
            err.print(f"job {job.job_id} queued: {name} version {mv.version} (text-only, {backend_}: "
                      + ", ".join(f"{label} = {w}" for label, w in mv.words.items()) + ")")
        else:
            job, mv = submit.train(manifest, name, kind_, backend_, words=words)
            err.print(f"job {job.job_id} queued: {name} version {mv.version} ({mv.type}, {backend_}, "
                      f"{sum(mv.counts.values())} examples of {len(mv.labels)} labels)")
        if not wait_:
            print(job.job_id)
            return
        final = wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id)
        if final.status == SUCCEEDED:
            print_version(ModelStore(clients.dynamodb, clients.names.jobs_table).get_version(name, mv.version))
        finish(final)


def models(name: Optional[str] = typer.Argument(None, metavar="NAME", help="Only this model's versions (and what its labels "
                                                     "read as)."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """List model versions: backend, status, examples, training time, evaluation."""
    from rich.table import Table

    from cli.stack_session import session
    from shared.models.store import ModelStore

    with session(load_config(), quiet=True) as clients:
        store = ModelStore(clients.dynamodb, clients.names.jobs_table)
        rows = store.list_versions(name) if name else store.list_all()
    if as_json:
        import json
        from dataclasses import asdict

        print(json.dumps([{k: v for k, v in asdict(r).items() if k != "handle"} for r in rows], indent=1))
        return
    table = Table(box=None)
    for col in ("model", "version", "backend", "type", "status", "running", "labels", "train s", "F1", "P", "R",
                "created"):
        table.add_column(col, no_wrap=col != "labels", overflow="fold")
    for v in rows:
        m = v.metrics or {}
        scores = [f"{m[key]:.2f}" if key in m else "–" for key in ("f1", "precision", "recall")]
        table.add_row(v.name, str(v.version), v.backend, v.type, status_text(v.status), v.deployment or "–",
                      ", ".join(v.labels), f"{v.training_seconds:.0f}" if v.training_seconds else "–", *scores,
                      v.created_at[:19].replace("T", " "))
    out.print(table if rows else "no models yet: `brandvis train MANIFEST --name NAME`")
    newest = next((v for v in rows if v.texts), None) if name else None
    if newest is not None:
        out.print(f"\nwhat {newest.name} v{newest.version}'s labels read as:")
        for label, t in newest.texts.items():
            out.print(f"  {label}: {t.get('says', '')}")


def retext(name: str = typer.Argument(..., metavar="NAME", help="Model name."),
           words: str = typer.Argument(..., metavar="WORDS", help="\"LABEL=WORDS,LABEL=WORDS\": what those labels' marks read as "
                                                 "(LABEL= with nothing: no text for it)."),
           model_version: Optional[int] = typer.Option(None, metavar="N", help="Version (default: the newest trained)."),
           wait_: bool = typer.Option(False, "--wait", help="Wait for the new version.")) -> None:
    """Make a new version that differs only in what some labels read as (no retraining)."""
    from shared.submit import RequestError

    pairs = {}
    for item in words.split(","):
        label, eq, word = item.partition("=")
        if not eq or not label.strip():
            raise RequestError(f"{item.strip()!r}: write LABEL=WORDS")
        pairs[label.strip()] = word.strip()

    def submit_job(submit, version):
        job, new = submit.retext(name, version, pairs)
        return job, f"{name} version {new.version} from version {version}"

    _on_version(name, model_version, wait_, submit_job)


def _on_version(name: str, version: Optional[int], wait_: bool, submit_job) -> None:
    """Resolve the version (newest trained by default), submit one job about it, optionally wait."""
    from cli.stack_session import session
    from shared.jobs import JobStore
    from shared.models.store import ModelStore
    from shared.submit import RequestError, Submitter

    config = load_config()
    with session(config.replace(poll_wait_s=1) if wait_ else config, run_workers=wait_) as clients:
        if version is None:
            mv = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version(name)
            if mv is None:
                raise RequestError(f"model {name} has no trained version")
            version = mv.version
        job, what = submit_job(Submitter(clients), version)
        err.print(f"job {job.job_id} queued: {what}")
        if not wait_:
            print(job.job_id)
            return
        finish(wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id))


def _deploy(name: str, version: Optional[int], start: bool, wait_: bool) -> None:
    _on_version(name, version, wait_,
                lambda submit, v: ((submit.start_model if start else submit.stop_model)(name, v),
                                   f"{'start' if start else 'stop'} {name} version {v}"))


def start_model(name: str = typer.Argument(..., metavar="NAME", help="Model name."),
                model_version: Optional[int] = typer.Option(None, metavar="N", help="Version (default: the newest trained)."),
                wait_: bool = typer.Option(False, "--wait", help="Wait until it runs.")) -> None:
    """Start a model that runs elsewhere (Rekognition bills about US$4 per inference unit per hour from now)."""
    _deploy(name, model_version, True, wait_)


def stop_model(name: str = typer.Argument(..., metavar="NAME", help="Model name."),
               model_version: Optional[int] = typer.Option(None, metavar="N", help="Version (default: the newest trained)."),
               wait_: bool = typer.Option(False, "--wait", help="Wait until it has stopped.")) -> None:
    """Stop a started model (the workers also stop one that is idle for BRANDVIS_MODEL_IDLE_STOP_S)."""
    _deploy(name, model_version, False, wait_)


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(models)
    app.command("start-model")(start_model)
    app.command("stop-model")(stop_model)
    app.command()(retext)
