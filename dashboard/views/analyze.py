"""Analyze a video: upload, choose a model and the sampling, start. The job runs on the workers."""

import streamlit as st

from dashboard import data, direct_upload
from dashboard.text import md
from shared.jobs import SUCCEEDED
from shared.messages import MIN_FPS, Sampling, VideoRef
from shared.names import STAGES
from shared.submit import RequestError

NO_MODEL = "none: frames and sprites only"
VIDEO_TYPES = ["mp4", "mov", "mkv", "webm", "avi", "m4v"]

st.title("Analyze a video")
models = data.trained_models()
known = data.uploaded_videos()
source = st.radio("Video", ["Upload a video", "Pick an uploaded one"], horizontal=True, label_visibility="collapsed",
                  disabled=not known)
uploading = source.startswith("Upload") or not known
straight_to_bucket = uploading and data.config().upload_direct
# Outside the form: it talks to the page while the file goes up.
direct = direct_upload.video_upload("Video", VIDEO_TYPES, key="analyze_upload") if straight_to_bucket else None
with st.form("analyze"):
    if straight_to_bucket:
        upload, picked = None, None
    elif uploading:
        upload, picked = st.file_uploader("Video", type=VIDEO_TYPES, max_upload_size=data.upload_limit_mb(),
                                          help=data.upload_help()), None
    else:
        upload, picked = None, st.selectbox("Video", list(known), format_func=lambda v: known[v]["name"])
    model = st.selectbox("Model", [NO_MODEL] + list(models), index=1 if models else 0,
                         help="Trained model versions; the newest version of each is used.")
    mode = st.radio("Frames", ["Uniform sampling", "Keyframes only (quick look)"], horizontal=True)
    fps = st.number_input("Frames per second", min_value=float(MIN_FPS), max_value=60.0, value=2.0, step=0.5)
    min_confidence = st.slider("Minimum confidence", 0.0, 1.0, 0.5, 0.05,
                               help="Detections below this are ignored in the report.")
    submitted = st.form_submit_button("Start analysis", type="primary")

if submitted:
    if upload is None and picked is None and direct is None:
        st.error("Choose a video file first" + (", and wait until it is in the bucket." if straight_to_bucket else "."))
    elif too_large := data.oversized([upload]):
        st.error(too_large)
    else:
        sampling = Sampling.every_keyframe() if mode.startswith("Keyframes") else Sampling.at_fps(fps)
        submit = data.submit()
        try:
            with st.spinner("Uploading the video and queueing the job…"):
                video = (VideoRef(**known[picked]) if picked is not None else direct if direct is not None else
                         submit.upload_video_stream(upload, upload.name, sampling))
                job = submit.analyze(video, sampling, model=None if model == NO_MODEL else model,
                                     min_confidence=min_confidence)
        except RequestError as exc:
            st.error(md(exc))
            st.stop()
        st.session_state["started_job"] = job.job_id

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

    progress()
