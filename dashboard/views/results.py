"""Results of an analysis: who was on screen, how long, when, where, how big, and what it is worth."""

import json

import streamlit as st

from dashboard import charts, data, tables
from dashboard.draw import draw_labels
from dashboard.text import md
from shared.job_report import ThresholdError
from shared.media import sprites
from shared.report.quality import evaluation_line, per_label_line
from shared.report.tables import appearances_table, brands_table, csv_bytes, xlsx_bytes

st.title("Results")
analyses = data.analyses_with_reports()
if not analyses:
    st.info("No finished analysis with a model yet. Start one on **Analyze a video** "
            "(or `brandvis analyze VIDEO --model NAME`).")
    st.stop()


def _label(j: dict) -> str:
    m = j["request"]["detect"]["model"]
    return f"{j['request']['video']['name']} · {m['name']} v{m['model_version']} · {j['created_at'][:16].replace('T', ' ')}"


ids = [j["job_id"] for j in analyses]
wanted = st.query_params.get("job")
chosen = st.selectbox("Analysis", ids, index=ids.index(wanted) if wanted in ids else 0,
                      format_func=lambda i: _label(next(j for j in analyses if j["job_id"] == i)))
st.query_params["job"] = chosen
job = next(j for j in analyses if j["job_id"] == chosen)
# Re-thresholding: every figure below is recounted from the job's stored detections, kept down to its floor
floor, ran_at = data.thresholds(job)
picked = ran_at
if floor < 1.0:
    picked = st.slider("Minimum confidence", min_value=floor, max_value=1.0, value=ran_at, step=0.01,
                       key=f"min_confidence-{chosen}",
                       help=f"Recounts the figures from this analysis's stored detections, without detecting "
                            f"again: any threshold from {floor:g} (what they were kept down to) up; it ran at "
                            f"{ran_at:g}.")
threshold = max(floor, round(picked, 3))  # the slider's steps in floats (0.30000000000000004) as one cache key
try:
    report = data.report(chosen) if threshold == ran_at else data.report_at(chosen, threshold)
except ThresholdError as exc:
    st.error(str(exc))
    report = data.report(chosen)
video, model = report["video"], report["model"]
rate = f"{video['sampled_fps']:g} frames/s" if video["sampled_fps"] else "keyframes"
st.caption(f"{md(job['request']['video']['name'])} · {video['duration_s']:.1f} s · {video['width']}×{video['height']} · "
           f"sampled at {rate} · model {md(model['name'])} ({model['backend']}) · min confidence {model['min_confidence']:g}")
for line in (evaluation_line(model), per_label_line(model)):
    if line:
        st.caption(md(line))
for warning in model.get("warnings", []):
    st.warning(md(warning))

brands = brands_table(report)
# How sure: the true screen time the model's held-out evaluation implies (docs/report.md); CSVs keep the numbers
ranged = any("uncertainty" in b for b in report["brands"])
brands.insert(2, "likely_true", [f"{lo:.1f}–{hi:.1f}" if lo == lo and hi == hi and lo is not None and hi is not None
                                 else ("unverified" if ranged else None)
                                 for lo, hi in zip(brands.pop("true_low_s"), brands.pop("true_high_s"))])
brands = brands.drop(columns="near_threshold_s")
seen = brands[brands["screen_time_s"] > 0]
cols = st.columns(4)
cols[0].metric("Brands seen", f"{len(seen)} of {len(brands)}")
if len(seen):
    top = seen.iloc[0]
    cols[1].metric("Most on screen", f"{md(top['label'])} · {top['screen_time_s']:.1f} s")
any_s = report["extras"].get("seconds_with_any_brand", 0.0)
cols[2].metric("Any brand on screen", f"{any_s:.1f} s · {any_s / max(video['duration_s'], 1e-9):.1%}")
cols[3].metric("Exposures", int(brands["appearances"].sum()))

st.dataframe(tables.as_percent(brands, ["share_of_screen_time", "share_of_video"]), hide_index=True,
             width="stretch", column_config=tables.brand_columns())

left, right = st.columns([3, 2])
left.markdown("**Screen time**")
left.altair_chart(charts.screen_time_bars(report), width="stretch")
right.markdown("**Share of screen time**")
right.altair_chart(charts.share_of_voice(report), width="stretch")
st.markdown("**Appearances over time**")
st.altair_chart(charts.timeline(report), width="stretch")

where, frames, value, downloads = st.tabs(["Position and size", "Frames", "Media value", "Downloads"])

with where:
    labels = list(seen["label"]) or list(brands["label"])
    pick = st.selectbox("Brand", labels, key="heat_brand")
    a, b = st.columns(2)
    a.markdown(f"**Where {md(pick)} appears on the frame** (seconds per cell of its box centre)")
    a.altair_chart(charts.heatmap(report, pick), width="content")  # its own size: cells keep the frame's shape
    b.markdown("**Logo size** (box width, % of the frame width)")
    b.altair_chart(charts.size_distribution(report), width="stretch")

with frames:
    end_s = video["duration_s"]
    sheets = sprites.sheet_count(end_s)
    # Open where there is something to see: the first frame with a detection (else the first frame).
    first = next((f["t_s"] for f in report["frames"] if f["labels"]), report["frames"][0]["t_s"] if report["frames"]
                 else 0.0)
    sheet = st.select_slider("Minute", options=list(range(sheets)), format_func=lambda m: f"{m}:00–{m}:59",
                             value=min(int(first // 60), sheets - 1), key="sheet") if sheets > 1 else 0
    sprite = data.object_bytes(data.sprite_key(job, sheet))
    if sprite:
        st.image(sprite, caption=f"Minute {sheet}: a thumbnail every {sprites.TILE_EVERY_S} s")
    times = [f["t_s"] for f in report["frames"] if sheet * 60 <= f["t_s"] < (sheet + 1) * 60]
    if times:
        t = st.select_slider("Frame", options=times, format_func=lambda s: f"{int(s // 60)}:{s % 60:04.1f}",
                             value=first if first in times else times[0], key="t")
        frame = next(f for f in report["frames"] if f["t_s"] == t)
        name = data.frame_names(chosen).get(round(t, 6))
        jpeg = data.object_bytes(data.frame_key(job, name)) if name else None
        colours = dict(zip(charts.brand_colours(report).domain, charts.brand_colours(report).range))
        if jpeg:
            st.image(draw_labels(jpeg, frame["labels"], colours),
                     caption=", ".join(f"{md(lab['label'])} {lab['confidence']:.2f}" for lab in frame["labels"])
                     or "no brand in this frame")

with value:
    a, b, c = st.columns([2, 1, 2])
    rate_30 = a.number_input("Rate per 30 s of exposure", min_value=0.0, value=1000.0, step=100.0)
    configured = data.config().currency
    currency = b.selectbox("Currency", tables.currencies(configured),
                           index=tables.currencies(configured).index(configured), key="currency",
                           help="The rate card's currency (default: BRANDVIS_CURRENCY)")
    weighted = c.toggle("Weight by prominence", help="Each exposure counts its prominence (0-100 %) of the rate")
    table = charts.media_value(report, rate_30, weighted, tables.decimals(currency))
    st.dataframe(table, hide_index=True, width="stretch", column_config=tables.media_value_columns(currency))
    st.metric(f"Total ({currency})", f"{table['value'].sum():,.{tables.decimals(currency)}f}")

with downloads:
    stem = job["request"]["video"]["name"].rsplit(".", 1)[0]
    c = st.columns(4)
    c[0].download_button("Report (JSON)", json.dumps(report, indent=1), f"{stem}.report.json", "application/json")
    c[1].download_button("Per brand (CSV)", csv_bytes(report, "brands"), f"{stem}.brands.csv", "text/csv")
    c[2].download_button("Per exposure (CSV)", csv_bytes(report, "appearances"), f"{stem}.appearances.csv", "text/csv")
    c[3].download_button("Workbook (XLSX)", xlsx_bytes(report), f"{stem}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.dataframe(appearances_table(report), hide_index=True, width="stretch",
                 column_config=tables.appearance_columns())
