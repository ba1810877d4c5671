"""Train a model from a labeled manifest: a Ground Truth output manifest or a COCO JSON, with its images."""

import pandas as pd
import streamlit as st

from dashboard import data
from shared.models.manifest import ManifestError
from shared.submit import RequestError

st.title("Train a model")

st.markdown("Upload the **output manifest** of a SageMaker Ground Truth labeling job (bounding boxes or "
            "image classification) or a **COCO JSON** export (CVAT, Label Studio), with the images it names. "
            "`source-ref`s that are `s3://` URIs need no upload.")
with st.form("train"):
    manifest = st.file_uploader("Manifest", type=["manifest", "jsonl", "json"])
    images = st.file_uploader("Images", type=["jpg", "jpeg", "png"], accept_multiple_files=True)
    a, b, c = st.columns(3)
    name = a.text_input("Model name", placeholder="logos")
    kind = b.selectbox("Type", ["from the manifest", "object", "concept"],
                       help="object: boxes around logos; concept: one label for the whole frame")
    backend = c.selectbox("Backend", ["local", "rekognition"],
                          help="local: trains on the workers' CPU in minutes, free; rekognition: Amazon "
                               "Rekognition Custom Labels (about an hour, billed; needs BRANDVIS_MODE=aws)")
    submitted = st.form_submit_button("Start training", type="primary")

if submitted:
    if manifest is None or not name:
        st.error("Choose a manifest and name the model.")
    else:
        try:
            with st.spinner("Checking the manifest and uploading its images…"):
                job, mv = data.submit().train_uploaded(manifest, manifest.name, [(i.name, i) for i in images or []],
                                                       name, None if kind.startswith("from") else kind, backend)
        except (ManifestError, RequestError) as exc:
            st.error("The manifest was not accepted; nothing was started.")
            for line in str(exc).splitlines():
                st.markdown(f"- {line}")
            st.stop()
        st.success(f"Training {mv.name} version {mv.version} ({mv.type}, {backend}): job {job.job_id}. "
                   "The workers check every image and train; follow it on **Operations**.")
        data.model_versions.clear()

st.subheader("Or: a model from brand names alone")
st.markdown("No images, no labeling: brands are found by **reading their names** in the frames. Each item is a "
            "label, optionally `=` the words its mark reads as (a name above a tagline may be on two lines).")
with st.form("train_text"):
    spec = st.text_input("Brands", placeholder="voltix, norda, axiom-labs=AXIOM LABS")
    a, b = st.columns(2)
    text_name = a.text_input("Model name", placeholder="brands", key="text_name")
    text_backend = b.selectbox("Backend", ["local", "rekognition"], key="text_backend",
                               help="local: PP-OCR on the workers' CPU, free; rekognition: Amazon Rekognition "
                                    f"DetectText, about US${data.config().detect_text_usd_per_1000:g} per 1,000 "
                                    "frames read")
    if st.form_submit_button("Make the model"):
        try:
            job, mv = data.submit().train_text(spec, text_name, text_backend)
        except RequestError as exc:
            st.error(str(exc))
        else:
            st.success(f"{mv.name} version {mv.version} (text-only): job {job.job_id}. "
                       + ", ".join(f"{label} reads as {w}" for label, w in mv.words.items()))
            data.model_versions.clear()

st.subheader("Models")
versions = data.model_versions()
if not versions:
    st.info("No models yet.")
else:
    st.dataframe(pd.DataFrame([{
        "model": v["name"], "version": v["version"], "type": v["type"], "backend": v["backend"], "status": v["status"],
        "labels": ", ".join(v["labels"]), "F1": (v["metrics"] or {}).get("f1"),
        "created": v["created_at"][:19].replace("T", " ")} for v in versions]),
        hide_index=True, width="stretch",
        column_config={"F1": st.column_config.NumberColumn("F1", format="%.2f")})
