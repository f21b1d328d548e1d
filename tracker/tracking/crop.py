"""Search crops: one square region around the target, resampled to a fixed size."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
import torch

from ..api import FramePart, Image

FILL = 127.0  # mid-gray: zero after the backbone's (x - 127) / 128 normalization


@dataclass
class Crop:
    """Maps image pixels p to crop pixels (p - origin) * scale."""

    origin: np.ndarray  # (2,) image coordinates of the crop's top-left corner
    scale: float
    size: int

    def boxes_to_crop(self, boxes: np.ndarray) -> torch.Tensor:
        """(N, 4) image xywh -> (N, 4) crop x1y1x2y2 float tensor."""
        b = np.asarray(boxes, np.float64)
        x1y1 = (b[:, :2] - self.origin) * self.scale
        return torch.from_numpy(np.concatenate([x1y1, x1y1 + b[:, 2:] * self.scale], axis=1)).float()

    def centre_size(self, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image xywh box -> its centre and size in crop pixels."""
        return (box[:2] + box[2:] / 2 - self.origin) * self.scale, box[2:] * self.scale

    def to_image(self, point: np.ndarray) -> np.ndarray:
        """Crop pixel (x, y) -> image (x, y)."""
        return self.origin + np.asarray(point) / self.scale

    def area(self) -> tuple[float, float, float, float]:
        """The crop in image xywh."""
        side = self.size / self.scale
        return float(self.origin[0]), float(self.origin[1]), side, side


def make_crop(center: np.ndarray, side: float, size: int) -> Crop:
    scale = size / side
    return Crop(origin=np.asarray(center, np.float64) - side / 2, scale=scale, size=size)


def crop_scale(box: np.ndarray, track) -> float:
    """Crop pixels per image pixel that make ``box`` ``track.target_size`` wide (sqrt of area), at most
    ``track.max_upscale``: the zoom of every search crop, in tracking and in offline training alike."""
    size = math.sqrt(box[2] * box[3])
    return min(track.target_size / max(size, 1.0), track.max_upscale)


def search_crop(box: np.ndarray, track, expand: float = 1.0) -> Crop:
    """The tracker's search crop: centred on ``box`` at :func:`crop_scale`, ``expand`` times wider in pixels (rounded
    up to a multiple of 16). The zoom stays: a widened crop shows the target at the size the classifier learnt, where
    shrinking it into the usual size would not (real footage and fast motion)."""
    size = track.crop_size if expand <= 1 else int(math.ceil(track.crop_size * expand / 16)) * 16
    return make_crop(box[:2] + box[2:] / 2, size / crop_scale(box, track), size)


def cut(image: Optional[Image], crop: Crop, channels: int) -> torch.Tensor:
    """(1, channels, size, size) float 0-255 tensor; a missing image gives the neutral fill.

    ``image`` is a whole array on the thermal grid or a :class:`FramePart` (decoded at reduced resolution
    and/or cut to a region): either way one warp maps its pixels straight into the crop.
    """
    if image is None:
        return torch.full((1, channels, crop.size, crop.size), FILL)
    if isinstance(image, FramePart):
        src, (ax, ay), (bx, by) = image.pixels, image.step, image.offset
    else:
        src, ax, ay, bx, by = image, 1.0, 1.0, 0.0, 0.0
    # Array pixel q lands on crop pixel ((a q + b) - origin) * scale: crop pixel u reads array pixel q0 + u / m.
    s = crop.scale
    mx, my = s * ax, s * ay
    qx, qy = (crop.origin[0] - bx) / ax, (crop.origin[1] - by) / ay
    # Only the source rectangle the crop reads is used, widened by the bilinear support or, before a big downscale,
    # by the reach of the blur that smooths it (INTER_AREA-like: matters when shrinking large targets). Its corner
    # is an absolute pixel and OpenCV gets the inverse map in float64 (WARP_INVERSE_MAP), so a FramePart decoded at
    # full resolution gives exactly the crop the whole array gives: same pixels, same map.
    k = int(1 / min(mx, my)) | 1 if min(mx, my) < 0.5 else 0
    pad = max(k, 1)
    h, w = src.shape[:2]
    x0 = int(np.clip(np.floor(qx) - pad, 0, w))
    x1 = int(np.clip(np.ceil(qx + crop.size / mx) + pad + 1, 0, w))
    y0 = int(np.clip(np.floor(qy) - pad, 0, h))
    y1 = int(np.clip(np.ceil(qy + crop.size / my) + pad + 1, 0, h))
    if x1 <= x0 or y1 <= y0:
        return torch.full((1, channels, crop.size, crop.size), FILL)
    src = src[y0:y1, x0:x1]
    if k:
        src = cv2.GaussianBlur(src, (k, k), 0)
    inverse = np.array([[1 / mx, 0, qx - x0], [0, 1 / my, qy - y0]], np.float64)
    out = cv2.warpAffine(src, inverse, (crop.size, crop.size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(FILL,) * 3)
    t = torch.from_numpy(out).float()
    return t.permute(2, 0, 1)[None] if t.ndim == 3 else t[None, None]
