"""Automatic gain for search crops: a crop that lost most of the first frame's contrast is stretched back.

A dark frame (night, underexposure) drives the ImageNet backbone's inputs towards one value and its features towards
noise, while the classifier was learnt on the first frame's contrast. Like a camera's automatic gain control, the crop
is smoothed and scaled about its per-channel mean so that its contrast (:func:`contrast`) and mean return to the
first frame's, by at most ``max_gain``. Crops that kept at least half the first frame's contrast are left unchanged.
The tracker applies it to the colour crop only (``tracker.tracking.search``): thermal cameras need no light.
"""
from __future__ import annotations

import math
from typing import Optional

import cv2
import numpy as np
import torch


# The gain engages only once a crop has lost at least this factor of the reference contrast. Real footage's crops
# vary by up to 1.6x as the target moves over other backgrounds (../shared/data/real-rgbt), where the features are
# better left as they are; night falls by 5-7x.
ENGAGE = 2.0


Stats = tuple[np.ndarray, np.ndarray]  # per-channel mean and standard deviation of a crop, (C,) each


def channel_stats(crop: torch.Tensor) -> Stats:
    """Per-channel mean and standard deviation of a (1, C, S, S) crop. OpenCV reads the crop in its pixel-interleaved
    memory order (the tensor is a channels-first view of it): 0.05 ms, torch's per-channel reductions over that view
    0.35 ms."""
    img = crop[0].permute(1, 2, 0).numpy()  # (S, S, C), contiguous for crops from tracker.tracking.crop.cut
    mean, std = cv2.meanStdDev(np.ascontiguousarray(img, np.float32))
    return mean.ravel(), std.ravel()


def spread(stats: Stats) -> float:
    """Standard deviation of all the crop's values, channels pooled (what tells a blank crop)."""
    mean, std = stats
    return float(np.sqrt((std ** 2).mean() + mean.var()))


def contrast(stats: Stats) -> float:
    """The standard deviation about each channel's own mean, averaged over channels."""
    return float(stats[1].mean())


class ContrastGain:
    """Per-sequence reference (first crop with content) and the gain that restores it, per channel."""

    def __init__(self, max_gain: float, denoise: float = 0.0) -> None:
        self.max_gain = max_gain
        self.denoise = denoise
        self.reference: dict[str, tuple[float, np.ndarray]] = {}  # channel -> (contrast, per-channel mean (C,))

    def reset(self) -> None:
        self.reference.clear()

    def __call__(self, channel: str, crop: torch.Tensor, stats: Optional[Stats] = None) -> torch.Tensor:
        """(1, C, S, S) 0-255 crop -> the same crop, gain-corrected towards the channel's reference. ``stats``:
        the crop's :func:`channel_stats`, when the caller already has them."""
        if self.max_gain <= 1.0:
            return crop
        stats = stats or channel_stats(crop)
        ref = self.reference.get(channel)
        if ref is None:
            self.reference[channel] = (contrast(stats), stats[0])
            return crop
        ratio = ref[0] / max(contrast(stats), 1e-3)
        if ratio < ENGAGE:
            return crop
        gain = min(ratio, self.max_gain)
        if self.denoise > 0:
            # The stretch amplifies sensor noise with the signal: smooth first, more the more it stretches.
            sigma = self.denoise * math.log2(gain)
            img = cv2.GaussianBlur(crop[0].permute(1, 2, 0).numpy(), (0, 0), sigma)
            crop = torch.from_numpy(img.reshape(img.shape[0], img.shape[1], -1)).permute(2, 0, 1)[None]
            stats = channel_stats(crop)
            gain = min(ref[0] / max(contrast(stats), 1e-3), self.max_gain)
        as_tensor = lambda m: torch.from_numpy(m.astype(np.float32)).reshape(1, -1, 1, 1)
        return ((crop - as_tensor(stats[0])) * gain + as_tensor(ref[1])).clamp_(0.0, 255.0)
