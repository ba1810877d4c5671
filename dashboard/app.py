"""brandvis dashboard: a router over the pages; each page only lays out what data.py loads."""

import streamlit as st

st.set_page_config(page_title="brandvis", page_icon=":material/visibility:", layout="wide")

pages = {
    "Analysis": [
        st.Page("pages/results.py", title="Results", icon=":material/insights:", default=True),
        st.Page("pages/analyze.py", title="Analyze a video", icon=":material/movie:"),
    ],
    "Models": [  # the built-in labeler will join here
        st.Page("pages/train.py", title="Train a model", icon=":material/model_training:"),
        st.Page("pages/models.py", title="Models", icon=":material/category:"),
    ],
    "System": [
        st.Page("pages/operations.py", title="Operations", icon=":material/monitor_heart:"),
    ],
}
st.navigation(pages).run()
