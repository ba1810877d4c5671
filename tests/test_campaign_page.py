"""The Campaign page and the Analyze page's campaign controls (Streamlit's AppTest against the test
stack): the page shows the campaign report's own figures, says why a video failed, compares two
brands, offers the downloads; Analyze starts one job per uploaded video, in the named campaign."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from shared.campaigns import campaign_report
from shared.campaigns import store as campaign_store
from shared.jobs import JobStore
from shared.models.store import ModelStore
from tests import media_factory
from tests.campaign_fixtures import stored_member, video_report
from tests.conftest import ROOT, env

PAGES = ROOT / "dashboard" / "views"


@pytest.fixture
def dashboard_env(config):
    with env(BRANDVIS_ENDPOINT_URL=config.endpoint or ""):
        yield


def run(page, query: dict | None = None, state: dict | None = None) -> AppTest:
    import streamlit as st

    st.cache_resource.clear()  # the config is read per test environment
    st.cache_data.clear()
    at = AppTest.from_file(str(page), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_campaign_page_shows_the_campaign_reports_figures(clients, dashboard_env):
    # Before any campaign, the page says how to make one
    at = run(PAGES / "campaign.py")
    assert "No campaign yet" in at.info[0].value and "--campaign" in at.info[0].value
    assert "Analyze a video" in at.info[0].value
    # Given a campaign of three analysed videos (one without a date), one that failed, one still queued
    stored_member(clients, "Spring 2026", "20260301-100000-aaaaaa", "opener.mp4",
                  {"date": "2026-03-01", "event": "League", "channel": "SportOne"}, video_report(1, seconds=30))
    stored_member(clients, "Spring 2026", "20260308-100000-bbbbbb", "derby.mp4",
                  {"date": "2026-03-08", "event": "Cup", "channel": "StreamPlay"}, video_report(2, seconds=30))
    stored_member(clients, "Spring 2026", "20260309-100000-cccccc", "montage.mp4", {"event": "Promo"},
                  video_report(3, seconds=20))
    stored_member(clients, "Spring 2026", "20260310-100000-dddddd", "cut_off.mp4", {"date": "2026-03-10"},
                  error="probe: cut_off.mp4 has no video stream")
    stored_member(clients, "Spring 2026", "20260311-100000-eeeeee", "late.mp4", {"date": "2026-03-11"})
    stored_member(clients, "Other", "20260312-100000-ffffff", "elsewhere.mp4", {}, video_report(4, seconds=10))
    report = campaign_report(clients, "Spring 2026", rate_per_30s=1000.0, currency="USD", weight_by_prominence=False)
    totals = report["totals"]
    # When the page opens on it (a link to it names it)
    at = run(PAGES / "campaign.py", {"campaign": "Spring 2026"})
    assert at.selectbox(key="campaign").value == "Spring 2026" and set(at.selectbox(key="campaign").options) == {
        "Spring 2026", "Other"}
    # Then its figures are the report's, at the page's rate card (1,000 USD per 30 s, unweighted)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Videos analysed"] == "3 of 5" and totals["videos"] == 3
    assert metrics["Brands on screen"] == f"{totals['screen_time_s']:.1f} s"
    top = report["brands"][0]
    assert metrics["Top share of voice"] == f"{top['brand']} · {top['share_of_voice']:.1%}"
    assert metrics["Media value (USD)"] == f"{totals['media_value']:,.2f}"
    brands = at.dataframe[0].value
    assert list(brands["brand"]) == [b["brand"] for b in report["brands"]]
    assert list(brands["screen_time_s"]) == [b["screen_time_s"] for b in report["brands"]]
    assert list(brands["share_of_voice"]) == pytest.approx([100 * b["share_of_voice"] for b in report["brands"]])
    assert list(brands["media_value"]) == [b["media_value"] for b in report["brands"]]
    assert list(brands["exposures"]) == [b["exposures"] for b in report["brands"]]
    # The failed video says why, in words; the queued one is counted as still running
    assert at.warning[0].value.replace("\\", "") == "cut_off.mp4 failed: probe: cut_off.mp4 has no video stream"
    assert "1 of the campaign's videos are still being analysed" in at.info[0].value
    assert "1 of 3 analysed videos have no date" in " ".join(c.value for c in at.caption)
    # Every video is listed with its status, reason and meta; analysed ones link to their Results
    videos = at.dataframe[1].value
    assert list(videos["video"]) == ["opener.mp4", "derby.mp4", "montage.mp4", "cut_off.mp4", "late.mp4"]
    assert list(videos["status"]) == ["succeeded"] * 3 + ["failed", "running"]
    assert videos["reason"].iloc[3] == "probe: cut_off.mp4 has no video stream"
    assert list(videos["results"])[:3] == [f"./?job={j}" for j in ("20260301-100000-aaaaaa", "20260308-100000-bbbbbb",
                                                                    "20260309-100000-cccccc")]
    assert pd.isna(videos["results"].iloc[3]) and list(videos["event"])[:3] == ["League", "Cup", "Promo"]
    # Filtered by event, only that event's videos remain; brand vs rival: the two chosen brands'
    # campaign figures, and side by side in each video
    one, other = report["brands"][-1]["brand"], report["brands"][1]["brand"]
    at.multiselect(key="events").set_value(["Cup"])
    at.selectbox(key="brand_a").set_value(one)
    at.selectbox(key="brand_b").set_value(other).run()
    assert list(at.dataframe[1].value["video"]) == ["derby.mp4"]
    pair = at.dataframe[2].value
    assert list(pair["brand"]) == [one, other]
    assert list(pair["screen_time_s"]) == [report["brands"][-1]["screen_time_s"], report["brands"][1]["screen_time_s"]]
    side = at.dataframe[3].value
    per = {(r["job_id"], r["brand"]): r for r in report["per_video"]}
    assert list(side[f"{one} s"]) == [per[(j, one)]["screen_time_s"] for j in
                                      ("20260301-100000-aaaaaa", "20260308-100000-bbbbbb", "20260309-100000-cccccc")]
    assert list(side[f"{other} exposures"]) == [per[(j, other)]["exposures"] for j in
                                                ("20260301-100000-aaaaaa", "20260308-100000-bbbbbb",
                                                 "20260309-100000-cccccc")]
    # A range of dates keeps the videos dated in it (an undated one is outside any narrower range)
    at.multiselect(key="events").set_value([])
    at.date_input(key="dates").set_value((date(2026, 3, 1), date(2026, 3, 8))).run()
    assert list(at.dataframe[1].value["video"]) == ["opener.mp4", "derby.mp4"]
    # Downloads: the report as JSON, its views as CSVs in a zip, a workbook
    assert [b.proto.label for b in at.get("download_button")] == ["Campaign (JSON)", "Tables (CSV, zip)",
                                                                   "Workbook (XLSX)"]
    # Weighted by prominence, the value is the report's weighted one
    at.toggle(key="weighted").set_value(True).run()
    weighted = campaign_report(clients, "Spring 2026", rate_per_30s=1000.0, currency="USD")
    assert list(at.dataframe[0].value["media_value"]) == [b["media_value"] for b in weighted["brands"]]
    assert weighted["totals"]["media_value"] != totals["media_value"]
    # A link naming no campaign says so, and shows the newest one
    at = run(PAGES / "campaign.py", {"campaign": "Spring 2025"})
    assert at.warning[0].value.replace("\\", "") == "No campaign is named Spring 2025."
    assert at.selectbox(key="campaign").value == at.selectbox(key="campaign").options[0]


@pytest.fixture(scope="module")
def two_videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("campaign-uploads")
    return [media_factory.make_video(d / name, seconds=1, fps=12, size=(64, 36), gop=12)
            for name in ("home.mp4", "away.mp4")]


def test_analyze_page_starts_one_job_per_upload_in_the_campaign(clients, store, two_videos, dashboard_env):
    with env(BRANDVIS_UPLOAD_DIRECT="false"):  # AppTest cannot drive the direct upload (test_dashboard_browser.py does)
        _one_job_per_upload(clients, two_videos)


def _one_job_per_upload(clients, two_videos) -> None:
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    models.create_version("logos", "local", "object", ["Acme"], "job", {}, lambda v: f"models/logos/{v}")
    models.update_version("logos", 1, status="TRAINING_COMPLETED")
    at = run(ROOT / "dashboard" / "app.py")  # through the router: the page links to the Campaign page
    at.switch_page("views/analyze.py").run()
    # Given two videos chosen at once (through the dashboard's uploader)
    at.file_uploader(key="uploads").set_value([(p.name, p.read_bytes(), "video/mp4") for p in two_videos]).run()
    editor = at.data_editor[0].value
    assert list(editor["video"]) == ["home.mp4", "away.mp4"]  # one row of details per file
    # A name the campaign cannot have is refused in words before anything is uploaded
    at.text_input(key="campaign").set_value("Spring/2026")
    at.button[0].click().run()
    assert "campaign name 'Spring/2026'" in at.error[0].value and not at.exception
    assert JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=10) == []
    # When the form is sent with a good name
    at.text_input(key="campaign").set_value("Spring 2026")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # Then two jobs are queued, one per video, each a member of the campaign
    jobs = JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=10)
    assert sorted(j.request["video"]["name"] for j in jobs) == ["away.mp4", "home.mp4"]
    assert {j.request.get("campaign") for j in jobs} == {"Spring 2026"}
    members = campaign_store(clients).members("Spring 2026")
    assert sorted((m.job_id, m.video) for m in members) == sorted((j.job_id, j.request["video"]["name"]) for j in jobs)
    assert at.subheader[0].value == "2 jobs started"
    assert [p.proto.text.split(": ")[-1] for p in at.get("progress")] == ["QUEUED", "QUEUED"]
