"""A campaign: the videos analysed under one name, added up. Who had the most screen time and
share of voice, in which video, over the season; one brand against its rival; every video's
status (and why one failed) with a link to its Results; the campaign's downloads."""

import io
import json
import re
import zipfile
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import charts, data, tables
from shared.report.campaign_tables import campaign_tables, campaign_xlsx_bytes

st.title("Campaign")
names = data.campaign_names()
wanted = st.query_params.get("campaign")
if wanted and wanted not in names:  # made since the list was cached (a link from Analyze): look again
    data.campaign_names.clear()
    names = data.campaign_names()
if not names:
    st.info("No campaign yet. Analyze videos under one campaign name: upload them together on **Analyze a video** "
            "and name the campaign under *Campaign and details*, or "
            "`brandvis analyze A.mp4 B.mp4 --model NAME --campaign NAME --meta date=2026-05-01,event=Final` "
            "(or `--meta-csv` for each video's own). The Campaign page adds them up.")
    st.stop()


def md(text: object) -> str:
    """User text (a video's name, a failure's reason) shown as itself inside Markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


if wanted and wanted not in names:
    st.warning(f"No campaign is named {md(wanted)}.")
top = st.columns([3, 2, 1, 2], vertical_alignment="bottom")
name = top[0].selectbox("Campaign", names, index=names.index(wanted) if wanted in names else 0, key="campaign")
st.query_params["campaign"] = name
rate = top[1].number_input("Rate per 30 s of exposure", min_value=0.0, value=1000.0, step=100.0, key="rate",
                           help="The rate card: what 30 s of a brand on screen is worth")
configured = data.config().currency
currency = top[2].selectbox("Currency", tables.currencies(configured),
                            index=tables.currencies(configured).index(configured), key="currency",
                            help="The rate card's currency (default: BRANDVIS_CURRENCY)")
weighted = top[3].toggle("Weight by prominence", key="weighted",
                         help="Each exposure counts its prominence (0-100 %) of the rate, as on Results")
report = data.campaign_report(name, rate, currency, weighted)
digits = tables.decimals(currency)
videos = report["videos"]
done = [v for v in videos if v["status"] == "succeeded"]
failed = [v for v in videos if v["status"] == "failed"]
running = [v for v in videos if v["status"] not in ("succeeded", "failed")]
labels = charts.video_labels(report)
totals = report["totals"]


def span(seconds: float) -> str:
    """A length as people say it: 1 h 32 min, 12 min 5 s, 45 s."""
    s = round(seconds)
    return f"{s // 3600} h {s % 3600 // 60} min" if s >= 3600 else f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"


st.caption(f"{len(videos)} videos · {totals['videos']} analysed · {totals['videos_failed']} failed · "
           f"{totals['videos_pending']} still running · "
           f"{span(totals['duration_s'])} of video analysed · rate {rate:,.{digits}f} {currency} per 30 s")
for v in failed:
    st.warning(f"{md(v['video'])} failed: {md(v['reason'] or 'no reason recorded')}", icon=":material/error:")
if running:
    st.info(f"{len(running)} of the campaign's videos are still being analysed; they count once they finish.")

brands = pd.DataFrame([{**{k: b[k] for k in ("brand", "screen_time_s", "share_of_voice", "exposures",
                                             "prominence_weighted_s", "media_value", "videos")},
                        "best": f"{labels.get(b['best_video']['job_id'], b['best_video']['video'])} · "
                                f"{b['best_video']['screen_time_s']:.1f} s" if b.get("best_video") else None,
                        "worst": f"{labels.get(b['worst_video']['job_id'], b['worst_video']['video'])} · "
                                 f"{b['worst_video']['screen_time_s']:.1f} s" if b.get("worst_video") else None}
                       for b in report["brands"]],
                      columns=["brand", "screen_time_s", "share_of_voice", "exposures", "prominence_weighted_s",
                               "media_value", "videos", "best", "worst"]).sort_values("screen_time_s", ascending=False,
                                                                                     kind="stable")
seen = brands[brands["screen_time_s"] > 0]
cols = st.columns(4)
cols[0].metric("Videos analysed", f"{totals['videos']} of {len(videos)}")
cols[1].metric("Brands on screen", f"{totals['screen_time_s']:.1f} s")
if len(seen):
    cols[2].metric("Top share of voice", f"{seen.iloc[0]['brand']} · {seen.iloc[0]['share_of_voice']:.1%}")
cols[3].metric(f"Media value ({currency})", f"{totals['media_value'] or 0:,.{digits}f}")

st.markdown("**Per brand, all videos**")
st.dataframe(tables.as_percent(brands, ["share_of_voice"]), hide_index=True, width="stretch",
             column_config=tables.campaign_brand_columns(currency))
left, right = st.columns([2, 3])
left.markdown("**Share of voice**")
if len(seen):
    left.altair_chart(charts.campaign_share_of_voice(report), width="stretch")
else:
    left.caption("No brand seen yet.")
right.markdown("**Seconds on screen, per video and brand**")
if done:
    right.altair_chart(charts.campaign_heatmap(report), width="stretch")
else:
    right.caption("No video of the campaign is analysed yet.")

st.markdown("**Screen time by date**")
undated = totals["videos_without_date"]
if undated < totals["videos"]:
    st.altair_chart(charts.campaign_over_time(report), width="stretch")
if undated:
    st.caption(f"{undated} of {totals['videos']} analysed videos have no date and are not on this chart "
               "(give each video a date when you analyze it).")

listed, rival, downloads = st.tabs(["Videos", "Brand vs rival", "Downloads"])

with listed:
    meta = [v.get("meta") or {} for v in videos]
    rows = pd.DataFrame([{"results": f"./?job={v['job_id']}" if v["status"] == "succeeded" else None,
                          "video": v["video"], "status": v["status"], "reason": v.get("reason"),
                          "date": date.fromisoformat(m["date"]) if m.get("date") else None,
                          "event": m.get("event"), "channel": m.get("channel"), "audience": m.get("audience"),
                          "duration_s": v.get("duration_s"), "screen_time_s": v.get("screen_time_s"),
                          "model": v.get("model"), "job_id": v["job_id"]} for v, m in zip(videos, meta)],
                        columns=list(tables.campaign_video_columns()))
    a, b, c = st.columns(3)
    events = a.multiselect("Event", sorted({m["event"] for m in meta if m.get("event")}), key="events",
                           placeholder="every event")
    channels = b.multiselect("Channel", sorted({m["channel"] for m in meta if m.get("channel")}), key="channels",
                             placeholder="every channel")
    dates = sorted(d for d in rows["date"] if d is not None)
    between = c.date_input("Dates", (dates[0], dates[-1]), min_value=dates[0], max_value=dates[-1], key="dates",
                           format="YYYY-MM-DD") if dates else ()
    shown = rows
    if events:
        shown = shown[shown["event"].isin(events)]
    if channels:
        shown = shown[shown["channel"].isin(channels)]
    if len(between) == 2 and tuple(between) != (dates[0], dates[-1]):  # narrowed: undated videos are outside it
        shown = shown[shown["date"].map(lambda d: d is not None and between[0] <= d <= between[1])]
    st.dataframe(shown, hide_index=True, width="stretch", column_config=tables.campaign_video_columns(),
                 key="videos_table")
    st.caption(f"{len(shown)} of {len(rows)} videos. **open** shows an analysed video's Results.")

with rival:
    order = list(brands["brand"])
    if len(order) < 2:
        st.info("The campaign has fewer than two brands to compare.")
    else:
        a, b = st.columns(2)
        one = a.selectbox("Brand", order, index=0, key="brand_a")
        other = b.selectbox("Against", [x for x in order if x != one], index=0, key="brand_b")
        pair = brands.set_index("brand").loc[[one, other]].reset_index()
        st.dataframe(tables.as_percent(pair, ["share_of_voice"]), hide_index=True, width="stretch",
                     column_config=tables.campaign_brand_columns(currency))
        x, y = pair.iloc[0], pair.iloc[1]
        diff = x["screen_time_s"] - y["screen_time_s"]
        st.caption(f"{md(one)} had {abs(diff):.1f} s {'more' if diff >= 0 else 'less'} on screen than {md(other)} "
                   f"({x['share_of_voice']:.1%} against {y['share_of_voice']:.1%} of the voice).")
        st.altair_chart(charts.campaign_comparison(report, [one, other]), width="stretch")
        per = {(r["job_id"], r["brand"]): r for r in report["per_video"]}
        side = []
        for v in done:
            row = {"video": labels[v["job_id"]]}
            for brand in (one, other):
                r = per.get((v["job_id"], brand)) or {}
                row.update({f"{brand} s": r.get("screen_time_s", 0.0), f"{brand} share": r.get("share_of_voice", 0.0),
                            f"{brand} exposures": r.get("exposures", 0),
                            f"{brand} weighted s": r.get("prominence_weighted_s", 0.0),
                            f"{brand} value": r.get("media_value")})
            side.append(row)
        side_table = pd.DataFrame(side, columns=["video"] + [f"{brand} {m}" for m in  # each figure side by side
                                                             ("s", "share", "exposures", "weighted s", "value")
                                                             for brand in (one, other)])
        st.dataframe(tables.as_percent(side_table, [f"{one} share", f"{other} share"]), hide_index=True,
                     width="stretch", column_config=tables.comparison_columns([one, other], currency),
                     key="rival_table")

with downloads:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "campaign"
    views = campaign_tables(report)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        for view, table in views.items():
            z.writestr(f"{stem}/{view}.csv", table.to_csv(index=False))
    c = st.columns(3)
    c[0].download_button("Campaign (JSON)", json.dumps(report, indent=1), f"{stem}.campaign.json", "application/json")
    c[1].download_button("Tables (CSV, zip)", packed.getvalue(), f"{stem}.csv.zip", "application/zip")
    c[2].download_button("Workbook (XLSX)", campaign_xlsx_bytes(report), f"{stem}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.caption("The zip holds one CSV per view (" + ", ".join(views) + "); the workbook one sheet per view.")
