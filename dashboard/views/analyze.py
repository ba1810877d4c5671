"""Analyze videos: upload one or several (straight to the bucket), choose a model and the sampling,
optionally a campaign and each video's date, event, channel, audience; start one job per video. The jobs
run on the workers."""

import pandas as pd
import streamlit as st

from dashboard import data, direct_upload
from dashboard.text import md
from shared.jobs import SUCCEEDED
from shared.messages import MIN_FPS, Sampling, VideoRef
from shared.names import STAGES
from shared.report.campaign import meta_problems, name_problem
from shared.submit import RequestError

NO_MODEL = "none: frames and sprites only"
META_TEXT = ["event", "channel", "audience"]  # and a date: what a campaign's videos are told apart by
VIDEO_TYPES = ["mp4", "mov", "mkv", "webm", "avi", "m4v"]
UPLOAD, PICK = "Upload videos", "Pick an uploaded one"

st.title("Analyze a video")
models = data.trained_models()
known = data.uploaded_videos()
# Nothing to pick yet: no choice to show
source = st.radio("Video", [UPLOAD, PICK], horizontal=True, label_visibility="collapsed") if known else UPLOAD
# The videos go from the browser straight to the bucket (dashboard/direct_upload.py); with
# BRANDVIS_UPLOAD_DIRECT=false through Streamlit's uploader, which holds each file (up to upload_max_mb)
# in the dashboard's memory.
straight_to_bucket = source == UPLOAD and data.config().upload_direct
# Outside the form: the direct upload talks to the page while the files go up, and the details table
# below has a row per file as soon as they are chosen
direct = direct_upload.video_uploads("Videos", VIDEO_TYPES, key="analyze_upload") if straight_to_bucket else None
uploads = st.file_uploader("Video", type=VIDEO_TYPES, accept_multiple_files=True, key="uploads",
                           max_upload_size=data.upload_limit_mb(),
                           help="One or several: each video is analysed as its own job. " + data.upload_help()) \
    if source == UPLOAD and not straight_to_bucket else []
chosen = [u.name for u in uploads] or (direct.names if direct is not None else [])
with st.form("analyze"):
    picked = None if source != PICK else st.selectbox("Video", list(known), format_func=lambda v: known[v]["name"])
    model = st.selectbox("Model", [NO_MODEL] + list(models), index=1 if models else 0,
                         help="Trained model versions; the newest version of each is used.")
    mode = st.radio("Frames", ["Uniform sampling", "Keyframes only (quick look)"], horizontal=True)
    fps = st.number_input("Frames per second", min_value=float(MIN_FPS), max_value=60.0, value=2.0, step=0.5)
    min_confidence = st.slider("Minimum confidence", 0.0, 1.0, 0.5, 0.05,
                               help="Detections below this are ignored in the report.")
    with st.expander("Campaign and details (optional)", expanded=len(chosen) > 1):
        campaign = st.text_input("Campaign", key="campaign", placeholder="e.g. Spring 2026",
                                 help="Videos analysed under one campaign name are added up on the Campaign page.")
        named = chosen or ["the chosen video"]
        meta = st.data_editor(
            pd.DataFrame({"video": named, "date": pd.Series([None] * len(named), dtype="datetime64[ns]"),
                          **{k: [""] * len(named) for k in META_TEXT}}),
            key="meta-" + "|".join(named), hide_index=True, width="stretch", disabled=["video"],
            column_config={"video": st.column_config.TextColumn("video"),
                           "date": st.column_config.DateColumn("date", format="YYYY-MM-DD",
                                                               help="When it was broadcast: the campaign's timeline"),
                           "event": st.column_config.TextColumn("event", help="e.g. Cup final"),
                           "channel": st.column_config.TextColumn("channel", help="e.g. the broadcaster"),
                           "audience": st.column_config.TextColumn("audience", help="e.g. 1.2M viewers")})
    submitted = st.form_submit_button("Start analysis", type="primary")


def details(row: pd.Series) -> dict[str, str] | None:
    """One file's metadata as the request takes it: filled fields only, the date as YYYY-MM-DD."""
    out = {k: str(row[k]).strip() for k in META_TEXT if isinstance(row[k], str) and row[k].strip()}
    if not pd.isna(row["date"]):
        out["date"] = pd.Timestamp(row["date"]).date().isoformat()
    return out or None


if submitted:
    given = [details(meta.iloc[n]) for n in range(len(meta))]
    # Everything the request would refuse, said before any file is uploaded
    problems = [p for p in [name_problem(campaign.strip()) if campaign.strip() else None] if p] + \
        [p for n, m in enumerate(given) for p in meta_problems(m or {}, named[n])] + \
        (["A campaign adds up the videos' reports: choose a model."] if campaign.strip() and model == NO_MODEL else []) + \
        (["Date, event, channel and audience describe a campaign's videos: name the campaign too."]
         if any(given) and not campaign.strip() else [])
    arrived = list(direct.refs) if direct is not None else []
    if direct is not None and direct.waiting:
        st.error(direct.wait_line())
    elif not uploads and picked is None and not any(arrived):
        st.error("Choose a video file first" + (", and wait until it is in the bucket." if straight_to_bucket else "."))
    elif too_large := data.oversized(uploads):
        st.error(too_large)  # names escaped in it
    elif problems:
        for line in problems:
            st.error(md(line))
    else:
        sampling = Sampling.every_keyframe() if mode.startswith("Keyframes") else Sampling.at_fps(fps)
        submit = data.submit()
        grouped = {"campaign": campaign.strip()} if campaign.strip() else {}
        started, refused = [], []
        # One job per file: uploaded here, or already in the bucket (refused ones are said above the form)
        todo = ([(n, u, None) for n, u in enumerate(uploads)] or
                [(n, None, v) for n, v in enumerate(arrived) if v is not None] or [(0, None, None)])
        with st.spinner("Uploading and queueing…"):
            for n, upload, ready in todo:
                extra = {**grouped, **({"meta": given[n]} if given[n] else {})}
                try:
                    video = (submit.upload_video_stream(upload, upload.name, sampling) if upload is not None else
                             ready if ready is not None else VideoRef(**known[picked]))
                    started.append(submit.analyze(video, sampling, model=None if model == NO_MODEL else model,
                                                  min_confidence=min_confidence, **extra).job_id)
                except RequestError as exc:
                    refused.append(f"{named[n]}: {exc}" if len(todo) > 1 else str(exc))
        for line in refused:
            st.error(md(line))
        if started:
            st.session_state["started_campaign"] = grouped.get("campaign")
        if len(started) == 1 and len(todo) == 1:
            st.session_state["started_job"] = started[0]
        elif started:
            st.session_state.pop("started_job", None)
            st.session_state["started_jobs"] = started

several = st.session_state.get("started_jobs")
if several and not st.session_state.get("started_job"):
    @st.fragment(run_every=2)
    def several_progress() -> None:
        """The jobs just started, one line each: its video, its status, the reason if it failed."""
        st.subheader(f"{len(several)} jobs started")
        data.job.clear()
        for job_id in several:
            job = data.job(job_id)
            if job is None:
                continue
            stages = [p for p in job["stages"].values() if p and p["expected"]]
            share = sum(min(1.0, p["done"] / p["expected"]) for p in stages) / max(1, len(stages))
            st.progress(1.0 if job["status"] == SUCCEEDED else share,
                        text=f"{md(job['request']['video']['name'])} · {job_id}: {job['status']}")
            if job["error"]:
                st.error(md(job["error"]))
        name = st.session_state.get("started_campaign")
        if name:
            st.page_link("views/campaign.py", label=f"See the campaign {name}", icon=":material/campaign:",
                         query_params={"campaign": name})

    several_progress()

started = st.session_state.get("started_job")
if started:
    @st.fragment(run_every=2)
    def progress() -> None:
        """The job just started, live: one bar per stage, the reason if it fails, a link when done."""
        data.job.clear()
        job = data.job(started)
        if job is None:
            return
        st.subheader(f"Job {started}: {job['status']}")
        for name in STAGES:
            p = job["stages"].get(name)
            if p and p["expected"]:
                st.progress(min(1.0, p["done"] / p["expected"]), text=f"{name}: {p['done']} of {p['expected']}")
        for w in job["warnings"]:
            st.warning(md(w))
        if job["error"]:
            st.error(md(job["error"]))
        if job["status"] == SUCCEEDED and "detect" in job["request"]:
            st.page_link("views/results.py", label="See the results", icon=":material/insights:",
                         query_params={"job": started})
        if st.session_state.get("started_campaign"):
            name = st.session_state["started_campaign"]
            st.page_link("views/campaign.py", label=f"See the campaign {name}", icon=":material/campaign:",
                         query_params={"campaign": name})

    progress()
