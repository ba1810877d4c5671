"""Many videos' v1 reports -> one campaign report (`brandvis.campaign/v1`, docs/report.md).

Pure: the reports come in, nothing is read or written here (shared/campaigns.py does the reading).
The rules, in one place:
- **Only finished analyses count.** A video whose job failed, or is still running, is listed
  with its reason and left out of every total, never dropped silently.
- **Totals are sums of what the v1 reports say**, as they round it (screen time to the
  millisecond): sums are taken in whole milliseconds (cents for money), so a campaign total is
  exactly the decimal sum of its videos' figures, whatever the float order.
- **Share of voice**: a brand's seconds over all brands' seconds in the campaign (0 when nothing
  was seen); shares sum to 1 up to their 4-decimal rounding.
- **Exposures** are v1 appearances; **prominence-weighted seconds** weight each appearance's
  seconds by its prominence / 100 (an appearance without boxes, a concept model's, counts in
  full), as the Results page's media value does.
- **Media value** prices the prominence-weighted seconds (or the screen time, with
  `weight_by_prominence=False`) at `rate_per_30s` per 30 s, per video rounded to the currency's
  minor unit; a brand's value is the sum of its videos' values. Null without a rate.
- **Best and worst video** per brand: most and fewest seconds among the included videos whose
  report lists the brand (ties: the earlier video); best is null when the brand was never seen.
- **Over time**: seconds per brand per `meta.date`; videos without a date are counted in
  `totals.videos_without_date`, not placed on a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timezone
from typing import Any, Iterable, Literal, Sequence

SCHEMA = "brandvis.campaign/v1"
STATUSES = ("succeeded", "failed", "running")
#: What a video may say about itself (every key optional).
META_KEYS = ("date", "event", "channel", "audience")
#: The default of Config.currency (report code reads no config: callers pass config.currency).
DEFAULT_CURRENCY = "USD"
#: Currencies with no minor unit (ISO 4217 exponent 0): values are whole.
ZERO_DECIMAL = {"JPY", "KRW", "CLP", "ISK", "VND", "UGX", "PYG"}
#: Campaign names: they become DynamoDB keys and file names, so a safe set of characters.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$")
META_VALUE_MAX = 200

Status = Literal["succeeded", "failed", "running"]


class CampaignError(ValueError):
    """The campaign input is invalid (a bad name, date or status); the message says what."""


@dataclass(frozen=True)
class CampaignVideo:
    """One member of a campaign: its job, where that job stands, and its v1 report when it succeeded."""

    job_id: str
    video: str
    status: Status
    reason: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    report: dict[str, Any] | None = None


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a campaign, or None."""
    if not isinstance(name, str) or not NAME.match(name) or name != name.strip():
        return (f"campaign name {name!r}: use letters, digits, spaces, '-', '_' or '.', starting with a letter "
                "or digit (at most 63)")
    return None


def check_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise CampaignError(problem)
    return name


def meta_problems(meta: dict[str, Any], where: str = "meta") -> list[str]:
    """Everything wrong with one video's meta at once (unknown keys, a date that is no date)."""
    problems = [f"{where}: unknown field {k!r} (fields: {', '.join(META_KEYS)})" for k in meta if k not in META_KEYS]
    for k, v in meta.items():
        if k in META_KEYS and not isinstance(v, str):
            problems.append(f"{where}: {k} must be text, not {type(v).__name__}")
        elif k in META_KEYS and len(v) > META_VALUE_MAX:
            problems.append(f"{where}: {k} is longer than {META_VALUE_MAX} characters")
    when = meta.get("date")
    if isinstance(when, str) and when and not _is_date(when):
        problems.append(f"{where}: date {when!r} is not a date written YYYY-MM-DD")
    return problems


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        Date.fromisoformat(text)
    except ValueError:
        return False
    return True


def clean_meta(meta: dict[str, Any] | None, where: str = "meta") -> dict[str, str]:
    """Meta with empty values dropped and whitespace trimmed; CampaignError listing every problem."""
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in (meta or {}).items()}
    cleaned = {k: v for k, v in cleaned.items() if v not in ("", None)}
    problems = meta_problems(cleaned, where)
    if problems:
        raise CampaignError("; ".join(problems))
    return cleaned


def parse_meta_option(text: str, where: str = "--meta") -> dict[str, str]:
    """`date=2026-03-14,event=Final` as a meta dict; CampaignError naming every problem."""
    meta: dict[str, str] = {}
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            problems.append(f"{where}: {part!r} is not KEY=VALUE (keys: {', '.join(META_KEYS)})")
            continue
        meta[key.strip()] = value.strip()
    try:
        cleaned = clean_meta(meta, where)
    except CampaignError as exc:
        problems.append(str(exc))
        cleaned = {}
    if problems:
        raise CampaignError("; ".join(problems))
    return cleaned


def parse_meta_csv(text: str, source: str) -> dict[str, dict[str, str]]:
    """A meta CSV (columns `file` and any of date, event, channel, audience; one row per video) as
    {file name: meta}. CampaignError listing every problem with its row."""
    rows, problems = meta_csv_rows(text, source)
    if problems:
        raise CampaignError("; ".join(problems))
    return rows


def meta_csv_rows(text: str, source: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The rows of a meta CSV that read, and every problem with the others (for callers that add
    their own checks, such as file names, to one list)."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    if "file" not in columns:
        return {}, [f"{source}: no 'file' column (columns: file, {', '.join(META_KEYS)})"]
    problems = [f"{source}: unknown column {c!r} (columns: file, {', '.join(META_KEYS)})"
                for c in columns if c not in ("file", *META_KEYS)]
    rows: dict[str, dict[str, str]] = {}
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip(): v for k, v in row.items()}
        name = (row.get("file") or "").strip()
        where = f"{source} line {n}"
        if not name:
            problems.append(f"{where}: no file name")
            continue
        if name in rows:
            problems.append(f"{where}: {name} is listed twice")
            continue
        meta = {k: (row.get(k) or "").strip() for k in META_KEYS if row.get(k)}
        found = meta_problems(meta, f"{where} ({name})")
        problems += found
        if not found:
            rows[name] = {k: v for k, v in meta.items() if v}
    return rows, problems


def currency_decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 2


# -- exact sums: whole milliseconds (seconds) and minor units (money) ---------------------------------------------

def _units(value: float, digits: int) -> int:
    return int(round(value * 10 ** digits))


def _sum(values: Iterable[float], digits: int = 3) -> float:
    """The exact decimal sum of figures rounded to `digits` (no float drift whatever the order)."""
    return sum(_units(v, digits) for v in values) / 10 ** digits


def _r(value: float, digits: int) -> float:
    return _units(value, digits) / 10 ** digits


# -- one video ----------------------------------------------------------------------------------------------------

def _weighted_seconds(report: dict[str, Any], brand: dict[str, Any]) -> float:
    """Each appearance's seconds x its prominence / 100 (no boxes: in full). A report without the
    appearance detail (written before extras) falls back to the brand's mean prominence."""
    extra = (report.get("extras") or {}).get("brands", {}).get(brand["label"]) or {}
    detail = extra.get("appearances")
    if detail:
        total = sum((a.get("screen_time_s") or 0.0) * (100.0 if a.get("prominence") is None else a["prominence"]) / 100
                    for a in detail)
    else:
        p = extra.get("prominence")
        total = brand["screen_time_s"] * (100.0 if p is None else p) / 100
    return _r(total, 3)


def _video_rows(v: CampaignVideo, rate: float | None, decimals: int, weighted: bool) -> list[dict[str, Any]]:
    assert v.report is not None
    rows = []
    for b in v.report["brands"]:
        pw = _weighted_seconds(v.report, b)
        priced = pw if weighted else b["screen_time_s"]
        rows.append({"job_id": v.job_id, "video": v.video, "brand": b["label"], "screen_time_s": b["screen_time_s"],
                     "share_of_voice": b["share_of_screen_time"], "exposures": len(b["appearances"]),
                     "prominence_weighted_s": pw,
                     "media_value": None if rate is None else _r(priced / 30.0 * rate, decimals)})
    return rows


def _check(videos: Sequence[CampaignVideo]) -> None:
    problems = []
    seen: set[str] = set()
    for v in videos:
        if v.status not in STATUSES:
            problems.append(f"{v.video} ({v.job_id}): status {v.status!r} is not one of {', '.join(STATUSES)}")
        if v.status == "succeeded" and not isinstance(v.report, dict):
            problems.append(f"{v.video} ({v.job_id}): succeeded but has no report")
        if v.job_id in seen:
            problems.append(f"job {v.job_id} is listed twice")
        seen.add(v.job_id)
        problems += meta_problems(v.meta, f"{v.video} ({v.job_id})")
    if problems:
        raise CampaignError("; ".join(problems))


# -- the campaign -------------------------------------------------------------------------------------------------

def build_campaign(name: str, videos: Sequence[CampaignVideo], *, rate_per_30s: float | None = None,
                   currency: str = DEFAULT_CURRENCY, weight_by_prominence: bool = True,
                   generated_at: str | None = None) -> dict[str, Any]:
    """The campaign report of `videos` (in the order given: the campaign's order)."""
    check_name(name)
    _check(videos)
    if rate_per_30s is not None and not rate_per_30s >= 0:
        raise CampaignError(f"the rate per 30 s must be 0 or more, not {rate_per_30s}")
    decimals = currency_decimals(currency)
    included = [v for v in videos if v.status == "succeeded"]
    per_video = [row for v in included for row in _video_rows(v, rate_per_30s, decimals, weight_by_prominence)]

    brands: dict[str, list[dict[str, Any]]] = {}
    for row in per_video:
        brands.setdefault(row["brand"], []).append(row)
    all_seconds = _sum(row["screen_time_s"] for row in per_video)
    brand_rows = []
    for label, rows in brands.items():
        seconds = _sum(r["screen_time_s"] for r in rows)
        seen = [r for r in rows if r["screen_time_s"] > 0]
        best = max(seen, key=lambda r: r["screen_time_s"]) if seen else None  # max/min keep the first of ties
        worst = min(rows, key=lambda r: r["screen_time_s"])
        brand_rows.append({
            "brand": label, "screen_time_s": seconds,
            "share_of_voice": round(seconds / all_seconds, 4) if all_seconds > 0 else 0.0,
            "exposures": sum(r["exposures"] for r in rows),
            "prominence_weighted_s": _sum(r["prominence_weighted_s"] for r in rows),
            "media_value": None if rate_per_30s is None else _sum((r["media_value"] for r in rows), decimals),
            "videos": len(seen), "best_video": _pick(best), "worst_video": _pick(worst)})
    brand_rows.sort(key=lambda r: (-r["screen_time_s"], r["brand"]))

    video_rows = []
    for v in videos:
        rep = v.report if v.status == "succeeded" else None
        video_rows.append({
            "job_id": v.job_id, "video": v.video, "status": v.status, "reason": v.reason, "meta": dict(v.meta),
            "duration_s": rep["video"]["duration_s"] if rep else None,
            "screen_time_s": _sum(b["screen_time_s"] for b in rep["brands"]) if rep else None,
            "model": _model_ref(rep) if rep else None})

    over: dict[tuple[str, str], list[float]] = {}
    undated = 0
    for v in included:
        when = v.meta.get("date")
        if not when:
            undated += 1
            continue
        for b in v.report["brands"]:  # type: ignore[index]
            over.setdefault((when, b["label"]), []).append(b["screen_time_s"])
    over_time = [{"date": d, "brand": b, "screen_time_s": _sum(s)} for (d, b), s in sorted(over.items())]

    return {
        "schema": SCHEMA, "campaign": name, "currency": currency, "rate_per_30s": rate_per_30s,
        "media_value_basis": "prominence_weighted_s" if weight_by_prominence else "screen_time_s",
        "generated_at": generated_at or datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "totals": {
            "videos": len(included),
            "videos_failed": sum(v.status == "failed" for v in videos),
            "videos_pending": sum(v.status == "running" for v in videos),
            "videos_without_date": undated,
            "duration_s": _sum(v.report["video"]["duration_s"] for v in included),  # type: ignore[index]
            "screen_time_s": all_seconds,
            "exposures": sum(r["exposures"] for r in per_video),
            "prominence_weighted_s": _sum(r["prominence_weighted_s"] for r in per_video),
            "media_value": None if rate_per_30s is None else _sum((r["media_value"] for r in per_video), decimals),
        },
        "brands": brand_rows,
        "videos": video_rows,
        "per_video": per_video,
        "over_time": over_time,
    }


def _pick(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {"job_id": row["job_id"], "video": row["video"],
                                     "screen_time_s": row["screen_time_s"]}


def _model_ref(report: dict[str, Any]) -> str:
    m = report["model"]
    return m["name"] + (f" v{m['version']}" if m.get("version") is not None else "")


__all__ = ["CampaignError", "CampaignVideo", "DEFAULT_CURRENCY", "META_KEYS", "SCHEMA", "build_campaign",
           "check_name", "clean_meta", "currency_decimals", "meta_problems", "meta_csv_rows", "name_problem", "parse_meta_csv",
           "parse_meta_option"]
