"""OpenCV CSRT on one modality: the off-the-shelf peer a user would otherwise pick.

Needs ``opencv-contrib-python`` installed after ``opencv-python`` (``make setup`` does);
without it construction fails with a message saying so.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..api import Images
from ..geometry import clip_box, sanitize_init_box


class CSRTTracker:
    def __init__(self, channel: str = "color") -> None:
        if channel not in ("color", "ir"):
            raise ValueError(f"CSRT channel {channel!r}: expected color or ir")
        if not hasattr(cv2, "TrackerCSRT_create"):
            raise RuntimeError(
                "cv2.TrackerCSRT_create is missing: install opencv-contrib-python after opencv-python (make setup)"
            )
        self.channel = channel
        self.name = "CSRT-RGB" if channel == "color" else "CSRT-TIR"
        self.box = np.zeros(4)
        self.size = (0, 0)
        self.tracker = None  # OpenCV's tracker, made per sequence

    def _image(self, images: Images) -> np.ndarray | None:
        image = images.get(self.channel)
        if image is None:
            return None
        return image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)

    def initialize(self, images: Images, box) -> None:
        image = self._image(images)
        if image is None:
            raise ValueError(f"CSRT needs the {self.channel!r} channel in the initialization frame")
        self.size = (image.shape[1], image.shape[0])
        self.box = sanitize_init_box(box, *self.size)
        self.tracker = cv2.TrackerCSRT_create()
        # CSRT wants integer boxes of at least a few pixels.
        x, y, w, h = clip_box(self.box, *self.size, min_size=4.0)
        self.tracker.init(image, (int(x), int(y), max(4, int(round(w))), max(4, int(round(h)))))

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        image = self._image(images)
        if image is None:
            return self.box.copy(), 0.0
        ok, box = self.tracker.update(image)
        if ok:
            self.box = clip_box(box, *self.size, min_size=1.0)
        return self.box.copy(), 1.0 if ok else 0.0
