"""The online classifier's sample memory (tracker.tracking.memory): same training sets as concatenated copies."""
import collections

import pytest
import torch

from tracker.tracking.memory import SampleMemory


def frame_samples(i: int, n: int) -> torch.Tensor:
    return torch.full((n, 3), float(i))


def test_rows_are_the_last_frames_oldest_first_like_a_concatenated_deque():
    memory, reference = SampleMemory(frames=4, slot_rows=5, spare=2), collections.deque(maxlen=4)
    for i in range(11):  # wraps the 6-slot ring more than once
        x = frame_samples(i, 1 + i % 5)
        memory.append(x)
        reference.append(x)
        assert len(memory) == len(reference)
        for last in (1, 2, 4, None):
            rows = memory.rows(last)
            expected = torch.cat(list(reference)[-(last or 4):])
            assert len(rows) == len(expected)
            assert torch.equal(rows[torch.arange(len(rows))], expected)
    assert torch.equal(memory.slot(0), frame_samples(10, 1))
    assert torch.equal(memory.slot(3), frame_samples(7, 3))


def test_an_update_keeps_reading_its_rows_while_spare_frames_are_appended():
    memory = SampleMemory(frames=3, slot_rows=2, spare=2)
    for i in range(3):
        memory.append(frame_samples(i, 2))
    rows = memory.rows()
    before = rows[torch.arange(len(rows))].clone()
    for i in range(3, 5):  # two frames during the update: the spare slots
        memory.append(frame_samples(i, 2))
    assert torch.equal(rows[torch.arange(len(rows))], before)
    memory.append(frame_samples(5, 2))  # one more than spare: the oldest slot of the update is reused
    assert not torch.equal(rows[torch.arange(len(rows))], before)


def test_bad_use_is_an_error_not_a_silent_truncation():
    memory = SampleMemory(frames=2, slot_rows=2)
    with pytest.raises(ValueError, match="a slot holds 2"):
        memory.append(frame_samples(0, 3))
    with pytest.raises(IndexError, match="holds 0"):
        memory.slot(0)
    memory.append(frame_samples(0, 2))
    memory.clear()
    assert len(memory) == 0
    memory.append(torch.ones(1, 7))  # another feature size (e.g. fc4 activations): a new ring
    assert memory.slot(0).shape == (1, 7)

