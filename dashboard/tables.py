"""How the report's tables read on screen: names people use, rounded figures, and one percent
format everywhere (one decimal). The data keeps its report column names (the downloads use them);
only the headers and formats change here.

Headers are short enough for the brand table to fit a 1,400-px window beside the sidebar (940 px
for the table; its columns take 918); the full meaning of each is in its tooltip.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from shared.report.campaign import currency_decimals

PERCENT = "%.1f%%"  # applied to 0-100 figures: share columns are scaled by `as_percent`


def as_percent(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The fractions in `columns` as 0-100 figures (a copy), for PERCENT."""
    out = table.copy()
    for c in columns:
        out[c] = out[c].astype(float) * 100
    return out


def _num(label: str, fmt: str, width: int, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format=fmt, width=width, help=help)


def brand_columns() -> dict[str, Any]:
    """brands_table's columns, after as_percent(share_of_screen_time, share_of_video)."""
    return {
        "label": st.column_config.TextColumn("brand", pinned=True, width=88),
        "screen_time_s": _num("time (s)", "%.1f", 70, "Seconds on screen"),
        "likely_true": st.column_config.TextColumn(
            "true (s)", width=80, help="95 % range of the true screen time that the model's held-out precision "
            "and recall for the brand imply (docs/report.md); unverified: no held-out example"),
        "share_of_screen_time": st.column_config.ProgressColumn(
            "share", min_value=0.0, max_value=100.0, format=PERCENT, width=96,
            help="Share of voice: this brand's part of all brands' screen time"),
        "share_of_video": _num("% video", PERCENT, 70, "Share of the video's duration with the brand on screen"),
        "appearances": _num("exposures", "%d", 84, "Exposures: separate appearances on screen"),
        "first_seen_s": _num("first (s)", "%.1f", 66, "First seen, seconds into the video"),
        "last_seen_s": None,  # on the timeline below and in the downloads; the range above needs the room
        "solus_time_s": _num("alone (s)", "%.1f", 70, "Seconds with no other brand on screen"),
        "mean_other_brands": _num("clutter", "%.1f", 60, "Mean number of other brands beside it"),
        "mean_confidence": _num("confidence", "%.2f", 84, "Mean detection confidence"),
        "mean_area_pct": _num("size %", "%.1f", 60, "Mean box area, % of the frame"),
        "prominence": _num("prominence", "%.0f", 90, "Prominence 0-100: size × centrality × confidence (docs/report.md)"),
    }


def appearance_columns() -> dict[str, Any]:
    """appearances_table's columns (one row per exposure)."""
    return {
        "label": st.column_config.TextColumn("brand", pinned=True),
        "appearance": _num("exposure", "%d", 80, "Its brand's exposures, numbered in time order"),
        "start_s": _num("from (s)", "%.1f", 80, "Seconds into the video"),
        "end_s": _num("to (s)", "%.1f", 80, "Seconds into the video"),
        "duration_s": _num("length (s)", "%.1f", 90, "From its first to its last frame"),
        "screen_time_s": _num("on screen (s)", "%.1f", 110, "Seconds its sampled frames stand for"),
        "frames": _num("frames", "%d", 70, "Sampled frames with the brand"),
        "mean_confidence": _num("confidence", "%.2f", 90, "Mean detection confidence"),
        "mean_area_pct": _num("size (% of frame)", "%.1f", 130, "Mean box area, % of the frame"),
        "prominence": _num("prominence", "%.0f", 90, "0-100: size × centrality × confidence (docs/report.md)"),
    }


def media_value_columns(currency: str) -> dict[str, Any]:
    """charts.media_value's columns, the value in `currency`."""
    return {
        "brand": st.column_config.TextColumn("brand"),
        "screen time (s)": _num("screen time (s)", "%.1f", 120),
        "valued seconds": _num("valued seconds", "%.1f", 120,
                               "Seconds priced: the screen time, or each exposure's seconds × its prominence"),
        "value": _num(f"value ({currency})", f"%,.{decimals(currency)}f", 140),
    }


#: Offered on the Media value tab; the configured one (BRANDVIS_CURRENCY) is added if missing.
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "BRL", "MXN", "SEK"]


def currencies(configured: str) -> list[str]:
    return CURRENCIES if configured in CURRENCIES else [configured, *CURRENCIES]


#: The minor unit a value is shown to: the same rule the campaign report rounds with.
decimals = currency_decimals


# -- the Campaign page -----------------------------------------------------------------------------
def campaign_brand_columns(currency: str) -> dict[str, Any]:
    """A campaign's per-brand rows (share_of_voice after as_percent), the value in `currency`."""
    return {
        "brand": st.column_config.TextColumn("brand", pinned=True, width=96),
        "screen_time_s": _num("time (s)", "%.1f", 80, "Seconds on screen, all the campaign's analysed videos added"),
        "share_of_voice": st.column_config.ProgressColumn(
            "share", min_value=0.0, max_value=100.0, format=PERCENT, width=110,
            help="Share of voice: this brand's part of all brands' seconds in the campaign"),
        "exposures": _num("exposures", "%d", 84, "Separate appearances on screen, all videos"),
        "prominence_weighted_s": _num("weighted (s)", "%.1f", 96,
                                      "Prominence-weighted seconds: each exposure's seconds × its prominence (0-100 %)"),
        "media_value": _num(f"value ({currency})", f"%,.{decimals(currency)}f", 120,
                            "Its seconds (or prominence-weighted seconds) priced at the rate per 30 s"),
        "videos": _num("videos", "%d", 64, "Analysed videos it was seen in"),
        "best": st.column_config.TextColumn("most in", width=200, help="The video it was on screen longest in"),
        "worst": st.column_config.TextColumn("least in", width=200, help="The video it was on screen least in"),
    }


def campaign_video_columns() -> dict[str, Any]:
    """The per-video rows of a campaign: a link to each analysed video's Results, its status, why
    it failed, its metadata."""
    return {
        "results": st.column_config.LinkColumn("results", display_text="open", width=64,
                                               help="This video's Results page"),
        "video": st.column_config.TextColumn("video", width=200),
        "status": st.column_config.TextColumn("status", width=84),
        "reason": st.column_config.TextColumn("reason", width=260, help="Why the analysis failed"),
        "date": st.column_config.DateColumn("date", format="YYYY-MM-DD", width=96),
        "event": st.column_config.TextColumn("event", width=120),
        "channel": st.column_config.TextColumn("channel", width=100),
        "audience": st.column_config.TextColumn("audience", width=90),
        "duration_s": _num("length (s)", "%.0f", 80, "The video's duration"),
        "screen_time_s": _num("brands (s)", "%.1f", 84, "All brands' seconds on screen in it"),
        "model": st.column_config.TextColumn("model", width=90, help="The model version that analysed it"),
        "job_id": st.column_config.TextColumn("job", width=180),
    }


def comparison_columns(brands: list[str], currency: str) -> dict[str, Any]:
    """The brand-vs-rival table: per video, each brand's figures side by side (share after as_percent)."""
    out: dict[str, Any] = {"video": st.column_config.TextColumn("video", pinned=True, width=220)}
    for b in brands:
        out.update({f"{b} s": _num(f"{b} (s)", "%.1f", 90, f"{b}: seconds on screen in the video"),
                    f"{b} share": _num(f"{b} share", PERCENT, 90, f"{b}: share of voice in the video"),
                    f"{b} exposures": _num(f"{b} exp.", "%d", 80, f"{b}: exposures in the video"),
                    f"{b} weighted s": _num(f"{b} wtd (s)", "%.1f", 96, f"{b}: prominence-weighted seconds"),
                    f"{b} value": _num(f"{b} ({currency})", f"%,.{decimals(currency)}f", 110,
                                       f"{b}: media value in the video")})
    return out
