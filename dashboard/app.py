"""brandvis dashboard: a router over the pages; each page only lays out what data.py loads.

The stack is checked once here, before any page runs: every page needs it.
"""

from pathlib import Path

import streamlit as st

from dashboard import data
from dashboard.text import md

# A local file, served by Streamlit itself: a material or emoji favicon is fetched from a font or
# emoji host, and a self-hosted tool makes no outside request.
st.set_page_config(page_title="brandvis", page_icon=str(Path(__file__).with_name("icon.svg")), layout="wide")

pages = {
    "Analysis": [
        st.Page("views/results.py", title="Results", icon=":material/insights:", default=True),
        st.Page("views/analyze.py", title="Analyze a video", icon=":material/movie:"),
        st.Page("views/campaign.py", title="Campaign", icon=":material/campaign:"),
    ],
    "Models": [
        st.Page("views/train.py", title="Train a model", icon=":material/model_training:"),
        st.Page("views/label.py", title="Label", icon=":material/label:"),
        st.Page("views/models.py", title="Models", icon=":material/category:"),
    ],
    "System": [
        st.Page("views/operations.py", title="Operations", icon=":material/monitor_heart:"),
    ],
}
page = st.navigation(pages)
problem = data.stack_problem()
if problem:
    st.title(page.title)
    st.error(md(problem))
    st.stop()
page.run()
