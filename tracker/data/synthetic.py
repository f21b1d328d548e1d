"""Deterministic synthetic RGB-T sequences in the VOT RGBTIR layout.

``python -m tracker.data.synthetic --out DIR --sequences N --frames F --seed S``

Each sequence exercises what makes RGB-T tracking hard, recorded per frame in the
sequence's ``<tag>.tag`` files: textured clutter, camera motion, scale change, fast
motion, night (RGB dark and noisy, thermal fine), thermal crossover (target as warm as
its surroundings, RGB fine), partial and full occlusion, distractors that look like the
target in one modality only, a color/ir misalignment (ground truth follows ir) and,
opt-in, the target leaving the image and coming back (out_of_view), and three failure classes seen on real footage:
a small target (small, 8-20 px), fast motion from the first frame (fast_start) and a target that folds (fold: its
aspect changes up to 3x and back).
Thermal frames are 1-channel 8-bit JPEGs; same arguments give identical bytes. Each sequence's
``sequence`` file records the generator version and the arguments, so a cache of generated data
(``--reuse``: bench workspaces, the training corpus) is kept only while both still match.
"""
from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from .vot_layout import generator_version, multistart_anchors, write_annotations, write_list, write_sequence_file

KINDS = ("textured", "camera_motion", "scale", "fast_motion", "night", "crossover", "occlusion", "distractor",
         "misalignment", "out_of_view", "small", "fast_start", "fold")
# Opt-in kinds that generate_dataset's mixes leave out: out_of_view moves the ground truth off the image, which the
# toolkit scores as zero overlap whatever the tracker does, so it belongs in robustness tests, not the benchmark.
# The failure classes are populations of their own (bench/splits.py), so the mixed sets stay as they were.
OPT_IN_KINDS = ("out_of_view", "small", "fast_start", "fold")
SIZES = ((640, 480), (630, 460))
ANCHOR_SPACING = 50  # frames between anchors, as in VOT-RGBT2019's multistart experiment
JPEG_QUALITY = 90
NOISE_MARGIN = 48  # the per-sequence noise bank is this much larger than a frame on each side
# Share of the target's own thermal texture left in thermal crossover. The target used to take only the mean
# temperature of its surroundings and keep all its texture: it stayed 10-15 grey levels warmer than the ring around
# it with twice its texture, and the thermal-only tracker kept 0.84-0.86 overlap through crossover (bench seed 11,
# sequence 02). At 0.2 the texture left (about +-2 grey levels) is that of the sensor noise.
CROSSOVER_TEXTURE = 0.2

# Digest of this module, the VOT layout writer and the numpy and OpenCV versions: any edit of the generator
# invalidates caches of its output (``is_generated``), so none is reused by mistake.
GENERATOR_VERSION = generator_version(Path(__file__), f"numpy {np.__version__} opencv {cv2.__version__}")

# Scenario mixes cycled by generate_dataset: any 8 consecutive ones cover every kind but OPT_IN_KINDS.
MIXES = (
    ("textured",),
    ("night", "camera_motion"),
    ("crossover", "scale"),
    ("occlusion", "fast_motion"),
    ("distractor", "camera_motion"),
    ("night", "distractor", "misalignment"),
    ("crossover", "occlusion", "camera_motion"),
    ("scale", "fast_motion", "misalignment"),
)


def _noise_texture(rng: np.random.Generator, h: int, w: int, channels: int, octaves: int = 5) -> np.ndarray:
    """Multi-octave value noise in [0, 1], shape (h, w, channels)."""
    out = np.zeros((h, w, channels), np.float32)
    total = 0.0
    for octave in range(octaves):
        cells = 2 ** (octave + 2)
        grid = rng.random((cells * h // max(h, w) + 2, cells * w // max(h, w) + 2, channels)).astype(np.float32)
        layer = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, channels)
        amp = 0.6**octave
        out += amp * layer
        total += amp
    return np.clip(out / total, 0, 1)


def _shapes(rng: np.random.Generator, image: np.ndarray, count: int, low: float, high: float) -> None:
    """Draw random filled rectangles and ellipses in place (clutter)."""
    h, w = image.shape[:2]
    channels = 1 if image.ndim == 2 else image.shape[2]
    for _ in range(count):
        color = tuple(float(v) for v in rng.uniform(low, high, channels))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        a, b = int(rng.integers(6, 60)), int(rng.integers(6, 60))
        if rng.random() < 0.5:
            cv2.rectangle(image, (cx - a, cy - b), (cx + a, cy + b), color, -1)
        else:
            cv2.ellipse(image, (cx, cy), (a, b), float(rng.uniform(0, 180)), 0, 360, color, -1)


@dataclass
class _Sprite:
    """A textured object: RGB appearance, thermal appearance and a soft mask at a base size."""

    color: np.ndarray  # (h, w, 3) float32 0-255
    thermal: np.ndarray  # (h, w) float32 0-255
    mask: np.ndarray  # (h, w) float32 0-1

    @staticmethod
    def make(rng: np.random.Generator, w: int, h: int, warm: float, base: Optional[np.ndarray] = None) -> "_Sprite":
        tex = _noise_texture(rng, h, w, 3, octaves=3)
        base = rng.uniform(40, 230, 3) if base is None else base
        color = np.clip(base * (0.55 + 0.9 * tex), 0, 255).astype(np.float32)
        stripes = (np.sin(np.arange(w) / max(w, 1) * rng.uniform(6, 14)) > 0.3).astype(np.float32)
        color *= (0.8 + 0.2 * stripes)[None, :, None]
        thermal = (warm + 18 * (_noise_texture(rng, h, w, 1, octaves=2)[..., 0] - 0.5)).astype(np.float32)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        ell = ((xx - (w - 1) / 2) / (w / 2)) ** 2 + ((yy - (h - 1) / 2) / (h / 2)) ** 2
        square = np.maximum(np.abs(xx - (w - 1) / 2) / (w / 2), np.abs(yy - (h - 1) / 2) / (h / 2))
        shape = np.minimum(ell ** 0.5, square * 1.08)  # rounded rectangle
        mask = np.clip((1.0 - shape) * 8.0 + 0.5, 0, 1).astype(np.float32)
        return _Sprite(color, thermal, mask)

    def paste(self, color: np.ndarray, thermal: np.ndarray, box: np.ndarray,
              crossover: bool = False, visible: Optional[np.ndarray] = None) -> None:
        """Alpha-blend the sprite into both frames at (x, y, w, h); ``visible`` limits the mask.

        ``crossover``: the sprite takes the scene's temperature under it and keeps only CROSSOVER_TEXTURE of
        its own thermal texture, so thermal shows almost nothing of it (RGB is unchanged).
        """
        x, y, w, h = box
        H, W = thermal.shape
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        x1, y1 = int(np.ceil(x + w)), int(np.ceil(y + h))
        if x1 <= 0 or y1 <= 0 or x0 >= W or y0 >= H or x1 - x0 < 2 or y1 - y0 < 2:
            return
        # Sub-pixel placement: sample the sprite on the integer grid covering the box.
        sx, sy = self.mask.shape[1] / w, self.mask.shape[0] / h
        affine = np.array([[sx, 0, (x0 - x) * sx], [0, sy, (y0 - y) * sy]], np.float32)
        size = (x1 - x0, y1 - y0)
        warp = lambda img: cv2.warpAffine(img, affine, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                          borderMode=cv2.BORDER_CONSTANT)
        alpha = warp(self.mask)
        c, t = warp(self.color), warp(self.thermal)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
        sl = (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))
        a = alpha[sl]
        if visible is not None:
            a = a * visible[cy0:cy1, cx0:cx1]
        region_t = thermal[cy0:cy1, cx0:cx1]
        if crossover:
            t = region_t + CROSSOVER_TEXTURE * (t[sl] - self.thermal.mean())
        else:
            t = t[sl]
        color[cy0:cy1, cx0:cx1] = color[cy0:cy1, cx0:cx1] * (1 - a[..., None]) + c[sl] * a[..., None]
        thermal[cy0:cy1, cx0:cx1] = region_t * (1 - a) + t * a


def _segment(rng: np.random.Generator, frames: int, fraction: tuple[float, float], start_after: int = 10) -> np.ndarray:
    """Boolean per-frame mask of one random segment covering ``fraction`` of the sequence."""
    active = np.zeros(frames, bool)
    length = max(5, int(frames * rng.uniform(*fraction)))
    length = min(length, max(frames - start_after - 5, 1))
    start = int(rng.integers(start_after, max(start_after + 1, frames - length)))
    active[start : start + length] = True
    return active


def _smooth_path(rng: np.random.Generator, frames: int, amplitude: float, period: tuple[float, float]) -> np.ndarray:
    """Sum of three random sinusoids, (frames,)."""
    t = np.arange(frames, dtype=np.float64)
    path = np.zeros(frames)
    for _ in range(3):
        path += amplitude / 3 * np.sin(2 * np.pi * t / rng.uniform(*period) + rng.uniform(0, 2 * np.pi))
    return path


@dataclass
class _Plan:
    """Per-frame ground truth and phenomena of one sequence, decided before rendering."""

    boxes: np.ndarray  # (F, 4) xywh in thermal pixels
    camera: np.ndarray  # (F, 2) background offset
    tags: dict[str, np.ndarray] = field(default_factory=dict)  # tag -> (F,) bool


def _plan(rng: np.random.Generator, frames: int, kinds: Sequence[str], size: tuple[int, int]) -> _Plan:
    """Target path and size, camera path and per-frame tags for ``kinds``; draws from ``rng`` only per kind present."""
    W, H = size
    w0, h0 = rng.uniform(28, 70), rng.uniform(24, 60)
    amp = 0.3
    if "small" in kinds:  # the same aspect, 8-20 px (sqrt of area): far away, so it also moves less in the image
        shrink = rng.uniform(8, 20) / np.sqrt(w0 * h0)
        w0, h0, amp = w0 * shrink, h0 * shrink, amp * shrink
    tags: dict[str, np.ndarray] = {}
    scale = np.ones(frames)
    if "scale" in kinds:
        scale = np.exp(_smooth_path(rng, frames, 1.2, (frames * 0.6, frames * 1.5)))
        scale = np.clip(scale, 0.55, 1.8)
        tags["scale_change"] = np.abs(np.gradient(scale)) * 20 > 0.08  # >8 % per second
    cx = W / 2 + _smooth_path(rng, frames, W * amp, (60, 200))
    cy = H / 2 + _smooth_path(rng, frames, H * amp, (60, 200))
    if "fast_motion" in kinds:
        fast = _segment(rng, frames, (0.15, 0.25))
        for track in (cx, cy):  # a random walk of ~13 px/frame steps, only inside the segment
            track += np.cumsum(rng.normal(0, 9, frames) * fast)
        speed = np.hypot(np.diff(cx, prepend=cx[0]), np.diff(cy, prepend=cy[0]))
        tags["fast_motion"] = speed > 8
    if "fast_start" in kinds:
        cx, cy, fast = _fast_start(rng, cx, cy, size)
        tags["fast_motion"] = tags.get("fast_motion", np.zeros(frames, bool)) | fast
    aspect = np.ones(frames)
    if "fold" in kinds:
        aspect, tags["aspect_change"] = _fold(rng, frames)
    w, h = w0 * scale * aspect, h0 * scale / aspect
    cx = np.clip(cx, w / 2 + 4, W - w / 2 - 4)
    cy = np.clip(cy, h / 2 + 4, H - h / 2 - 4)
    if "out_of_view" in kinds:
        cx, cy = _leave_and_return(rng, frames, cx, cy, w, h, size)
    boxes = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    if "out_of_view" in kinds:
        inside = (np.clip(boxes[:, 0] + w, 0, W) - np.clip(boxes[:, 0], 0, W)) * \
                 (np.clip(boxes[:, 1] + h, 0, H) - np.clip(boxes[:, 1], 0, H))
        tags["out_of_view"] = inside < 0.5 * w * h  # less than half of the target on the image
    camera = np.zeros((frames, 2))
    if "camera_motion" in kinds:
        camera = np.stack([_smooth_path(rng, frames, 60, (80, 200)), _smooth_path(rng, frames, 40, (80, 200))], 1)
        tags["camera_motion"] = np.ones(frames, bool)
    for kind, fraction in (("night", (0.3, 0.45)), ("crossover", (0.25, 0.4)), ("occlusion", (0.12, 0.2))):
        if kind in kinds:
            tags[kind] = _segment(rng, frames, fraction)
    if "occlusion" in kinds:
        tags["full_occlusion"] = np.abs(_occluder_phase(tags["occlusion"])) < 1e-9
    if "distractor" in kinds:
        tags["distractor"] = np.ones(frames, bool)
    if "misalignment" in kinds:
        tags["misalignment"] = np.ones(frames, bool)
    return _Plan(boxes, camera, tags)


def _fast_start(rng: np.random.Generator, cx: np.ndarray, cy: np.ndarray, size: tuple[int, int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre path that runs 18-30 px a frame in one direction from frame 1 for 6-12 frames (towards the side with
    more room), then goes on from where it got; and the frames it runs."""
    W, H = size
    frames = len(cx)
    run = min(int(rng.integers(6, 13)), frames - 1)
    speed, angle = rng.uniform(18, 30), rng.uniform(-np.pi / 4, np.pi / 4)
    dx, dy = speed * np.cos(angle), speed * np.sin(angle)
    dx *= 1 if cx[0] < W / 2 else -1
    dy *= 1 if cy[0] < H / 2 else -1
    steps = np.minimum(np.arange(frames), run)
    fast = np.zeros(frames, bool)
    fast[1 : run + 1] = True
    return cx + steps * dx, cy + steps * dy, fast


def _fold(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame aspect factor (width x, height /) that goes from 1 to 2-3 or its inverse and back over one segment
    (the area stays), and the frames it changes on."""
    active = _segment(rng, frames, (0.3, 0.5))
    span = np.flatnonzero(active)
    log_aspect = np.zeros(frames)
    if len(span):
        t = (span - span[0] + 0.5) / len(span)
        log_aspect[span] = rng.choice([-1, 1]) * np.log(rng.uniform(2, 3)) * np.minimum(1.0, 2 * np.sin(np.pi * t))
    return np.exp(log_aspect), active


def _leave_and_return(rng: np.random.Generator, frames: int, cx: np.ndarray, cy: np.ndarray, w: np.ndarray,
                      h: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Centre path that exits through the nearest image side during one segment, stays out a while, and returns."""
    W, H = size
    segment = np.flatnonzero(_segment(rng, frames, (0.15, 0.25)))
    if len(segment) == 0:  # too short a sequence for a segment after the first frames
        return cx, cy
    t = (np.arange(len(segment)) + 0.5) / len(segment)
    pull = np.minimum(1.0, 1.8 * np.sin(np.pi * t))  # 0 -> 1 (fully out, held) -> 0
    mid = segment[len(segment) // 2]
    cx, cy = cx.copy(), cy.copy()
    # Distance to each side at mid-segment; leave through the closest one, ending a margin beyond it.
    sides = {"left": cx[mid], "right": W - cx[mid], "top": cy[mid], "bottom": H - cy[mid]}
    side = min(sides, key=sides.get)
    if side in ("left", "right"):
        goal = -w[segment] if side == "left" else W + w[segment]
        cx[segment] += pull * (goal - cx[segment])
    else:
        goal = -h[segment] if side == "top" else H + h[segment]
        cy[segment] += pull * (goal - cy[segment])
    return cx, cy


def _occluder_phase(occluded: np.ndarray) -> np.ndarray:
    """Occluder offset from the target, in units of its travel, (F,): -1 entering, 0 covering, +1 leaving.

    The occluder slides in over the first 35 % of the occlusion segment (partial occlusion), fully covers the
    target over the middle 30 % (a short full occlusion), and slides out over the rest.
    """
    frames = np.flatnonzero(occluded)
    phase = np.full(len(occluded), np.nan)
    if len(frames):
        p = (frames - frames[0]) / max(len(frames) - 1, 1)
        phase[frames] = np.where(p < 0.35, p / 0.35 - 1, np.where(p > 0.65, (p - 0.65) / 0.35, 0.0))
    return phase


def _anchors(frames: int, plan: _Plan, spacing: int = ANCHOR_SPACING) -> np.ndarray:
    """Anchors every ``spacing`` frames, moved off occluded/night/crossover/out-of-view frames (vot_layout's rule)."""
    hard = np.zeros(frames, bool)
    for tag in ("occlusion", "night", "crossover", "out_of_view"):
        hard |= plan.tags.get(tag, np.zeros(frames, bool))
    return multistart_anchors(hard, spacing)


def generate_sequence(out_dir: Path, frames: int, seed: int, kinds: Sequence[str] = ("textured",),
                      size: tuple[int, int] = (640, 480), anchor_spacing: int = ANCHOR_SPACING) -> Path:
    """Write one sequence (color/, ir/, groundtruth.txt, tags, anchor.value, sequence) to ``out_dir``."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {', '.join(KINDS)}")
    if frames < 2:
        raise ValueError(f"frames={frames}: a sequence needs at least 2 frames")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    W, H = size
    plan = _plan(rng, frames, kinds, size)
    margin = 80
    BW, BH = W + 2 * margin, H + 2 * margin
    # Backgrounds: cluttered RGB texture; a smoother, cooler temperature field.
    bg_color = (_noise_texture(rng, BH, BW, 3) * 255).astype(np.float32)
    _shapes(rng, bg_color, 40, 20, 235)
    bg_color = cv2.GaussianBlur(bg_color, (0, 0), 0.8)
    bg_thermal = (60 + 60 * _noise_texture(rng, BH, BW, 1, octaves=3)[..., 0]).astype(np.float32)
    _shapes(rng, bg_thermal, 12, 50, 120)
    bg_thermal = cv2.GaussianBlur(bg_thermal, (0, 0), 2.0)

    target = _Sprite.make(rng, 64, 64, warm=float(rng.uniform(185, 225)))
    distractors = []
    if "distractor" in kinds:
        # A colour twin that is cold, and a warm object that looks different in RGB.
        twin = _Sprite.make(rng, 64, 64, warm=float(rng.uniform(70, 100)))
        twin.color = target.color.copy()
        hot = _Sprite.make(rng, 64, 64, warm=float(rng.uniform(185, 225)))
        for sprite, phase in ((twin, 0.0), (hot, np.pi)):
            orbit = np.arange(frames) / rng.uniform(40, 70) + phase
            r = rng.uniform(1.6, 2.6)
            distractors.append((sprite, orbit, r))
    # Colder than any background (60-120), so the occluder shows in thermal as well as in RGB.
    occluder = _Sprite.make(rng, 40, 120, warm=float(rng.uniform(25, 45)))
    shift = 6.0 if "misalignment" in kinds else 2.0
    mis_dx, mis_dy = rng.uniform(-1, 1, 2) * shift
    mis_scale = 1.0 + (0.02 if "misalignment" in kinds else 0.005)
    misalign = np.array([[mis_scale, 0, mis_dx - (mis_scale - 1) * W / 2],
                         [0, mis_scale, mis_dy - (mis_scale - 1) * H / 2]], np.float32)
    # Sensor noise is cropped per frame at a random offset from one bank drawn up front: drawing ~1.2 M fresh
    # normals per frame pair would cost more than everything else together (the ~10 ms/frame budget).
    m = NOISE_MARGIN
    bank = rng.standard_normal((H + 2 * m, W + 2 * m, 3), dtype=np.float32)  # (H+2m, W+2m, 3)

    (out_dir / "color").mkdir(parents=True, exist_ok=True)
    (out_dir / "ir").mkdir(parents=True, exist_ok=True)
    occ_phase = _occluder_phase(plan.tags.get("occlusion", np.zeros(frames, bool)))
    no_tag = np.zeros(frames, bool)
    for i in range(frames):
        ox, oy = (margin + plan.camera[i]).astype(int)
        color = bg_color[oy : oy + H, ox : ox + W].copy()
        thermal = bg_thermal[oy : oy + H, ox : ox + W].copy()
        box = plan.boxes[i]
        for sprite, orbit, r in distractors:
            d = np.array([box[0] + box[2] / 2 + r * box[2] * np.cos(orbit[i]) - box[2] / 2,
                          box[1] + box[3] / 2 + r * box[3] * np.sin(orbit[i]) - box[3] / 2, box[2], box[3]])
            sprite.paste(color, thermal, d)
        target.paste(color, thermal, box, crossover=plan.tags.get("crossover", no_tag)[i])
        if not np.isnan(occ_phase[i]):
            # 1.5x wider and 2x taller than the box, so its opaque core (rounded corners and soft rim aside)
            # hides the whole box at phase 0; at phase +-1 it only overlaps the box's edge.
            ow, oh = box[2] * 1.5, box[3] * 2.0
            travel = (box[2] + ow) / 2 - 0.1 * box[2]
            left = box[0] + box[2] / 2 - ow / 2 + occ_phase[i] * travel
            occluder.paste(color, thermal, np.array([left, box[1] - box[3] / 2, ow, oh]))
        ny, nx = rng.integers(0, 2 * m + 1, size=(3, 2)).T  # three independent noise crops
        noise = lambda k: bank[ny[k] : ny[k] + H, nx[k] : nx[k] + W]  # (H, W, 3) view
        if plan.tags.get("night", no_tag)[i]:
            color = color * 0.12 + 7.0 * noise(0)  # dark and noisy RGB
        thermal += 2.0 * noise(1)[..., i % 3]
        color += 3.0 * noise(2)
        color = cv2.warpAffine(color, misalign, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        bgr = np.clip(color[..., ::-1], 0, 255).astype(np.uint8)
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        cv2.imwrite(str(out_dir / "color" / f"{i + 1:08d}.jpg"), bgr, params)
        cv2.imwrite(str(out_dir / "ir" / f"{i + 1:08d}.jpg"), np.clip(thermal, 0, 255).astype(np.uint8), params)

    write_annotations(out_dir, plan.boxes, _anchors(frames, plan, anchor_spacing), plan.tags)
    write_sequence_file(out_dir, "color/%08d.jpg", "ir/%08d.jpg", {
        "name": out_dir.name, "width": W, "height": H, "length": frames, "kinds": ",".join(kinds),
        # color = misalignment applied to the ir-aligned frame: x' = s*x + dx - (s-1)*W/2 (same for y)
        "misalignment": f"{mis_dx:.3f},{mis_dy:.3f},{mis_scale:.3f}",
        "generator": GENERATOR_VERSION, "seed": seed, "anchor_spacing": anchor_spacing,
    })  # written last: its presence marks a complete sequence
    return out_dir


def is_generated(seq_dir: Path, frames: int, seed: int, kinds: Sequence[str] = ("textured",),
                 size: tuple[int, int] = (640, 480), anchor_spacing: int = ANCHOR_SPACING) -> bool:
    """Whether ``seq_dir`` is a complete sequence that this generator version wrote with these arguments."""
    try:
        text = (Path(seq_dir) / "sequence").read_text()
    except OSError:
        return False
    meta = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    expected = {"generator": GENERATOR_VERSION, "seed": seed, "length": frames, "kinds": ",".join(kinds),
                "width": size[0], "height": size[1], "anchor_spacing": anchor_spacing}
    return all(meta.get(key) == str(value) for key, value in expected.items())


def generate_dataset(root: Path, sequences: int, frames: int, seed: int, size: Optional[tuple[int, int]] = None,
                     anchor_spacing: int = ANCHOR_SPACING, kinds: Optional[Sequence[str]] = None,
                     reuse: bool = False) -> list[str]:
    """Write ``sequences`` sequences and list.txt; each cycles through MIXES (so 8 cover every kind) unless ``kinds``
    is given. ``reuse``: keep a sequence folder that :func:`is_generated` finds current, rewrite any other."""
    root = Path(root)
    names = []
    for k in range(sequences):
        mix = tuple(kinds) if kinds else MIXES[k % len(MIXES)]
        name = f"{k:02d}-{'-'.join(mix)}"
        args = (frames, seed * 1000 + k, mix, size or SIZES[k % len(SIZES)], anchor_spacing)
        names.append(name)
        if reuse and is_generated(root / name, *args):
            continue
        if (root / name).exists():
            shutil.rmtree(root / name)  # no files of an older generation (tags, frames) survive
        generate_sequence(root / name, *args)
    write_list(root, names)
    return names


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tracker.data.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sequences", type=int, default=8)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", help="comma-separated kinds for every sequence (default: cycle through mixes)")
    parser.add_argument("--size", help="WxH for every sequence, e.g. 640x480")
    parser.add_argument("--anchor-spacing", type=int, default=ANCHOR_SPACING,
                        help="frames between multistart anchors (each one starts a toolkit run)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep sequences this generator version already wrote with these arguments")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x")) if args.size else None
    kinds = tuple(k for k in args.kinds.split(",") if k) if args.kinds else None
    names = generate_dataset(args.out, args.sequences, args.frames, args.seed, size, args.anchor_spacing, kinds,
                             reuse=args.reuse)
    print(f"wrote {len(names)} sequences x {args.frames} frames to {args.out} (generator {GENERATOR_VERSION})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
