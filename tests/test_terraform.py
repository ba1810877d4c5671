"""infra/terraform/ declares the names shared/names.py uses, and is valid Terraform."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.names import MAX_RECEIVES, STAGES, Names
from shared.stack.provision import labeling_event_pattern
from tests.conftest import ROOT

TF = ROOT / "infra" / "terraform"
PLUGINS = Path("/opt/tf-plugins")


def _default(variable: str) -> str:
    text = (TF / "variables.tf").read_text()
    block = re.search(r'variable "%s" \{(.*?)\n\}' % variable, text, re.S)
    assert block, variable
    return re.search(r"default\s*=\s*(.+)", block.group(1)).group(1).strip()


def test_stage_list_prefix_and_redrive_limit_match_the_names_module():
    assert json.loads(_default("stages")) == list(STAGES)
    assert json.loads(_default("prefix")) == Names().prefix
    assert int(_default("max_receives")) == MAX_RECEIVES
    main = (TF / "main.tf").read_text()
    for pattern in ('"${var.prefix}-${each.key}"', '"${var.prefix}-${each.key}-dlq"', '"${var.prefix}-jobs"',
                    '"${var.prefix}-labeling-state-change"', 'name            = "by-kind"'):
        assert pattern in main, pattern


def test_event_pattern_matches_the_local_rule():
    pattern = labeling_event_pattern()
    main = (TF / "main.tf").read_text()
    assert '"detail-type" = ["%s"]' % pattern["detail-type"][0] in main
    assert "source        = %s" % json.dumps(pattern["source"]) in main
    assert "LabelingJobStatus = %s" % json.dumps(pattern["detail"]["LabelingJobStatus"]) in main


@pytest.mark.skipif(shutil.which("terraform") is None or not PLUGINS.exists(),
                    reason="terraform or its local AWS provider is not installed")
def test_terraform_validates(tmp_path):
    work = tmp_path / "tf"
    shutil.copytree(TF, work, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    run = lambda *a: subprocess.run(["terraform", *a], cwd=work, capture_output=True, text=True, timeout=300)  # noqa: E731
    init = run("init", "-backend=false", "-input=false", f"-plugin-dir={PLUGINS}")
    assert init.returncode == 0, init.stderr
    validate = run("validate", "-no-color")
    assert validate.returncode == 0, validate.stderr
    assert run("fmt", "-check").returncode == 0


def test_the_worker_policy_allows_every_rekognition_call_the_backend_makes():
    # A call added to the backend without its permission fails on AWS only, with AccessDenied.
    source = (ROOT / "shared" / "models" / "rekognition.py").read_text()
    calls = set(re.findall(r"self\.rekognition\.([a-z_]+)\(", source))
    assert {"create_project_version", "detect_custom_labels", "start_project_version"} <= calls
    worker = re.search(r'data "aws_iam_policy_document" "worker" \{(.*?)\n\}', (TF / "iam.tf").read_text(), re.S)
    granted = set(re.findall(r'"rekognition:([A-Za-z]+)"', worker.group(1)))
    needed = {"".join(part.title() for part in call.split("_")) for call in calls}
    assert needed <= granted, f"missing from the worker policy: {sorted(needed - granted)}"
    assert "rekognition:*" not in worker.group(1)


def test_the_policies_allow_the_labelers_calls():
    source = (ROOT / "shared" / "labeling" / "groundtruth.py").read_text()
    calls = set(re.findall(r"self\.sagemaker\.([a-z_]+)\(", source))
    assert calls == {"create_labeling_job", "describe_labeling_job"}
    iam = (TF / "iam.tf").read_text()
    worker = re.search(r'data "aws_iam_policy_document" "worker" \{(.*?)\n\}', iam, re.S).group(1)
    granted = set(re.findall(r'"sagemaker:([A-Za-z]+)"', worker))
    assert {"".join(p.title() for p in c.split("_")) for c in calls} | {"AddTags"} <= granted  # Tags need AddTags
    assert "iam:PassedToService" in worker and "sagemaker:*" not in worker
    # the built-in labeler's Finish runs as a client: it puts its own events only
    client = re.search(r'data "aws_iam_policy_document" "client" \{(.*?)\n\}', iam, re.S).group(1)
    assert '"events:PutEvents"' in client and '"brandvis.labeler"' in client
    assert "put_events" in (ROOT / "shared" / "labeling" / "builtin.py").read_text()
