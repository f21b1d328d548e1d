"""The online classifier's update schedule: which frames start an update and how many of its steps each frame runs.

Short-term updates after a failure, long-term ones every ``long_interval`` frames, each spread over frames
(``steps_per_frame``) and held to a per-frame realtime deadline, so no frame blows the budget (MDNet's scheme).
"""
from __future__ import annotations

import math
import time
from typing import Callable, Optional

from ..config import TrackConfig


class UpdateSchedule:
    """Counts the update in progress's steps still to run and times them against the frame's deadline."""

    def __init__(self, track: TrackConfig) -> None:
        self.t = track
        self.pending = 0  # update steps still to run
        self.step_seconds: Optional[float] = None  # running mean of one update step's time (realtime deadline)
        self.deferred = False  # the last frame left a step it should have run for the next

    def reset(self) -> None:
        """A new sequence: no update in progress (the step time measured so far stays)."""
        self.pending = 0
        self.deferred = False

    def start(self, success: bool, frame: int, failures: int) -> Optional[int]:
        """Start short-term updates on failure, long-term ones every ``long_interval`` frames, unless one is running.
        Returns how many recent frames of positives the new update trains on; None where none starts."""
        # During a failure streak re-train every few frames, not every frame (realtime budget).
        short = not success and (failures == 1 or failures % 5 == 0)
        if self.pending == 0 and (short or frame % self.t.long_interval == 0):
            self.pending = self.t.update_iters
            return self.t.short_frames if short else self.t.long_frames
        return None

    def run(self, step: Callable[[], float], deadline: Optional[float] = None) -> None:
        """Run this frame's budget of steps of the update in progress; ``step`` runs one and returns its loss.

        ``deadline`` (a ``time.perf_counter()`` value): a step expected to end after it waits for the next frame,
        but never on two frames in a row, so a slow machine still learns at half pace or more. Where every frame
        ends well before it (the usual case) the steps, and so the boxes, are the same as without it."""
        if self.pending == 0:
            self.deferred = False
            return
        steps, done, loss = min(self.pending, self.t.steps_per_frame), 0, math.inf
        while done < steps:
            if deadline is not None and self.step_seconds is not None and (done or not self.deferred) \
                    and time.perf_counter() + self.step_seconds > deadline:
                break
            start = time.perf_counter()
            loss = step()
            took = time.perf_counter() - start
            self.step_seconds = took if self.step_seconds is None else 0.7 * self.step_seconds + 0.3 * took
            done += 1
        self.pending -= done
        self.deferred = done < steps
        if loss < self.t.update_stop_loss:
            # Even the hardest negatives of the batch are already told apart: the rest of this update would
            # cost time and only sharpen a separation that holds.
            self.pending = 0
