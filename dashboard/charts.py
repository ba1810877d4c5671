"""Altair charts of a visibility report: pure functions of the report JSON, one per question an
analyst asks. Every chart shares one colour per brand, so a brand looks the same everywhere.
Charts carry no Vega title: inside Streamlit a titled chart loses its height (the page puts a
heading above each instead)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from shared.report.tables import appearances_table, brands_table

TABLEAU = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac"]


def brand_colours(report: dict[str, Any]) -> alt.Scale:
    labels = sorted(b["label"] for b in report["brands"])
    return alt.Scale(domain=labels, range=[TABLEAU[i % len(TABLEAU)] for i in range(len(labels))])


def _seen(report: dict[str, Any]) -> list[str]:
    return [b["label"] for b in report["brands"] if b["screen_time_s"] > 0]


def timeline(report: dict[str, Any]) -> alt.Chart:
    """When each brand was on screen: one bar per appearance (a Gantt chart)."""
    rows = appearances_table(report)
    duration = report["video"]["duration_s"]
    return alt.Chart(rows).mark_bar(cornerRadius=2).encode(
        x=alt.X("start_s:Q", title="seconds into the video", scale=alt.Scale(domain=[0, duration])),
        x2="end_s:Q",
        y=alt.Y("label:N", title=None, sort=_seen(report)),
        color=alt.Color("label:N", scale=brand_colours(report), legend=None),
        tooltip=[alt.Tooltip("label:N", title="brand"), alt.Tooltip("start_s:Q", title="from (s)", format=".1f"),
                 alt.Tooltip("end_s:Q", title="to (s)", format=".1f"),
                 alt.Tooltip("screen_time_s:Q", title="on screen (s)", format=".1f"),
                 alt.Tooltip("prominence:Q", format=".0f")],
    ).properties(height=max(120, 56 * len(_seen(report))))


def screen_time_bars(report: dict[str, Any]) -> alt.Chart:
    table = brands_table(report)
    return alt.Chart(table).mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("screen_time_s:Q", title="seconds on screen"),
        y=alt.Y("label:N", title=None, sort="-x"),
        color=alt.Color("label:N", scale=brand_colours(report), legend=None),
        tooltip=[alt.Tooltip("label:N", title="brand"), alt.Tooltip("screen_time_s:Q", title="seconds", format=".1f"),
                 alt.Tooltip("solus_time_s:Q", title="alone on screen (s)", format=".1f"),
                 alt.Tooltip("appearances:Q")],
    ).properties(height=max(120, 56 * len(table)))


def share_of_voice(report: dict[str, Any]) -> alt.Chart:
    table = brands_table(report)
    table = table[table["screen_time_s"] > 0]
    base = alt.Chart(table).encode(
        theta=alt.Theta("share_of_screen_time:Q", stack=True),
        color=alt.Color("label:N", scale=brand_colours(report), legend=alt.Legend(title=None, orient="right")),
        tooltip=[alt.Tooltip("label:N", title="brand"), alt.Tooltip("share_of_screen_time:Q", title="share", format=".1%")])
    # Labels sit outside the ring: the padding keeps one at the far left or right whole.
    return (base.mark_arc(innerRadius=55, outerRadius=110) + base.mark_text(radius=132, size=12).encode(
        text=alt.Text("share_of_screen_time:Q", format=".1%"))).properties(padding={"left": 28, "right": 8, "top": 16,
                                                                                  "bottom": 16})


def heatmap(report: dict[str, Any], label: str) -> alt.Chart:
    """Where on the frame the brand's box centre was, in seconds per cell of an 8x8 grid (row 0 at
    the top). Cells it never reached are grey, so they do not pass for a little time."""
    grid = (report["extras"]["brands"].get(label) or {}).get("heatmap") or [[0.0] * 8 for _ in range(8)]
    n_rows, n_cols = len(grid), len(grid[0])
    cells = pd.DataFrame([{"x0": 100 * c / n_cols, "x1": 100 * (c + 1) / n_cols, "y0": 100 * r / n_rows,
                           "y1": 100 * (r + 1) / n_rows, "seconds": float(v)}
                          for r, row in enumerate(grid) for c, v in enumerate(row)])
    aspect = report["video"]["height"] / max(1, report["video"]["width"])
    ticks = [0, 25, 50, 75, 100]
    x = alt.X("x0:Q", title="% of the frame width (left to right)", scale=alt.Scale(domain=[0, 100], nice=False),
              axis=alt.Axis(values=ticks, grid=False))
    y = alt.Y("y0:Q", title="% of the height (top down)", scale=alt.Scale(domain=[0, 100], reverse=True, nice=False),
              axis=alt.Axis(values=ticks, grid=False))
    frame = alt.Chart(cells).mark_rect(color="#eceef1", stroke="white", strokeWidth=1).encode(
        x=x, x2="x1:Q", y=y, y2="y1:Q", tooltip=[alt.Tooltip("seconds:Q", format=".1f")])
    top = max(1e-9, float(cells["seconds"].max()))
    seen = alt.Chart(cells[cells["seconds"] > 0]).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, x2="x1:Q", y=y, y2="y1:Q",
        color=alt.Color("seconds:Q", scale=alt.Scale(domain=[0, top], range=["#b3d1ea", "#08306b"]),
                        legend=alt.Legend(title="seconds in the cell (grey: never there)", orient="bottom",
                                          direction="horizontal", gradientLength=200, titleLimit=360)),
        tooltip=[alt.Tooltip("seconds:Q", format=".1f")])
    # "pad": the axes and the legend are added around the cells (Streamlit's default "fit" would
    # squeeze them into the height and leave the grid none).
    return (frame + seen).properties(width=360, height=int(360 * aspect), autosize=alt.AutoSizeParams(type="pad"))


def size_distribution(report: dict[str, Any]) -> alt.Chart:
    buckets = report["extras"].get("size_buckets", [])
    rows = [{"label": label, "size": bucket, "seconds": seconds}
            for label, x in report["extras"]["brands"].items() if x.get("size_histogram")
            for bucket, seconds in x["size_histogram"].items() if seconds > 0]
    return alt.Chart(pd.DataFrame(rows, columns=["label", "size", "seconds"])).mark_bar().encode(
        x=alt.X("size:O", sort=buckets, title="box width, % of frame width"),
        y=alt.Y("seconds:Q", title="seconds", stack=True),
        color=alt.Color("label:N", scale=brand_colours(report), legend=alt.Legend(title=None)),
        tooltip=["label:N", "size:O", alt.Tooltip("seconds:Q", format=".1f")])


def media_value(report: dict[str, Any], rate_per_30s: float, weight_by_prominence: bool,
                decimals: int = 2) -> pd.DataFrame:
    """Screen time priced at a rate card's rate per 30 s; optionally each appearance weighted by
    its prominence (0-100 % of the rate). The value is priced from the seconds as shown (0.1 s),
    so the two columns always agree."""
    rows = []
    apps = appearances_table(report)
    for b in report["brands"]:
        if weight_by_prominence:
            mine = apps[apps["label"] == b["label"]]
            seconds = float(sum(r.screen_time_s * ((r.prominence if r.prominence == r.prominence else 100) / 100)
                                for r in mine.itertuples()))
        else:
            seconds = b["screen_time_s"]
        valued = round(seconds, 1)
        rows.append({"brand": b["label"], "screen time (s)": round(b["screen_time_s"], 1),
                     "valued seconds": valued, "value": round(valued / 30 * rate_per_30s, decimals)})
    return pd.DataFrame(rows, columns=["brand", "screen time (s)", "valued seconds", "value"])


def price(seconds: float, rate_per_30s: float, decimals: int = 2) -> float:
    """Seconds at a rate per 30 s, priced from the seconds as shown (0.1 s), as media_value does."""
    return round(round(seconds, 1) / 30 * rate_per_30s, decimals)


# -- a campaign (brandvis.campaign/v1): many videos' reports added up ----------------------------
def campaign_colours(report: dict[str, Any]) -> alt.Scale:
    """One colour per brand of the campaign, in the same order as a single report's."""
    labels = sorted(b["brand"] for b in report["brands"])
    return alt.Scale(domain=labels, range=[TABLEAU[i % len(TABLEAU)] for i in range(len(labels))])


def video_labels(report: dict[str, Any]) -> dict[str, str]:
    """job id -> how a video is named on the page: its file name, with its date when it has one;
    two jobs of one file are told apart by the end of their job id."""
    names: dict[str, str] = {}
    for v in report["videos"]:
        date = (v.get("meta") or {}).get("date")
        names[v["job_id"]] = f"{date} · {v['video']}" if date else v["video"]
    counts = pd.Series(list(names.values())).value_counts()
    return {j: (f"{n} ({j[-6:]})" if counts[n] > 1 else n) for j, n in names.items()}


def _only(scale: alt.Scale, brands: list[str]) -> alt.Scale:
    """The campaign's colours of `brands` alone (a legend of just them)."""
    colour = dict(zip(scale.domain, scale.range))
    return alt.Scale(domain=brands, range=[colour[b] for b in brands])


def _brand_order(report: dict[str, Any]) -> list[str]:
    return [b["brand"] for b in sorted(report["brands"], key=lambda b: -b["screen_time_s"])]


def campaign_share_of_voice(report: dict[str, Any]) -> alt.Chart:
    """Each brand's share of all brands' seconds over the campaign's videos (a donut)."""
    table = pd.DataFrame([b for b in report["brands"] if b["screen_time_s"] > 0],
                         columns=["brand", "share_of_voice", "screen_time_s"])
    base = alt.Chart(table).encode(
        theta=alt.Theta("share_of_voice:Q", stack=True),
        color=alt.Color("brand:N", scale=campaign_colours(report), sort=_brand_order(report),
                        legend=alt.Legend(title=None, orient="right")),
        tooltip=[alt.Tooltip("brand:N"), alt.Tooltip("share_of_voice:Q", title="share", format=".1%"),
                 alt.Tooltip("screen_time_s:Q", title="seconds", format=".1f")])
    return (base.mark_arc(innerRadius=55, outerRadius=110) + base.mark_text(radius=132, size=12).encode(
        text=alt.Text("share_of_voice:Q", format=".1%"))).properties(padding={"left": 28, "right": 8, "top": 16,
                                                                           "bottom": 16})


def campaign_heatmap(report: dict[str, Any]) -> alt.Chart:
    """Seconds on screen per video (rows, in the campaign's order) and brand (columns, most seen
    first); a cell with no time is left grey and blank, so it does not read as a little."""
    names = video_labels(report)
    brands = _brand_order(report)
    done = [v["job_id"] for v in report["videos"] if v["status"] == "succeeded"]
    seconds = {(r["job_id"], r["brand"]): r["screen_time_s"] for r in report["per_video"]}
    cells = pd.DataFrame([{"video": names[j], "brand": b, "seconds": float(seconds.get((j, b), 0.0))}
                          for j in done for b in brands], columns=["video", "brand", "seconds"])
    x = alt.X("brand:N", sort=brands, title=None, axis=alt.Axis(orient="top", labelAngle=0))
    y = alt.Y("video:N", sort=[names[j] for j in done], title=None, axis=alt.Axis(labelLimit=320))
    top = max(1e-9, float(cells["seconds"].max())) if len(cells) else 1.0
    grey = alt.Chart(cells).mark_rect(color="#eceef1", stroke="white", strokeWidth=2).encode(x=x, y=y)
    seen = cells[cells["seconds"] > 0]
    colour = alt.Chart(seen).mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("seconds:Q", scale=alt.Scale(domain=[0, top], range=["#d4e4f4", "#08306b"]),
                                  legend=alt.Legend(title="seconds on screen", orient="bottom",
                                                    direction="horizontal", gradientLength=200)),
        tooltip=[alt.Tooltip("video:N"), alt.Tooltip("brand:N"), alt.Tooltip("seconds:Q", format=".1f")])
    text = alt.Chart(seen).mark_text(fontSize=12).encode(
        x=x, y=y, text=alt.Text("seconds:Q", format=".1f"),
        color=alt.condition(alt.datum.seconds > top / 2, alt.value("white"), alt.value("#1f2933")))
    # fit-x: the width follows the page, the height is the cells' own (a fitted height would squeeze
    # the rows to make room for the axis and the legend)
    return (grey + colour + text).properties(height=max(120, 30 * len(done)),
                                            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def campaign_over_time(report: dict[str, Any]) -> alt.Chart:
    """Each brand's seconds by the videos' date (videos without a date are not on it)."""
    rows = pd.DataFrame(report["over_time"], columns=["date", "brand", "screen_time_s"])
    rows = rows[rows["date"].notna()]
    base = alt.Chart(rows).encode(
        x=alt.X("date:T", title="date", axis=alt.Axis(format="%d %b %Y", labelAngle=0)),
        y=alt.Y("screen_time_s:Q", title="seconds on screen"),
        color=alt.Color("brand:N", scale=campaign_colours(report), sort=_brand_order(report),
                        legend=alt.Legend(title=None, orient="right")),
        tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), alt.Tooltip("brand:N"),
                 alt.Tooltip("screen_time_s:Q", title="seconds", format=".1f")])
    return (base.mark_line(strokeWidth=2) + base.mark_point(filled=True, size=60)).properties(height=300)


def campaign_comparison(report: dict[str, Any], brands: list[str]) -> alt.Chart:
    """The chosen brands' seconds side by side in each analysed video."""
    names = video_labels(report)
    done = [v["job_id"] for v in report["videos"] if v["status"] == "succeeded"]
    seconds = {(r["job_id"], r["brand"]): r["screen_time_s"] for r in report["per_video"]}
    rows = pd.DataFrame([{"video": names[j], "brand": b, "seconds": float(seconds.get((j, b), 0.0))}
                         for j in done for b in brands], columns=["video", "brand", "seconds"])
    return alt.Chart(rows).mark_bar(cornerRadiusEnd=2).encode(
        y=alt.Y("video:N", sort=[names[j] for j in done], title=None, axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("brand:N", sort=brands),
        x=alt.X("seconds:Q", title="seconds on screen"),
        color=alt.Color("brand:N", scale=_only(campaign_colours(report), brands), sort=brands,
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=[alt.Tooltip("video:N"), alt.Tooltip("brand:N"), alt.Tooltip("seconds:Q", format=".1f")],
    ).properties(height=max(120, 44 * len(done)))
