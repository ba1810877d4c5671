"""`brandvis label import|export|finish|status`: a built-in labeling job from the command line.

JOB is the training job that waits on the labels (the id `brandvis train --media` printed), or the
labeling job's own name. Finish is the dashboard's Finish button: Ground Truth's output files and
the state-change event, after which the waiting job goes on (collect, then training) as soon as a
worker reads the event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from cli.choices import ExportFormat
from cli.commands import config as load_config
from cli.output import err, out

app = typer.Typer(no_args_is_help=True, help="Labeling jobs on brandvis's own labeler: import, export, finish.")


def _open(clients: Any, job: str) -> tuple[Any, Any, Any]:
    """(labeler, labeling job record, task) for a job id or a labeling job name."""
    from shared.labeling.builtin import BuiltinLabeler
    from shared.labeling.labelers import LabelingError

    labeler = BuiltinLabeler(clients)
    try:
        record, task = labeler.for_job(job)
    except LabelingError:
        if labeler.store.get(job) is None:
            raise
        record, task = labeler.store.get(job), labeler.task(job)
    return labeler, record, task


def _counts(per_label: dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in sorted(per_label.items())) or "none"


def _finish(labeler: Any, task: Any) -> None:
    uri = labeler.finish(task)
    err.print(f"labeling job {task.name} finished: Ground Truth output at {uri}; job {task.job_id} goes on "
              f"(collect, then training) when a worker reads the event", markup=False)
    print(uri)


@app.command("import")
def import_(job: str = typer.Argument(..., metavar="JOB", help="The training job waiting on labels (or the labeling job's name)."),
            file: Path = typer.Argument(..., metavar="FILE", help="Ground Truth output manifest, COCO JSON, Label Studio JSON export "
                                                  "or CVAT for images 1.1 XML (or CVAT's zip)."),
            images: Optional[Path] = typer.Option(None, "--images", metavar="DIR", help="The folder of the images FILE refers "
                                                  "to: match them to the job's frames by content."),
            no_finish: bool = typer.Option(False, "--no-finish", help="Only import; finish later (dashboard or "
                                           "`brandvis label finish`)."),
            unlisted_empty: bool = typer.Option(False, "--unlisted-empty", help="Ground Truth video output: frames "
                                                "its SeqLabel.json leaves out were seen and hold no brand.")) -> None:
    """Label a built-in job's frames from another tool's export, then finish it (every box is checked first)."""
    from cli.stack_session import session
    from shared.labeling.imports import read_import, save_import
    from shared.storage import Storage
    from shared.submit import RequestError

    if not file.is_file():
        raise RequestError(f"no such file: {file}")
    if images is not None and not images.is_dir():
        raise RequestError(f"--images: no such folder: {images}")
    with session(load_config(), quiet=True) as clients:
        labeler, record, task = _open(clients, job)
        labeler.open_for_work(record)
        storage = Storage(clients.s3, clients.names.bucket)
        result = read_import(file.read_bytes(), file.name, task, fetch=lambda uri: storage.get_bytes(storage.key_of(uri)),
                             base_dir=file.parent, images_dir=images, unlisted_are_negatives=unlisted_empty)
        saved = save_import(labeler.store, task, result)
        empty = sum(1 for f in result.frames.values() if not f.boxes and not f.labels)
        what = "boxes" if task.kind == "object" else "frames"
        err.print(f"imported {saved} frame(s) from {file.name} ({result.format}) into {task.name}: {empty} without "
                  f"a brand; {what} per label: {_counts(result.per_label())}", markup=False)
        for note in result.notes:
            err.print(f"note: {note}", markup=False)
        progress = labeler.store.progress(task.name, task.frame_count)
        err.print(f"{progress['done']} of {progress['total']} frames of {task.name} are labeled", markup=False)
        if not no_finish:
            _finish(labeler, task)


@app.command("export")
def export_(job: str = typer.Argument(..., metavar="JOB", help="A training job from media (or the labeling job's name)."),
            fmt: ExportFormat = typer.Option(..., "--format", help="The format to write."),
            out_path: Optional[Path] = typer.Option(None, "--out", metavar="PATH", help="File (coco, groundtruth) "
                                                    "or folder / .zip (yolo); default: named after the labeling "
                                                    "job, here."),
            force: bool = typer.Option(False, "--force", help="Overwrite a file or folder brandvis did not write.")) -> None:
    """Write the frames people reviewed (boxes, or none) as COCO, Ground Truth lines or YOLO."""
    from cli.stack_session import session
    from cli.files import label_export, refuse_clobber, refuse_folder, yolo_data_yaml
    from shared.labeling.exports import default_name, export
    from shared.labeling.imports import FrameSizes
    from shared.storage import Storage

    with session(load_config(), quiet=True) as clients:
        labeler, _, task = _open(clients, job)
        storage = Storage(clients.s3, clients.names.bucket)
        sizes = FrameSizes(task, lambda uri: storage.get_bytes(storage.key_of(uri)))
        result = export(task, labeler.store.frames(task.name), fmt.value, sizes=sizes)
    path = out_path or Path(default_name(task, fmt.value))
    if fmt.value == "yolo" and path.suffix.lower() != ".zip":
        refuse_folder(path, {name.split("/", 1)[0] for name in result.files}, "data.yaml", yolo_data_yaml, force)
    else:
        refuse_clobber(path, label_export, force)
    path = result.write(path)  # refuses a relative name that would leave `path`
    skipped = f" ({result.skipped} reviewed without a class left out)" if result.skipped else ""
    err.print(f"{result.frames} frame(s) of {task.name} written as {fmt}{skipped}", markup=False)
    print(path)


@app.command("finish")
def finish(job: str = typer.Argument(..., metavar="JOB", help="A training job from media (or the labeling job's name).")) -> None:
    """What the dashboard's Finish button does: Ground Truth's output files and the state-change event."""
    from cli.stack_session import session

    with session(load_config(), quiet=True) as clients:
        labeler, _, task = _open(clients, job)
        _finish(labeler, task)


@app.command("status")
def status(job: str = typer.Argument(..., metavar="JOB", help="A training job from media (or the labeling job's name)."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Frames labeled of all, boxes (or frames) per label, per video; the labeling job and its labeler."""
    from cli.stack_session import session

    with session(load_config(), quiet=True) as clients:
        labeler, record, task = _open(clients, job)
        done = labeler.store.frames(task.name)
    per_label: dict[str, int] = {}
    for f in done.values():
        for label in [b.label for b in f.boxes] + f.labels:
            per_label[label] = per_label.get(label, 0) + 1
    sequences = [{"seq_no": s.seq_no, "source": s.source, "frames": len(s.frames),
                  "done": sum(1 for k in done if k[0] == s.seq_no)} for s in task.sequences]
    doc = {"job_id": task.job_id, "labeling_job": task.name, "labeler": record.labeler, "status": record.status,
           "kind": task.kind, "labels": list(task.labels), "done": len(done), "total": task.frame_count,
           "per_label": {label: per_label.get(label, 0) for label in task.labels}, "sequences": sequences,
           "failure_reason": record.failure_reason}
    if as_json:
        print(json.dumps(doc, indent=2))
        return
    out.print(f"labeling job {task.name} ({record.labeler}, {task.kind}) for job {task.job_id}: {record.status}",
              markup=False)
    out.print(f"{len(done)} of {task.frame_count} frames labeled", markup=False)
    for s in sequences:
        out.print(f"  {s['source']}: {s['done']} of {s['frames']}", markup=False)
    what = "boxes" if task.kind == "object" else "frames"
    out.print(f"{what} per label: {_counts(doc['per_label'])}", markup=False)
    if record.failure_reason:
        out.print(f"ended: {record.failure_reason}", markup=False)


__all__ = ["app"]
