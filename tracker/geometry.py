"""Box helpers in the package-wide convention: (x, y, w, h), 0-based pixels, float."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


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
    """Validate an initialization box and clip it to the image.

    Raises :class:`RegionError` with the reason when the box is NaN/inf, has a
    non-positive size, or does not overlap the image at all.
    """
    values = [float(v) for v in box]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise RegionError(f"initial region {values} is not four finite numbers")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise RegionError(f"initial region {values} has zero or negative size")
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + w, float(width)), min(y + h, float(height))
    if x2 <= x1 or y2 <= y1:
        raise RegionError(f"initial region {values} lies outside the {width}x{height} image")
    return clip_box((x1, y1, x2 - x1, y2 - y1), width, height, min_size=1.0)
