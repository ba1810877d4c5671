"""Procedural logos: emblems, wordmarks and combination marks, rendered as BGRA sprites.

A `Design` is a small dict of parameters; `render(design)` is deterministic. Separate lettering
keeps the base model honest: pretraining draws its text with OpenCV's Hershey fonts and, where
matplotlib is installed (the `[pretrain]` extra), half the time with one of the TrueType faces it
bundles (DejaVu, STIX, Computer Modern); the benchmark's brands (`style="bench"`) use Pillow's own
font (Aileron), which pretraining never draws with. So the brands a model is measured on are not
drawn the way anything it was pretrained on was drawn.
"""

from __future__ import annotations

import math
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

Design = dict[str, Any]

SHAPES = ("circle", "square", "rounded", "hexagon", "triangle", "shield", "star", "diamond", "ring", "octagon")
HERSHEY = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
           cv2.FONT_HERSHEY_COMPLEX_SMALL, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
           cv2.FONT_HERSHEY_PLAIN)
_SS = 2  # supersampling for smooth edges
# matplotlib's bundled faces with Latin letters (its symbol, size-variant and fallback fonts left out).
TRUETYPE = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique", "DejaVuSansMono",
            "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique", "DejaVuSerif",
            "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic", "STIXGeneral", "STIXGeneralBol",
            "STIXGeneralItalic", "STIXGeneralBolIta", "cmr10", "cmb10", "cmss10", "cmti10", "cmtt10")


@lru_cache(maxsize=1)
def pretrain_fonts() -> dict[str, Path]:
    """The TRUETYPE faces this machine has (none without matplotlib): lettering for pretraining."""
    try:
        import matplotlib
    except ImportError:
        return {}
    folder = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return {name: folder / f"{name}.ttf" for name in TRUETYPE if (folder / f"{name}.ttf").exists()}


def _truetype_face(rng: np.random.Generator) -> str:
    """Half of pretraining's lettering is TrueType where the faces exist ("" means Hershey)."""
    draw, pick = rng.random(), int(rng.integers(0, len(TRUETYPE)))
    fonts = pretrain_fonts()
    return TRUETYPE[pick] if draw < 0.5 and TRUETYPE[pick] in fonts else ""


def _color(rng: np.random.Generator, dark: bool | None = None) -> tuple[int, int, int]:
    h = rng.integers(0, 180)
    s = rng.choice([rng.integers(0, 40), rng.integers(120, 256)], p=[0.25, 0.75])
    if dark is None:
        v = rng.integers(40, 256)
    else:
        v = rng.integers(20, 90) if dark else rng.integers(170, 256)
    bgr = cv2.cvtColor(np.uint8([[[h, s, v]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return int(bgr[0]), int(bgr[1]), int(bgr[2])


def _contrasting(rng: np.random.Generator, base: tuple[int, int, int]) -> tuple[int, int, int]:
    lum = 0.114 * base[0] + 0.587 * base[1] + 0.299 * base[2]
    return _color(rng, dark=lum > 128)


def _word(rng: np.random.Generator, lo: int = 3, hi: int = 9) -> str:
    n = int(rng.integers(lo, hi + 1))
    vowels, consonants = "aeiouy", "bcdfghjklmnprstvwxz"
    chars = [(rng.choice(list(vowels)) if i % 2 else rng.choice(list(consonants))) for i in range(n)]
    word = "".join(chars)
    case = rng.choice(["upper", "title", "lower"])
    return word.upper() if case == "upper" else word.title() if case == "title" else word


def random_design(rng: np.random.Generator, style: str = "pretrain", kind: str | None = None) -> Design:
    kind = kind or str(rng.choice(["emblem", "wordmark", "combo"], p=[0.4, 0.35, 0.25]))
    d: Design = {"kind": kind, "style": style}
    if kind in ("emblem", "combo"):
        fill = _color(rng)
        d["emblem"] = {
            "shape": str(rng.choice(SHAPES)), "fill": fill,
            "border": int(rng.choice([0, 0, 1, 2])), "border_color": _contrasting(rng, fill),
            "inner": str(rng.choice(["none", "letters", "shape", "stripes", "chevron"], p=[0.1, 0.35, 0.25, 0.15, 0.15])),
            "inner_color": _contrasting(rng, fill), "inner_shape": str(rng.choice(SHAPES)),
            "letters": _word(rng, 1, 3).upper(), "font": int(rng.integers(0, len(HERSHEY))),
            "stripes": int(rng.integers(2, 5)), "angle": float(rng.uniform(-40, 40)),
        }
        if style == "pretrain":
            d["emblem"]["ttf"] = _truetype_face(rng)
    if kind in ("wordmark", "combo"):
        color = _color(rng)
        d["word"] = {
            "text": _word(rng), "font": int(rng.integers(0, len(HERSHEY))), "italic": bool(rng.random() < 0.3),
            "thickness": int(rng.integers(1, 4)), "color": color,
            "decoration": str(rng.choice(["none", "underline", "plate", "dot", "swoosh"], p=[0.35, 0.15, 0.3, 0.1, 0.1])),
            "plate_color": _contrasting(rng, color), "deco_color": _color(rng),
        }
        if style == "pretrain":
            d["word"]["ttf"] = _truetype_face(rng)
    return d


def look_alike(design: Design, rng: np.random.Generator) -> Design:
    """Same colours, same shape family, different details: must not be taken for the original."""
    d = {k: (dict(v) if isinstance(v, dict) else v) for k, v in design.items()}
    if "word" in d:
        text = d["word"]["text"]
        chars = list(text)
        for i in rng.choice(len(chars), size=max(2, len(chars) // 2), replace=False):
            pool = string.ascii_uppercase if chars[i].isupper() else string.ascii_lowercase
            chars[i] = str(rng.choice([c for c in pool if c != chars[i]]))
        d["word"]["text"] = "".join(chars)
    if "emblem" in d:
        e = d["emblem"]
        e["inner"] = str(rng.choice([i for i in ("letters", "shape", "stripes", "chevron") if i != e["inner"]]))
        e["letters"] = _word(rng, 1, 3).upper()
        e["inner_shape"] = str(rng.choice([s for s in SHAPES if s != e["inner_shape"]]))
    return d


# -- rendering --------------------------------------------------------------------------------
def _polygon(shape: str, cx: float, cy: float, r: float) -> np.ndarray | None:
    sides = {"hexagon": 6, "triangle": 3, "diamond": 4, "octagon": 8, "square": 4}.get(shape)
    if shape == "star":
        pts = [(cx + (r if i % 2 == 0 else r * 0.45) * math.cos(math.pi / 2 + i * math.pi / 5),
                cy - (r if i % 2 == 0 else r * 0.45) * math.sin(math.pi / 2 + i * math.pi / 5)) for i in range(10)]
        return np.array(pts, np.int32)
    if shape == "shield":
        return np.array([(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + 0.2 * r), (cx, cy + r),
                         (cx - r, cy + 0.2 * r)], np.int32)
    if sides:
        offset = math.pi / 4 if shape == "square" else (math.pi / 2 if shape != "diamond" else 0)
        return np.array([(cx + r * math.cos(offset + 2 * math.pi * i / sides),
                          cy - r * math.sin(offset + 2 * math.pi * i / sides)) for i in range(sides)], np.int32)
    return None


def _fill_shape(img: np.ndarray, mask: np.ndarray | None, shape: str, cx: float, cy: float, r: float,
                color: tuple[int, int, int], thickness: int = -1) -> None:
    targets = [(img, color)] + ([(mask, 255)] if mask is not None else [])
    for target, col in targets:
        if shape in ("circle", "ring"):
            t = thickness if thickness > 0 else (-1 if shape == "circle" else max(2, int(r * 0.25)))
            cv2.circle(target, (int(cx), int(cy)), int(r), col, t, cv2.LINE_AA)
        elif shape == "rounded":
            rr = int(r * 0.35)
            x0, y0, x1, y1 = int(cx - r), int(cy - r), int(cx + r), int(cy + r)
            if thickness > 0:
                cv2.rectangle(target, (x0, y0), (x1, y1), col, thickness, cv2.LINE_AA)
            else:
                cv2.rectangle(target, (x0 + rr, y0), (x1 - rr, y1), col, -1)
                cv2.rectangle(target, (x0, y0 + rr), (x1, y1 - rr), col, -1)
                for px, py in ((x0 + rr, y0 + rr), (x1 - rr, y0 + rr), (x0 + rr, y1 - rr), (x1 - rr, y1 - rr)):
                    cv2.circle(target, (px, py), rr, col, -1, cv2.LINE_AA)
        else:
            pts = _polygon(shape, cx, cy, r)
            if thickness > 0:
                cv2.polylines(target, [pts], True, col, thickness, cv2.LINE_AA)
            else:
                cv2.fillPoly(target, [pts], col, cv2.LINE_AA)


def _text_hershey(text: str, font_index: int, italic: bool, height: int, thickness: int) -> tuple[np.ndarray, int, int]:
    font = HERSHEY[font_index] | (cv2.FONT_ITALIC if italic else 0)
    scale = cv2.getFontScaleFromHeight(font, height, thickness)
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    mask = np.zeros((h + base + 2 * thickness + 4, w + 2 * thickness + 4), np.uint8)
    cv2.putText(mask, text, (thickness + 2, h + thickness + 2), font, scale, 255, thickness, cv2.LINE_AA)
    return mask, w, h


@lru_cache(maxsize=512)
def _font(face: str, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(pretrain_fonts()[face]), size) if face else ImageFont.load_default(size=size)


def _text_truetype(text: str, height: int, face: str = "") -> np.ndarray:
    """White-on-black text mask; `face` "" is Pillow's own font (the benchmark's lettering)."""
    from PIL import Image, ImageDraw

    font = _font(face, max(8, int(height * 1.25)))
    left, top, right, bottom = font.getbbox(text)
    img = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(img).text((4 - left, 4 - top), text, fill=255, font=font)
    return np.array(img)


def _word_mask(w: dict[str, Any], style: str, height: int) -> np.ndarray:
    if style == "bench" or w.get("ttf"):
        mask = _text_truetype(w["text"], height, "" if style == "bench" else w["ttf"])
        if w["thickness"] > 1:
            mask = cv2.dilate(mask, np.ones((w["thickness"], w["thickness"]), np.uint8))
        if w["italic"]:
            h, wd = mask.shape
            shear = np.float32([[1, -0.25, 0.25 * h], [0, 1, 0]])
            mask = cv2.warpAffine(mask, shear, (wd + h // 4 + 1, h))
        return mask
    return _text_hershey(w["text"], w["font"], w["italic"], height, w["thickness"] * _SS)[0]


def _emblem(e: dict[str, Any], size: int, style: str) -> tuple[np.ndarray, np.ndarray]:
    img = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    c, r = size / 2, size / 2 - 2
    _fill_shape(img, mask, e["shape"], c, c, r, e["fill"])
    inner = np.zeros((size, size), np.uint8)  # where the inner motif may draw: inside the shape
    _fill_shape(inner, None, e["shape"] if e["shape"] != "ring" else "circle", c, c, r * 0.8, 255)
    motif = np.zeros((size, size), np.uint8)
    if e["inner"] == "letters":
        if style == "bench" or e.get("ttf"):
            t = _text_truetype(e["letters"], int(size * 0.35), "" if style == "bench" else e["ttf"])
        else:
            t = _text_hershey(e["letters"], e["font"], False, int(size * 0.3), max(2, size // 40))[0]
        scale = min(size * 0.6 / t.shape[1], size * 0.5 / t.shape[0])
        t = cv2.resize(t, (max(1, int(t.shape[1] * scale)), max(1, int(t.shape[0] * scale))))
        y0, x0 = (size - t.shape[0]) // 2, (size - t.shape[1]) // 2
        motif[y0:y0 + t.shape[0], x0:x0 + t.shape[1]] = t
    elif e["inner"] == "shape":
        _fill_shape(motif, None, e["inner_shape"], c, c, r * 0.45, 255)
    elif e["inner"] == "stripes":
        n = e["stripes"]
        for i in range(n):
            y = int(size * (0.25 + 0.5 * i / max(n - 1, 1)))
            cv2.line(motif, (0, y), (size, y), 255, max(2, size // (4 * n)), cv2.LINE_AA)
        rot = cv2.getRotationMatrix2D((c, c), e["angle"], 1.0)
        motif = cv2.warpAffine(motif, rot, (size, size))
    elif e["inner"] == "chevron":
        pts = np.array([(c - r * 0.5, c - r * 0.2), (c, c + r * 0.3), (c + r * 0.5, c - r * 0.2)], np.int32)
        cv2.polylines(motif, [pts], False, 255, max(3, size // 12), cv2.LINE_AA)
    motif = cv2.min(motif, inner)
    mask = np.maximum(mask, motif)  # a motif inside a ring is drawn on the hole
    alpha = motif.astype(np.float32)[..., None] / 255
    img = (img * (1 - alpha) + np.array(e["inner_color"], np.float32) * alpha).astype(np.uint8)
    if e["border"]:
        _fill_shape(img, None, e["shape"] if e["shape"] != "ring" else "circle", c, c, r - e["border"] * 3,
                    e["border_color"], thickness=e["border"] * 3)
    return img, mask


def _wordmark(w: dict[str, Any], height: int, style: str) -> tuple[np.ndarray, np.ndarray]:
    text = _word_mask(w, style, height)
    pad = max(4, height // 5)
    th, tw = text.shape
    deco = w["decoration"]
    extra = int(height * 0.35) if deco in ("underline", "swoosh") else 0
    hh, ww = th + 2 * pad + extra, tw + 2 * pad
    img = np.zeros((hh, ww, 3), np.uint8)
    mask = np.zeros((hh, ww), np.uint8)
    if deco == "plate":
        img[:] = w["plate_color"]
        mask[:] = 255
    mask[pad:pad + th, pad:pad + tw] = np.maximum(mask[pad:pad + th, pad:pad + tw], text)
    alpha = np.zeros((hh, ww), np.float32)
    alpha[pad:pad + th, pad:pad + tw] = text / 255.0
    img = (img * (1 - alpha[..., None]) + np.array(w["color"], np.float32) * alpha[..., None]).astype(np.uint8)
    if deco == "underline":
        y = pad + th + extra // 3
        for target, col in ((img, w["deco_color"]), (mask, 255)):
            cv2.line(target, (pad, y), (ww - pad, y), col, max(2, height // 10), cv2.LINE_AA)
    elif deco == "swoosh":
        pts = np.array([(pad + (ww - 2 * pad) * t, pad + th + extra * (0.2 + 0.6 * math.sin(math.pi * t)))
                        for t in np.linspace(0, 1, 24)], np.int32)
        for target, col in ((img, w["deco_color"]), (mask, 255)):
            cv2.polylines(target, [pts], False, col, max(2, height // 8), cv2.LINE_AA)
    elif deco == "dot":
        for target, col in ((img, w["deco_color"]), (mask, 255)):
            cv2.circle(target, (ww - pad // 2, pad), max(3, height // 8), col, -1, cv2.LINE_AA)
    return img, mask


def render(design: Design, height: int = 96) -> np.ndarray:
    """BGRA sprite, tightly cropped, `height` pixels tall (wordmarks are wider than tall)."""
    big = height * _SS
    parts = []
    if "emblem" in design:
        parts.append(_emblem(design["emblem"], big, design["style"]))
    if "word" in design:
        parts.append(_wordmark(design["word"], int(big * (0.55 if "emblem" in design else 0.75)), design["style"]))
    if len(parts) == 2:
        (ei, em), (wi, wm) = parts
        gap = big // 8
        h = max(ei.shape[0], wi.shape[0])
        img = np.zeros((h, ei.shape[1] + gap + wi.shape[1], 3), np.uint8)
        mask = np.zeros(img.shape[:2], np.uint8)
        y0 = (h - ei.shape[0]) // 2
        img[y0:y0 + ei.shape[0], :ei.shape[1]] = ei
        mask[y0:y0 + ei.shape[0], :ei.shape[1]] = em
        y1 = (h - wi.shape[0]) // 2
        img[y1:y1 + wi.shape[0], ei.shape[1] + gap:] = wi
        mask[y1:y1 + wi.shape[0], ei.shape[1] + gap:] = wm
    else:
        img, mask = parts[0]
    ys, xs = np.nonzero(mask > 8)
    if len(xs) == 0:
        raise ValueError("empty logo")
    img, mask = img[ys.min():ys.max() + 1, xs.min():xs.max() + 1], mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = height / img.shape[0]
    size = (max(2, int(round(img.shape[1] * scale))), height)
    return np.dstack([cv2.resize(img, size, interpolation=cv2.INTER_AREA),
                      cv2.resize(mask, size, interpolation=cv2.INTER_AREA)])
