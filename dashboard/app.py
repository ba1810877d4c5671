"""brandvis dashboard: a router over the pages; each page only lays out what data.py loads."""

import streamlit as st

st.set_page_config(page_title="brandvis", page_icon=":material/visibility:", layout="wide")

pages = {
    "Analysis": [
        st.Page("views/results.py", title="Results", icon=":material/insights:", default=True),
        st.Page("views/analyze.py", title="Analyze a video", icon=":material/movie:"),
    ],
    "Models": [  # the built-in labeler will join here
        st.Page("views/train.py", title="Train a model", icon=":material/model_training:"),
        st.Page("views/models.py", title="Models", icon=":material/category:"),
    ],
    "System": [
        st.Page("views/operations.py", title="Operations", icon=":material/monitor_heart:"),
    ],
}
st.navigation(pages).run()
