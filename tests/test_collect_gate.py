"""Which tracked frames feed the online memory (tracker.tracking.collect_gate)."""
import pytest

from tracker.tracking.collect_gate import CollectGate


def test_only_the_floor_applies_until_the_window_is_full():
    gate = CollectGate(floor=2.0, ratio=0.5, window=4)
    assert [gate.admit(s) for s in (30.0, 32.0, 3.0)] == [True, True, True]  # 3 < half of the median: still kept
    assert not gate.admit(2.0)  # the floor itself is not enough
    assert gate.admit(28.0) and len(gate.kept) == 4


def test_a_full_window_refuses_scores_under_its_share_of_the_median():
    gate = CollectGate(floor=2.0, ratio=0.5, window=4)
    for s in (30.0, 32.0, 28.0, 34.0):
        gate.admit(s)
    assert gate.bar() == pytest.approx(15.5)  # half the median 31
    for s in (3.0, 10.0, 15.5):  # a box on an occluder: a few units where the target scored tens
        assert not gate.admit(s)
    assert list(gate.kept) == [30.0, 32.0, 28.0, 34.0]  # refused scores never lower the bar
    assert gate.admit(16.0)  # the window slides: 32, 28, 34, 16 -> median 30
    assert gate.bar() == pytest.approx(15.0)


def test_ratio_zero_keeps_every_frame_above_the_floor():
    gate = CollectGate(floor=2.0, ratio=0.0, window=2)
    assert all(gate.admit(s) for s in (40.0, 40.0, 2.5, 2.5))
    assert not gate.admit(1.0)


def test_reset_forgets_the_last_sequence():
    gate = CollectGate(floor=2.0, ratio=0.5, window=2)
    gate.admit(40.0), gate.admit(40.0)
    gate.reset()
    assert gate.bar() == 2.0 and gate.admit(3.0)
