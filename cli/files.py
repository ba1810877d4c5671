"""Files the CLI writes on the user's machine: only the file or folder the user named, only
brandvis's own names inside a folder, and never over a file brandvis did not write unless --force.

A file is brandvis's when its content says so (a report's schema, a table's header, an export's
signature line); a folder is when its signature file is. Links are never written through: the
file a link points at may be anywhere.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Callable

Ours = Callable[[Path], bool]


def _head(path: Path, n: int = 4096) -> str:
    try:
        with path.open("rb") as f:
            return f.read(n).decode("utf-8-sig", errors="replace")
    except OSError:
        return ""


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None


def report_json(path: Path) -> bool:
    doc = _json(path)
    return isinstance(doc, dict) and doc.get("schema") == "brandvis.report/v1"


def campaign_json(path: Path) -> bool:
    doc = _json(path)
    return isinstance(doc, dict) and doc.get("schema") == "brandvis.campaign/v1"


def workbook(path: Path) -> bool:
    """A workbook brandvis wrote: every one it writes has an "about" sheet."""
    try:
        with zipfile.ZipFile(path) as archive:
            return 'name="about"' in archive.read("xl/workbook.xml").decode(errors="replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return False


def csv_table(columns: list[str]) -> Ours:
    return lambda path: _head(path).splitlines()[:1] == [",".join(columns)]


def demo_truth(path: Path) -> bool:
    doc = _json(path)
    return isinstance(doc, dict) and set(doc) == {"screen_time_s", "absent"}


YOLO_SIGNATURE = "# brandvis labeling job"


def yolo_data_yaml(path: Path) -> bool:
    return _head(path).startswith(YOLO_SIGNATURE)


def label_export(path: Path) -> bool:
    """COCO (its info line), Ground Truth lines (labeling-job metadata), YOLO zip (its data.yaml)."""
    signature = YOLO_SIGNATURE
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                return archive.read("data.yaml").decode(errors="replace").startswith(signature)
        except (KeyError, OSError, zipfile.BadZipFile):
            return False
    doc = _json(path)
    if isinstance(doc, dict):
        return str((doc.get("info") or {}).get("description", "")).startswith("brandvis labeling job")
    first = _head(path).splitlines()[:1]
    try:
        line = json.loads(first[0]) if first else None
    except ValueError:
        return False
    return isinstance(line, dict) and "source-ref" in line and any(
        isinstance(v, dict) and str(v.get("job-name", "")).startswith("labeling-job/")
        for k, v in line.items() if k.endswith("-metadata"))


def refuse_clobber(path: Path, ours: Ours, force: bool, option: str = "--force") -> None:
    """Refuse to write `path` over something brandvis did not write (or through a link)."""
    from shared.submit import RequestError

    if force:
        return
    if path.is_symlink():
        raise RequestError(f"{path} is a link: brandvis does not write through links ({option} to replace it)")
    if path.exists() and not ours(path):
        kind = "a folder" if path.is_dir() else "a file"
        raise RequestError(f"{path} is {kind} brandvis did not write: choose another path, or {option} to "
                           "overwrite it")


def refuse_folder(folder: Path, names: set[str], signature: str, ours: Ours, force: bool) -> None:
    """A folder brandvis fills with `names`: new, empty, or written by brandvis before (its
    `signature` file says so); anything else in it is someone's and stays untouched."""
    from shared.submit import RequestError

    if force:
        return
    if folder.is_symlink():
        raise RequestError(f"{folder} is a link: brandvis does not write through links (--force to use it)")
    if not folder.exists():
        return
    if not folder.is_dir():
        raise RequestError(f"{folder} is a file, not a folder")
    others = sorted(p.name for p in folder.iterdir() if p.name not in names)
    if others and not ours(folder / signature):
        raise RequestError(f"{folder} already holds files brandvis did not write ({', '.join(others[:3])}"
                           f"{'…' if len(others) > 3 else ''}): choose a new or empty folder, or --force")
    for name in names:
        refuse_clobber(folder / name, lambda _: ours(folder / signature), force)

