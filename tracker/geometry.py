"""Box helpers in the package-wide convention: (x, y, w, h), 0-based pixels, float."""
from __future__ import annotations

import logging
import math
from typing import Sequence

import numpy as np

log = logging.getLogger("tracker")
MIN_INIT = 4.0  # side given to a zero-size initial region


class RegionError(ValueError):
    """An initialization region that cannot be tracked (NaN, empty, outside the image)."""


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of (..., 4) xywh boxes, broadcasting."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    x1 = np.maximum(a[..., 0], b[..., 0])
    y1 = np.maximum(a[..., 1], b[..., 1])
    x2 = np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2])
    y2 = np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def polygon_to_box(points: Sequence[float]) -> tuple[float, float, float, float]:
    """Axis-aligned bounding box of a flat [x1, y1, x2, y2, ...] polygon."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def clip_box(box: Sequence[float], width: int, height: int, min_size: float = 4.0) -> np.ndarray:
    """Keep a box inside a ``width`` x ``height`` image with at least ``min_size`` sides."""
    x, y, w, h = (float(v) for v in box)
    min_w = min(min_size, width)
    min_h = min(min_size, height)
    w = float(np.clip(w, min_w, width))
    h = float(np.clip(h, min_h, height))
    x = float(np.clip(x, 0.0, width - w))
    y = float(np.clip(y, 0.0, height - h))
    return np.array([x, y, w, h])


def sanitize_init_box(box: Sequence[float], width: int, height: int) -> np.ndarray:
    """Validate an initialization box and bring it inside the image, logging every repair.

    Corners given the wrong way round (negative size) are swapped, a zero-size box grows to
    ``MIN_INIT`` pixels around its point, and a box partly or entirely outside the image is moved
    inside: a toolkit run must not stop on one bad annotation. Only a box without a position
    (NaN/inf) raises :class:`RegionError`.
    """
    values = [float(v) for v in box]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise RegionError(f"initial region {values} is not four finite numbers")
    x, y, w, h = values
    if w < 0 or h < 0:
        x, w = (x + w, -w) if w < 0 else (x, w)
        y, h = (y + h, -h) if h < 0 else (y, h)
        log.warning("initial region %s has a negative size; using corners swapped: %s", values, [x, y, w, h])
    if w == 0 or h == 0:
        cx, cy = x + w / 2, y + h / 2
        w, h = max(w, MIN_INIT), max(h, MIN_INIT)
        x, y = cx - w / 2, cy - h / 2
        log.warning("initial region %s has zero size; using %gx%g around its centre", values, w, h)
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + w, float(width)), min(y + h, float(height))
    if x2 <= x1 or y2 <= y1:
        log.warning("initial region %s lies outside the %dx%d image; moved to the nearest position inside, "
                    "this run's results are meaningless", values, width, height)
        return clip_box((x, y, w, h), width, height, min_size=1.0)
    if (x1, y1, x2, y2) != (x, y, x + w, y + h):
        log.info("initial region %s clipped to the %dx%d image", values, width, height)
    return clip_box((x1, y1, x2 - x1, y2 - y1), width, height, min_size=1.0)
