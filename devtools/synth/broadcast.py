"""A broadcast-like match clip with known truth: the demo footage, shaped like what users analyse.

The world is one stadium drawn once (stands, a mown pitch with its lines, a ribbon of perimeter
boards along the far touchline) on a canvas wider than any shot. Boards are LED panels: every
8-16 s the ribbon switches to a new rotation of two or three ads repeated along it — the
brands' typeset marks (devtools/synth/typeset.py), now and then a look-alike or an unrelated
sponsor. Players (rounded figures in two kits and a referee's black) follow the ball and pass
in front of the boards; the camera pans with the ball and cuts between a wide shot, a closer
shot and an occasional close-up on the boards; a scoreboard sits in the top-left corner.

**What counts as visible** (the truth, as an analyst would count it): a brand is on a frame
when at least half of one of its marks is in view — inside the frame and not covered by a
player or the scoreboard. Its box is the part of the mark inside the frame (a labeler draws
the mark's box, also where a player crosses it). A mark mostly off-frame or mostly hidden is
not counted; nothing else (a board's colour, a look-alike) counts for the brand.

`make_broadcast` writes the clip and returns a `BrandVideo` (truth per video frame);
`stills` renders labeled frames from the same stadium at other times, for training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import cv2
import numpy as np

from devtools.synth import typeset
from devtools.synth.benchmark import Frame, Instance, Logo
from devtools.synth.video import BrandVideo

#: World canvas (pixels): the wide camera sees its full height, a third of its width.
WORLD_W, WORLD_H = 4800, 1080
STANDS_Y1 = 262
BOARD_Y0, BOARD_Y1 = 268, 354
TOUCHLINE_Y = 372
BOARD_W, BOARD_GAP = 560, 10
MARK_FRAC = 0.7  # a bare mark's height on its board
PLATE_FRAC = 0.84  # a badge's plate, on a board in a darker shade of it

#: Camera angles: (name, world rows seen, top row, how often a cut goes to it, shot length range s).
ANGLES = (("wide", 1080, 0, 0.55, (5.0, 11.0)),
          ("close", 640, 120, 0.33, (3.0, 7.0)),
          ("boards", 420, 160, 0.12, (2.0, 3.5)))


@dataclass(frozen=True)
class Ad:
    logo: Logo
    tile: np.ndarray  # the board showing this ad, BGR, board-sized
    mark: tuple[int, int, int, int]  # the mark's box on the tile


@dataclass
class Stadium:
    """The world every shot and still is cut from."""
    base: np.ndarray
    boards: list[int]  # left edge of each board
    ads: list[Ad]

    def with_ads(self, ads: Sequence[Ad]) -> tuple[np.ndarray, list[tuple[Ad, tuple[int, int, int, int]]]]:
        """The world with board j showing ads[j]; each mark with its world box."""
        world = self.base.copy()
        marks = []
        for x0, ad in zip(self.boards, ads):
            world[BOARD_Y0:BOARD_Y1, x0:x0 + BOARD_W] = ad.tile
            mx0, my0, mx1, my1 = ad.mark
            marks.append((ad, (x0 + mx0, BOARD_Y0 + my0, x0 + mx1, BOARD_Y0 + my1)))
        return world, marks


def _tile(logo: Logo) -> Ad:
    d = logo.design
    bg = {"combo": d["ink"], "word": d["plate"]}.get(d["kind"], tuple(int(c * 0.3) for c in d["plate"]))
    tile = np.zeros((BOARD_Y1 - BOARD_Y0, BOARD_W, 3), np.uint8)
    tile[:] = bg
    h = int((BOARD_Y1 - BOARD_Y0) * (MARK_FRAC if d["kind"] in ("word", "combo") else PLATE_FRAC))
    sprite = typeset.render(d, h)
    if sprite.shape[1] > BOARD_W - 60:  # a long name: smaller, to leave the board a margin
        sprite = typeset.render(d, max(12, int(h * (BOARD_W - 60) / sprite.shape[1])))
    sh, sw = sprite.shape[:2]
    x, y = (BOARD_W - sw) // 2, (tile.shape[0] - sh) // 2
    a = sprite[..., 3:4].astype(np.float32) / 255
    tile[y:y + sh, x:x + sw] = (tile[y:y + sh, x:x + sw] * (1 - a) + sprite[..., :3] * a).astype(np.uint8)
    ys, xs = np.nonzero(sprite[..., 3] > 96)
    return Ad(logo, tile, (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1))


def _base(rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((WORLD_H, WORLD_W, 3), np.uint8)
    # stands: a crowd of coloured dots under a roof shadow, seat tiers
    crowd = rng.integers(20, 190, (STANDS_Y1 // 5, WORLD_W // 5, 3)).astype(np.float32)
    crowd = crowd * 0.45 + crowd.mean(axis=2, keepdims=True) * 0.55  # mostly muted clothes
    crowd = cv2.GaussianBlur(cv2.resize(crowd, (WORLD_W, STANDS_Y1), interpolation=cv2.INTER_NEAREST), (5, 5), 0)
    shade = np.linspace(0.3, 0.75, STANDS_Y1, dtype=np.float32)[:, None, None]
    img[:STANDS_Y1] = (crowd * shade).astype(np.uint8)
    for y in range(40, STANDS_Y1, 55):
        cv2.line(img, (0, y), (WORLD_W, y), (60, 60, 70), 3)
    img[STANDS_Y1:BOARD_Y0] = (40, 40, 40)
    # pitch: mown stripes, slightly darker far away
    stripe = 240
    for k in range(WORLD_W // stripe + 1):
        img[BOARD_Y1:, k * stripe:(k + 1) * stripe] = (50, 140, 45) if k % 2 else (60, 160, 55)
    far = np.linspace(0.85, 1.05, WORLD_H - BOARD_Y1, dtype=np.float32)[:, None, None]
    img[BOARD_Y1:] = np.clip(img[BOARD_Y1:] * far, 0, 255).astype(np.uint8)
    noise = rng.normal(0, 4, (WORLD_H - BOARD_Y1, WORLD_W, 1)).astype(np.int16)
    img[BOARD_Y1:] = np.clip(img[BOARD_Y1:].astype(np.int16) + noise, 0, 255).astype(np.uint8)
    img[BOARD_Y1:BOARD_Y1 + 10] = (img[BOARD_Y1:BOARD_Y1 + 10] * 0.6).astype(np.uint8)  # the boards' shadow
    white, lw = (235, 240, 235), 5
    left, right, mid = 160, WORLD_W - 160, WORLD_W // 2
    cv2.line(img, (left, TOUCHLINE_Y), (right, TOUCHLINE_Y), white, lw, cv2.LINE_AA)
    cv2.line(img, (mid, TOUCHLINE_Y), (mid, WORLD_H), white, lw, cv2.LINE_AA)
    cv2.ellipse(img, (mid, 760), (330, 190), 0, 0, 360, white, lw, cv2.LINE_AA)
    cv2.circle(img, (mid, 760), 7, white, -1, cv2.LINE_AA)
    for x, d in ((left, 1), (right, -1)):  # goal lines, penalty areas (drawn in perspective), goals
        cv2.line(img, (x, TOUCHLINE_Y), (x - d * 120, WORLD_H), white, lw, cv2.LINE_AA)
        box = np.int32([[x + d * 10, 560], [x + d * 560, 560], [x + d * 520, 1000], [x - d * 70, 1000]])
        cv2.polylines(img, [box[[0, 1, 2, 3]]], False, white, lw, cv2.LINE_AA)
        cv2.rectangle(img, (min(x, x - d * 40), 640), (max(x, x - d * 40), 800), (245, 245, 245), 4)
    return img


def make_stadium(brands: Sequence[Logo], distractors: Sequence[Logo], seed: int = 0) -> Stadium:
    rng = np.random.default_rng(seed)
    step = BOARD_W + BOARD_GAP
    boards = list(range(BOARD_GAP, WORLD_W - BOARD_W, step))
    return Stadium(_base(rng), boards, [_tile(lg) for lg in list(brands) + list(distractors)])


@dataclass(frozen=True)
class Player:
    kit: tuple[int, int, int]
    shorts: tuple[int, int, int]
    skin: tuple[int, int, int]
    offset: float  # from the ball, world x
    home_y: float
    wander: tuple[float, float, float, float]  # x amplitude, x rate, phase, lag behind the ball (s)
    drift: tuple[float, float, float]  # y amplitude, y rate, phase
    stride: float  # steps per second

    def at(self, t: float, ball: float) -> tuple[float, float]:
        ax, wx, px, _ = self.wander
        ay, wy, py = self.drift
        x = ball + self.offset + ax * math.sin(wx * t + px)
        y = min(WORLD_H + 60.0, max(TOUCHLINE_Y + 12.0, self.home_y + ay * math.sin(wy * t + py)))
        return x, y


@dataclass
class Match:
    """Everything that moves: the ball (the camera follows it), players, cuts, board rotations."""
    seconds: float
    phases: tuple[float, float, float]
    players: list[Player]
    shots: list[tuple[float, int, float]]  # start s, angle index, board-shot x
    rotations: list[tuple[float, list[int]]]  # start s, ad index per board
    kickoff_s: int

    def ball(self, t: float) -> float:
        a, b, c = self.phases
        span = WORLD_W / 2 - 700
        return WORLD_W / 2 + span * (0.65 * math.sin(2 * math.pi * t / 47 + a) + 0.25 * math.sin(2 * math.pi * t / 19 + b)
                                     + 0.1 * math.sin(2 * math.pi * t / 7 + c))

    def shot(self, t: float) -> tuple[int, float]:
        i = max(0, np.searchsorted([s[0] for s in self.shots], t, side="right") - 1)
        return self.shots[i][1], self.shots[i][2]

    def rotation(self, t: float) -> int:
        return max(0, int(np.searchsorted([r[0] for r in self.rotations], t, side="right")) - 1)

    def camera(self, t: float, size: tuple[int, int], angle: int | None = None) -> tuple[int, int, int, int]:
        """World window (x0, y0, width, height) the camera shows at t (on `angle` if given)."""
        shot, board_x = self.shot(t)
        angle = shot if angle is None else angle
        _, rows, top, _, _ = ANGLES[angle]
        cols = int(round(rows * size[0] / size[1]))
        centre = board_x + 40 * math.sin(t / 3) if ANGLES[angle][0] == "boards" else self.ball(t - 0.4)
        x0 = int(round(min(WORLD_W - cols, max(0.0, centre - cols / 2))))
        return x0, top, cols, rows


#: Home and away shirts (BGR) of the teams that play in the stadium.
KITS = (((30, 30, 200), (230, 230, 235)), ((200, 80, 20), (20, 200, 230)), ((40, 120, 20), (30, 140, 240)),
        ((120, 30, 110), (210, 170, 60)))


def make_match(rng: np.random.Generator, seconds: float, n_ads: int, shown: Sequence[int], others: Sequence[int],
               n_boards: int, kit: int | None = None) -> Match:
    """`shown`: ad indexes of the brands on show; `others`: look-alikes and unrelated sponsors."""
    kits = KITS[int(rng.integers(0, len(KITS))) if kit is None else kit % len(KITS)]
    shorts = [(240, 240, 240), (40, 40, 40)]
    players = []
    for i in range(15):
        team = 2 if i == 14 else i % 2
        players.append(Player(kit=kits[team] if team < 2 else (20, 20, 20), shorts=shorts[team % 2],
                              skin=tuple(int(c) for c in rng.choice([(140, 170, 220), (90, 120, 170), (60, 80, 110)])),
                              offset=float(rng.uniform(-950, 950)), home_y=float(rng.uniform(TOUCHLINE_Y + 20, WORLD_H)),
                              wander=(float(rng.uniform(60, 260)), float(rng.uniform(0.2, 0.8)),
                                      float(rng.uniform(0, 6.3)), 0.0),
                              drift=(float(rng.uniform(20, 90)), float(rng.uniform(0.15, 0.6)), float(rng.uniform(0, 6.3))),
                              stride=float(rng.uniform(1.6, 2.6))))
    shots: list[tuple[float, int, float]] = []
    t, last = 0.0, -1
    weights = np.array([a[3] for a in ANGLES])
    while t < seconds:
        p = weights.copy()
        if last >= 0:
            p[last] = 0
        angle = int(rng.choice(len(ANGLES), p=p / p.sum()))
        shots.append((t, angle, float(rng.uniform(700, WORLD_W - 700))))
        t += float(rng.uniform(*ANGLES[angle][4]))
        last = angle
    rotations = []
    cycle = [int(i) for i in rng.permutation(list(shown))]
    t = 0.0
    while t < seconds:  # the brands take turns on the ribbon; now and then another sponsor joins them
        pattern = []
        for _ in range(min(len(cycle), int(rng.integers(2, 4)))):
            pattern.append(cycle[0])
            cycle = cycle[1:] + cycle[:1]
        if others and rng.random() < 0.3:
            pattern[-1 if len(pattern) > 2 else len(pattern):] = [int(rng.choice(list(others)))]
        start = int(rng.integers(0, len(pattern)))
        rotations.append((t, [pattern[(start + j) % len(pattern)] for j in range(n_boards)]))
        t += float(rng.uniform(8, 16))
    return Match(seconds, tuple(float(v) for v in rng.uniform(0, 2 * math.pi, 3)), players, shots, rotations,  # type: ignore[arg-type]
                 int(rng.integers(5, 80)) * 60)


def _figure(img: np.ndarray, mask: np.ndarray, p: Player, fx: float, fy: float, h: float, t: float) -> None:
    """A player standing at (fx, fy) `h` px tall, on the frame and on the occlusion mask."""
    swing = math.sin(2 * math.pi * p.stride * t + p.wander[2])
    hip, shoulder = fy - 0.47 * h, fy - 0.8 * h
    leg, arm = max(2, int(0.075 * h)), max(2, int(0.055 * h))
    parts = [("line", (fx - 0.04 * h, hip), (fx - 0.04 * h + 0.13 * h * swing, fy), (30, 30, 30), leg),
             ("line", (fx + 0.04 * h, hip), (fx + 0.04 * h - 0.13 * h * swing, fy), (30, 30, 30), leg),
             ("line", (fx - 0.12 * h, shoulder + 0.03 * h), (fx - 0.17 * h - 0.08 * h * swing, hip), p.skin, arm),
             ("line", (fx + 0.12 * h, shoulder + 0.03 * h), (fx + 0.17 * h + 0.08 * h * swing, hip), p.skin, arm),
             ("rect", (fx - 0.11 * h, hip - 0.06 * h), (fx + 0.11 * h, hip + 0.08 * h), p.shorts, -1),
             ("ellipse", (fx, fy - 0.64 * h), (0.13 * h, 0.19 * h), p.kit, -1),
             ("circle", (fx, fy - 0.89 * h), (0.075 * h, 0), p.skin, -1)]
    for kind, a, b, colour, thick in parts:
        for target, c, aa in ((img, colour, cv2.LINE_AA), (mask, 255, cv2.LINE_8)):
            pa = (int(a[0]), int(a[1]))
            if kind == "line":
                cv2.line(target, pa, (int(b[0]), int(b[1])), c, thick, aa)
            elif kind == "rect":
                cv2.rectangle(target, pa, (int(b[0]), int(b[1])), c, thick, aa)
            elif kind == "ellipse":
                cv2.ellipse(target, pa, (max(1, int(b[0])), max(1, int(b[1]))), 0, 0, 360, c, thick, aa)
            else:
                cv2.circle(target, pa, max(1, int(b[0])), c, thick, aa)


def _scoreboard(img: np.ndarray, mask: np.ndarray, clock_s: float) -> None:
    H, W = img.shape[:2]
    x0, y0, x1, y1 = int(0.025 * W), int(0.035 * H), int(0.26 * W), int(0.09 * H)
    cv2.rectangle(img, (x0, y0), (x1, y1), (45, 25, 20), -1)
    cv2.rectangle(mask, (x0, y0), (x1, y1), 255, -1)
    scale = (y1 - y0) / 40
    minutes, seconds = divmod(int(clock_s) % 5400, 60)
    cv2.putText(img, f"HOM 1-0 AWY  {minutes:02d}:{seconds:02d}", (x0 + int(10 * scale), y1 - int(12 * scale)),
                cv2.FONT_HERSHEY_DUPLEX, 0.62 * scale, (240, 240, 240), max(1, int(scale)), cv2.LINE_AA)


class View:
    """One board rotation of the world, scaled once per camera angle, so a frame is a crop."""

    def __init__(self, stadium: Stadium, ads: Sequence[Ad], size: tuple[int, int]) -> None:
        self.world, self.marks = stadium.with_ads(ads)
        self.size = size
        self._scaled: dict[int, np.ndarray] = {}

    def scaled(self, rows: int) -> np.ndarray:
        if rows not in self._scaled:
            s = self.size[1] / rows
            self._scaled[rows] = cv2.resize(self.world, (int(round(WORLD_W * s)), int(round(WORLD_H * s))),
                                            interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        return self._scaled[rows]


def render(match: Match, t: float, view: View, angle: int | None = None) -> tuple[np.ndarray, list[Instance]]:
    """The frame the broadcast shows at t and the marks visible on it (the module's rule)."""
    W, H = view.size
    x0, y0, cols, rows = match.camera(t, view.size, angle)
    s = H / rows
    world = view.scaled(rows)
    sx, sy = min(world.shape[1] - W, int(round(x0 * s))), min(world.shape[0] - H, int(round(y0 * s)))
    image = world[sy:sy + H, sx:sx + W].copy()
    x0, y0 = sx / s, sy / s
    marks = view.marks
    mask = np.zeros((H, W), np.uint8)
    ball = match.ball(t)
    placed = sorted((p.at(t, ball) + (p,) for p in match.players), key=lambda v: v[1])
    for wx, wy, p in placed:
        h = 175 * (1 + 0.55 * (wy - TOUCHLINE_Y) / (WORLD_H - TOUCHLINE_Y)) * s
        fx, fy = (wx - x0) * s, (wy - y0) * s
        if -h < fx < W + h and fy - h < H:
            _figure(image, mask, p, fx, fy, h, t)
    _scoreboard(image, mask, match.kickoff_s + t)
    found: list[Instance] = []
    for ad, (bx0, by0, bx1, by1) in marks:
        fx0, fy0, fx1, fy1 = (bx0 - x0) * s, (by0 - y0) * s, (bx1 - x0) * s, (by1 - y0) * s
        cx0, cy0, cx1, cy1 = int(max(0, fx0)), int(max(0, fy0)), int(min(W, math.ceil(fx1))), int(min(H, math.ceil(fy1)))
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        seen = (cx1 - cx0) * (cy1 - cy0) - np.count_nonzero(mask[cy0:cy1, cx0:cx1])
        if seen >= 0.5 * (fx1 - fx0) * (fy1 - fy0):
            found.append(Instance(ad.logo.name, (cx0, cy0, cx1, cy1), ad.logo.is_brand, (cx1 - cx0) / W))
    return image, found


def _roles(stadium: Stadium, absent: Sequence[str]) -> tuple[list[int], list[int]]:
    shown = [i for i, ad in enumerate(stadium.ads) if ad.logo.is_brand and ad.logo.name not in absent]
    others = [i for i, ad in enumerate(stadium.ads) if not ad.logo.is_brand]
    return shown, others


def make_broadcast(path: Path, stadium: Stadium, seconds: float = 60.0, fps: int = 25,
                   size: tuple[int, int] = (1280, 720), seed: int = 0, absent: Sequence[str] = ()) -> BrandVideo:
    """Write the clip (H.264) and return its truth per video frame; brands in `absent` never show."""
    rng = np.random.default_rng(seed)
    shown, others = _roles(stadium, absent)
    match = make_match(rng, seconds, len(stadium.ads), shown, others, len(stadium.boards))
    video = BrandVideo(path, seconds, fps, size, [], sorted(absent))
    current, view = -1, None
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast", "g": str(fps * 4)}
        stream.thread_type = "FRAME"
        for n in range(int(round(seconds * fps))):
            t = n / fps
            k = match.rotation(t)
            if k != current:
                current = k
                view = View(stadium, [stadium.ads[i] for i in match.rotations[k][1]], size)
            image, found = render(match, t, view)  # type: ignore[arg-type]
            video.visible.append({i.label for i in found if i.is_brand})
            video.others_visible.append({i.label for i in found if not i.is_brand})
            video.boxes.append([(i.label, i.box) for i in found if i.is_brand])
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return video


def stills(stadium: Stadium, n: int, size: tuple[int, int] = (1280, 720), seed: int = 1) -> list[Frame]:
    """`n` labeled frames from other matches in the same stadium (every team's kit), as an analyst
    picks them for training: as many from each camera angle. Every brand is on show here, also
    one the test clip leaves out."""
    rng = np.random.default_rng(seed)
    shown, others = _roles(stadium, ())
    matches = [make_match(rng, 5400.0, len(stadium.ads), shown, others, len(stadium.boards), kit=k)
               for k in range(len(KITS))]
    frames = []
    for k in range(n):
        match, t = matches[k % len(matches)], float(rng.uniform(0, 5400.0))
        view = View(stadium, [stadium.ads[i] for i in match.rotations[match.rotation(t)][1]], size)
        image, found = render(match, t, view, angle=k % len(ANGLES))
        frames.append(Frame(image, found))
    return frames


#: The demo's labeled set: stills from other matches in the stadium (how many an analyst labels).
DEMO_LABELED = 72


@dataclass(frozen=True)
class Demo:
    manifest: Path
    video: BrandVideo
    truth: Path


@dataclass(frozen=True)
class DemoWorld:
    """The demo's stadium, its labeled stills and the brand its clip leaves out (what
    `brandvis demo-data` writes, and bench/fusion.py records without writing files)."""

    brands: list[Logo]
    stadium: Stadium
    stills: list[Frame]
    absent: list[str]
    seed: int

    def clip(self, path: Path, seconds: float = 60.0, size: tuple[int, int] = (1280, 720)) -> BrandVideo:
        return make_broadcast(path, self.stadium, seconds=seconds, size=size, seed=self.seed + 2, absent=self.absent)


def demo_world(size: tuple[int, int] = (1280, 720), labeled: int = DEMO_LABELED, seed: int = 7) -> DemoWorld:
    from devtools.synth.benchmark import make_typeset_logos

    rng = np.random.default_rng(seed)
    brands, distractors = make_typeset_logos(rng)
    stadium = make_stadium(brands, distractors, seed=seed)
    labeled_stills = stills(stadium, labeled, size, seed=seed + 1)
    absent = [brands[int(rng.integers(0, len(brands)))].name]
    return DemoWorld(list(brands), stadium, labeled_stills, absent, seed)


def make_demo(out_dir: Path, seconds: float = 60.0, size: tuple[int, int] = (1280, 720),
              labeled: int = DEMO_LABELED, seed: int = 7) -> Demo:
    """`brandvis demo-data`: the typeset brands on the boards of one stadium; OUT/labels (Ground
    Truth manifest of stills), OUT/match.mp4 (one brand never shows) and OUT/truth.json."""
    import json

    from devtools.synth.benchmark import export_ground_truth

    world = demo_world(size, labeled, seed)
    manifest = export_ground_truth(world.stills, out_dir / "labels")
    video = world.clip(out_dir / "match.mp4", seconds, size)
    truth = out_dir / "truth.json"
    times = {b.name: round(video.screen_time(b.name), 2) for b in world.brands}
    truth.write_text(json.dumps({"screen_time_s": times, "absent": video.absent}, indent=1))
    return Demo(manifest, video, truth)
