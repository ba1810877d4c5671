"""brandvis dashboard: a router over the pages; each page only lays out what data.py loads."""

import streamlit as st

st.set_page_config(page_title="brandvis", page_icon=":material/visibility:", layout="wide")

pages = {
    "Analysis": [
        st.Page("pages/analyze.py", title="Analyze a video", icon=":material/movie:"),
        st.Page("pages/jobs.py", title="Jobs", icon=":material/list_alt:", default=True),
    ],
}
st.navigation(pages).run()
