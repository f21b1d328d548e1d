"""One tracker over one sequence's frame files: the loop the TraX adapter, evaluation, validation and benches share.

Frames are read by :class:`tracker.frames.FrameLoader`; a channel missing from a frame is warned about once per
sequence and the tracker goes on with the other one. A frame the tracker fails on (an exception, or a box that is
not four finite numbers) is logged with its index and answered with the last good box at confidence 0, so one bad
frame never ends a long evaluation.

A tracker with a ``read_hint()`` method (``tracker.api``) is asked before each frame which region it will read, and
the loader decodes only that, at the resolution the tracker samples it (boxes stay in full-resolution pixels);
``hints=False`` loads whole frames, the reference path. The TraX adapter, evaluation and the benches all run the
hinted path, so what they measure is what the toolkit runs.
"""
from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

from .api import CHANNELS, Images, ReadHint, Tracker, present_channels
from .frames import FrameLoader
from .geometry import clip_box, sanitize_init_box
from .reporting import ReportOnce

log = logging.getLogger("tracker")
Paths = Mapping[str, Optional[str | os.PathLike]]  # channel -> image file of one frame


class SequenceRunner:
    """Feeds one sequence's frames to a tracker and keeps its last good answer."""

    def __init__(self, tracker: Tracker, hints: bool = True) -> None:
        self.tracker = tracker
        self.loader = FrameLoader()
        self.read_hint = getattr(tracker, "read_hint", None) if hints else None
        self.reports = ReportOnce(log)
        self.box = np.zeros(4)  # last good answer
        self.frame = 0  # index of the last frame, 0 = initialization
        self.load_seconds = 0.0  # reading the last frame
        self.track_seconds = 0.0  # the tracker's work on the last frame

    def load(self, paths: Paths, hint: Optional[ReadHint] = None) -> Images:
        images = self.loader.load(paths, hint)
        present = present_channels(images)
        for channel in CHANNELS:
            if channel not in present:
                self.reports.warning(f"missing-{channel}", f"channel {channel!r} missing (first in frame "
                                                           f"{self.frame}); tracking on the other one")
        return images

    def initialize(self, paths: Paths, box) -> np.ndarray:
        """Start the sequence on its first frame; returns the box brought inside the image.

        Raises OSError when no channel of the frame is readable, RegionError for a box without a position.
        """
        self.loader.reset()
        self.reports.reset()
        self.frame = 0
        start = time.perf_counter()
        images = self.load(paths)
        if not present_channels(images):
            raise OSError(f"no readable image in the initialization frame: {dict(paths)}")
        box = sanitize_init_box(box, *self.loader.size)
        self.tracker.initialize(images, box)
        self.track_seconds = time.perf_counter() - start
        self.box = box
        return self.box

    def track(self, paths: Paths) -> tuple[np.ndarray, float]:
        """The next frame's box (inside the image) and confidence; the last good box at 0 if the tracker failed."""
        self.frame += 1
        self.load_seconds = self.track_seconds = 0.0
        try:
            start = time.perf_counter()
            images = self.load(paths, self.read_hint() if self.read_hint else None)
            loaded = time.perf_counter()
            self.load_seconds = loaded - start
            box, score = self.tracker.track(images)
            self.track_seconds = time.perf_counter() - loaded
            box = np.asarray(box, dtype=np.float64)
            score = float(score)
            if box.shape != (4,) or not np.all(np.isfinite(box)):
                raise ValueError(f"tracker returned an invalid box {box!r}")
            self.box = clip_box(box, *self.loader.size, min_size=1.0)
            return self.box, score if math.isfinite(score) else 0.0
        except Exception as err:  # one bad frame must not end a long evaluation
            log.exception("frame %d: tracking failed (%s); answering the last box", self.frame, err)
            return self.box, 0.0


@dataclass
class Run:
    """What :func:`run_sequence` measured: one entry per frame, the first being the initialization."""

    boxes: np.ndarray  # (N, 4) xywh
    scores: np.ndarray  # (N,), 1 for the initialization
    load_ms: np.ndarray  # (N,) reading each frame (0 for the initialization: counted in track_ms)
    track_ms: np.ndarray  # (N,) the tracker's initialize/track call


def run_sequence(tracker: Tracker, frames: Sequence[Paths], init_box, hints: bool = True) -> Run:
    """Initialize ``tracker`` on ``frames[0]`` with ``init_box`` and track the rest, in the order given
    (``hints``: as :class:`SequenceRunner`)."""
    runner = SequenceRunner(tracker, hints)
    n = len(frames)
    boxes, scores, load_ms, track_ms = np.zeros((n, 4)), np.ones(n), np.zeros(n), np.zeros(n)
    boxes[0] = runner.initialize(frames[0], init_box)
    track_ms[0] = runner.track_seconds * 1000
    for i in range(1, n):
        boxes[i], scores[i] = runner.track(frames[i])
        load_ms[i], track_ms[i] = runner.load_seconds * 1000, runner.track_seconds * 1000
    return Run(boxes, scores, load_ms, track_ms)
