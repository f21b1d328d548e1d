"""The plain tracker API that the TraX adapter, tests and benchmarks call.

``images`` maps channel names to arrays in one convention for every tracker:
``"color"``: (H, W, 3) uint8 RGB; ``"ir"``: (H, W) uint8 thermal, same size as
color (the frame loader resamples color onto the thermal grid, which the VOT-RGBT
ground truth follows). A channel is ``None`` when its image is missing or
unreadable; trackers keep going on the other one.
Boxes are (x, y, w, h) in 0-based pixels (``tracker.geometry``).
"""
from __future__ import annotations

from typing import Optional, Protocol, Sequence

import numpy as np

Images = dict[str, Optional[np.ndarray]]
CHANNELS = ("color", "ir")


def present_channels(images: Images) -> tuple[str, ...]:
    """The channels of ``images`` that hold an image, in ``CHANNELS`` order: what "a channel is missing" means."""
    return tuple(c for c in CHANNELS if images.get(c) is not None)


class Tracker(Protocol):
    name: str

    def initialize(self, images: Images, box: Sequence[float]) -> None:
        """Learn the target from the first frame; raise ValueError on unusable input."""

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        """Return the new (x, y, w, h) box and a confidence score."""
