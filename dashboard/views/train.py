"""Train a model, three ways: label your own videos and images first, bring a labeled manifest
(Ground Truth output or COCO), or name the brands only (a text-only model)."""

import pandas as pd
import streamlit as st

from dashboard import data, direct_upload
from dashboard.text import md
from shared.models.manifest import ManifestError
from shared.submit import RequestError, parse_fps

st.title("Train a model")
MEDIA_TYPES = ["mp4", "mov", "mkv", "webm", "avi", "m4v", "jpg", "jpeg", "png"]
BACKEND_HELP = ("local: trains on the workers' CPU in minutes, free; rekognition: Amazon Rekognition Custom Labels "
                "(about an hour, billed; needs BRANDVIS_MODE=aws)")

from_media, from_manifest, from_names = st.tabs(["Label videos and images", "Labeled manifest", "Brand names only"])

with from_media:
    st.markdown("Upload **videos and images** and name the brands: the workers extract frames (keyframes, or N a "
                "second), then the job **waits** while they are labeled, on the **Label** page (free; a model of the "
                "same name proposes boxes) or on **SageMaker Ground Truth** (your work team, billed per object). "
                "When labeling is finished, it trains.")
    # From the browser straight to the bucket (dashboard/direct_upload.py; outside the form: it talks to
    # the page while the files go up); with BRANDVIS_UPLOAD_DIRECT=false through Streamlit's uploader
    direct = (direct_upload.media_uploads("Videos and images", MEDIA_TYPES, key="train_upload")
              if data.config().upload_direct else None)
    with st.form("train_media"):
        files = st.file_uploader("Videos and images", type=MEDIA_TYPES, accept_multiple_files=True,
                                 max_upload_size=data.upload_limit_mb(), help=data.upload_help()) \
            if direct is None else []
        labels = st.text_input("Labels", placeholder="Acme, Borealis, Cobalt",
                               help="1-16 characters each, separated by commas")
        a, b, c, d = st.columns(4)
        media_name = a.text_input("Model name", placeholder="logos", key="media_name")
        media_kind = b.selectbox("Type", ["object", "concept"], key="media_kind",
                                 help="object: boxes around logos; concept: one label for the whole frame")
        labeler = c.selectbox("Labeler", ["builtin", "groundtruth"],
                              index=["builtin", "groundtruth"].index(data.config().labeler),
                              help="builtin: the Label page here, no bill; groundtruth: SageMaker Ground Truth, "
                                   "needs BRANDVIS_MODE=aws, a work team and its role")
        media_backend = d.selectbox("Backend", ["local", "rekognition"], key="media_backend", help=BACKEND_HELP)
        e, f = st.columns(2)
        pick = e.radio("Frames to label", ["keyframes", "N a second"], horizontal=True,
                       help="keyframes: as the AWS sample does, at most 1,200 a video, evenly thinned")
        per_second = f.number_input("Frames a second", min_value=0.2, max_value=30.0, value=1.0, step=0.5)
        go = st.form_submit_button("Extract frames and label", type="primary")
    if go:
        if direct is not None and direct.waiting:
            st.error(direct.wait_line())
        elif not (files or (direct is not None and direct.ready)) or not media_name or not labels:
            st.error("Choose videos or images, name the labels and the model.")
        elif too_large := data.oversized(files):
            st.error(too_large)
        else:
            media = [(x.name, x) for x in files] if direct is None else direct.ready
            try:
                with st.spinner("Uploading…" if direct is None else "Queueing…"):
                    job, mv = data.submit().train_media(
                        media, labels, media_name, media_kind, labeler, media_backend,
                        parse_fps(str(per_second)) if pick == "N a second" else None)
            except RequestError as exc:
                st.error(md(exc))
            else:
                where = (f"[label the frames](/label?job={job.job_id}) once they are extracted" if labeler == "builtin"
                         else "your Ground Truth work team labels the frames")
                st.success(f"{md(mv.name)} version {mv.version}: job {job.job_id}. The workers extract frames, then "
                           f"{where}; training starts when labeling is finished.")
                data.model_versions.clear()

with from_manifest:
    st.markdown("Upload the **output manifest** of a SageMaker Ground Truth labeling job (bounding boxes or "
                "image classification) or a **COCO JSON** export (CVAT, Label Studio), with the images it names. "
                "`source-ref`s are matched to the uploaded images by file name; `s3://` URIs in the project's "
                "bucket (or `BRANDVIS_IMAGE_BUCKETS`) need no upload.")
    # The images straight to the bucket, as above; the manifest (text, read whole to be checked) through
    # the dashboard
    direct_images = (direct_upload.media_uploads("Images", ["jpg", "jpeg", "png"], key="manifest_images")
                     if data.config().upload_direct else None)
    with st.form("train"):
        manifest = st.file_uploader("Manifest", type=["manifest", "jsonl", "json"],
                                    max_upload_size=data.upload_limit_mb(), help=data.upload_help())
        images = st.file_uploader("Images", type=["jpg", "jpeg", "png"], accept_multiple_files=True,
                                  max_upload_size=data.upload_limit_mb(), help=data.upload_help()) \
            if direct_images is None else []
        a, b, c = st.columns(3)
        name = a.text_input("Model name", placeholder="logos")
        kind = b.selectbox("Type", ["from the manifest", "object", "concept"],
                           help="object: boxes around logos; concept: one label for the whole frame")
        backend = c.selectbox("Backend", ["local", "rekognition"], help=BACKEND_HELP)
        submitted = st.form_submit_button("Start training", type="primary")

    if submitted:
        if direct_images is not None and direct_images.waiting:
            st.error(direct_images.wait_line())
        elif manifest is None or not name:
            st.error("Choose a manifest and name the model.")
        elif too_large := data.oversized([manifest, *(images or [])]):
            st.error(too_large)
        else:
            try:
                with st.spinner("Checking the manifest and uploading its images…"):
                    job, mv = data.submit().train_uploaded(manifest, manifest.name,
                                                           [(i.name, i) for i in images or []] or
                                                           (direct_images.ready if direct_images else []),
                                                           name, None if kind.startswith("from") else kind, backend)
            except (ManifestError, RequestError) as exc:
                st.error("The manifest was not accepted; nothing was started.")
                for line in str(exc).splitlines():
                    st.markdown(f"- {md(line)}")
                st.stop()
            st.success(f"Training {md(mv.name)} version {mv.version} ({mv.type}, {backend}): job {job.job_id}. "
                       "The workers check every image and train; follow it on **Operations**.")
            data.model_versions.clear()

with from_names:
    st.markdown("No images, no labeling: brands are found by **reading their names** in the frames. Each item is "
                "a label, optionally `=` the words its mark reads as (a name above a tagline may be on two lines).")
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
                st.error(md(exc))
            else:
                st.success(f"{md(mv.name)} version {mv.version} (text-only): job {job.job_id}. "
                           + ", ".join(f"{md(label)} reads as {md(w)}" for label, w in mv.words.items()))
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
