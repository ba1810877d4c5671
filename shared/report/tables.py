"""Tables derived from a report: per brand and per appearance (one row per exposure), for CSV
and spreadsheet exports and the CLI. Everything comes from the report JSON, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

BRAND_COLUMNS = ["label", "screen_time_s", "share_of_screen_time", "share_of_video", "appearances", "first_seen_s",
                 "last_seen_s", "solus_time_s", "mean_other_brands", "mean_confidence", "mean_area_pct", "prominence", "true_low_s", "true_high_s", "near_threshold_s"]
APPEARANCE_COLUMNS = ["label", "appearance", "start_s", "end_s", "duration_s", "screen_time_s", "frames",
                      "mean_confidence", "mean_area_pct", "prominence"]


def brands_table(report: dict[str, Any]) -> pd.DataFrame:
    """First/last seen come from the appearances (the interval rule), so a report written when
    they were sample times reads the same as a new one. true_low_s/true_high_s: the range of true
    screen time the model's held-out evaluation implies (empty: unverified)."""
    extras = report.get("extras", {}).get("brands", {})
    rows = []
    for b in report["brands"]:
        x, apps, u = extras.get(b["label"], {}), b["appearances"], b.get("uncertainty") or {}
        rows.append({"label": b["label"], "screen_time_s": b["screen_time_s"],
                     "share_of_screen_time": b["share_of_screen_time"], "share_of_video": x.get("share_of_video"),
                     "appearances": len(apps), "first_seen_s": apps[0]["start_s"] if apps else b["first_seen_s"],
                     "last_seen_s": apps[-1]["end_s"] if apps else b["last_seen_s"],
                     "solus_time_s": x.get("solus_time_s"),
                     "mean_other_brands": (x.get("clutter") or {}).get("mean_other_brands"),
                     "mean_confidence": b["mean_confidence"], "mean_area_pct": b["mean_area_pct"],
                     "prominence": x.get("prominence"), "true_low_s": u.get("low_s"), "true_high_s": u.get("high_s"),
                     "near_threshold_s": u.get("near_threshold_s")})
    return pd.DataFrame(rows, columns=BRAND_COLUMNS)


def appearances_table(report: dict[str, Any]) -> pd.DataFrame:
    extras = report.get("extras", {}).get("brands", {})
    rows = []
    for b in report["brands"]:
        detail = extras.get(b["label"], {}).get("appearances") or [{} for _ in b["appearances"]]
        for n, (a, x) in enumerate(zip(b["appearances"], detail), start=1):
            rows.append({"label": b["label"], "appearance": n, "start_s": a["start_s"], "end_s": a["end_s"],
                         "duration_s": round(a["end_s"] - a["start_s"], 3), "screen_time_s": x.get("screen_time_s"),
                         "frames": x.get("frames"), "mean_confidence": x.get("mean_confidence"),
                         "mean_area_pct": x.get("mean_area_pct"), "prominence": x.get("prominence")})
    return pd.DataFrame(rows, columns=APPEARANCE_COLUMNS).sort_values(["start_s", "label"], kind="stable")


TABLES = {"brands": brands_table, "appearances": appearances_table}
TABLE_COLUMNS = {"brands": BRAND_COLUMNS, "appearances": APPEARANCE_COLUMNS}  # each CSV's header line


def write_csvs(report: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in TABLES.items():
        path = folder / f"{name}.csv"
        make(report).to_csv(path, index=False)
        paths.append(path)
    return paths


def csv_bytes(report: dict[str, Any], table: str) -> bytes:
    return TABLES[table](report).to_csv(index=False).encode()


def xlsx_bytes(report: dict[str, Any]) -> bytes:
    """One workbook: a sheet per table plus the report's video and model facts."""
    import io

    buf = io.BytesIO()
    about = pd.DataFrame([{"field": f"{section}.{k}", "value": v} for section in ("video", "model")
                          for k, v in report[section].items() if k not in ("evaluation", "warnings")]
                         + [{"field": "model.warning", "value": w} for w in report["model"].get("warnings", [])])
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, make in TABLES.items():
            make(report).to_excel(xl, sheet_name=name, index=False)
        about.to_excel(xl, sheet_name="about", index=False)
    return buf.getvalue()
