"""Uploads through the dashboard are bounded by a setting (Streamlit holds each upload whole in the
dashboard's memory): the uploaders carry the limit, the launcher gives Streamlit's server the same, and a
file over it is refused by name before anything is copied to the bucket. Analyze's videos and Train's
videos and images go straight to the bucket instead (tests/test_direct_upload*.py) unless
BRANDVIS_UPLOAD_DIRECT=false; Train's manifest always comes through the dashboard."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, env

PAGES = ROOT / "dashboard" / "views"


@pytest.fixture
def small_limit(config):
    with env(BRANDVIS_ENDPOINT_URL=config.endpoint or "", BRANDVIS_UPLOAD_MAX_MB="1", BRANDVIS_UPLOAD_DIRECT="false"):
        yield


def page(name: str) -> AppTest:
    import streamlit as st

    st.cache_resource.clear()  # the config is read per test environment
    st.cache_data.clear()
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def test_uploaders_carry_the_limit_and_say_it(clients, small_limit):
    for name, count in (("analyze.py", 1), ("train.py", 3)):
        uploaders = page(name).file_uploader
        assert len(uploaders) == count
        for u in uploaders:
            assert u.proto.max_upload_size_mb == 1
            assert "Up to 1 MB a file (BRANDVIS_UPLOAD_MAX_MB)" in u.proto.help
    # Analyze holds no video, nor Train a video or image, when they go straight to the bucket (the
    # default); Train's manifest (text, read whole to be checked) still goes through the dashboard
    with env(BRANDVIS_UPLOAD_DIRECT="true"):
        assert page("analyze.py").file_uploader.len == 0
        assert [u.label for u in page("train.py").file_uploader] == ["Manifest"]


def test_a_video_over_the_limit_is_refused_by_name_and_nothing_is_uploaded(clients, storage, small_limit):
    # Given the Analyze page with a 1 MB limit / When a 1.5 MB file is submitted
    at = page("analyze.py")
    at.file_uploader[0].upload("match.mp4", b"\0" * (3 * 1024 * 1024 // 2), "video/mp4")
    at.button[0].click().run()
    # Then the page names the file, its size, the limit and its setting; the bucket stays empty
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Too large to upload here: match.mp4 (1.5 MB); the dashboard takes up to 1 MB a file "
        "(BRANDVIS_UPLOAD_MAX_MB). Analyze it with `brandvis analyze FILE`, which streams it from disk."]
    assert list(storage.list_keys("")) == []


def test_the_launcher_gives_streamlit_the_same_limit(monkeypatch: pytest.MonkeyPatch):
    from cli.commands import runtime

    started: list[list[str]] = []
    monkeypatch.setattr(runtime.os, "execv", lambda exe, args: started.append(args))
    with env(BRANDVIS_UPLOAD_MAX_MB="300"):
        runtime.dashboard()
    args = started[0]
    assert args[args.index("--server.maxUploadSize") + 1] == "300"
