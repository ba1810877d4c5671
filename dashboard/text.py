"""User text inside Streamlit's markdown, shown as typed.

Nearly everything Streamlit shows is markdown (markdown, captions, alerts, titles, button labels,
metric values, progress text, image captions): a label, file or model name, or an error that
quotes one, would otherwise turn into links (`[x](javascript:…)`), images, colour directives or,
with `unsafe_allow_html`, HTML. `md` escapes what it gets; wrap every user value with it.
"""

from __future__ import annotations

import re

#: Backslash-escaped: what makes links, images, emphasis, code, tables, headings, maths (`$`) or
#: Streamlit's directives (`:red[…]`, `:material/…:`), and a ':' or '.' that would start an
#: autolink (`https://`, `javascript:x`, `www.`). Plain prose ("failed: disk full") stays as it is.
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]!#|~$^])|(:)(?=\S)|(?<=[wW]{3})(\.)")
#: As entities, so they are text with `unsafe_allow_html` too (a backslash is not HTML).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(value: object) -> str:
    """`value` as literal text in any Streamlit markdown string (with or without HTML)."""
    escaped = _PUNCTUATION.sub(lambda m: "\\" + m.group(0), str(value))
    return "".join(_ENTITIES.get(c, c) for c in escaped).replace("\n", "  \n")
