"""Training pseudo-sequences from real registered RGB-T still pairs (the ``real-rgbt-stills`` layout).

A still pair becomes a short video the way trackers train on still-image datasets: one target per sequence (an
annotated box, or a warm object of the thermal image found by :func:`warm_targets`), and frames that are views of
the same pair through a virtual camera that drifts, zooms and stretches each axis (:class:`PseudoSequence`).
Blur, gain, noise, JPEG and colour/thermal misregistration are added to every training crop by ``tracker.train``
(``tracker.data.augment``), as for the other sources.

Layout: ``ROOT/pairs/NAME/{color,ir}.{jpg,png}`` and, where annotated, ``boxes.txt`` (``class x y w h`` lines,
0-based pixels of the thermal image).
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from ..frames import read_registered

log = logging.getLogger("tracker.train")
FRAME_SIZE = (320, 256)  # (W, H) of a pseudo-frame
MIN_SIDE = 8  # px: smaller boxes (annotated or warm) are not targets
MAX_TARGETS = 2  # per pair: the first annotated boxes, or the strongest warm blobs


@dataclass
class StillPair:
    """One registered pair: image files and its annotated boxes ((K, 4) xywh, None where not annotated)."""

    name: str
    color: Path
    ir: Path
    boxes: Optional[np.ndarray]


def _image(folder: Path, stem: str) -> Path:
    for ext in (".jpg", ".png", ".jpeg", ".bmp"):
        if (folder / f"{stem}{ext}").is_file():
            return folder / f"{stem}{ext}"
    raise FileNotFoundError(f"{folder}: no {stem}.jpg or {stem}.png")


def read_box_lines(path: Path) -> np.ndarray:
    """``class x y w h`` lines -> (K, 4) float64 xywh (the class names are not used)."""
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            rows.append([float(v) for v in parts[-4:]])
        except ValueError:
            raise ValueError(f"{path}:{number}: expected 'class x y w h', got {line.strip()!r}") from None
        if len(parts) < 5:
            raise ValueError(f"{path}:{number}: expected 'class x y w h', got {line.strip()!r}")
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def read_stills(root: Path) -> list[StillPair]:
    """Every pair under ``root/pairs`` (or ``root`` itself when it holds the pair folders), sorted by name."""
    root = Path(root)
    folder = root / "pairs" if (root / "pairs").is_dir() else root
    if not folder.is_dir():
        raise FileNotFoundError(f"{root}: still-pair folder not found")
    pairs = []
    for d in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        boxes = read_box_lines(d / "boxes.txt") if (d / "boxes.txt").is_file() else None
        pairs.append(StillPair(d.name, _image(d, "color"), _image(d, "ir"), boxes))
    if not pairs:
        raise ValueError(f"{root}: no still pairs (folders with color and ir images)")
    return pairs


def warm_targets(thermal: np.ndarray, limit: int = MAX_TARGETS) -> np.ndarray:
    """Warm objects of a white-hot thermal image, strongest first: (K, 4) xywh.

    The rule: after a Gaussian blur (sigma 1.5 px), the white top-hat (the image minus its opening by a disc a sixth of
    the shorter side wide) keeps what is warmer than its surroundings and smaller than the disc, whatever the camera's
    gain; pixels whose top-hat exceeds both 30 grey levels and its median + 4 robust standard deviations (1.4826 x
    MAD) form connected regions. A region is an object when it covers 0.02 %-3 % of the image, both sides are at
    least 8 px, its aspect is within 1:4-4:1, it fills at least 30 % of its box and it stands alone: at most 15 % of a
    ring half its size wide around it is within 30 grey levels of its mean (a corner of a large warm area does not
    stand alone); strength is its mean top-hat.
    """
    f = min(1.0, 360 / min(thermal.shape[:2]))  # the rule runs at most at 360 px on the shorter side (speed)
    small = cv2.resize(thermal, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else thermal
    img = cv2.GaussianBlur(small.astype(np.float32), (0, 0), 1.5)
    side = max(15, min(thermal.shape[:2]) // 6) | 1
    top = img - cv2.morphologyEx(img, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    median = float(np.median(top))
    mask = (top > max(median + 4 * 1.4826 * float(np.median(np.abs(top - median))), 30.0)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    area_total = small.shape[0] * small.shape[1]
    found = []
    for k in range(1, count):
        x, y, w, h, area = stats[k]
        if not (2e-4 * area_total <= area <= 0.03 * area_total and min(w, h) >= MIN_SIDE * f
                and max(w, h) <= 4 * min(w, h) and area >= 0.3 * w * h):
            continue
        y0, y1, x0, x1 = max(0, y - h // 2), y + h + h // 2, max(0, x - w // 2), x + w + w // 2
        window, inside = (slice(y0, y1), slice(x0, x1)), labels[y0:y1, x0:x1] == k  # the region and its ring
        if np.mean(img[window][~inside] > img[window][inside].mean() - 30) <= 0.15:
            found.append((float(top[window][inside].mean()), [x, y, w, h]))
    found.sort(key=lambda item: -item[0])
    return np.array([box for _, box in found[:limit]], dtype=np.float64).reshape(-1, 4) / f


@functools.lru_cache(maxsize=4)
def _pair_images(color: str, ir: str) -> tuple[np.ndarray, np.ndarray, tuple[float, ...], float]:
    """Decoded (colour RGB, thermal) of a pair, colour resampled onto the thermal grid, and their mean values (what
    a view shows outside the pair); a training step reads several frames of one pair, so the last few stay decoded."""
    rgb, thermal = read_registered(color, ir)
    return rgb, thermal, tuple(float(v) for v in rgb.reshape(-1, 3).mean(0)), float(thermal.mean())


@dataclass
class PseudoSequence:
    """A video made of one still pair: frame ``i`` is the pair seen through the affine view ``views[i]``."""

    name: str
    pair: StillPair
    views: np.ndarray  # (N, 2, 3): pair pixels -> frame pixels (per-axis zoom and a shift)
    boxes: np.ndarray  # (N, 4) xywh of the target in each frame

    def __len__(self) -> int:
        return len(self.boxes)

    def images(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Frame ``index`` as (colour (H, W, 3) RGB, thermal (H, W)) uint8; raises OSError if the pair is unreadable."""
        rgb, thermal, fill_rgb, fill_thermal = _pair_images(str(self.pair.color), str(self.pair.ir))
        warp = functools.partial(cv2.warpAffine, M=self.views[index], dsize=FRAME_SIZE, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)
        return warp(rgb, borderValue=fill_rgb), warp(thermal, borderValue=fill_thermal)


def camera_path(rng: np.random.Generator, target: np.ndarray, pair_size: tuple[int, int],
                length: int) -> tuple[np.ndarray, np.ndarray]:
    """Views and frame boxes of a virtual camera following ``target`` (xywh in the pair's (W, H) pixels).

    The target's size in the frame starts log-uniform in 10-90 px (small targets included) but the pair is never
    shrunk below 90 % of the frame; zoom and each axis' stretch drift as random walks (so the aspect changes), and
    the target moves in the frame by a random walk with a drawn speed of up to 0.5 target sizes per frame.
    """
    w_f, h_f = FRAME_SIZE
    size = float(np.sqrt(target[2] * target[3]))
    min_log_zoom = np.log(0.9 * max(w_f / pair_size[0], h_f / pair_size[1]))
    log_zoom = max(rng.uniform(np.log(10), np.log(90)) - np.log(size), min_log_zoom)
    log_aspect = 0.0
    centre = np.array([w_f, h_f]) / 2 + rng.uniform(-0.25, 0.25, 2) * [w_f, h_f]
    speed = rng.uniform(0.0, 0.5)
    source = target[:2] + target[2:] / 2
    views, boxes = np.zeros((length, 2, 3)), np.zeros((length, 4))
    for i in range(length):
        if i:
            log_zoom = max(log_zoom + rng.normal(0, 0.05), min_log_zoom)
            log_aspect = np.clip(log_aspect + rng.normal(0, 0.06), -0.5, 0.5)
        sx, sy = np.exp(log_zoom + log_aspect / 2), np.exp(log_zoom - log_aspect / 2)
        half = target[2:] * [sx, sy] / 2
        if i:
            centre = centre + rng.normal(0, 1, 2) * speed * np.sqrt(4 * half[0] * half[1])
        centre = np.clip(centre, half, np.maximum(half, [w_f, h_f] - half))
        views[i] = [[sx, 0, centre[0] - sx * source[0]], [0, sy, centre[1] - sy * source[1]]]
        boxes[i] = [*(centre - half), *(2 * half)]
    return views, boxes


def pseudo_sequences(pairs: list[StillPair], seed: int, length: int = 20) -> tuple[list[PseudoSequence], dict]:
    """One pseudo-sequence per target of each pair (at most :data:`MAX_TARGETS`), and what was found (provenance)."""
    sequences, annotated, warm, skipped = [], 0, 0, []
    for index, pair in enumerate(pairs):
        try:
            thermal = _pair_images(str(pair.color), str(pair.ir))[1]
        except OSError as err:
            skipped.append(pair.name)
            log.warning("still pair %s skipped: %s", pair.name, err)
            continue
        if pair.boxes is not None:
            targets = pair.boxes[(pair.boxes[:, 2] >= MIN_SIDE) & (pair.boxes[:, 3] >= MIN_SIDE)][:MAX_TARGETS]
            annotated += len(targets)
        else:
            targets = warm_targets(thermal)
            warm += len(targets)
        if not len(targets):
            skipped.append(pair.name)
        for k, target in enumerate(targets):
            views, boxes = camera_path(np.random.default_rng([seed, index, k]), target, thermal.shape[1::-1], length)
            sequences.append(PseudoSequence(f"{pair.name}-{k}", pair, views, boxes))
    stats = {"pairs": len(pairs), "annotated_targets": annotated, "warm_targets": warm,
             "pairs_without_target": len(skipped), "sequences": len(sequences), "frames": length, "seed": seed}
    log.info("still pairs: %d pairs, %d annotated and %d warm targets, %d pairs without one", len(pairs), annotated,
             warm, len(skipped))
    return sequences, stats
