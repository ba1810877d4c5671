"""Campaigns (`brandvis.campaign/v1`): the arithmetic on hand-made v1 reports with known answers
(totals are the videos' sums exactly, shares, best/worst, failed and running videos listed and
left out, over time by date), the schema file, the tables and the workbook; membership in the
table and the report read back from the stack."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pydantic
import pytest

from shared.report.campaign import CampaignError, CampaignVideo, build_campaign, clean_meta
from shared.report.campaign_schema import json_schema, validate_campaign
from shared.report.campaign_tables import campaign_tables, campaign_xlsx_bytes, write_campaign_csvs
from shared.report.schema import validate_report

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "campaign-v1.schema.json"


def v1(duration: float, brands: dict[str, list[tuple[float, float, float, float | None]]]) -> dict:
    """A v1 report as the aggregate stage writes it: per brand its appearances as
    (start_s, end_s, screen_time_s, prominence), figures rounded to the millisecond."""
    total = sum(a[2] for apps in brands.values() for a in apps)
    rows, extras = [], {}
    for label, apps in brands.items():
        seconds = round(float(sum(a[2] for a in apps)), 3)
        rows.append({"label": label, "screen_time_s": seconds,
                     "share_of_screen_time": round(seconds / total, 4) if total else 0.0,
                     "appearances": [{"start_s": a[0], "end_s": a[1]} for a in apps],
                     "first_seen_s": apps[0][0] if apps else None, "last_seen_s": apps[-1][1] if apps else None,
                     "mean_confidence": 0.9 if apps else None, "mean_area_pct": 2.0 if apps else None})
        extras[label] = {"appearances": [{"start_s": a[0], "end_s": a[1], "screen_time_s": a[2], "frames": 2,
                                          "prominence": a[3]} for a in apps]}
    report = {"schema": "brandvis.report/v1",
              "video": {"duration_s": duration, "width": 320, "height": 180, "fps": 25.0, "sampled_fps": 2.0},
              "model": {"name": "logos", "backend": "local", "min_confidence": 0.5, "version": 1},
              "brands": rows, "frames": [], "extras": {"brands": extras}}
    validate_report(report)
    return report


# Three finished videos, one failed, one still running. Figures chosen so float addition drifts
# (0.1 + 0.2 != 0.3) and the exact-sum rule shows.
R1 = v1(10.1, {"Acme": [(0.0, 1.0, 0.1, 50.0), (3.0, 4.0, 1.0, 100.0)], "Borealis": [(5.0, 5.7, 0.7, None)]})
R2 = v1(20.2, {"Acme": [(2.0, 2.5, 0.2, 25.0)], "Borealis": []})
R3 = v1(5.7, {"Acme": [(1.0, 1.3, 0.3, 10.0)], "Borealis": [(0.0, 2.9, 2.9, 80.0)]})


def videos(*extra: CampaignVideo) -> list[CampaignVideo]:
    return [CampaignVideo("j1", "final.mp4", "succeeded", None, {"date": "2026-03-14", "event": "Final"}, R1),
            CampaignVideo("j2", "semi.mp4", "succeeded", None, {"date": "2026-03-10"}, R2),
            CampaignVideo("j3", "interview.mp4", "succeeded", None, {"channel": "web"}, R3),
            CampaignVideo("j4", "broken.mp4", "failed", "probe: the file has no video stream", {}, None),
            CampaignVideo("j5", "late.mp4", "running", "RUNNING", {"date": "2026-03-14"}, None), *extra]


def exact(values) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal(0))


def brand(report: dict, name: str) -> dict:
    return next(b for b in report["brands"] if b["brand"] == name)


def test_totals_are_the_exact_sums_of_the_included_reports():
    # Given three finished videos, one failed and one running
    report = build_campaign("Spring Cup", videos(), rate_per_30s=300.0)
    validate_campaign(report)
    included = (R1, R2, R3)
    # Then every total is the decimal sum of the figures the three v1 reports hold, to the digit
    t = report["totals"]
    assert (t["videos"], t["videos_failed"], t["videos_pending"]) == (3, 1, 1)
    assert Decimal(str(t["duration_s"])) == exact(r["video"]["duration_s"] for r in included) == Decimal("36.0")
    seconds = [b["screen_time_s"] for r in included for b in r["brands"]]
    assert sum(seconds) != 5.2  # float addition drifts...
    assert Decimal(str(t["screen_time_s"])) == exact(seconds) == Decimal("5.2")  # ...the campaign does not
    acme = brand(report, "Acme")
    assert Decimal(str(acme["screen_time_s"])) == exact(b["screen_time_s"] for r in included for b in r["brands"]
                                                        if b["label"] == "Acme") == Decimal("1.6")
    assert t["exposures"] == 6 and acme["exposures"] == 4 and brand(report, "Borealis")["exposures"] == 2
    # Per video rows are each report's own figures
    row = next(r for r in report["per_video"] if r["job_id"] == "j3" and r["brand"] == "Borealis")
    assert (row["screen_time_s"], row["share_of_voice"], row["exposures"]) == (2.9, R3["brands"][1]["share_of_screen_time"], 1)
    # The brands' and the per-video rows add up to the totals
    for field in ("screen_time_s", "prominence_weighted_s", "media_value"):
        assert exact(b[field] for b in report["brands"]) == Decimal(str(t[field]))
        assert exact(r[field] for r in report["per_video"]) == Decimal(str(t[field]))


def test_share_of_voice_prominence_weighting_and_media_value():
    report = build_campaign("Spring Cup", videos(), rate_per_30s=300.0)
    acme, borealis = brand(report, "Acme"), brand(report, "Borealis")
    # Shares: 1.6 s and 3.6 s of 5.2 s
    assert (acme["share_of_voice"], borealis["share_of_voice"]) == (0.3077, 0.6923)
    assert sum(b["share_of_voice"] for b in report["brands"]) == pytest.approx(1.0, abs=1e-4)
    # Each appearance's seconds x prominence / 100; no boxes (prominence null) counts in full
    assert acme["prominence_weighted_s"] == 1.13  # 0.05 + 1.0 + 0.05 + 0.03, exactly
    assert borealis["prominence_weighted_s"] == 3.02  # 0.7 in full + 2.32
    # 300 per 30 s = 10 per weighted second, per video rounded to cents, then summed
    assert acme["media_value"] == 11.3 and borealis["media_value"] == 30.2
    assert report["totals"]["media_value"] == 41.5
    # Priced on plain screen time instead; and no rate, no value
    plain = build_campaign("Spring Cup", videos(), rate_per_30s=300.0, weight_by_prominence=False)
    assert brand(plain, "Acme")["media_value"] == 16.0 and plain["media_value_basis"] == "screen_time_s"
    unpriced = build_campaign("Spring Cup", videos())
    assert unpriced["rate_per_30s"] is None and unpriced["totals"]["media_value"] is None
    assert all(b["media_value"] is None for b in unpriced["brands"] + unpriced["per_video"])
    # A currency without minor units is priced in whole units
    yen = build_campaign("Spring Cup", videos(), rate_per_30s=1000.0, currency="JPY")
    assert all(r["media_value"] == int(r["media_value"]) for r in yen["per_video"])


def test_best_and_worst_videos_and_how_many_videos_saw_a_brand():
    report = build_campaign("Spring Cup", videos())
    acme, borealis = brand(report, "Acme"), brand(report, "Borealis")
    assert acme["best_video"] == {"job_id": "j1", "video": "final.mp4", "screen_time_s": 1.1}
    assert acme["worst_video"] == {"job_id": "j2", "video": "semi.mp4", "screen_time_s": 0.2}
    assert acme["videos"] == 3
    # Borealis never appeared in the semi-final: that is its worst video, and it counts 2 videos
    assert borealis["worst_video"]["job_id"] == "j2" and borealis["worst_video"]["screen_time_s"] == 0.0
    assert borealis["best_video"]["job_id"] == "j3" and borealis["videos"] == 2
    # A brand never on screen has no best video
    never = build_campaign("c", [CampaignVideo("j1", "a.mp4", "succeeded", None, {}, v1(3.0, {"Dynamo": []}))])
    assert brand(never, "Dynamo")["best_video"] is None and brand(never, "Dynamo")["share_of_voice"] == 0.0


def test_failed_and_running_videos_are_listed_with_their_reason_and_left_out():
    report = build_campaign("Spring Cup", videos())
    listed = {v["job_id"]: v for v in report["videos"]}
    assert list(listed) == ["j1", "j2", "j3", "j4", "j5"]
    assert listed["j4"]["status"] == "failed" and listed["j4"]["reason"] == "probe: the file has no video stream"
    assert listed["j5"]["status"] == "running" and listed["j5"]["screen_time_s"] is None
    assert listed["j1"]["screen_time_s"] == 1.8 and listed["j1"]["model"] == "logos v1"
    assert {r["job_id"] for r in report["per_video"]} == {"j1", "j2", "j3"}
    # Once the running video finishes, the campaign grows by exactly its figures
    late = v1(4.0, {"Acme": [(0.0, 2.0, 2.0, 100.0)]})
    done = [v if v.job_id != "j5" else CampaignVideo("j5", "late.mp4", "succeeded", None, v.meta, late)
            for v in videos()]
    after = build_campaign("Spring Cup", done)
    assert after["totals"]["videos"] == 4 and after["totals"]["videos_pending"] == 0
    assert after["totals"]["screen_time_s"] == 7.2 and brand(after, "Acme")["screen_time_s"] == 3.6
    assert brand(after, "Acme")["best_video"]["job_id"] == "j5"
    # ...and so does a video added later
    added = build_campaign("Spring Cup", videos(CampaignVideo("j6", "extra.mp4", "succeeded", None, {}, late)))
    assert added["totals"]["videos"] == 4 and added["totals"]["duration_s"] == 40.0


def test_over_time_sums_by_date_and_counts_videos_without_one():
    report = build_campaign("Spring Cup", videos())
    assert report["over_time"] == [
        {"date": "2026-03-10", "brand": "Acme", "screen_time_s": 0.2},
        {"date": "2026-03-10", "brand": "Borealis", "screen_time_s": 0.0},
        {"date": "2026-03-14", "brand": "Acme", "screen_time_s": 1.1},
        {"date": "2026-03-14", "brand": "Borealis", "screen_time_s": 0.7}]
    # the interview has no date: in the totals, not over time, and counted as such
    assert report["totals"]["videos_without_date"] == 1
    # (the running video's date is not counted either: it is not included)


def test_bad_input_is_refused_naming_every_problem():
    with pytest.raises(CampaignError, match="campaign name '../x'"):
        build_campaign("../x", videos())
    bad = [CampaignVideo("j1", "a.mp4", "done", None, {"date": "2026-02-30", "venue": "x"}, None),
           CampaignVideo("j2", "b.mp4", "succeeded", None, {}, None)]
    with pytest.raises(CampaignError) as caught:
        build_campaign("ok", bad)
    text = str(caught.value)
    for part in ("status 'done'", "unknown field 'venue'", "date '2026-02-30' is not a date",
                 "b.mp4 (j2): succeeded but has no report"):
        assert part in text
    assert clean_meta({"date": " 2026-03-14 ", "event": ""}) == {"date": "2026-03-14"}


def test_the_schema_file_is_generated_and_refuses_broken_reports():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema == json_schema(), "regenerate docs/campaign-v1.schema.json from shared/report/campaign_schema.py"
    report = build_campaign("Spring Cup", videos(), rate_per_30s=300.0)
    jsonschema.validate(report, schema)
    broken = copy.deepcopy(report)
    broken["brands"][0]["share_of_voice"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    with pytest.raises(pydantic.ValidationError, match="share_of_voice"):
        validate_campaign(broken)


def test_tables_csvs_and_workbook_have_one_view_each(tmp_path):
    report = build_campaign("Spring Cup", videos(), rate_per_30s=300.0)
    tables = campaign_tables(report)
    assert list(tables) == ["brands", "videos", "per_video", "over_time"]
    assert len(tables["brands"]) == 2 and len(tables["videos"]) == 5 and len(tables["per_video"]) == 6
    assert tables["brands"].loc[0, "brand"] == "Borealis" and tables["brands"].loc[0, "best_video"] == "interview.mp4"
    assert tables["videos"].set_index("job_id").loc["j1", "event"] == "Final"
    paths = write_campaign_csvs(report, tmp_path / "out")
    assert [p.name for p in paths] == ["brands.csv", "videos.csv", "per_video.csv", "over_time.csv"]
    assert pd.read_csv(paths[2])["screen_time_s"].tolist() == tables["per_video"]["screen_time_s"].tolist()
    sheets = pd.read_excel(io.BytesIO(campaign_xlsx_bytes(report)), sheet_name=None)
    assert list(sheets) == ["brands", "videos", "per_video", "over_time", "about"]
    assert sheets["videos"]["reason"].tolist()[3] == "probe: the file has no video stream"


def test_the_cli_table_shows_brands_value_and_every_video_left_out(capsys):
    from cli.output import print_campaign

    print_campaign(build_campaign("Spring Cup", videos(), rate_per_30s=300.0))
    text = capsys.readouterr().out
    assert "campaign Spring Cup: 3 video(s), 0:36.0 of video, 0:05.2 of brand exposure; 1 failed; 1 still running" in text
    borealis = next(line for line in text.splitlines() if line.strip().startswith("Borealis"))
    assert borealis.split()[:5] == ["Borealis", "0:03.6", "69.2%", "2", "0:03.0"] and "30.20" in borealis
    assert "media value: 41.50 USD at 300 per 30 s of prominence-weighted exposure" in text
    assert "failed broken.mp4 (job j4): probe: the file has no video stream — not counted" in text
    assert "running late.mp4 (job j5): RUNNING — not counted" in text
    assert "1 video(s) without a date" in text


# -- membership in the table, the report read back from the stack -------------------------------------------------

def test_membership_is_idempotent_and_the_report_reads_jobs_and_stored_reports(clients, store):
    from shared import layout
    from shared.campaigns import CampaignStore, campaign_report, list_campaigns
    from shared.storage import Storage

    # Given three analysis jobs: one succeeded (its report stored), one failed, one running
    campaigns = CampaignStore(clients.dynamodb, clients.names.jobs_table)
    analysis = {"video": {"name": "x.mp4"}, "detect": {"model": {"name": "logos"}}}
    for job_id in ("j1", "j2", "j3"):
        store.create_job(job_id, "analyze", analysis, "probe")
    store.succeed_job("j1", {})
    Storage(clients.s3, clients.names.bucket).put_json(layout.report_key("j1"), R1)
    store.fail_job("j2", "detect: model logos v1 could not start")
    store.mark_running("j3")
    # When they join the campaign (j1 twice: a redelivered request)
    campaigns.add_member("Spring Cup", "j1", "final.mp4", {"date": "2026-03-14"})
    campaigns.add_member("Spring Cup", "j1", "final.mp4", {"date": "2026-03-14"})
    campaigns.add_member("Spring Cup", "j2", "semi.mp4")
    campaigns.add_member("Spring Cup", "j3", "late.mp4")
    campaigns.add_member("Other", "j3", "late.mp4")
    # Then j1 is one member, and the report holds its figures alone
    assert sorted(list_campaigns(clients)) == ["Other", "Spring Cup"]
    report = campaign_report(clients, "Spring Cup", rate_per_30s=30.0)
    assert [(v["job_id"], v["status"]) for v in report["videos"]] == [("j1", "succeeded"), ("j2", "failed"),
                                                                     ("j3", "running")]
    assert report["videos"][1]["reason"] == "detect: model logos v1 could not start"
    assert report["totals"]["screen_time_s"] == 1.8 and report["currency"] == clients.config.currency
    assert report["videos"][0]["meta"] == {"date": "2026-03-14"}
    # A job that succeeded without a report is listed as failed, saying so
    store.succeed_job("j3", {})
    late = campaign_report(clients, "Spring Cup")
    assert late["videos"][2]["status"] == "failed" and "report is missing" in late["videos"][2]["reason"]
    # Unknown and unsafe names are refused in one line
    with pytest.raises(CampaignError, match="no campaign named 'Nope'; campaigns: "):
        campaign_report(clients, "Nope")
    with pytest.raises(CampaignError, match="campaign name"):
        campaigns.add_member("a/b", "j1", "x.mp4")
    # and a request names every problem before anything is uploaded
    from shared.messages import Sampling
    from shared.submit import RequestError, Submitter

    with pytest.raises(RequestError, match="--campaign needs --model"):
        Submitter(clients).analyze(Path("x.mp4"), Sampling.at_fps(2), campaign="Cup")
    with pytest.raises(RequestError) as caught:
        Submitter(clients).analyze(Path("x.mp4"), Sampling.at_fps(2), model="logos", campaign="a/b",
                                   meta={"date": "14/03/2026", "venue": "x"})
    assert all(p in str(caught.value) for p in ("campaign name 'a/b'", "unknown field 'venue'", "'14/03/2026'"))


# -- end to end: three videos through the queues into one campaign, read by the CLI --------------------------------

@pytest.fixture(scope="module")
def small_model():
    """A small head (8 labeled frames): enough to run detection; accuracy is not what is tested here."""
    from devtools.synth.benchmark import make_benchmark
    from shared.models.local.trainer import LabeledImage, train_head
    from tests.analysis_fixtures import TrainedModel

    bench = make_benchmark(seed=7, n_train=8, n_test=0, photos=[])
    labels = [b.name for b in bench.brands]
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    return TrainedModel(bench, train_head(train, labels, synthetic=16))


def test_three_videos_through_the_queues_make_one_campaign(clients, config, store, run_worker, small_model, tmp_path):
    import os

    from devtools.synth.video import make_brand_video
    from shared import layout
    from shared.campaigns import campaign_report
    from shared.storage import Storage
    from tests.analysis_fixtures import install_model
    from tests.conftest import wait_for_job
    from tests.test_cli import brandvis

    # Given a model and a folder of three short videos, with a campaign.csv giving two of them a date
    install_model(clients, small_model)
    folder = tmp_path / "cup"
    folder.mkdir()
    for n in range(3):
        make_brand_video(folder / f"match-{n}.mp4", small_model.bench.brands, small_model.bench.distractors,
                         seconds=3.0, size=(320, 180), seed=n)
    (folder / "campaign.csv").write_text("file,date,event\nmatch-0.mp4,2026-03-10,Semi\nmatch-1.mp4,2026-03-14,Final\n")
    # When the folder is analysed into a campaign from the CLI (queued on the running stack)...
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint}
    proc = brandvis("analyze", str(folder), "--model", "logos", "--campaign", "Spring Cup", "--fps", "2", env=env)
    job_ids = proc.stdout.split()
    assert len(job_ids) == 3 and "meta from" in proc.stderr
    # ...and the workers take all three at once
    run_worker(concurrency=2)
    for job_id in job_ids:
        assert wait_for_job(store, job_id, timeout=240).status == "SUCCEEDED"
    # Then the campaign's totals are the sums of the three jobs' own reports, exactly
    storage = Storage(clients.s3, clients.names.bucket)
    reports = [storage.get_json(layout.report_key(j)) for j in job_ids]
    campaign = campaign_report(clients, "Spring Cup")
    validate_campaign(campaign)
    t = campaign["totals"]
    assert t["videos"] == 3 and t["videos_failed"] == t["videos_pending"] == 0 and t["videos_without_date"] == 1
    assert Decimal(str(t["duration_s"])) == exact(r["video"]["duration_s"] for r in reports)
    assert Decimal(str(t["screen_time_s"])) == exact(b["screen_time_s"] for r in reports for b in r["brands"])
    for b in campaign["brands"]:
        assert Decimal(str(b["screen_time_s"])) == exact(x["screen_time_s"] for r in reports for x in r["brands"]
                                                         if x["label"] == b["brand"])
    assert [v["meta"].get("event") for v in campaign["videos"]] == ["Semi", "Final", None]
    assert {row["date"] for row in campaign["over_time"]} == {"2026-03-10", "2026-03-14"}
    # And the CLI prints the same report as JSON
    printed = json.loads(brandvis("report", "--campaign", "Spring Cup", "--json", env=env).stdout)
    assert {**printed, "generated_at": None} == {**campaign, "generated_at": None}


def test_a_bad_meta_csv_is_refused_listing_every_problem(tmp_path):
    from tests.test_cli import brandvis

    folder = tmp_path / "cup"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(b"checked later: the meta is refused first")
    (folder / "campaign.csv").write_text("file,date,venue\na.mp4,2026-13-01,x\nfinal.mp4,2026-03-14,y\n")
    proc = brandvis("analyze", str(folder / "a.mp4"), "--model", "logos", "--campaign", "Cup", check=False)
    assert proc.returncode == 2
    line = " ".join(proc.stderr.split())  # one message (rich wraps it at the console's width)
    assert line.startswith("error: ") and "Traceback" not in line
    for part in ("unknown column 'venue'", "campaign.csv line 2 (a.mp4): date '2026-13-01' is not a date",
                 "no video named 'final.mp4'"):
        assert part in line
    proc = brandvis("report", "--campaign", "a/b", check=False)
    assert proc.returncode == 2 and "campaign name 'a/b'" in proc.stderr
