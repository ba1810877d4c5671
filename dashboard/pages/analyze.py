"""Analyze a video: upload, choose a model and the sampling, start. The job runs on the workers."""

import tempfile
from pathlib import Path

import streamlit as st

from dashboard import data
from shared.messages import Sampling
from shared.requests import RequestError

NO_MODEL = "none: frames and sprites only"

st.title("Analyze a video")
problem = data.stack_problem()
if problem:
    st.error(problem)
    st.stop()

models = data.trained_models()
with st.form("analyze"):
    upload = st.file_uploader("Video", type=["mp4", "mov", "mkv", "webm", "avi", "m4v"])
    model = st.selectbox("Model", [NO_MODEL] + list(models), index=1 if models else 0,
                         help="Trained model versions; the newest version of each is used.")
    mode = st.radio("Frames", ["Uniform sampling", "Keyframes only (quick look)"], horizontal=True)
    fps = st.number_input("Frames per second", min_value=0.2, max_value=60.0, value=2.0, step=0.5)
    min_confidence = st.slider("Minimum confidence", 0.0, 1.0, 0.5, 0.05,
                               help="Detections below this are ignored in the report.")
    submitted = st.form_submit_button("Start analysis", type="primary")

if submitted:
    if upload is None:
        st.error("Choose a video file first.")
    else:
        sampling = Sampling.every_keyframe() if mode.startswith("Keyframes") else Sampling.at_fps(fps)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / upload.name
            path.write_bytes(upload.getbuffer())
            try:
                job = data.requests().analyze(path, sampling, model=None if model == NO_MODEL else model,
                                              min_confidence=min_confidence)
            except RequestError as exc:
                st.error(str(exc))
                st.stop()
        st.success(f"Job {job.job_id} started. Follow it on **Jobs**.")
