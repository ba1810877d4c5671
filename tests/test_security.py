"""Security review (issue 15, item 8): names that reach keys are checked in one place, files the
CLI writes stay where the user said, the dashboard shows user text as text, the local stack and
the dashboard listen on loopback, logs carry no secrets, and a manifest sent to the dashboard
names only the images sent with it (s3:// only in the buckets the configuration allows)."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import numpy as np
import pytest

from shared import layout
from shared.media.images import encode_jpeg
from shared.models.manifest import ManifestError
from shared.models.store import model_prefix
from shared.names import InvalidName, check_label, check_name, file_display_name
from shared.submit import RequestError, Submitter

JPEG = encode_jpeg(np.full((40, 60, 3), 128, np.uint8))


def _concept_line(ref: str, label: str = "a") -> str:
    return json.dumps({"source-ref": ref, "class": 0, "class-metadata": {
        "class-name": label, "type": "groundtruth/image-classification", "human-annotated": "yes"}})


def _manifest(*refs: str) -> io.BytesIO:
    return io.BytesIO("\n".join(_concept_line(r) for r in refs).encode())


# -- (a) names ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["../logos", "a/b", "..", "a..b", "", ".hidden", "x" * 64, "a b", "a\x00b"])
def test_names_that_become_key_parts_are_refused(bad: str) -> None:
    with pytest.raises(InvalidName, match="use letters, digits"):
        check_name(bad, "model name")


def test_good_names_and_labels_pass_and_bad_labels_say_why() -> None:
    assert check_name("logos-v2.final_1") == "logos-v2.final_1"
    assert check_label(" L'Oréal & Co ") == "L'Oréal & Co"  # labels are display text: escaped, never keys
    with pytest.raises(InvalidName, match="control characters"):
        check_label("Acme\x1b[31m")
    with pytest.raises(InvalidName, match="at most 64"):
        check_label("x" * 65)
    with pytest.raises(InvalidName, match="spreadsheets read that as a formula"):
        check_label('=HYPERLINK("http://x","y")')


def test_file_names_from_clients_keep_only_their_base_name() -> None:
    assert file_display_name("../../etc/cron.d/x.mp4") == "x.mp4"
    assert file_display_name("C:\\Users\\me\\clip.mp4") == "clip.mp4"
    assert file_display_name("..", "video") == "video"


def test_a_video_name_with_folders_is_stored_and_keyed_without_them(clients) -> None:
    # When the dashboard receives a video whose client-given name climbs out of its folder
    ref = Submitter(clients).upload_video_stream(io.BytesIO(b"not really a video"), "../../../tmp/evil.mp4")
    # Then the record keeps the base name and the key sits under the content hash
    assert ref.name == "evil.mp4"
    assert ref.key == f"media/{ref.video_id}/source/evil.mp4"


def test_a_manifest_label_with_control_characters_is_refused(clients) -> None:
    manifest = io.BytesIO("\n".join(_concept_line(f"{i}.jpg", "Acme\x07") for i in range(3)).encode())
    images = [(f"{i}.jpg", io.BytesIO(JPEG)) for i in range(3)]
    with pytest.raises(ManifestError, match="holds control characters"):
        Submitter(clients).train_uploaded(manifest, "m.manifest", images, "logos")


# -- (f) a manifest sent to the dashboard --------------------------------------------------------
def test_dashboard_manifest_references_resolve_only_among_uploaded_images(clients, tmp_path: Path) -> None:
    real = tmp_path / "exists.jpg"
    real.write_bytes(JPEG)  # a file on the server's disk, which a reference must not reach
    refs = [str(real), str(tmp_path / "absent.jpg"), "../../" + str(real), "file://" + str(real), "http://x/y.jpg"]
    # When a manifest names server paths that exist and that do not, and no image is uploaded
    with pytest.raises(ManifestError) as caught:
        Submitter(clients).train_uploaded(_manifest(*refs), "m.manifest", [], "logos")
    lines = [line for line in str(caught.value).splitlines() if line.startswith("line ")]
    # Then each gets the same words (nothing tells which exist), and none was read
    assert len(lines) == len(refs)
    shapes = {line.replace(repr(ref), "REF").split(": ", 1)[1] for line, ref in zip(lines, refs)}
    assert shapes == {"REF is not one of the images uploaded with the manifest"}


def test_dashboard_manifest_matches_uploads_by_base_name_whatever_folder_it_names(clients, storage) -> None:
    # Given references with folders (as CVAT writes them) and the images uploaded beside the manifest
    refs = ["/data/images/0.jpg", "../up/1.jpg", "sub/2.jpg"]
    images = [(f"{i}.jpg", io.BytesIO(JPEG)) for i in range(3)]
    job, mv = Submitter(clients).train_uploaded(_manifest(*refs), "m.manifest", images, "logos")
    # Then every reference points at the uploaded copy in the project's bucket
    where = storage.get_json(f"{mv.prefix}/images.json")
    assert sorted(where) == sorted(refs)
    assert all(uri.startswith(f"s3://{clients.names.bucket}/datasets/") for uri in where.values())


def test_s3_references_outside_the_allowed_buckets_are_refused(clients, tmp_path: Path) -> None:
    clients.s3.create_bucket(Bucket="someone-elses")
    clients.s3.put_object(Bucket="someone-elses", Key="x.jpg", Body=JPEG)
    refs = ["s3://someone-elses/x.jpg", "s3://someone-elses/missing.jpg"]
    # When the dashboard or the CLI is given images in a bucket the configuration does not allow
    with pytest.raises(ManifestError) as dash:
        Submitter(clients).train_uploaded(_manifest(*refs), "m.manifest", [], "logos")
    local = tmp_path / "m.manifest"
    local.write_text(_manifest(*refs).getvalue().decode())
    with pytest.raises(ManifestError) as cli:
        Submitter(clients).train(str(local), "logos")
    # Then both refuse them by the bucket alone, existing object or not
    for caught in (dash, cli):
        assert f"line 1: s3://someone-elses/x.jpg: images are read only from s3://{clients.names.bucket}" in str(caught.value)
        assert "line 2: s3://someone-elses/missing.jpg: images are read only from" in str(caught.value)
    # And a bucket the configuration names is allowed (the labels' too-few-examples problem remains)
    clients.config = clients.config.replace(image_buckets="someone-elses")
    with pytest.raises(ManifestError) as allowed:
        Submitter(clients).train_uploaded(_manifest(*refs), "m.manifest", [], "logos")
    assert "read only from" not in str(allowed.value) and "at least 3" in str(allowed.value)


def test_the_collect_worker_never_reads_a_bucket_the_configuration_does_not_allow(clients, storage) -> None:
    from shared.messages import CollectMessage
    from shared.models.store import ModelStore, model_prefix
    from workers.context import StageContext
    from workers.stages.collect import collect

    # Given a training request made where another bucket was allowed, and that bucket holds the images
    clients.s3.create_bucket(Bucket="elsewhere")
    refs = [f"s3://elsewhere/{i}.jpg" for i in range(3)]
    for ref in refs:
        clients.s3.put_object(Bucket="elsewhere", Key=ref.rsplit("/", 1)[1], Body=JPEG)
    storage.put_bytes("datasets/m/m.manifest", _manifest(*refs).getvalue(), "application/jsonl")
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    models.create_version("logos", "local", "concept", ["a"], "job-1", {}, lambda v: f"{model_prefix('logos', v)}/m")
    msg = CollectMessage.for_version("job-1", "logos", 1, "datasets/m/m.manifest", None, "concept")
    # When a worker whose configuration allows only the project's bucket collects it
    with pytest.raises(ManifestError) as caught:
        collect(msg, StageContext.create(clients))
    # Then every image is refused by its bucket, without reading it
    assert str(caught.value).count("images are read only from") == 3


@pytest.mark.parametrize("build", [
    lambda bad: layout.source_key("0123456789abcdef", bad),
    lambda bad: layout.dataset_file_key(bad, "a.jpg"),
    lambda bad: layout.report_key(bad),
    lambda bad: model_prefix(bad, 1),
], ids=["source_key", "dataset_file_key", "report_key", "model_prefix"])
@pytest.mark.parametrize("bad", ["..", "../x", "a/b", ""])
def test_key_builders_refuse_parts_that_change_the_folder(build, bad: str) -> None:
    with pytest.raises(ValueError):
        build(bad)


# -- (b) files the CLI writes ------------------------------------------------------------------
def test_out_and_csv_refuse_files_brandvis_did_not_write(tmp_path: Path) -> None:
    from cli.commands.analysis import check_outputs

    mine = tmp_path / "notes.json"
    mine.write_text('{"my": "notes"}')
    with pytest.raises(RequestError, match="notes.json is a file brandvis did not write: .* --force"):
        check_outputs(mine, None, force=False)
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"schema": "brandvis.report/v1"}))
    check_outputs(report, None, force=False)  # a report brandvis wrote is replaced
    check_outputs(mine, None, force=True)
    link = tmp_path / "link.json"
    link.symlink_to(report)
    with pytest.raises(RequestError, match="is a link"):
        check_outputs(link, None, force=False)
    # A CSV folder gets only its own two names: other files in it are fine, a foreign brands.csv is not
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "budget.xlsx").write_bytes(b"someone's")
    check_outputs(None, tables, force=False)
    (tables / "brands.csv").write_text("a,b\n1,2\n")
    with pytest.raises(RequestError, match="brands.csv is a file brandvis did not write"):
        check_outputs(None, tables, force=False)


def test_demo_data_refuses_a_folder_holding_other_files(tmp_path: Path) -> None:
    from tests.test_cli import brandvis

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.docx").write_bytes(b"years of work")
    proc = brandvis("demo-data", str(folder), "--seconds", "5", check=False)
    assert proc.returncode == 2
    assert "already holds files brandvis did not write (thesis.docx)" in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.docx"]


def test_demo_data_folder_check_accepts_its_own_folder_again(tmp_path: Path) -> None:
    from cli.files import demo_truth, refuse_folder

    names = {"labels", "match.mp4", "truth.json"}
    refuse_folder(tmp_path / "new", names, "truth.json", demo_truth, force=False)
    (tmp_path / "truth.json").write_text(json.dumps({"screen_time_s": {}, "absent": []}))
    (tmp_path / "match.mp4").write_bytes(b"")
    refuse_folder(tmp_path, names, "truth.json", demo_truth, force=False)
    (tmp_path / "truth.json").write_text(json.dumps({"my": "truth"}))
    with pytest.raises(RequestError, match="(truth.json|match.mp4) is a file brandvis did not write"):
        refuse_folder(tmp_path, names, "truth.json", demo_truth, force=False)


@pytest.mark.parametrize("out", ["yolo", "yolo.zip"])
def test_a_label_export_never_writes_outside_the_folder_it_was_given(tmp_path: Path, out: str) -> None:
    from shared.labeling.exports import Export
    from shared.labeling.labelers import LabelingError

    export = Export("yolo", {"classes.txt": b"a\n", "labels/../../escaped.txt": b"x"}, frames=1)
    with pytest.raises(LabelingError, match="would be written outside"):
        export.write(tmp_path / "sub" / out)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "sub").exists()


# -- (c) user text in the dashboard --------------------------------------------------------------
HOSTILE = ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))"]


def _shown(at) -> list[str]:
    """Every markdown string the page hands Streamlit (all of these render markdown)."""
    texts = [e.value for kind in ("markdown", "caption", "warning", "error", "info", "success", "subheader", "title")
             for e in getattr(at, kind)]
    texts += [m.value for m in at.metric] + [b.label for b in at.button]
    texts += [img.caption for e in at.get("image") for img in e.proto.imgs]
    return texts


def _assert_inert(texts: list[str]) -> None:
    """No raw tag, and no link: every ']' before a '(' is escaped."""
    joined = "\n".join(texts)
    assert "<img" not in joined and not re.search(r"(?<!\\)\]\(", joined), joined


def test_results_page_shows_hostile_labels_and_names_as_text(clients, storage, tmp_path) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from shared.detections import Detections
    from shared.report.build import build_report
    from tests.analysis_fixtures import stored_analysis
    from tests.conftest import ROOT, env

    seen = Detections(np.array([[100.0, 100, 300, 200], [400.0, 100, 600, 200]]), [0.9, 0.8], HOSTILE, (1280, 720))
    report = build_report([(t / 2, seen) for t in range(2, 10)], duration_s=10.0, width=1280, height=720, fps=25.0,
                          sampled_fps=2.0, model={"name": "logos", "backend": "local", "version": 1},
                          min_confidence=0.5, labels=HOSTILE, gap_s=1.0)
    job_id = stored_analysis(clients, report)
    with env(BRANDVIS_ENDPOINT_URL=clients.config.endpoint or ""):
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "results.py"), default_timeout=60)
        at.query_params["job"] = job_id
        at.run()
    assert not at.exception, at.exception
    texts = _shown(at)
    # The labels are on the page, escaped: the entity and backslashes render them exactly as typed
    assert any("&lt;img src=x onerror=alert(1)&gt;" in t for t in texts), texts
    _assert_inert(texts)


def test_label_page_shows_hostile_labels_as_text(clients, store, run_worker, tmp_path) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from shared.jobs import WAITING
    from tests.conftest import ROOT, env, wait_for

    labels = ["<img src=x>", "[x](javascript:)"]  # Ground Truth allows 16 characters a label
    stills = []
    for i in range(3):
        path = tmp_path / f"still-{i}.jpg"
        path.write_bytes(JPEG)
        stills.append(path)
    run_worker(stages=["label"], concurrency=1)
    job, _ = Submitter(clients).train_media(stills, labels, "scenes", kind="concept")
    wait_for(lambda: store.get_job(job.job_id).status == WAITING, 120, "the job to wait for labels")
    with env(BRANDVIS_ENDPOINT_URL=clients.config.endpoint or ""):
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "label.py"), default_timeout=60)
        at.query_params["job"] = job.job_id
        at.run()
        assert not at.exception, at.exception
        at.button(key="label_pick_1").click().run()
    texts = _shown(at)
    # The per-label list is HTML-enabled markdown: the labels are entities and escapes there too
    assert any("&lt;img src=x&gt;: 0 frames" in t for t in texts), texts
    assert "This frame: **\\[x\\](javascript\\:)**" in texts
    _assert_inert(texts)


# -- (d) where things listen ---------------------------------------------------------------------
def test_the_local_stack_listens_on_loopback_only(stack) -> None:
    host = stack._server.server_address[0]
    assert host == "127.0.0.1"
    from shared.config import Config, ConfigError

    with pytest.raises(ConfigError, match="STACK_HOST='0.0.0.0': the local stack has no sign-in"):
        Config.load(env={"BRANDVIS_STACK_HOST": "0.0.0.0"}, path=Path("/dev/null"))
    assert Config.load(env={"BRANDVIS_STACK_HOST": "::1"}, path=Path("/dev/null")).stack_host == "::1"


def test_the_dashboard_binds_to_localhost_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.commands import runtime

    def address(**env: str) -> str:
        for k in ("BRANDVIS_DASHBOARD_ADDRESS", "BRANDVIS_CONFIG"):
            monkeypatch.delenv(k, raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("BRANDVIS_CONFIG", "/dev/null")
        seen: list[list[str]] = []
        monkeypatch.setattr(runtime.os, "execv", lambda _exe, args: seen.append(args))  # the process it would become
        runtime.dashboard()
        args = seen[0]
        return args[args.index("--server.address") + 1]

    assert address() == "127.0.0.1"
    assert address(BRANDVIS_DASHBOARD_ADDRESS="0.0.0.0") == "0.0.0.0"


# -- (e) no secret in logs -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_log_lines_never_carry_keys_signatures_or_secrets(capsys, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    from workers.middleware.log_context import configure_logging, current

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("BRANDVIS_GROUNDTRUTH_API_TOKEN", "cfg-token-0123456789")  # a configured secret
    url = ("https://b.s3.amazonaws.com/k.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
           "%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0"
           "&X-Amz-Security-Token=FQoGZXIvYXdzEJr")
    configure_logging("INFO", fmt)
    try:
        token = current.set({"job": "j1", "stage": "detect", "message": "m1"})
        log = logging.getLogger("brandvis.worker")
        log.info("fetching %s with {'aws_secret_access_key': '%s'}", url, secret)
        try:
            raise RuntimeError("AccessDenied for AKIAIOSFODNN7EXAMPLE; config token cfg-token-0123456789")
        except RuntimeError:
            log.exception("event=retry")
        current.reset(token)
    finally:
        configure_logging("INFO")
    out = capsys.readouterr().err
    # Then none of them is printed, and the line still says what happened
    for leaked in (secret, "AKIAIOSFODNN7EXAMPLE", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "FQoGZXIvYXdzEJr",
                   "cfg-token-0123456789"):
        assert leaked not in out, out
    assert "X-Amz-Signature=***" in out and "https://b.s3.amazonaws.com/k.jpg?" in out and "event=retry" in out
    if fmt == "json":
        assert [json.loads(line)["job"] for line in out.splitlines() if line.strip().startswith("{")] == ["j1", "j1"]
