"""Dashboard pages render what the store holds (Streamlit's AppTest, against the test stack)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, env

PAGES = ROOT / "dashboard" / "pages"


@pytest.fixture
def dashboard_env(config):
    with env(BRANDVIS_ENDPOINT_URL=config.endpoint or ""):
        yield


def run(page: Path) -> AppTest:
    import streamlit as st

    st.cache_resource.clear()  # the config is read per test environment
    st.cache_data.clear()
    at = AppTest.from_file(str(page), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def test_jobs_page_lists_jobs_with_status_and_errors(clients, store, dashboard_env):
    store.create_job("20261125-100000-aaaaaa", "analyze", {"video": {"name": "final.mp4"}}, first_stage="probe")
    store.create_job("20261125-100001-bbbbbb", "analyze", {"video": {"name": "broken.mp4"}}, first_stage="probe")
    store.fail_job("20261125-100001-bbbbbb", "not a media file: broken.mp4")
    at = run(PAGES / "jobs.py")
    table = at.dataframe[0].value
    assert list(table["job"]) == ["20261125-100001-bbbbbb", "20261125-100000-aaaaaa"]
    assert list(table["status"]) == ["FAILED", "QUEUED"]
    assert list(table["error"])[0] == "not a media file: broken.mp4"
    assert at.error[0].value == "not a media file: broken.mp4"  # details of the newest job


def test_pages_say_how_to_start_the_stack_when_none_runs(tmp_path):
    with env(BRANDVIS_ENDPOINT_URL="", BRANDVIS_STACK_PORT="1"):
        at = run(PAGES / "analyze.py")
    assert "make run" in at.error[0].value


def test_analyze_page_offers_trained_models_only(clients, dashboard_env):
    from shared.models.store import ModelStore

    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    for name, status in (("logos", "TRAINING_COMPLETED"), ("draft", "TRAINING_IN_PROGRESS")):
        models.create_version(name, "local", "object", ["Acme"], "job", {}, lambda v, n=name: f"models/{n}/{v}")
        models.update(name, 1, status=status)
    at = run(PAGES / "analyze.py")
    assert at.selectbox[0].options == ["none: frames and sprites only", "logos"]
    assert at.selectbox[0].value == "logos" and at.slider[0].value == 0.5
