"""Models: every version with its evaluation, and start/stop for models that bill while running."""

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.text import md
from shared.models.backend import RUNNING, STARTING, TRAINING_COMPLETED
from shared.submit import RequestError

st.title("Models")
versions = data.model_versions()
if not versions:
    st.info("No models yet. Train one on **Train a model** or with `brandvis train MANIFEST --name NAME`.")
    st.stop()

table = pd.DataFrame([{
    "model": v["name"], "version": v["version"], "backend": v["backend"], "type": v["type"], "status": v["status"],
    "running": v.get("deployment") or "–", "training (s)": v["training_seconds"],
    "F1": (v["metrics"] or {}).get("f1"), "precision": (v["metrics"] or {}).get("precision"),
    "recall": (v["metrics"] or {}).get("recall"), "test images": (v["metrics"] or {}).get("test_images"),
    "created": v["created_at"][:19].replace("T", " ")} for v in versions])
st.dataframe(table, hide_index=True, width="stretch", column_config={
    c: st.column_config.NumberColumn(c, format="%.2f") for c in ("F1", "precision", "recall")})

keys = [f"{v['name']} v{v['version']}" for v in versions]
pick = st.selectbox("Version", keys)
v = versions[keys.index(pick)]
m = v["metrics"] or {}
cols = st.columns(4)
cols[0].metric("F1", f"{m['f1']:.2f}" if "f1" in m else "–")
cols[1].metric("Precision", f"{m['precision']:.2f}" if "precision" in m else "–")
cols[2].metric("Recall", f"{m['recall']:.2f}" if "recall" in m else "–")
cols[3].metric("Training", f"{v['training_seconds']:.0f} s" if v["training_seconds"] else "–")
if v.get("error"):
    st.error(md(v["error"]))
if m.get("per_label"):
    st.markdown(f"Evaluation on {m.get('test_images', '?')} held-out images at confidence "
                f"{m.get('threshold', 0.5):g}:")
    rows = []
    for label, vals in m["per_label"].items():
        row = {"label": label, **vals}
        if "fp" in vals:  # with counts, say nothing where there was nothing to measure
            if vals["tp"] + vals["fn"] == 0:  # no held-out example
                row["recall"] = row["f1"] = None
            if vals["tp"] + vals["fp"] == 0:  # nothing detected
                row["precision"] = None
        rows.append(row)
    st.dataframe(pd.DataFrame(rows).rename(columns={"tp": "found", "fp": "false", "fn": "missed"}),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(c, format="%.2f")
                                                 for c in ("precision", "recall", "f1", "threshold")})
texts = v.get("texts") or {}
if texts:
    st.markdown("**What each label reads as** (text evidence: a candidate that reads as another word is dropped, "
                "one that reads as its label's word is kept)")
    st.dataframe(pd.DataFrame([{"label": label, "reads as": " / ".join(t.get("words") or []) or "–",
                                "from": {"user": "set by hand", "read": "its boxes"}.get(t.get("source"), "–"),
                                "detail": t.get("says", "")} for label, t in texts.items()]),
                 hide_index=True, width="stretch")
    if v["status"] == TRAINING_COMPLETED and v["type"] != "concept":
        with st.form("retext"):
            a, b = st.columns([1, 2])
            label = a.selectbox("Label", list(texts))
            word = b.text_input("Reads as", placeholder="the words on its mark; empty: no text for this label")
            if st.form_submit_button("Make a version with this text",
                                     help="A new version with the same head (no retraining); only the text changes"):
                try:
                    job, new = data.submit().retext(v["name"], v["version"], {label: word})
                except RequestError as exc:
                    st.error(md(exc))
                else:
                    st.success(f"{md(v['name'])} version {new.version} requested (job {job.job_id}): the same head, "
                               f"{md(label)} reads as {md(word) or 'nothing'}.")
                    data.model_versions.clear()
extra = m.get("extra") or {}
if extra.get("recall_by_size"):
    st.caption("Recall by logo width: " + ", ".join(f"{k} {val:.2f}" for k, val in extra["recall_by_size"].items()
                                                     if val == val))
misses = extra.get("misses") or []
if misses:
    st.markdown("Examples of misses on the held-out images:")
    cols = st.columns(min(3, len(misses)))
    for col, miss in zip(cols * 3, misses[:6]):
        jpeg = data.object_bytes(miss["key"])
        if jpeg:
            col.image(jpeg, caption=f"missed: {md(', '.join(miss['missed'])) or '–'} · "
                                    f"false: {md(', '.join(miss['false'])) or '–'}")

if v["backend"] == "rekognition" and v["status"] == TRAINING_COMPLETED:
    state = v.get("deployment") or "STOPPED"
    st.warning(f"{md(pick)} is **{state}**. A running Rekognition Custom Labels model bills about US$4 per inference "
               "unit per hour whether or not it is used; idle models are stopped after "
               f"{data.config().model_idle_stop_s / 60:.0f} minutes without detect work.")
    a, b = st.columns(2)
    if a.button("Start", disabled=state in (RUNNING, STARTING)):
        job = data.submit().start_model(v["name"], v["version"])
        st.info(f"Start of {md(v['name'])} v{v['version']} requested (job {job.job_id}); the workers start it.")
        data.model_versions.clear()
    if b.button("Stop", disabled=state not in (RUNNING, STARTING)):
        job = data.submit().stop_model(v["name"], v["version"])
        st.info(f"Stop of {md(v['name'])} v{v['version']} requested (job {job.job_id}); the workers stop it.")
        data.model_versions.clear()
