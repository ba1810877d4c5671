"""The typeset brand family: marks set in ordinary typefaces, as most sponsors' are.

Each brand is a badge (a plate with its name), a bare wordmark, a name above a tagline, or a
combination mark (an emblem beside the name), in a TrueType face from Debian's fonts-* packages
(DejaVu, Liberation, FreeFont, Lato, Open Sans, Roboto, Noto, Carlito: whichever this machine
has; `make bench` installs them). Its look-alike is drawn in the brand's own style — the same
plate, colours and typeface — with one or two letters changed, as rival and counterfeit marks
are; unrelated marks are other words in other faces. The base model never saw these brands.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from devtools.synth import logos

#: Debian package -> the faces it gives (path under /usr/share/fonts).
FACES = {
    "fonts-dejavu-core": ["truetype/dejavu/DejaVuSans-Bold.ttf", "truetype/dejavu/DejaVuSerif-Bold.ttf",
                          "truetype/dejavu/DejaVuSansCondensed-Bold.ttf"],
    "fonts-liberation": ["truetype/liberation/LiberationSans-Bold.ttf", "truetype/liberation/LiberationSerif-Bold.ttf",
                         "truetype/liberation/LiberationSansNarrow-Bold.ttf"],
    "fonts-freefont-ttf": ["truetype/freefont/FreeSansBold.ttf", "truetype/freefont/FreeSerifBoldItalic.ttf"],
    "fonts-lato": ["truetype/lato/Lato-Black.ttf", "truetype/lato/Lato-Bold.ttf"],
    "fonts-open-sans": ["truetype/open-sans/OpenSans-ExtraBold.ttf", "truetype/open-sans/OpenSans-Bold.ttf"],
    "fonts-roboto-unhinted": ["truetype/roboto/unhinted/RobotoTTF/Roboto-Black.ttf",
                              "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf"],
    "fonts-crosextra-carlito": ["truetype/crosextra/Carlito-Bold.ttf"],
}
FONT_ROOT = Path("/usr/share/fonts")

#: The brands, how their mark is laid out, and the words of their rivals' look-alikes.
BRANDS = (
    ("VOLTIX", "badge", "VOLTEK"),
    ("Nordane", "word", "Nordale"),
    ("AXIOM LABS", "stack", "AXION LABS"),
    ("Kestrel", "combo", "Kestrol"),
    ("ORBANA", "badge", "URBANA"),
)
UNRELATED = ("BETMAX", "Fresco", "TELVOR", "Quanta")


#: Pillow's own face (Aileron), which every machine has.
PILLOW = ""


@lru_cache(maxsize=1)
def fonts() -> list[str]:
    """The typefaces this machine has, in a fixed order (Pillow's own when it has none)."""
    found = [str(FONT_ROOT / rel) for rels in FACES.values() for rel in rels if (FONT_ROOT / rel).is_file()]
    return found or [PILLOW]


def _font(face: str, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(face, size) if face else ImageFont.load_default(size=size)


def _text(text: str, face: str, cap: int) -> np.ndarray:
    """White-on-black mask of `text` (lines split on '\\n') with capitals about `cap` px tall."""
    from PIL import Image, ImageDraw

    size = max(8, int(cap * 1.45))
    font = _font(face, size)
    box = font.getbbox("H")
    if box[3] - box[1] > 0:
        font = _font(face, max(8, int(round(size * cap / (box[3] - box[1])))))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.multiline_textbbox((0, 0), text, font=font, align="center", spacing=cap // 3)
    img = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(img).multiline_text((4 - left, 4 - top), text, fill=255, font=font, align="center", spacing=cap // 3)
    return np.array(img)


def design(rng: np.random.Generator, word: str, layout: str, face: str) -> dict[str, Any]:
    plate = logos._color(rng)
    return {"kind": layout, "text": word, "face": face, "plate": plate, "ink": logos._contrasting(rng, plate),
            "border": bool(rng.random() < 0.4), "emblem": str(rng.choice(logos.SHAPES)),
            "emblem_fill": logos._color(rng), "tagline_scale": float(rng.uniform(0.45, 0.6))}


def look_alike(d: dict[str, Any], word: str) -> dict[str, Any]:
    return {**d, "text": word}


def render(d: dict[str, Any], height: int = 128) -> np.ndarray:
    """BGRA sprite `height` px tall."""
    cap = height
    face = d["face"]
    if d["kind"] == "stack":  # the name above a smaller tagline
        name, _, tagline = d["text"].partition(" ")
        top, bottom = _text(name, face, cap), _text(tagline, face, int(cap * d["tagline_scale"]))
        w = max(top.shape[1], bottom.shape[1])
        mask = np.zeros((top.shape[0] + bottom.shape[0], w), np.uint8)
        mask[:top.shape[0], (w - top.shape[1]) // 2:(w - top.shape[1]) // 2 + top.shape[1]] = top
        mask[top.shape[0]:, (w - bottom.shape[1]) // 2:(w - bottom.shape[1]) // 2 + bottom.shape[1]] = bottom
    else:
        mask = _text(d["text"], face, cap)
    pad = cap // 3
    th, tw = mask.shape
    if d["kind"] in ("badge", "stack"):
        img = np.zeros((th + 2 * pad, tw + 2 * pad, 3), np.uint8)
        img[:] = d["plate"]
        alpha = np.full(img.shape[:2], 255, np.uint8)
        ink = np.zeros(img.shape[:2], np.float32)
        ink[pad:pad + th, pad:pad + tw] = mask / 255.0
        img = (img * (1 - ink[..., None]) + np.array(d["ink"], np.float32) * ink[..., None]).astype(np.uint8)
        if d["border"]:
            cv2.rectangle(img, (2, 2), (img.shape[1] - 3, img.shape[0] - 3), d["ink"], max(2, cap // 10))
    else:
        img = np.zeros((th + 2, tw + 2, 3), np.uint8)
        img[:] = d["ink"] if d["kind"] == "word" else d["plate"]
        alpha = np.zeros(img.shape[:2], np.uint8)
        alpha[1:1 + th, 1:1 + tw] = mask
        if d["kind"] == "combo":  # an emblem on the left, the name beside it
            size = int(th * 1.1)
            emb = np.zeros((size, size, 3), np.uint8)
            emask = np.zeros((size, size), np.uint8)
            logos._fill_shape(emb, emask, d["emblem"], size / 2, size / 2, size / 2 - 2, d["emblem_fill"])
            initial = _text(d["text"][0], face, int(size * 0.45))
            y0, x0 = (size - initial.shape[0]) // 2, (size - initial.shape[1]) // 2
            if y0 >= 0 and x0 >= 0:
                region = (slice(y0, y0 + initial.shape[0]), slice(x0, x0 + initial.shape[1]))
                a = (initial / 255.0)[..., None]
                emb[region] = (emb[region] * (1 - a) + np.array(d["plate"], np.float32) * a).astype(np.uint8)
            gap = size // 5
            h = max(size, img.shape[0])
            both = np.zeros((h, size + gap + img.shape[1], 3), np.uint8)
            balpha = np.zeros(both.shape[:2], np.uint8)
            ey, wy = (h - size) // 2, (h - img.shape[0]) // 2
            both[ey:ey + size, :size], balpha[ey:ey + size, :size] = emb, emask
            both[wy:wy + img.shape[0], size + gap:], balpha[wy:wy + img.shape[0], size + gap:] = img, alpha
            img, alpha = both, balpha
    scale = height / img.shape[0]
    size2 = (max(2, int(round(img.shape[1] * scale))), height)
    return np.dstack([cv2.resize(img, size2, interpolation=cv2.INTER_AREA),
                      cv2.resize(alpha, size2, interpolation=cv2.INTER_AREA)])


def changed_letters(word: str, rng: np.random.Generator, n: int = 2) -> str:
    """`word` with `n` letters swapped for others of the same case (a rival's word)."""
    chars = list(word)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    for i in rng.choice(letters, size=min(n, len(letters)), replace=False):
        pool = string.ascii_uppercase if chars[i].isupper() else string.ascii_lowercase
        chars[i] = str(rng.choice([c for c in pool if c != chars[i]]))
    return "".join(chars)
