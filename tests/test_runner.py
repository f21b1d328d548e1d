"""The per-sequence runner every caller shares: last good box on a failed frame, missing channels warned once."""
from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from tracker.api import FramePart, ReadHint
from tracker.runner import SequenceRunner, run_sequence


class Scripted:
    """A tracker that answers a scripted box per frame: an array, or an exception to raise."""

    name = "scripted"

    def __init__(self, answers) -> None:
        self.answers = answers
        self.seen = []  # channels present per call
        self.frame = 0

    def initialize(self, images, box) -> None:
        self.seen.append(sorted(c for c, im in images.items() if im is not None))
        self.frame = 0

    def track(self, images):
        self.seen.append(sorted(c for c, im in images.items() if im is not None))
        self.frame += 1
        answer = self.answers[self.frame - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer, 0.5


def write_frames(folder, count: int, size: tuple[int, int], ext: str, seed: int) -> list[dict]:
    """``count`` random colour/thermal frame pairs of ``size`` (h, w) as ``ext`` files; their paths."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        color, ir = folder / f"c{i}.{ext}", folder / f"i{i}.{ext}"
        cv2.imwrite(str(color), rng.integers(0, 255, (*size, 3), dtype=np.uint8))
        cv2.imwrite(str(ir), rng.integers(0, 255, size, dtype=np.uint8))
        paths.append({"color": str(color), "ir": str(ir)})
    return paths


@pytest.fixture()
def frames(tmp_path):
    return write_frames(tmp_path, 6, (40, 60), "png", seed=1)


def test_failed_frames_keep_the_last_good_box(frames, caplog):
    good = np.array([10.0, 10.0, 20.0, 15.0])
    answers = [good, RuntimeError("boom"), np.array([np.nan, 0, 5, 5]), np.zeros(3), good + [40, 20, 0, 0]]
    with caplog.at_level(logging.ERROR, logger="tracker"):
        run = run_sequence(Scripted(answers), frames, (5, 5, 10, 10))
    np.testing.assert_array_equal(run.boxes[0], [5, 5, 10, 10])
    np.testing.assert_array_equal(run.boxes[1:4], [good, good, good])
    assert list(run.scores) == [1.0, 0.5, 0.0, 0.0, 0.0, 0.5]
    # The last answer lies outside the 60 x 40 image: clipped into it.
    np.testing.assert_array_equal(run.boxes[5], [40, 25, 20, 15])
    failures = [r.getMessage() for r in caplog.records if "tracking failed" in r.getMessage()]
    assert [m.split(":")[0] for m in failures] == ["frame 2", "frame 3", "frame 4"]
    assert "boom" in failures[0] and "invalid box" in failures[1]


def test_missing_channel_is_warned_once_and_the_tracker_goes_on(frames, caplog):
    for i in (2, 3, 4):
        frames[i]["ir"] += ".missing"
    frames[5]["color"] = None  # not provided at all
    tracker = Scripted([np.array([10.0, 10.0, 20.0, 15.0])] * 5)
    with caplog.at_level(logging.WARNING, logger="tracker"):
        run_sequence(tracker, frames, (5, 5, 10, 10))
    assert tracker.seen == [["color", "ir"]] * 2 + [["color"]] * 3 + [["ir"]]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("'ir' missing (first in frame 2)" in m for m in messages) == 1
    assert sum("'color' missing (first in frame 5)" in m for m in messages) == 1
    assert sum("does not exist" in m for m in messages) == 3  # each unreadable file is named


def test_initialization_needs_a_readable_frame(frames):
    runner = SequenceRunner(Scripted([]))
    with pytest.raises(OSError, match="no readable image"):
        runner.initialize({"color": frames[0]["color"] + ".x", "ir": None}, (5, 5, 10, 10))
    # A box partly outside is brought inside the image before the tracker sees it.
    np.testing.assert_array_equal(runner.initialize(frames[0], (50, 30, 20, 20)), [50, 30, 10, 10])


class Hinting(Scripted):
    """A scripted tracker that reads one region per frame and says so (``tracker.api`` read_hint)."""

    def __init__(self, answers) -> None:
        super().__init__(answers)
        self.images = []

    def read_hint(self):
        return ReadHint((10.0, 5.0, 30.0, 30.0), 0.4)

    def track(self, images):
        self.images.append(images)
        return super().track(images)


@pytest.fixture()
def jpeg_frames(tmp_path):
    return write_frames(tmp_path, 4, (120, 160), "jpg", seed=2)


def test_the_runner_passes_the_trackers_read_hint_to_the_loader(jpeg_frames):
    box = np.array([10.0, 10.0, 20.0, 15.0])
    hinted, whole = Hinting([box] * 3), Hinting([box] * 3)
    run_sequence(hinted, jpeg_frames, (5, 5, 10, 10))
    run_sequence(whole, jpeg_frames, (5, 5, 10, 10), hints=False)
    for images in hinted.images:  # scale 0.4: decoded at 1/2, only around the hinted area
        for part in images.values():
            assert isinstance(part, FramePart) and part.full_size == (160, 120) and part.step == (2.0, 2.0)
            assert part.pixels.shape[1] < 80
    assert all(isinstance(image, np.ndarray) for images in whole.images for image in images.values())


def test_trax_session_logs_load_and_track_time_per_sequence(jpeg_frames, caplog):
    from trax.image import FileImage
    from trax.region import Rectangle

    from tracker.vot import Session

    class Request:
        def __init__(self, paths, box=None):
            self.image = {c: FileImage.create(p) for c, p in paths.items()}
            self.objects = [(Rectangle.create(*box), {})] if box is not None else []

    tracker = Hinting([np.array([10.0, 10.0, 20.0, 15.0])] * 6)
    session = Session(tracker)
    with caplog.at_level(logging.INFO, logger="tracker"):
        session.initialize(Request(jpeg_frames[0], (5, 5, 10, 10)))
        for paths in jpeg_frames[1:]:
            session.track(Request(paths))
        tracker.frame = 0
        session.initialize(Request(jpeg_frames[0], (5, 5, 10, 10)))  # the next sequence: this one's line
        session.track(Request(jpeg_frames[1]))
        session.log_times()  # what QUIT and a closed pipe do
    timing = [r.getMessage() for r in caplog.records if r.getMessage().startswith("timing:")]
    assert len(timing) == 2 and timing[0].startswith("timing: 3 frames, load median ")
    assert timing[1].startswith("timing: 1 frames")
    assert isinstance(tracker.images[0]["ir"], FramePart)
