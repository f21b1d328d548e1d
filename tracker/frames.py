"""Read one RGB-T frame from its channel files into the ``tracker.api`` convention.

Real data is messy: a channel file can be missing, zero bytes or corrupt; thermal
comes as 8-bit gray, 3-channel JPEG or 16-bit PNG; color and ir can differ in
size. The loader never raises for one frame: it returns ``None`` for a channel it
cannot read or is not given, logging each unreadable file and each kind of format problem once
(``tracker.runner`` warns about the missing channel).

Speed: both channels are decoded concurrently (OpenCV releases the GIL). Given a
:class:`~tracker.api.ReadHint` (the area the tracker reads next and the scale it samples it at), the
loader decodes JPEGs at the lowest libjpeg scale (1/2, 1/4, 1/8) that still gives the tracker at least
one decoded pixel per sample, converts only the hinted area, and returns :class:`~tracker.api.FramePart`
channels mapped onto the thermal grid instead of resampling the whole colour frame onto it.
"""
from __future__ import annotations

import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping, Optional

import cv2
import numpy as np

from .api import FramePart, Images, ReadHint
from .reporting import ReportOnce

log = logging.getLogger("tracker")
MAX_UNREADABLE_LOGS = 20  # per sequence
JPEG_SUFFIXES = (".jpg", ".jpeg", ".jpe")
# imread flags per libjpeg reduction: (colour, gray).
REDUCED = {1: (cv2.IMREAD_COLOR, cv2.IMREAD_GRAYSCALE),
           2: (cv2.IMREAD_REDUCED_COLOR_2, cv2.IMREAD_REDUCED_GRAYSCALE_2),
           4: (cv2.IMREAD_REDUCED_COLOR_4, cv2.IMREAD_REDUCED_GRAYSCALE_4),
           8: (cv2.IMREAD_REDUCED_COLOR_8, cv2.IMREAD_REDUCED_GRAYSCALE_8)}


def _unreadable(path: str) -> OSError:
    """Why ``path`` could not be decoded, as an OSError naming it."""
    if not os.path.isfile(path):
        return OSError(f"image {path} does not exist")
    if os.path.getsize(path) == 0:
        return OSError(f"image {path} is empty (0 bytes)")
    return OSError(f"image {path} cannot be decoded (corrupt or not an image)")


def _read_raw(path: str) -> np.ndarray:
    """The image as stored (any depth and channel count); raises OSError saying why it is unreadable."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise _unreadable(path)
    return image


def _read(path: str) -> np.ndarray:
    """8-bit image as stored (gray, BGR or BGRA); raises OSError saying why it is unreadable."""
    return _to_uint8(_read_raw(path))


def read_color(path: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB from any image OpenCV reads; raises OSError if unreadable."""
    return _color(_read(path))


def _color(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_thermal(path: str) -> np.ndarray:
    """(H, W) uint8 thermal; 3-channel files are averaged, 16-bit ones rescaled."""
    return _thermal(_read(path))


def _thermal(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        # Thermal stored as 3 equal channels (common in VOT-RGBT) or false colour:
        # the mean keeps the intensity ordering either way. Integer sum // 3 equals the float mean's
        # truncation and is 3-4x faster at 1920x1080.
        c = image[..., :3]
        image = (np.add(np.add(c[..., 0], c[..., 1], dtype=np.uint16), c[..., 2], dtype=np.uint16) // 3)
        image = image.astype(np.uint8)
    return image


def resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resampled to ``size`` (width, height): how a color frame is put on the thermal grid."""
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def read_registered(color: str, ir: str) -> tuple[np.ndarray, np.ndarray]:
    """(colour RGB, thermal) of one frame pair with the colour resampled onto the thermal grid (the ground truth's,
    as in VOT-RGBT); raises OSError if either image is unreadable."""
    thermal, rgb = read_thermal(ir), read_color(color)
    if rgb.shape[:2] != thermal.shape[:2]:
        rgb = resample(rgb, (thermal.shape[1], thermal.shape[0]))
    return rgb, thermal


def _fast_kind(channel: str, raw: np.ndarray) -> Optional[str]:
    """How later frames of this channel may be decoded directly at reduced scale, or None (reference path).

    Colour: 8-bit 3-channel files. Thermal: 8-bit gray, or 3 equal channels (read as libjpeg's gray,
    which equals their mean up to JPEG chroma noise); false-colour or 16-bit thermal keeps the reference path.
    """
    if raw.dtype != np.uint8:
        return None
    if channel == "color":
        return "bgr" if raw.ndim == 3 and raw.shape[2] == 3 else None
    if raw.ndim == 2:
        return "gray"
    sample = raw[::7, ::7, :3].astype(np.int16)
    equal = max(np.abs(sample[..., 0] - sample[..., 1]).mean(), np.abs(sample[..., 1] - sample[..., 2]).mean())
    return "gray" if equal < 1.0 else None


def reduction(scale: float) -> int:
    """Largest libjpeg scale-down (1, 2, 4, 8) that keeps ``scale`` samples per full pixel at most one per
    decoded pixel: the tracker gets no less detail than its crop can hold."""
    for r in (8, 4, 2):
        if r * scale <= 1.0:
            return r
    return 1


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
    """Loads frames of one sequence onto the first frame's thermal grid.

    ``load(paths)`` returns whole arrays (the ``tracker.api`` convention); ``load(paths, hint)`` may return
    :class:`FramePart` channels covering the hinted area (see the module docstring). The first frame of a
    sequence is always read whole: it fixes the grid and each channel's file format.
    """

    def __init__(self) -> None:
        self.size: Optional[tuple[int, int]] = None  # (width, height) of the output grid
        self.reports = ReportOnce(log)
        self.unreadable = 0
        # channel -> (file width, file height, fast kind or None), from the first frame read whole
        self._source: dict[str, tuple[int, int, Optional[str]]] = {}
        self._pool: Optional[ThreadPoolExecutor] = None

    def reset(self) -> None:
        self.size = None
        self.reports.reset()
        self.unreadable = 0
        self._source.clear()

    def _read_whole(self, channel: str, path: str) -> np.ndarray:
        raw = _read_raw(path)
        if channel not in self._source:
            self._source[channel] = (raw.shape[1], raw.shape[0], _fast_kind(channel, raw))
        image = _to_uint8(raw)
        return _color(image) if channel == "color" else _thermal(image)

    def _read_part(self, channel: str, path: str, hint: ReadHint):
        """The hinted area of one channel as a FramePart, or a whole array when no fast path applies."""
        w, h, kind = self._source.get(channel, (0, 0, None))
        if kind is None or self.size is None:
            return self._read_whole(channel, path)
        kx, ky = w / self.size[0], h / self.size[1]  # file pixels per thermal pixel
        r = reduction(hint.scale / min(kx, ky)) if path.lower().endswith(JPEG_SUFFIXES) else 1
        raw = cv2.imread(path, REDUCED[r][channel != "color"])
        if raw is None or raw.size == 0:
            raise _unreadable(path)
        if raw.shape[:2] != (math.ceil(h / r), math.ceil(w / r)):
            return self._read_whole(channel, path)  # the file changed size: the reference path handles it
        # Decoded pixel q is the mean of file pixels r q .. r q + r - 1: file position r q + (r - 1) / 2,
        # thermal position (file + 0.5) / k - 0.5 (pixel centres, as cv2.resize maps them).
        ax, ay = r / kx, r / ky
        bx, by = (r / 2) / kx - 0.5, (r / 2) / ky - 0.5
        # The hinted area in decoded pixels, widened by the crop's blur kernel and the bilinear support.
        samples = hint.scale * min(ax, ay)
        margin = (int(1 / samples) | 1 if samples < 0.5 else 1) + 2
        x, y, aw, ah = hint.area
        x0 = max(int(math.floor((x - bx) / ax)) - margin, 0)
        y0 = max(int(math.floor((y - by) / ay)) - margin, 0)
        x1 = min(int(math.ceil((x + aw - bx) / ax)) + margin + 1, raw.shape[1])
        y1 = min(int(math.ceil((y + ah - by) / ay)) + margin + 1, raw.shape[0])
        if x1 <= x0 or y1 <= y0:  # the area lies outside the frame: keep everything (rare, cheap)
            x0, y0, x1, y1 = 0, 0, raw.shape[1], raw.shape[0]
        region = raw[y0:y1, x0:x1]
        pixels = cv2.cvtColor(region, cv2.COLOR_BGR2RGB) if channel == "color" else region
        return FramePart(pixels, (ax, ay), (bx + ax * x0, by + ay * y0), self.size)

    def load(self, paths: Mapping[str, Optional[str | os.PathLike]], hint: Optional[ReadHint] = None) -> Images:
        """Read ``{'color': path, 'ir': path}``; missing/unreadable channels become ``None``.

        With ``hint`` (after the first frame) channels may come as FramePart covering ``hint.area``.
        """
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="frames")
        fast = hint is not None and self.size is not None
        jobs = {}
        images: Images = {}
        for channel in ("ir", "color"):
            path = paths.get(channel)
            if not path:
                jobs[channel] = None
                continue
            path = os.fspath(path)  # pathlib paths too: the hinted path matches file suffixes on the string
            if fast:
                jobs[channel] = self._pool.submit(self._read_part, channel, path, hint)
            else:
                jobs[channel] = self._pool.submit(self._read_whole, channel, path)
        for channel in ("ir", "color"):
            job = jobs[channel]
            if job is None:
                images[channel] = None
                continue
            try:
                images[channel] = job.result()
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
                if isinstance(image, np.ndarray) and (image.shape[1], image.shape[0]) != self.size:
                    self.reports.warning(
                        f"size-{channel}",
                        f"channel {channel!r} is {image.shape[1]}x{image.shape[0]}, "
                        f"expected {self.size[0]}x{self.size[1]}; resampling it",
                    )
                    images[channel] = resample(image, self.size)
        return images
