"""Read one RGB-T frame from its channel files into the ``tracker.api`` convention.

Real data is messy: a channel file can be missing, zero bytes or corrupt; thermal
comes as 8-bit gray, 3-channel JPEG or 16-bit PNG; color and ir can differ in
size. The loader never raises for one frame: it returns ``None`` for a channel it
cannot read or is not given, logging each unreadable file and each kind of format problem once
(``tracker.runner`` warns about the missing channel).
"""
from __future__ import annotations

import logging
import os
from typing import Mapping, Optional

import cv2
import numpy as np

from .api import Images
from .reporting import ReportOnce

log = logging.getLogger("tracker")
MAX_UNREADABLE_LOGS = 20  # per sequence


def _read(path: str) -> np.ndarray:
    """8-bit image as stored (gray, BGR or BGRA); raises OSError saying why it is unreadable."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        if not os.path.isfile(path):
            raise OSError(f"image {path} does not exist")
        if os.path.getsize(path) == 0:
            raise OSError(f"image {path} is empty (0 bytes)")
        raise OSError(f"image {path} cannot be decoded (corrupt or not an image)")
    return _to_uint8(image)


def read_color(path: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB from any image OpenCV reads; raises OSError if unreadable."""
    image = _read(path)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_thermal(path: str) -> np.ndarray:
    """(H, W) uint8 thermal; 3-channel files are averaged, 16-bit ones rescaled."""
    image = _read(path)
    if image.ndim == 3:
        # Thermal stored as 3 equal channels (common in VOT-RGBT) or false colour:
        # the mean keeps the intensity ordering either way.
        image = image[..., :3].mean(axis=2).astype(np.uint8)
    return image


def resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resampled to ``size`` (width, height): how a color frame is put on the thermal grid."""
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """Map 16-bit / float radiometric images to 8 bits by their 1-99 percentile range."""
    if image.dtype == np.uint8:
        return image
    data = image.astype(np.float32)
    lo, hi = np.percentile(data, (1, 99))
    if hi <= lo:
        hi = lo + 1.0
    return np.clip((data - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


class FrameLoader:
    """Loads frames of one sequence onto the first frame's thermal grid."""

    def __init__(self) -> None:
        self.size: Optional[tuple[int, int]] = None  # (width, height) of the output grid
        self.reports = ReportOnce(log)
        self.unreadable = 0

    def reset(self) -> None:
        self.size = None
        self.reports.reset()
        self.unreadable = 0

    def load(self, paths: Mapping[str, Optional[str]]) -> Images:
        """Read ``{'color': path, 'ir': path}``; missing/unreadable channels become ``None``."""
        images: Images = {}
        for channel, reader in (("ir", read_thermal), ("color", read_color)):
            path = paths.get(channel)
            if not path:
                images[channel] = None
                continue
            try:
                images[channel] = reader(path)
            except OSError as err:
                # Every unreadable file is its own problem: name each one, up to a cap per sequence.
                self.unreadable += 1
                if self.unreadable <= MAX_UNREADABLE_LOGS:
                    log.warning("%s; channel %r skipped for this frame", err, channel)
                if self.unreadable == MAX_UNREADABLE_LOGS:
                    log.warning("%d unreadable images in this sequence; not logging further ones", self.unreadable)
                images[channel] = None

        if self.size is None:
            # Ground truth follows the thermal channel in VOT-RGBT: its grid is the reference.
            ref = images["ir"] if images["ir"] is not None else images["color"]
            if ref is not None:
                self.size = (ref.shape[1], ref.shape[0])
        if self.size is not None:
            for channel, image in images.items():
                if image is not None and (image.shape[1], image.shape[0]) != self.size:
                    self.reports.warning(
                        f"size-{channel}",
                        f"channel {channel!r} is {image.shape[1]}x{image.shape[0]}, "
                        f"expected {self.size[0]}x{self.size[1]}; resampling it",
                    )
                    images[channel] = resample(image, self.size)
        return images
