"""Photo scenes: a second RGB-T scene family, built from real photographs, sharing no drawing code with synthetic.py.

``python -m tracker.data.photo_scenes --out DIR --sequences N --frames F --seed S [--anchor-spacing K]``

Why: a tracker (or a setting) tuned on one generator's look is measured on a family it has never seen (issue 16).
The scene model:

* Sources: photographs shipped by installed packages (scikit-image's ``data`` images, matplotlib's ``sample_data``),
  found through the packages' install folders; nothing is downloaded. Grey photos get a random colour tint.
* World: a 2 x 2 mosaic of photos with wavy, feathered seams, seen by a moving camera (pan, zoom, roll along smooth
  random paths, plus shake). ``camera_motion`` pans and zooms far and shakes hard; otherwise the camera drifts slowly.
* Objects: patches cut from other photos (a face, the cat, the cup, the rocket, the motorcycle, a coin, ...; the cut
  is jittered) under a soft superellipse mask, moving on smooth random paths in image coordinates with scale change,
  in-plane rotation and appearance change (cross-fade to a second cut of the object, illumination drift). Clutter
  patches move behind the target; ``distractor`` adds an RGB twin (cut from the target's own photo region, at scene
  temperature) and a thermal twin (another photo at the target's temperature); ``occlusion`` slides a real-photo
  panel (brick, gravel, a page of text, ...) across the target.
* Thermal rendering: every pixel is a temperature. Background: per mosaic tile, the photo's smoothed luminance through
  a random curve (direct, inverted or re-mapped: materials), a per-tile offset, a vertical gradient, a low-frequency
  field and hot spots where the photo is brightest (lamps). Objects: a level above (warm) or below (cold) the ambient
  plus their own photo's luminance at low contrast, blurred. Thermal crossover blends the target into the blurred
  scene temperature under it, keeping CROSSOVER_TEXTURE of its texture. Sensor: rendered at the sensor resolution
  (half the output size where colour and thermal sizes match, then upsampled; ``lowres_thermal``: a 320x256 thermal
  frame beside a 640x480 colour one), optics blur, microbolometer lag (THERMAL_LAG of the previous frame), temporal
  noise, fixed-pattern noise (per-pixel offsets, column banding that breathes), vignetting, gain/offset drift, written
  as 8-bit JPEG through automatic gain control (the 1-99 % range, following the scene with lag) or, with
  ``thermal16``, as 16-bit PNG counts at the sensor's own resolution (half the colour frame's size).
* Colour rendering: the same scene through a second camera with its own frame size, registered to thermal up to a
  small shift (``misalignment``: a large shift, scale and roll, and parallax of the objects growing with their
  size); motion blur of fast objects and of the background under fast camera motion; exposure drift, white balance,
  vignetting, sensor noise, JPEG quality varying per frame; ``night``: dark, gamma, blur and heavy noise.
* Ground truth: x,y,w,h on the thermal frame, the bounding box of the target's mask outline (exact under rotation
  and scale). Per-frame tags are measured from the render where they can be (occlusion = share of the target's mask
  covered, full_occlusion above 90 %; fast_motion, scale_change, camera_motion from the motion; night, crossover from
  their weights; distractor = a twin within 3 target sizes; misalignment on every frame of such sequences).
  Anchors as VOT-RGBT2019 (``tracker.data.vot_layout``).

Same arguments give identical bytes (one seeded generator per sequence; no clock, no threads' order).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from .vot_layout import generator_version, multistart_anchors, write_annotations, write_list, write_sequence_file

KINDS = ("camera_motion", "scale", "fast_motion", "night", "crossover", "occlusion", "distractor", "misalignment",
         "thermal16", "lowres_thermal")
# Cycled by generate_dataset: any 8 consecutive mixes cover every kind, and every kind appears at least twice.
MIXES = (
    ("camera_motion", "scale", "thermal16"),
    ("night", "occlusion", "camera_motion"),
    ("crossover", "distractor"),
    ("fast_motion", "misalignment", "lowres_thermal"),
    ("occlusion", "scale", "distractor"),
    ("night", "fast_motion", "misalignment", "thermal16"),
    ("crossover", "camera_motion", "occlusion", "lowres_thermal"),
    ("distractor", "scale", "fast_motion"),
)
SIZES = ((640, 480), (630, 460))  # colour = thermal output size, cycled; lowres_thermal overrides
LOWRES_SIZES = ((640, 480), (320, 256))  # (colour, thermal) of lowres_thermal sequences
ANCHOR_SPACING = 50
FPS = 20
CROSSOVER_TEXTURE = 0.15  # share of the target's own thermal texture left in full crossover
THERMAL_LAG = 0.25  # share of the previous thermal frame kept (microbolometer time constant)
CANVAS = (1400, 1050)  # world mosaic, world pixels
VIEW = 760.0  # world pixels across the thermal frame at zoom 1
NOISE_MARGIN = 32

# name -> (package, path inside it); grey photos are tinted when used.
PHOTOS = {
    "astronaut": ("skimage", "data/astronaut.png"), "chelsea": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"), "rocket": ("skimage", "data/rocket.jpg"),
    "motorcycle_left": ("skimage", "data/motorcycle_left.png"),
    "motorcycle_right": ("skimage", "data/motorcycle_right.png"),
    "camera": ("skimage", "data/camera.png"), "coins": ("skimage", "data/coins.png"),
    "brick": ("skimage", "data/brick.png"), "grass": ("skimage", "data/grass.png"),
    "gravel": ("skimage", "data/gravel.png"), "moon": ("skimage", "data/moon.png"),
    "text": ("skimage", "data/text.png"),
    "hubble": ("skimage", "data/hubble_deep_field.jpg"), "retina": ("skimage", "data/retina.jpg"),
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
# Object-like cuts: name -> (photo, region as fractions x0, y0, x1, y1, superellipse exponent, second view or None).
OBJECTS = {
    "astronaut_head": ("astronaut", (0.30, 0.02, 0.60, 0.34), 2.0, None),
    "helmet": ("astronaut", (0.55, 0.66, 1.00, 1.00), 2.0, None),
    "shuttle": ("astronaut", (0.68, 0.00, 0.92, 0.58), 4.0, None),
    "cat": ("chelsea", (0.28, 0.08, 0.82, 1.00), 2.0, None),
    "cup": ("coffee", (0.12, 0.00, 0.85, 0.95), 2.0, None),
    "rocket": ("rocket", (0.43, 0.30, 0.57, 0.97), 5.0, None),
    "motorcycle": ("motorcycle_left", (0.15, 0.25, 0.92, 0.92), 4.0, "motorcycle_right"),
    "photographer": ("camera", (0.00, 0.10, 0.60, 1.00), 3.0, None),
    "coin": ("coins", (0.78, 0.02, 1.00, 0.30), 2.0, None),
    "hopper": ("grace_hopper", (0.28, 0.08, 0.78, 0.58), 2.0, None),
}
BACKGROUNDS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "camera", "coins", "brick", "grass",
               "gravel", "moon", "hubble", "grace_hopper", "text")
OCCLUDERS = ("brick", "gravel", "grass", "text", "moon", "hubble", "retina")


def _libraries() -> str:
    """Versions of what renders and encodes the frames and of the packages the photographs come from."""
    versions = [f"numpy {np.__version__}", f"opencv {cv2.__version__}"]
    for dist in ("scikit-image", "matplotlib"):
        try:
            versions.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist} missing")
    return " ".join(versions)


# Written as each sequence's ``generator``: digest of this module, the VOT layout writer and _libraries(), so any
# change that can alter the frames changes it.
VERSION = "photo-scenes-" + generator_version(Path(__file__), _libraries())


# ----------------------------------------------------------------------------------------------- photos

def _package_dir(package: str) -> Path:
    """Install folder of ``package`` without importing it; a clear error where it is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{package} is not installed; photo_scenes reads the photos it ships "
                                "(see requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=None)
def _photo(name: str) -> np.ndarray:
    """(h, w, 3) uint8 RGB photo (grey ones repeated over 3 channels); read-only, cached."""
    package, rel = PHOTOS[name]
    path = _package_dir(package) / rel
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(f"{path}: photo missing or unreadable in the installed {package}")
    if image.dtype != np.uint8:
        image = (image / 257).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    else:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
    image.setflags(write=False)
    return image


def _is_grey(name: str) -> bool:
    image = _photo(name)
    return bool(np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 1], image[..., 2]))


def _tint(rng: np.random.Generator, name: str) -> np.ndarray:
    """Per-channel gain: a random colour cast for grey photos (brick, gravel ...), none for colour ones."""
    return rng.uniform(0.7, 1.25, 3).astype(np.float32) if _is_grey(name) else np.ones(3, np.float32)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32)


# ----------------------------------------------------------------------------------------------- paths

def _knot_path(rng: np.random.Generator, frames: int, low: float, high: float,
               gap: tuple[float, float]) -> np.ndarray:
    """(frames,) Catmull-Rom curve through random values in [low, high] placed ``gap`` frames apart."""
    knots = [0.0]
    while knots[-1] < frames + 1:
        knots.append(knots[-1] + rng.uniform(*gap))
    t_k = np.array(knots)
    v = rng.uniform(low, high, len(t_k))
    p = np.concatenate([[v[0]], v, [v[-1]]])  # p[j + 1] = v[j]
    t = np.arange(frames, dtype=np.float64)
    j = np.clip(np.searchsorted(t_k, t, side="right") - 1, 0, len(t_k) - 2)
    u = (t - t_k[j]) / (t_k[j + 1] - t_k[j])
    p0, p1, p2, p3 = p[j], p[j + 1], p[j + 2], p[j + 3]
    return 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (3 * p1 - p0 - 3 * p2 + p3) * u**3)


def _window(rng: np.random.Generator, frames: int, share: tuple[float, float], ramp: int) -> np.ndarray:
    """(frames,) weight in [0, 1]: 0, a ``ramp``-frame rise, a plateau of ``share`` of the frames, a fall, 0."""
    plateau = max(2, int(frames * rng.uniform(*share)))
    length = min(plateau + 2 * ramp, max(frames - 6, 1))
    first = min(4, max(frames - length, 0))  # after the first frames where there is room
    start = int(rng.integers(first, max(first + 1, frames - length)))
    t = np.arange(frames) - start
    rise = np.clip((t + 1) / (ramp + 1), 0, 1)
    fall = np.clip((length - t) / (ramp + 1), 0, 1)
    return np.minimum(rise, fall).astype(np.float64)


# ----------------------------------------------------------------------------------------------- patches

@dataclass
class _Patch:
    """An object cut from a photo: colour, zero-mean thermal texture, soft mask and the mask's outline."""

    rgb: np.ndarray  # (h, w, 3) float32 0-255
    texture: np.ndarray  # (h, w) float32, temperature around the object's level
    mask: np.ndarray  # (h, w) float32 0-1
    outline: np.ndarray  # (K, 2) float64 points on the mask's 0.5 contour, patch pixels

    @property
    def shape(self) -> tuple[int, int]:
        return self.mask.shape


def _cut(rng: np.random.Generator, photo: str, region: Sequence[float], exponent: float, longest: int,
         tint: np.ndarray, contrast: float, jitter: float = 0.05, warm_core: float = 0.0,
         aspect: Optional[float] = None) -> _Patch:
    """Cut ``region`` (fractions, jittered) of ``photo`` into a patch whose longest side is ``longest`` pixels.

    ``contrast``: temperature units per unit of the photo's luminance (low: thermal texture is faint);
    ``warm_core`` adds a warmer centre (bodies, engines); ``aspect`` (w/h) overrides the region's shape.
    """
    image = _photo(photo)
    H, W = image.shape[:2]
    x0, y0, x1, y1 = region
    w, h = (x1 - x0) * W, (y1 - y0) * H
    cx = (x0 + x1) / 2 * W + rng.uniform(-jitter, jitter) * w
    cy = (y0 + y1) / 2 * H + rng.uniform(-jitter, jitter) * h
    zoom = rng.uniform(1 - jitter, 1 + jitter)
    w, h = w * zoom, h * zoom
    if aspect is not None:
        w, h = math.sqrt(w * h * aspect), math.sqrt(w * h / aspect)
    w, h = min(w, W), min(h, H)
    cx, cy = float(np.clip(cx, w / 2, W - w / 2)), float(np.clip(cy, h / 2, H - h / 2))
    pw, ph = (longest, max(8, round(longest * h / w))) if w >= h else (max(8, round(longest * w / h)), longest)
    # Sample the crop onto the patch grid with one affine (sub-pixel crop, area-like smoothing when shrinking).
    sx, sy = w / pw, h / ph
    src = image
    if min(sx, sy) > 1.5:
        src = cv2.GaussianBlur(image, (0, 0), 0.4 * min(sx, sy))
    affine = np.array([[sx, 0, cx - w / 2 + 0.5 * sx - 0.5], [0, sy, cy - h / 2 + 0.5 * sy - 0.5]], np.float32)
    rgb = cv2.warpAffine(src, affine, (pw, ph), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT).astype(np.float32) * tint
    rgb = np.clip(rgb, 0, 255)
    a, b = (pw - 1) / 2, (ph - 1) / 2
    yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
    r = (np.abs((xx - a) / a) ** exponent + np.abs((yy - b) / b) ** exponent) ** (1 / exponent)
    mask = np.clip((1 - r) * min(a, b) / 1.5 + 0.5, 0, 1).astype(np.float32)  # ~3 px soft rim
    lum = _luminance(rgb) / 255
    texture = cv2.GaussianBlur(lum - float(lum.mean()), (0, 0), max(1.5, 0.04 * longest)) * contrast
    if warm_core:
        texture += warm_core * np.clip(1 - r**2, 0, 1)
    texture -= float((texture * mask).sum() / mask.sum())  # the object's level is its mean temperature
    angles = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    c, s = np.cos(angles), np.sin(angles)
    outline = np.stack([a + a * np.sign(c) * np.abs(c) ** (2 / exponent),
                        b + b * np.sign(s) * np.abs(s) ** (2 / exponent)], axis=1)
    return _Patch(rgb.astype(np.float32), texture.astype(np.float32), mask, outline)


# ----------------------------------------------------------------------------------------------- geometry

def _pose_affine(pose: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """2x3 affine from patch pixels to frame pixels for pose (cx, cy, scale, angle in degrees)."""
    cx, cy, s, angle = pose
    h, w = shape
    c, sn = s * math.cos(math.radians(angle)), s * math.sin(math.radians(angle))
    a, b = (w - 1) / 2, (h - 1) / 2
    return np.array([[c, -sn, cx - (c * a - sn * b)], [sn, c, cy - (sn * a + c * b)]])


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """outer ∘ inner for 2x3 affines."""
    return outer[:, :2] @ inner + np.concatenate([np.zeros((2, 2)), outer[:, 2:]], axis=1)


def _invert(affine: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(affine.astype(np.float64))


def _outline_box(patch: _Patch, pose: np.ndarray) -> np.ndarray:
    """(x, y, w, h) bounding box of the patch's mask outline under ``pose``."""
    pts = patch.outline @ _pose_affine(pose, patch.shape)[:, :2].T + _pose_affine(pose, patch.shape)[:, 2]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])


def _splat(frame_shape: tuple[int, int], src: np.ndarray, mask: np.ndarray, affines: Sequence[np.ndarray]):
    """Warp ``src`` and ``mask`` into the frame for each affine (motion samples) and average.

    Returns (slices, alpha, premultiplied colour) over the region touched, or None when off the frame.
    """
    H, W = frame_shape
    h, w = mask.shape
    corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5], [w - 0.5, h - 0.5]])
    pts = np.concatenate([corners @ A[:, :2].T + A[:, 2] for A in affines])
    x0, y0 = max(int(np.floor(pts[:, 0].min())), 0), max(int(np.floor(pts[:, 1].min())), 0)
    x1, y1 = min(int(np.ceil(pts[:, 0].max())) + 1, W), min(int(np.ceil(pts[:, 1].max())) + 1, H)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    size = (x1 - x0, y1 - y0)
    alpha = np.zeros((size[1], size[0]), np.float32)
    premult = np.zeros((size[1], size[0]) + src.shape[2:], np.float32)
    for A in affines:
        shifted = A.copy()
        shifted[:, 2] -= (x0, y0)
        shifted = shifted.astype(np.float32)
        a = cv2.warpAffine(mask, shifted, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        c = cv2.warpAffine(src, shifted, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha += a
        premult += c * (a[..., None] if c.ndim == 3 else a)
    n = float(len(affines))
    return (slice(y0, y1), slice(x0, x1)), alpha / n, premult / n


def _over(frame: np.ndarray, splat) -> None:
    """Composite a splat over the frame in place."""
    if splat is None:
        return
    sl, alpha, premult = splat
    a = alpha[..., None] if frame.ndim == 3 else alpha
    frame[sl] = frame[sl] * (1 - a) + premult


# ----------------------------------------------------------------------------------------------- the scene

@dataclass
class _Actor:
    """An object in the scene and its per-frame state (image poses in thermal output pixels)."""

    patch: _Patch
    pose: np.ndarray  # (F, 4) cx, cy, scale, angle
    level: np.ndarray  # (F,) temperature above (below) the ambient
    second: Optional[np.ndarray] = None  # (h, w, 3) second view of the object, cross-faded in by ``fade``
    fade: Optional[np.ndarray] = None  # (F,)
    light: Optional[np.ndarray] = None  # (F,) illumination gain on the colour
    parallax: float = 0.0  # colour-frame x shift per unit of scale / scale at frame 0 (thermal pixels)

    def colour(self, i: int) -> np.ndarray:
        rgb = self.patch.rgb
        if self.second is not None and self.fade[i] > 0:
            rgb = rgb * (1 - self.fade[i]) + self.second * self.fade[i]
        return rgb if self.light is None else rgb * self.light[i]

    def motion_poses(self, i: int) -> list[np.ndarray]:
        """Poses sampled over the exposure, centred on frame ``i`` (20 % of the interval to either side), so the
        blur smear is centred on the ground truth; one sample every 2 pixels of travel."""
        before = self.pose[i] - self.pose[max(i - 1, 0)]
        after = self.pose[min(i + 1, len(self.pose) - 1)] - self.pose[i]
        travel = 0.2 * (float(np.hypot(*before[:2])) + float(np.hypot(*after[:2])))
        n = int(np.clip(np.ceil(travel / 2.0), 1, 12))
        if n == 1:
            return [self.pose[i]]
        times = np.linspace(-0.2, 0.2, n | 1)  # odd count: the frame's own pose is a sample
        return [self.pose[i] + (before * t if t < 0 else after * t) for t in times]


@dataclass
class _Scene:
    """Everything decided about one sequence before rendering."""

    frames: int
    thermal_size: tuple[int, int]  # output (ground truth) grid
    sensor_size: tuple[int, int]  # thermal rendering grid
    color_size: tuple[int, int]
    world_rgb: np.ndarray  # (CH, CW, 3) uint8
    world_temp: np.ndarray  # (CH, CW) float32
    ambient: float  # temperature the object levels are relative to
    camera: np.ndarray  # (F, 2, 3) world -> thermal output pixels
    misregister: np.ndarray  # 2x3 thermal output pixels -> colour frame registered on thermal, output pixels
    target: _Actor
    behind: list[_Actor]  # drawn before the target
    occluder: Optional[_Actor]
    crossover: np.ndarray  # (F,) weight
    night: np.ndarray  # (F,) weight
    boxes: np.ndarray  # (F, 4)
    tags: dict
    target_name: str


def _mosaic(rng: np.random.Generator, exclude: set[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """World colour mosaic of 4 photos, its temperature field and the ambient temperature."""
    CW, CH = CANVAS
    names = [n for n in BACKGROUNDS if n not in exclude]
    chosen = [names[j] for j in rng.choice(len(names), 4, replace=False)]
    yy, xx = np.mgrid[0:CH, 0:CW].astype(np.float32)
    seam_x = CW / 2 + 70 * np.sin(yy / CH * rng.uniform(2, 6) + rng.uniform(0, 6.3))
    seam_y = CH / 2 + 60 * np.sin(xx / CW * rng.uniform(2, 6) + rng.uniform(0, 6.3))
    left = np.clip(0.5 - (xx - seam_x) / 60, 0, 1)
    top = np.clip(0.5 - (yy - seam_y) / 60, 0, 1)
    weights = (left * top, (1 - left) * top, left * (1 - top), (1 - left) * (1 - top))
    ambient = float(rng.uniform(85, 120))
    rgb = np.zeros((CH, CW, 3), np.float32)
    temp = np.zeros((CH, CW), np.float32)
    tw, th = CW // 2 + 120, CH // 2 + 120  # each tile overlaps its neighbours beyond the seam's reach
    for k, (name, weight) in enumerate(zip(chosen, weights)):
        photo = _photo(name)
        scale = max(tw / photo.shape[1], th / photo.shape[0]) * rng.uniform(1.0, 1.3)
        big = cv2.resize(photo, (math.ceil(photo.shape[1] * scale), math.ceil(photo.shape[0] * scale)),
                         interpolation=cv2.INTER_CUBIC)
        ox, oy = int(rng.integers(0, big.shape[1] - tw + 1)), int(rng.integers(0, big.shape[0] - th + 1))
        tile = big[oy : oy + th, ox : ox + tw].astype(np.float32) * _tint(rng, name)
        if rng.random() < 0.5:
            tile = tile[:, ::-1]
        x0 = 0 if k % 2 == 0 else CW - tw
        y0 = 0 if k < 2 else CH - th
        placed = np.zeros((CH, CW, 3), np.float32)
        placed[y0 : y0 + th, x0 : x0 + tw] = tile
        rgb += placed * weight[..., None]
        # Materials: the tile's smoothed luminance through a random curve, around a per-tile offset.
        lum = cv2.GaussianBlur(_luminance(placed) / 255, (0, 0), 4)
        mode = rng.integers(0, 3)
        if mode == 1:
            lum = 1 - lum
        elif mode == 2:
            knots = np.sort(rng.uniform(0, 1, 5)) if rng.random() < 0.5 else rng.uniform(0, 1, 5)
            lum = np.interp(lum, np.linspace(0, 1, 5), knots).astype(np.float32)
        spread, offset = rng.uniform(12, 40), rng.uniform(-15, 15)
        hot = np.clip((_luminance(placed) / 255 - 0.92) / 0.08, 0, 1) * 25  # lamps, sunlit highlights
        temp += (offset + spread * (lum - 0.5) + hot) * weight
    low = cv2.resize(rng.uniform(-1, 1, (4, 5)).astype(np.float32), (CW, CH), interpolation=cv2.INTER_CUBIC)
    temp += ambient + rng.uniform(-25, 10) * (yy / CH - 0.5) + 8 * low
    temp = cv2.GaussianBlur(temp, (0, 0), 2.5)
    return np.clip(rgb, 0, 255).astype(np.uint8), temp.astype(np.float32), ambient


def _camera(rng: np.random.Generator, frames: int, size: tuple[int, int], moving: bool) -> np.ndarray:
    """(F, 2, 3) world -> thermal output pixels: pan, zoom, roll and shake."""
    W, H = size
    CW, CH = CANVAS
    pan_x, pan_y, zoom_amp, roll_amp, shake = (150, 100, 0.2, 3.0, 2.5) if moving else (20, 12, 0.03, 0.4, 0.3)
    ux = CW / 2 + _knot_path(rng, frames, -pan_x, pan_x, (40, 120) if moving else (120, 300))
    uy = CH / 2 + _knot_path(rng, frames, -pan_y, pan_y, (40, 120) if moving else (120, 300))
    zoom = np.exp(_knot_path(rng, frames, -zoom_amp, zoom_amp, (60, 160)))
    roll = _knot_path(rng, frames, -roll_amp, roll_amp, (60, 160))
    # Shake: AR(1) jitter in output pixels; camera_motion adds bursts of stronger shake.
    jitter = np.zeros((frames, 2))
    burst = _window(rng, frames, (0.1, 0.2), 5) if moving else np.zeros(frames)
    kicks = rng.normal(0, 1, (frames, 2))
    for i in range(1, frames):
        jitter[i] = 0.6 * jitter[i - 1] + kicks[i] * shake * (0.4 + 1.6 * burst[i])
    out = np.zeros((frames, 2, 3))
    for i in range(frames):
        k = W / (VIEW / zoom[i])
        c, s = k * math.cos(math.radians(roll[i])), k * math.sin(math.radians(roll[i]))
        tx = (W - 1) / 2 + jitter[i, 0] - (c * ux[i] - s * uy[i])
        ty = (H - 1) / 2 + jitter[i, 1] - (s * ux[i] + c * uy[i])
        out[i] = [[c, -s, tx], [s, c, ty]]
    return out


def _keep_inside(pose: np.ndarray, patch: _Patch, size: tuple[int, int], margin: float = 3.0) -> np.ndarray:
    """Shift centres so that the outline's box stays ``margin`` pixels inside the frame; shrink if it cannot."""
    W, H = size
    pose = pose.copy()
    for i in range(len(pose)):
        box = _outline_box(patch, pose[i])
        limit = min((W - 2 * margin) / box[2], (H - 2 * margin) / box[3], 1.0)
        if limit < 1.0:
            pose[i, 2] *= limit
            box = _outline_box(patch, pose[i])
        dx = box[0] - pose[i, 0], box[0] + box[2] - pose[i, 0]
        dy = box[1] - pose[i, 1], box[1] + box[3] - pose[i, 1]
        pose[i, 0] = np.clip(pose[i, 0], margin - dx[0], W - margin - dx[1])
        pose[i, 1] = np.clip(pose[i, 1], margin - dy[0], H - margin - dy[1])
    return pose


def _wander(rng: np.random.Generator, frames: int, size: tuple[int, int], spread: float,
            gap: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    W, H = size
    cx = _knot_path(rng, frames, W * (0.5 - spread), W * (0.5 + spread), gap)
    cy = _knot_path(rng, frames, H * (0.5 - spread), H * (0.5 + spread), gap)
    return cx, cy


def _plan(rng: np.random.Generator, frames: int, kinds: Sequence[str], color_size: tuple[int, int],
          thermal_size: tuple[int, int], sensor_size: tuple[int, int]) -> _Scene:
    """Decide everything about a sequence before rendering: world, camera, actors, phenomena, ground truth."""
    W, H = thermal_size
    colour_per_thermal = color_size[0] / W
    target_name = sorted(OBJECTS)[int(rng.integers(len(OBJECTS)))]
    photo, region, exponent, second_view = OBJECTS[target_name]
    world_rgb, world_temp, ambient = _mosaic(rng, {photo, second_view or photo})
    camera = _camera(rng, frames, thermal_size, "camera_motion" in kinds)

    # Target: nominal longest side in thermal pixels; the patch keeps colour-resolution detail.
    longest = rng.uniform(0.08, 0.16) * W
    patch_px = int(np.clip(longest * colour_per_thermal * 1.2, 40, 200))
    warm = rng.random() < 0.8
    # Levels are relative to the ambient. A warm target is warmer than 99 % of the scenery (a cold one colder than
    # 99 %): hidden in thermal only where the sequence says so (crossover), never by chance.
    low, high = np.percentile(world_temp[::4, ::4], (1, 99)) - ambient
    delta = high + rng.uniform(8, 40) if warm else low - rng.uniform(8, 30)
    tint = _tint(rng, photo)
    target_patch = _cut(rng, photo, region, exponent, patch_px, tint, contrast=rng.uniform(20, 35),
                        warm_core=rng.uniform(4, 10) if warm else 0.0)
    # Appearance change: a second cut (another view where the photo has one, else a shifted, re-framed cut).
    second_photo = second_view or photo
    second = _cut(rng, second_photo, region, exponent, patch_px, tint, contrast=0, jitter=0.08)
    second_rgb = cv2.resize(second.rgb, target_patch.shape[::-1], interpolation=cv2.INTER_LINEAR)
    fade = np.clip(_knot_path(rng, frames, -0.3, 1.0, (60, 200)), 0, 1)
    light = np.exp(_knot_path(rng, frames, -0.18, 0.18, (40, 150)))

    scale_amp = 0.5 if "scale" in kinds else 0.1
    base_scale = longest / max(target_patch.shape)
    scale = base_scale * np.exp(_knot_path(rng, frames, -scale_amp, scale_amp, (40, 120)))
    angle = _knot_path(rng, frames, -10, 10, (40, 120))
    cx, cy = _wander(rng, frames, thermal_size, 0.28, (30, 90))
    tags: dict[str, np.ndarray] = {}
    if "fast_motion" in kinds:
        burst = _window(rng, frames, (0.15, 0.25), 3)
        cx += burst * _knot_path(rng, frames, -0.3 * W, 0.3 * W, (3, 7))
        cy += burst * _knot_path(rng, frames, -0.3 * H, 0.3 * H, (3, 7))
    pose = _keep_inside(np.stack([cx, cy, scale, angle], axis=1), target_patch, thermal_size)
    boxes = np.array([_outline_box(target_patch, p) for p in pose])
    target = _Actor(target_patch, pose, delta * np.exp(_knot_path(rng, frames, -0.05, 0.05, (50, 150))),
                    second_rgb, fade, light)
    size = np.sqrt(boxes[:, 2] * boxes[:, 3])

    # Clutter behind the target: other photo cuts at temperatures well away from the target's.
    behind = []
    for _ in range(2):
        name = sorted(PHOTOS)[int(rng.integers(len(PHOTOS)))]
        x0, y0 = rng.uniform(0, 0.6, 2)
        patch = _cut(rng, name, (x0, y0, x0 + rng.uniform(0.2, 0.4), y0 + rng.uniform(0.2, 0.4)),
                     rng.uniform(2, 6), patch_px, _tint(rng, name), contrast=rng.uniform(15, 40))
        level = delta - rng.uniform(30, 55) if warm else delta + rng.uniform(30, 55)
        px, py = _wander(rng, frames, thermal_size, 0.4, (80, 200))
        s = base_scale * rng.uniform(0.6, 1.3) * max(target_patch.shape) / max(patch.shape)
        p = np.stack([px, py, np.full(frames, s), _knot_path(rng, frames, -15, 15, (60, 200))], axis=1)
        behind.append(_Actor(patch, p, np.full(frames, level)))

    if "distractor" in kinds:
        # RGB twin: the target's own photo region, at scene temperature, circling the target at 1.3-3.5 sizes.
        twin = _cut(rng, photo, region, exponent, patch_px, tint, contrast=rng.uniform(10, 25), jitter=0.03)
        radius = _knot_path(rng, frames, 1.3, 3.5, (40, 100)) * size
        turn = np.arange(frames) / rng.uniform(40, 80) * rng.choice([-1, 1]) + rng.uniform(0, 2 * np.pi)
        tp = np.stack([pose[:, 0] + radius * np.cos(turn), pose[:, 1] + radius * np.sin(turn),
                       pose[:, 2] * rng.uniform(0.85, 1.15), _knot_path(rng, frames, -10, 10, (40, 120))], axis=1)
        tp = _keep_inside(tp, twin, thermal_size)
        behind.append(_Actor(twin, tp, np.full(frames, rng.uniform(-8, 8)), light=light))
        # Thermal twin: another object, as warm (cold) as the target.
        other = sorted(set(OBJECTS) - {target_name})[int(rng.integers(len(OBJECTS) - 1))]
        o_photo, o_region, o_exp, _ = OBJECTS[other]
        hot = _cut(rng, o_photo, o_region, o_exp, patch_px, _tint(rng, o_photo), contrast=rng.uniform(20, 35),
                   warm_core=rng.uniform(4, 10) if warm else 0.0)
        hx, hy = _wander(rng, frames, thermal_size, 0.3, (40, 100))
        hs = base_scale * max(target_patch.shape) / max(hot.shape) * rng.uniform(0.8, 1.2)
        hp = _keep_inside(np.stack([hx, hy, np.full(frames, hs), _knot_path(rng, frames, -10, 10, (40, 120))], 1),
                          hot, thermal_size)
        behind.append(_Actor(hot, hp, delta + rng.uniform(-4, 4, frames)))
        near = np.zeros(frames, bool)
        for actor in behind[-2:]:
            near |= np.hypot(*(actor.pose[:, :2] - pose[:, :2]).T) < 3 * boxes[:, 2:].max(axis=1)
        tags["distractor"] = near

    occluder = None
    if "occlusion" in kinds:
        # A panel cut from a texture photo slides across the target at a constant speed relative to it; wider and
        # taller than the target, so it covers it fully for a while in the middle of the pass.
        idx = np.flatnonzero(_window(rng, frames, (0.1, 0.16), 0) > 0)
        mid = int(idx[len(idx) // 2])
        ow, oh = boxes[mid, 2] * rng.uniform(1.5, 1.9), boxes[mid, 3] * rng.uniform(2.2, 3.0)
        name = OCCLUDERS[int(rng.integers(len(OCCLUDERS)))]
        x0, y0 = rng.uniform(0, 0.5, 2)
        panel = _cut(rng, name, (x0, y0, x0 + 0.3, y0 + 0.5), 8.0, int(np.clip(oh * colour_per_thermal, 40, 400)),
                     _tint(rng, name), contrast=rng.uniform(15, 30), aspect=ow / oh)
        reach = (boxes[mid, 2] + ow) / 2 + 2
        speed = 2 * reach / max(len(idx) - 1, 1) * rng.choice([-1, 1])
        t = np.arange(frames) - mid
        os_ = oh / max(panel.shape)
        op = np.stack([pose[:, 0] + speed * t, pose[:, 1] + rng.uniform(-0.1, 0.1) * boxes[mid, 3],
                       np.full(frames, os_), np.zeros(frames)], axis=1)
        # Clearly colder or warmer than the scene, and away from the target, so it shows in thermal too.
        if not warm:
            level = rng.uniform(15, 35)
        elif delta < 50 or rng.random() < 0.6:
            level = rng.uniform(-35, -15)
        else:
            level = rng.uniform(15, delta - 30)
        occluder = _Actor(panel, op, np.full(frames, level), light=np.exp(_knot_path(rng, frames, -0.1, 0.1, (60, 200))))

    crossover = _window(rng, frames, (0.25, 0.4), 6) if "crossover" in kinds else np.zeros(frames)
    night = _window(rng, frames, (0.3, 0.45), 8) if "night" in kinds else np.zeros(frames)

    if "misalignment" in kinds:
        direction = rng.uniform(0, 2 * np.pi)
        shift = rng.uniform(6, 14) * W / 640
        dx, dy = shift * math.cos(direction), shift * math.sin(direction)
        zoom, roll = 1 + rng.choice([-1, 1]) * rng.uniform(0.01, 0.03), rng.uniform(-1.5, 1.5)
        # Parallax: objects nearer than the background shift further in the colour camera (1.5x for the occluder).
        parallax = rng.uniform(3, 8) * W / 640 * rng.choice([-1, 1])
        for actor in [target, *behind]:
            actor.parallax = parallax
        if occluder is not None:
            occluder.parallax = 1.5 * parallax
        tags["misalignment"] = np.ones(frames, bool)
    else:
        dx, dy = rng.uniform(-1.5, 1.5, 2) * W / 640
        zoom, roll = 1 + rng.uniform(-0.004, 0.004), 0.0
    c, s = zoom * math.cos(math.radians(roll)), zoom * math.sin(math.radians(roll))
    ox, oy = (W - 1) / 2, (H - 1) / 2
    misregister = np.array([[c, -s, ox + dx - (c * ox - s * oy)], [s, c, oy + dy - (s * ox + c * oy)]])

    # Tags from the motion (occlusion is measured while rendering).
    centre = np.diff(pose[:, :2], axis=0, prepend=pose[:1, :2])
    tags["fast_motion"] = np.hypot(*centre.T) > 0.25 * size
    growth = np.abs(np.diff(np.log(size), prepend=np.log(size[0]))) * FPS
    tags["scale_change"] = growth > 0.08  # over 8 % size change per second
    moved = np.zeros(frames)
    for i in range(1, frames):
        p = _compose(camera[i], _invert(camera[i - 1])) @ np.array([W / 2, H / 2, 1.0])
        moved[i] = math.hypot(p[0] - W / 2, p[1] - H / 2)
    tags["camera_motion"] = moved > 2.0
    tags["night"] = night >= 0.5
    tags["crossover"] = crossover >= 0.95
    return _Scene(frames, thermal_size, sensor_size, color_size, world_rgb, world_temp, ambient, camera, misregister,
                  target, behind, occluder, crossover, night, boxes, tags, target_name)


# ----------------------------------------------------------------------------------------------- rendering

def _scale_affine(sx: float, sy: float) -> np.ndarray:
    return np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0]])


def _shift_affine(dx: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, 0.0]])


def _actor_affines(actor: _Actor, i: int, outer: np.ndarray, colour: bool) -> list[np.ndarray]:
    """Patch -> frame affines of ``actor``'s motion samples at frame ``i`` (``outer``: thermal output -> frame)."""
    out = []
    for p in actor.motion_poses(i):
        inner = _pose_affine(p, actor.patch.shape)
        if colour and actor.parallax:
            inner = _compose(_shift_affine(actor.parallax * p[2] / actor.pose[0, 2]), inner)
        out.append(_compose(outer, inner))
    return out


class _Renderer:
    """Renders the frames of one planned scene, holding the per-sequence sensor state (noise banks, FPN, lag)."""

    def __init__(self, rng: np.random.Generator, scene: _Scene) -> None:
        self.scene, self.rng = scene, rng
        F = scene.frames
        Ws, Hs = scene.sensor_size
        Wc, Hc = scene.color_size
        W, H = scene.thermal_size
        self.to_sensor = _scale_affine(Ws / W, Hs / H)
        self.to_colour = _compose(_scale_affine(Wc / W, Hc / H), scene.misregister)
        m = NOISE_MARGIN
        # Noise is cropped per frame at a random offset from banks drawn once (fresh normals per frame cost more
        # than the rest of the rendering).
        self.colour_bank = rng.standard_normal((Hc + 2 * m, Wc + 2 * m, 3), dtype=np.float32)
        self.thermal_bank = rng.standard_normal((Hs + 2 * m, Ws + 2 * m), dtype=np.float32)
        yy, xx = np.mgrid[0:Hs, 0:Ws].astype(np.float32)
        r2 = ((xx - Ws / 2) / (Ws / 2)) ** 2 + ((yy - Hs / 2) / (Hs / 2)) ** 2
        # Fixed-pattern noise: per-pixel offsets, column banding (breathing over time) and cold corners.
        self.pixel_fpn = rng.normal(0, rng.uniform(0.5, 1.5), (Hs, Ws)).astype(np.float32)
        self.column_fpn = np.broadcast_to(rng.normal(0, rng.uniform(0.3, 1.0), (1, Ws)), (Hs, Ws)).astype(np.float32)
        self.vignette_t = (-rng.uniform(4, 14) * r2).astype(np.float32)
        self.band_period = rng.uniform(40, 120)
        self.thermal_noise = rng.uniform(0.8, 2.2)
        self.gain = np.exp(_knot_path(rng, F, -0.08, 0.08, (60, 200)))  # gain/offset drift (AGC hunting)
        self.offset = _knot_path(rng, F, -8, 8, (60, 200))
        self.optics = rng.uniform(0.6, 1.1)  # thermal optics blur, sensor pixels
        yc, xc = np.mgrid[0:Hc, 0:Wc].astype(np.float32)
        rc2 = ((xc - Wc / 2) / (Wc / 2)) ** 2 + ((yc - Hc / 2) / (Hc / 2)) ** 2
        balance = rng.uniform(0.88, 1.12, 3).astype(np.float32)
        self.colour_gain = ((1 - rng.uniform(0.05, 0.3) * rc2)[..., None] * balance).astype(np.float32)
        self.exposure = np.exp(_knot_path(rng, F, -0.15, 0.15, (40, 150)))
        self.colour_noise = rng.uniform(1.5, 3.5)
        self.night_gain, self.night_gamma = rng.uniform(0.15, 0.3), rng.uniform(1.1, 1.4)
        self.night_noise = rng.uniform(6, 11)
        self.night_cast = rng.uniform(0.75, 1.2, 3).astype(np.float32)
        self.quality = np.clip(rng.uniform(55, 95) + _knot_path(rng, F, -12, 12, (20, 80)), 30, 97).astype(int)
        self.thermal_quality = int(rng.integers(85, 96))
        self.prev: Optional[np.ndarray] = None
        self.coverage = np.zeros(F)
        self.agc: Optional[np.ndarray] = None  # (low, high) signal mapped to the 8-bit range

    def thermal_image(self, i: int, sixteen: bool) -> np.ndarray:
        """Frame ``i`` as the camera writes it: 16-bit linear counts, or 8 bits through automatic gain control."""
        signal = self.thermal(i)
        if sixteen:  # 14-bit-like raw counts, 32 per signal unit; readers stretch them (tracker.frames)
            return np.clip(np.rint(8192 + 32 * signal), 0, 65535).astype(np.uint16)
        # AGC: the 1-99 % signal range (at least 60 units wide) maps to grey 16-239, following the scene with lag,
        # so a hot object entering or the camera panning over warm ground shifts the whole image's brightness.
        lo, hi = np.percentile(signal[::4, ::4], (1, 99))
        mid, half = (lo + hi) / 2, max(hi - lo, 60.0) / 2
        now = np.array([mid - half, mid + half])
        self.agc = now if self.agc is None else 0.85 * self.agc + 0.15 * now
        low, high = self.agc
        return np.clip(np.rint(16 + 223 * (signal - low) / (high - low)), 0, 255).astype(np.uint8)

    def _crop(self, bank: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        y, x = self.rng.integers(0, 2 * NOISE_MARGIN + 1, 2)
        return bank[y : y + shape[0], x : x + shape[1]]

    def thermal(self, i: int) -> np.ndarray:
        """(H, W) float32 signal of frame ``i``: temperature minus ambient through the drifting gain, plus noise."""
        sc = self.scene
        Ws, Hs = sc.sensor_size
        frame = cv2.warpAffine(sc.world_temp, _compose(self.to_sensor, sc.camera[i]).astype(np.float32), (Ws, Hs),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        scenery = frame.copy() if sc.crossover[i] > 0 else frame  # what a crossover target blends into
        for actor in sc.behind:
            src = actor.patch.texture + np.float32(sc.ambient + actor.level[i])
            _over(frame, _splat((Hs, Ws), src, actor.patch.mask, _actor_affines(actor, i, self.to_sensor, False)))
        target = sc.target
        level = np.float32(sc.ambient + target.level[i])
        splat = _splat((Hs, Ws), target.patch.texture + level, target.patch.mask,
                       _actor_affines(target, i, self.to_sensor, False))
        target_alpha = np.zeros((Hs, Ws), np.float32)
        if splat is not None:
            sl, alpha, premult = splat
            c = float(sc.crossover[i])
            if c > 0:
                # Crossover: the target takes the (blurred) temperature of the scenery under it, keeping a little of
                # its own texture; thermal alone then shows next to nothing of it. Objects behind it stay hidden.
                own = premult / np.maximum(alpha, 1e-3)
                under = cv2.GaussianBlur(scenery[sl], (0, 0), 1.5)
                mixed = (1 - c) * own + c * (under + CROSSOVER_TEXTURE * (own - level))
                splat = (sl, alpha, mixed * alpha)
            _over(frame, splat)
            target_alpha[sl] = alpha
        if sc.occluder is not None:
            occ = sc.occluder
            src = occ.patch.texture + np.float32(sc.ambient + occ.level[i])
            osplat = _splat((Hs, Ws), src, occ.patch.mask, _actor_affines(occ, i, self.to_sensor, False))
            if osplat is not None:
                _over(frame, osplat)
                total = float(target_alpha.sum())
                if total > 0:
                    self.coverage[i] = float((target_alpha[osplat[0]] * osplat[1]).sum()) / total
        if self.prev is not None:  # microbolometer lag: a trail of the last frame
            frame = (1 - THERMAL_LAG) * frame + THERMAL_LAG * self.prev
        self.prev = frame
        frame = cv2.GaussianBlur(frame, (0, 0), self.optics)
        counts = self.gain[i] * (frame - sc.ambient) + self.offset[i]
        band = 1 + 0.6 * math.sin(2 * math.pi * i / self.band_period)
        counts += self.pixel_fpn + band * self.column_fpn + self.vignette_t
        counts += self.thermal_noise * self._crop(self.thermal_bank, (Hs, Ws))
        if sc.sensor_size != sc.thermal_size:
            counts = cv2.resize(counts, sc.thermal_size, interpolation=cv2.INTER_CUBIC)
        return counts

    def colour(self, i: int) -> np.ndarray:
        """(Hc, Wc, 3) uint8 BGR colour frame ``i``."""
        sc = self.scene
        Wc, Hc = sc.color_size
        # Background, averaged over the exposure when the camera moves fast (motion blur).
        cams = [sc.camera[i]]
        if i > 0:
            centre = np.array([sc.thermal_size[0] / 2, sc.thermal_size[1] / 2, 1.0])
            step = float(np.hypot(*(_compose(sc.camera[i], _invert(sc.camera[i - 1])) @ centre - centre[:2])))
            n = int(np.clip(np.ceil(step * Wc / sc.thermal_size[0] / 3), 1, 5))
            if n > 1:
                cams = [sc.camera[i - 1] + (sc.camera[i] - sc.camera[i - 1]) * (0.5 + 0.5 * k / (n - 1))
                        for k in range(n)]
        frame = None
        for cam in cams:
            layer = cv2.warpAffine(sc.world_rgb, _compose(self.to_colour, cam).astype(np.float32), (Wc, Hc),
                                   flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT).astype(np.float32)
            frame = layer if frame is None else frame + layer
        if len(cams) > 1:
            frame /= len(cams)
        for actor in [*sc.behind, sc.target] + ([sc.occluder] if sc.occluder is not None else []):
            _over(frame, _splat((Hc, Wc), actor.colour(i).astype(np.float32), actor.patch.mask,
                                _actor_affines(actor, i, self.to_colour, True)))
        frame *= self.colour_gain * np.float32(self.exposure[i])
        n = float(sc.night[i])
        noise = self.colour_noise
        if n > 0:
            dark = 255 * (np.clip(frame, 0, 255) / 255 * self.night_gain) ** self.night_gamma
            dark = cv2.GaussianBlur(dark, (0, 0), 1.2) * self.night_cast
            frame = frame * (1 - n) + dark * n
            noise += n * self.night_noise
        frame += noise * self._crop(self.colour_bank, (Hc, Wc))
        return np.clip(frame[..., ::-1], 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------- output

def _build(frames: int, seed: int, kinds: Sequence[str], size: tuple[int, int]) -> tuple[_Scene, _Renderer]:
    """The planned scene and its renderer for one sequence (everything drawn from one generator seeded ``seed``)."""
    rng = np.random.default_rng(seed)
    if "lowres_thermal" in kinds:
        color_size, thermal_size = LOWRES_SIZES
        sensor_size = thermal_size
    elif "thermal16" in kinds:  # radiometric frames are stored at the sensor's own resolution
        color_size = (int(size[0]), int(size[1]))
        thermal_size = sensor_size = (size[0] // 2, size[1] // 2)
    else:
        color_size = thermal_size = (int(size[0]), int(size[1]))
        sensor_size = (size[0] // 2, size[1] // 2)  # thermal sensors have fewer pixels: render at half, upsample
    scene = _plan(rng, frames, kinds, color_size, thermal_size, sensor_size)
    return scene, _Renderer(rng, scene)


def generate_sequence(out_dir: Path, frames: int, seed: int, kinds: Sequence[str] = (),
                      size: tuple[int, int] = (640, 480), anchor_spacing: int = ANCHOR_SPACING) -> Path:
    """Write one sequence (color/, ir/, groundtruth.txt, tags, anchor.value, sequence) to ``out_dir``.

    ``size`` is the colour and thermal frame size, except with ``lowres_thermal`` (LOWRES_SIZES) and ``thermal16``
    (thermal at half the size).
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; expected some of {', '.join(KINDS)}")
    if frames < 2:
        raise ValueError(f"frames={frames}: a sequence needs at least 2 frames")
    if anchor_spacing < 2:
        raise ValueError(f"anchor_spacing={anchor_spacing}: needs at least 2 frames between anchors")
    out_dir = Path(out_dir)
    scene, renderer = _build(frames, seed, kinds, size)
    color_size, thermal_size = scene.color_size, scene.thermal_size
    sixteen = "thermal16" in kinds
    (out_dir / "color").mkdir(parents=True, exist_ok=True)
    (out_dir / "ir").mkdir(parents=True, exist_ok=True)
    ir_ext = "png" if sixteen else "jpg"
    for i in range(frames):
        ir = renderer.thermal_image(i, sixteen)
        if sixteen:
            ok_ir, ir_bytes = cv2.imencode(".png", ir, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        else:
            ok_ir, ir_bytes = cv2.imencode(".jpg", ir, [cv2.IMWRITE_JPEG_QUALITY, renderer.thermal_quality])
        ok_c, colour_bytes = cv2.imencode(".jpg", renderer.colour(i), [cv2.IMWRITE_JPEG_QUALITY, int(renderer.quality[i])])
        if not (ok_ir and ok_c):
            raise OSError(f"{out_dir}: frame {i + 1} could not be encoded")
        (out_dir / "color" / f"{i + 1:08d}.jpg").write_bytes(colour_bytes.tobytes())
        (out_dir / "ir" / f"{i + 1:08d}.{ir_ext}").write_bytes(ir_bytes.tobytes())

    tags = dict(scene.tags)
    tags["occlusion"] = renderer.coverage >= 0.1
    tags["full_occlusion"] = renderer.coverage >= 0.9
    tags = {k: v for k, v in sorted(tags.items()) if v.any()}  # a tag file only where the phenomenon happens
    hard = np.zeros(frames, bool)
    for tag in ("occlusion", "night", "crossover"):
        hard |= tags.get(tag, np.zeros(frames, bool))
    write_annotations(out_dir, scene.boxes, multistart_anchors(hard, anchor_spacing), tags)
    m = scene.misregister
    write_sequence_file(out_dir, "color/%08d.jpg", f"ir/%08d.{ir_ext}", {
        "name": out_dir.name, "width": thermal_size[0], "height": thermal_size[1], "length": frames,
        "kinds": ",".join(kinds), "generator": VERSION, "target": scene.target_name,
        "color_size": f"{color_size[0]}x{color_size[1]}", "thermal_format": "uint16" if sixteen else "uint8",
        # colour frame (resized to the thermal grid) = this affine applied to thermal coordinates, objects aside
        "misregistration": ",".join(f"{v:.4f}" for v in m.ravel()),
    })
    return out_dir


def mix_name(k: int) -> tuple[str, tuple[str, ...]]:
    """Folder name and kinds of the k-th sequence of a dataset."""
    kinds = MIXES[k % len(MIXES)]
    return f"photo-{k:02d}-{'-'.join(kinds)}", kinds


def generate_dataset(root: Path, sequences: int, frames: int, seed: int, size: Optional[tuple[int, int]] = None,
                     anchor_spacing: int = ANCHOR_SPACING) -> list[str]:
    """Write ``sequences`` sequences cycling through MIXES (8 cover every kind) and list.txt; returns the names."""
    root = Path(root)
    names = []
    for k in range(sequences):
        name, kinds = mix_name(k)
        generate_sequence(root / name, frames, seed * 1000 + k, kinds, size or SIZES[k % len(SIZES)], anchor_spacing)
        names.append(name)
    write_list(root, names)
    return names


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tracker.data.photo_scenes", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sequences", type=int, default=8)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--anchor-spacing", type=int, default=ANCHOR_SPACING,
                        help="frames between multistart anchors (each one starts a toolkit run)")
    args = parser.parse_args(argv)
    if args.sequences < 1 or args.frames < 2:
        print(f"error: need --sequences >= 1 and --frames >= 2 (got {args.sequences}, {args.frames})", file=sys.stderr)
        return 2
    try:
        names = generate_dataset(args.out, args.sequences, args.frames, args.seed, anchor_spacing=args.anchor_spacing)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(names)} sequences x {args.frames} frames to {args.out} ({VERSION})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
