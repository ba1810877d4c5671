"""Analyze a video: upload, choose sampling, start. The job runs on the workers."""

import tempfile
from pathlib import Path

import streamlit as st

from dashboard import data
from shared.messages import Sampling

st.title("Analyze a video")
problem = data.stack_problem()
if problem:
    st.error(problem)
    st.stop()

with st.form("analyze"):
    upload = st.file_uploader("Video", type=["mp4", "mov", "mkv", "webm", "avi", "m4v"])
    mode = st.radio("Frames", ["Uniform sampling", "Keyframes only (quick look)"], horizontal=True)
    fps = st.number_input("Frames per second", min_value=0.2, max_value=60.0, value=2.0, step=0.5)
    submitted = st.form_submit_button("Start analysis", type="primary")

if submitted:
    if upload is None:
        st.error("Choose a video file first.")
    else:
        sampling = Sampling.every_keyframe() if mode.startswith("Keyframes") else Sampling.at_fps(fps)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / upload.name
            path.write_bytes(upload.getbuffer())
            job = data.requests().analyze(path, sampling)
        st.success(f"Job {job.job_id} started. Follow it on **Jobs**.")
