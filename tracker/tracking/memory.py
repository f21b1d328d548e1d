"""The online classifier's sample memory: the last N frames' training samples in one preallocated ring of slots.

An update draws its batches from row indices into the ring instead of a concatenated copy: with the
single-modality views a full memory holds about 90 MB of features, and copying it at the start of every
long-term update cost about 20 ms of one frame.
"""
from __future__ import annotations

from typing import Optional

import torch


class Rows:
    """Rows ``index`` of a 2-D tensor, read like a tensor of those rows (``len``, ``rows[i]``,
    ``rows.index_select(0, i)``) without a copy."""

    def __init__(self, data: torch.Tensor, index: torch.Tensor) -> None:
        self.data, self.index = data, index

    def __len__(self) -> int:
        return len(self.index)

    def index_select(self, dim: int, i: torch.Tensor) -> torch.Tensor:
        if dim != 0:
            raise ValueError(f"Rows select along dim 0 only, got {dim}")
        return self.data.index_select(0, self.index[i])  # on CPU about 5x faster than data[self.index[i]]

    def __getitem__(self, i: torch.Tensor) -> torch.Tensor:
        return self.index_select(0, i)


class SampleMemory:
    """Samples (n, D) of the last ``frames`` frames, at most ``slot_rows`` per frame.

    ``spare`` extra slots are written after a frame leaves the memory and before its slot is reused: an update
    spanning that many frames keeps reading the samples it started with, as from a copy."""

    def __init__(self, frames: int, slot_rows: int, spare: int = 0) -> None:
        self.frames, self.slot_rows, self.slots = frames, slot_rows, frames + spare
        self.data: Optional[torch.Tensor] = None  # (slots, slot_rows, D), allocated at the first append
        self.counts = [0] * self.slots
        self.written = 0  # frames appended since clear()

    def clear(self) -> None:
        self.counts = [0] * self.slots
        self.written = 0

    def __len__(self) -> int:
        """Frames held."""
        return min(self.written, self.frames)

    def append(self, samples: torch.Tensor) -> None:
        """Keep one frame's samples (n, D), n <= slot_rows; the oldest frame leaves when the memory is full."""
        if len(samples) > self.slot_rows:
            raise ValueError(f"{len(samples)} samples for one frame: a slot holds {self.slot_rows}")
        if self.data is None or self.data.shape[2:] != samples.shape[1:] or self.data.dtype != samples.dtype \
                or self.data.device != samples.device:
            self.data = samples.new_empty((self.slots, self.slot_rows, *samples.shape[1:]))
        slot = self.written % self.slots
        self.data[slot, :len(samples)] = samples
        self.counts[slot] = len(samples)
        self.written += 1

    def slot(self, age: int) -> torch.Tensor:
        """The samples of the frame appended ``age`` frames before the last one (0: the last)."""
        if not 0 <= age < len(self):
            raise IndexError(f"frame {age} back: the memory holds {len(self)}")
        slot = (self.written - 1 - age) % self.slots
        return self.data[slot, :self.counts[slot]]

    def rows(self, last: Optional[int] = None) -> Rows:
        """The samples of the last ``last`` frames (all held frames if None)."""
        ages = reversed(range(min(len(self), self.frames if last is None else last)))  # oldest first
        slots = [(self.written - 1 - age) % self.slots for age in ages]
        index = torch.cat([torch.arange(s * self.slot_rows, s * self.slot_rows + self.counts[s]) for s in slots])
        return Rows(self.data.flatten(0, 1), index.to(self.data.device))
