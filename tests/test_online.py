"""The online classifier's update schedule (tracker.tracking.schedule): steps spread over frames, early stop, and the
per-frame deadline."""
import dataclasses
import time

import pytest
import torch

from tracker.config import TrackConfig
from tracker.model.classifier import BinaryClassifier
from tracker.tracking.online import OnlineClassifier


def separable(n: int, sign: float) -> torch.Tensor:
    x = torch.randn(n, 16) * 0.1
    x[:, 0] += sign * 3.0
    return x


def trained(stop_loss: float) -> OnlineClassifier:
    torch.manual_seed(0)
    t = dataclasses.replace(TrackConfig(), update_stop_loss=stop_loss, frame_pos=8, frame_neg=24, steps_per_frame=2)
    online = OnlineClassifier(BinaryClassifier(16, 32, 0.0), t, torch.device("cpu"))
    online.reset()
    pos, neg = separable(40, 1.0), separable(120, -1.0)
    online.learn_first_frame(pos, neg, pos, neg)
    return online


# 0: off; 1e-6: below any loss these samples reach after the first frame's training; 1e9: above every loss.
@pytest.mark.parametrize("stop_loss, left", [(0.0, 8), (1e-6, 8), (1e9, 0)])
def test_an_update_ends_early_once_its_loss_is_below_update_stop_loss(stop_loss, left):
    online = trained(stop_loss)
    t = online.t
    assert (t.update_iters, t.steps_per_frame) == (10, 2)
    online.update(success=True, frame=t.long_interval, failures=0)  # a long-term update starts: 2 of 10 steps run
    assert online.schedule.pending == left


def test_a_step_that_would_miss_the_frame_deadline_waits_but_never_two_frames_in_a_row():
    online = trained(0.0)
    t = online.t
    online.update(success=True, frame=t.long_interval, failures=0)  # measures a step's time
    assert online.schedule.pending == 8 and online.schedule.step_seconds > 0
    past = time.perf_counter() - 1.0  # every step would end after this deadline
    online.update(success=True, frame=t.long_interval + 1, failures=0, deadline=past)
    assert online.schedule.pending == 8  # both steps wait
    online.update(success=True, frame=t.long_interval + 2, failures=0, deadline=past)
    assert online.schedule.pending == 7  # the frame after a deferral runs one step anyway
    online.update(success=True, frame=t.long_interval + 3, failures=0, deadline=time.perf_counter() + 60)
    assert online.schedule.pending == 5  # room for both
