"""Jobs: what is running, what finished, and why anything failed."""

import pandas as pd
import streamlit as st

from dashboard import data
from shared.names import STAGES

st.title("Jobs")
problem = data.stack_problem()
if problem:
    st.error(problem)
    st.stop()


@st.fragment(run_every=2)
def job_table() -> None:
    rows = data.jobs()
    if not rows:
        st.info("No jobs yet. Start one on **Analyze a video** or with `brandvis analyze VIDEO`.")
        return
    table = pd.DataFrame([{
        "job": j["job_id"], "status": j["status"], "video": (j["request"].get("video") or {}).get("name", ""),
        "progress": _progress(j), "created": pd.to_datetime(j["created_at"]), "error": j["error"] or "",
    } for j in rows])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0, format="percent"),
        "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm:ss")})


def _progress(job: dict) -> float:
    stages = [s for s in job["stages"].values() if s["expected"]]
    if job["status"] == "SUCCEEDED":
        return 1.0
    if not stages:
        return 0.0
    return sum(min(s["done"], s["expected"]) / s["expected"] for s in stages) / max(len(stages), 3)


job_table()

st.subheader("Details")
ids = [j["job_id"] for j in data.jobs()]
if ids:
    chosen = st.selectbox("Job", ids, key="job_detail")
    detail = data.job(chosen)
    if detail:
        cols = st.columns(3)
        cols[0].metric("Status", detail["status"])
        cols[1].metric("Frames", (detail["result"] or {}).get("frames", "–"))
        cols[2].metric("Duration (s)", detail["facts"].get("duration_s", "–"))
        stages = [{"stage": s, "done": detail["stages"][s]["done"], "expected": detail["stages"][s]["expected"],
                   "last error": detail["stages"][s]["last_error"] or ""} for s in STAGES if s in detail["stages"]]
        st.dataframe(pd.DataFrame(stages), hide_index=True)
        for w in detail["warnings"]:
            st.warning(w)
        if detail["error"]:
            st.error(detail["error"])
        if detail["result"]:
            with st.expander("Result"):
                st.json(detail["result"])
