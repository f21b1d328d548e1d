"""Candidate and training-sample generators around a box (MDNet style), xywh boxes."""
from __future__ import annotations

import numpy as np

from ..geometry import iou


def gaussian(rng: np.random.Generator, box: np.ndarray, n: int, trans: float, scale_step: float) -> np.ndarray:
    """Boxes around ``box``: centre shifted by trans * mean side * N(0, 0.5), size by scale_step ** N(0, 0.5)."""
    noise = np.clip(0.5 * rng.standard_normal((n, 3)), -1, 1)
    size = np.mean(box[2:])
    c = box[:2] + box[2:] / 2 + trans * size * noise[:, :2]
    wh = box[2:] * scale_step ** noise[:, 2:3]
    return np.concatenate([c - wh / 2, wh], axis=1)


def uniform(rng: np.random.Generator, box: np.ndarray, n: int, trans: float, scale_step: float) -> np.ndarray:
    """Boxes with centres uniform within +-trans sizes and sizes uniform in scale_step ** [-1, 1]."""
    u = rng.uniform(-1, 1, (n, 3))
    c = box[:2] + box[2:] / 2 + trans * np.mean(box[2:]) * u[:, :2]
    wh = box[2:] * scale_step ** u[:, 2:3]
    return np.concatenate([c - wh / 2, wh], axis=1)


def whole(rng: np.random.Generator, box: np.ndarray, n: int, area: tuple[float, float, float, float]) -> np.ndarray:
    """Boxes of about the target's size anywhere in ``area`` (x, y, w, h): far negatives."""
    x, y, w, h = area
    wh = box[2:] * 1.2 ** rng.uniform(-1, 1, (n, 1))
    c = np.stack([rng.uniform(x, x + w, n), rng.uniform(y, y + h, n)], axis=1)
    return np.concatenate([c - wh / 2, wh], axis=1)


def select(rng: np.random.Generator, boxes: np.ndarray, target: np.ndarray, n: int,
           low: float, high: float) -> np.ndarray:
    """Up to ``n`` of ``boxes`` whose IoU with ``target`` lies in [low, high]."""
    overlap = iou(boxes, target[None])
    keep = boxes[(overlap >= low) & (overlap <= high)]
    if len(keep) > n:
        keep = keep[rng.choice(len(keep), n, replace=False)]
    return keep


def positives(rng: np.random.Generator, target: np.ndarray, n: int, min_iou: float = 0.7) -> np.ndarray:
    boxes = gaussian(rng, target, n * 4, trans=0.1, scale_step=1.3)
    return np.concatenate([target[None], select(rng, boxes, target, n - 1, min_iou, 1.0)])


def negatives(rng: np.random.Generator, target: np.ndarray, n: int, area, max_iou: float = 0.3) -> np.ndarray:
    """Half near the target (hard), half over ``area`` (far)."""
    near = select(rng, uniform(rng, target, n * 2, trans=1.6, scale_step=1.3), target, n // 2, 0.0, max_iou)
    far = select(rng, whole(rng, target, n * 2, area), target, n - len(near), 0.0, max_iou)
    return np.concatenate([near, far])
