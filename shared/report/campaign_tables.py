"""Tables derived from a campaign report (`brandvis.campaign/v1`): per brand, per video, per
video and brand, per date and brand; for CSV and spreadsheet exports, the CLI and the Campaign
page. Everything comes from the report JSON, nothing else."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from shared.report.campaign import META_KEYS

BRAND_COLUMNS = ["brand", "screen_time_s", "share_of_voice", "exposures", "prominence_weighted_s", "media_value",
                 "videos", "best_video", "best_video_s", "worst_video", "worst_video_s"]
VIDEO_COLUMNS = ["job_id", "video", "status", "reason", *META_KEYS, "duration_s", "screen_time_s", "model"]
PER_VIDEO_COLUMNS = ["job_id", "video", "brand", "screen_time_s", "share_of_voice", "exposures",
                     "prominence_weighted_s", "media_value"]
OVER_TIME_COLUMNS = ["date", "brand", "screen_time_s"]


def brands_table(report: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for b in report["brands"]:
        best, worst = b["best_video"] or {}, b["worst_video"] or {}
        rows.append({**{k: b[k] for k in BRAND_COLUMNS[:7]},
                     "best_video": best.get("video"), "best_video_s": best.get("screen_time_s"),
                     "worst_video": worst.get("video"), "worst_video_s": worst.get("screen_time_s")})
    return pd.DataFrame(rows, columns=BRAND_COLUMNS)


def videos_table(report: dict[str, Any]) -> pd.DataFrame:
    """Every member, failed and running ones too (with their reason)."""
    rows = [{**{k: v.get(k) for k in VIDEO_COLUMNS if k not in META_KEYS},
             **{k: v["meta"].get(k) for k in META_KEYS}} for v in report["videos"]]
    return pd.DataFrame(rows, columns=VIDEO_COLUMNS)


def per_video_table(report: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(report["per_video"], columns=PER_VIDEO_COLUMNS)


def over_time_table(report: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(report["over_time"], columns=OVER_TIME_COLUMNS)


TABLES = {"brands": brands_table, "videos": videos_table, "per_video": per_video_table,
          "over_time": over_time_table}


def campaign_tables(report: dict[str, Any]) -> dict[str, pd.DataFrame]:
    return {name: make(report) for name, make in TABLES.items()}


def write_campaign_csvs(report: dict[str, Any], folder: Path) -> list[Path]:
    """brands.csv, videos.csv, per_video.csv, over_time.csv in `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in campaign_tables(report).items():
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)
    return paths


def campaign_xlsx_bytes(report: dict[str, Any]) -> bytes:
    """One workbook: a sheet per table plus the campaign's totals and pricing."""
    buf = io.BytesIO()
    about = pd.DataFrame([{"field": k, "value": report[k]} for k in
                          ("campaign", "currency", "rate_per_30s", "media_value_basis", "generated_at")]
                         + [{"field": f"totals.{k}", "value": v} for k, v in report["totals"].items()])
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, table in campaign_tables(report).items():
            table.to_excel(xl, sheet_name=name, index=False)
        about.to_excel(xl, sheet_name="about", index=False)
    return buf.getvalue()
