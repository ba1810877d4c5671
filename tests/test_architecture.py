"""The import rules of docs/architecture.md hold, and the contract that checks them does fail on a
forbidden import (checked on a copy of the tree with one inserted)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("shared", "workers", "cli", "dashboard", "devtools")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120)


def test_the_tree_keeps_every_import_contract():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_stage_that_sends_messages_itself_breaks_the_contract(tmp_path):
    # Given a copy of the tree in which the sprite stage imports the dispatcher and another stage
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.onnx", "*.pt",
                                                                                          "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    sprite = tmp_path / "workers" / "stages" / "sprite.py"
    sprite.write_text(sprite.read_text().replace(
        "from shared import layout\n", "from shared import layout\nfrom shared.dispatch import Dispatcher  # noqa\n"
                                       "from workers.stages.extract import extract  # noqa\n"))
    # When the contracts run, both rules are reported broken, naming the offending import
    run = lint(tmp_path)
    assert run.returncode != 0
    assert "Stages never call each other BROKEN" in run.stdout
    assert "workers.stages is not allowed to import shared.dispatch" in run.stdout
    assert "workers.stages.sprite -> shared.dispatch" in run.stdout
