"""The plain tracker API that the TraX adapter, tests and benchmarks call.

``images`` maps channel names to arrays in one convention for every tracker:
``"color"``: (H, W, 3) uint8 RGB; ``"ir"``: (H, W) uint8 thermal, same size as
color (the frame loader resamples color onto the thermal grid, which the VOT-RGBT
ground truth follows). A channel is ``None`` when its image is missing or
unreadable; trackers keep going on the other one.
Boxes are (x, y, w, h) in 0-based pixels (``tracker.geometry``).

A tracker that looks at one region per frame may say so before each frame with ``read_hint()``
(a :class:`ReadHint`); the frame loader then decodes only the resolution that region needs and
may hand a channel over as a :class:`FramePart` instead of a whole array (``tracker.frames``).
Boxes stay in full-resolution thermal pixels either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol, Sequence, Union

import numpy as np


@dataclass(frozen=True)
class ReadHint:
    """What a tracker reads of the next frame: ``area`` (x, y, w, h) in full-resolution thermal pixels,
    sampled at ``scale`` output pixels per thermal pixel (below 1: the tracker shrinks the area)."""

    area: tuple[float, float, float, float]
    scale: float


@dataclass(frozen=True)
class FramePart:
    """Part of a channel, possibly decoded at reduced resolution: array pixel (col, row) lies at thermal
    pixel (col * step[0] + offset[0], row * step[1] + offset[1]) of a ``full_size`` (width, height) frame.
    Pixels outside ``pixels`` were not decoded; the loader covers the hinted area."""

    pixels: np.ndarray  # (h, w, 3) uint8 RGB or (h, w) uint8 thermal
    step: tuple[float, float]
    offset: tuple[float, float]
    full_size: tuple[int, int]


Image = Union[np.ndarray, FramePart]
Images = dict[str, Optional[Image]]
CHANNELS = ("color", "ir")


def present_channels(images: Images) -> tuple[str, ...]:
    """The channels of ``images`` that hold an image, in ``CHANNELS`` order: what "a channel is missing" means."""
    return tuple(c for c in CHANNELS if images.get(c) is not None)


def frame_size(image: Image) -> tuple[int, int]:
    """(width, height) of the full frame on the thermal grid."""
    if isinstance(image, FramePart):
        return image.full_size
    return image.shape[1], image.shape[0]


class Tracker(Protocol):
    name: str

    def initialize(self, images: Images, box: Sequence[float]) -> None:
        """Learn the target from the first frame; raise ValueError on unusable input."""

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        """Return the new (x, y, w, h) box and a confidence score."""

    # Optional: ``read_hint() -> Optional[ReadHint]``, the region the next ``track`` call reads. Trackers
    # without it always get whole arrays.
