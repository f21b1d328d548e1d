"""Which tracked frames teach the online classifier (the memory's positives and negatives).

A frame's samples are kept when its score clears a fixed floor and, once enough frames were kept, a share of their
recent median score: a box that slid onto what occludes the target scores a few units where the target scored tens,
and learning it as the target turns a brief occlusion into a lasting drift (the high-confidence update of LMCF,
Wang et al. 2017, with a median over a window). Early frames only need the floor: the scores right after the first
frame's training are inflated, and the target's first appearance changes must be learnt.
"""
from __future__ import annotations

import collections

import numpy as np


class CollectGate:
    def __init__(self, floor: float, ratio: float, window: int) -> None:
        """``floor``: a score every kept frame exceeds; ``ratio``: share of the median of the last ``window`` kept
        frames' scores a frame must exceed once ``window`` frames were kept (0 = floor only)."""
        self.floor, self.ratio = floor, ratio
        self.kept: collections.deque[float] = collections.deque(maxlen=window)

    def reset(self) -> None:
        self.kept.clear()

    def bar(self) -> float:
        """The score the next frame must exceed to be kept."""
        if self.ratio and len(self.kept) == self.kept.maxlen:
            return max(self.floor, self.ratio * float(np.median(self.kept)))
        return self.floor

    def admit(self, score: float) -> bool:
        """Whether a frame scored ``score`` is kept (and then counts towards the median)."""
        if score <= self.bar():
            return False
        self.kept.append(score)
        return True
