"""The classifier learnt online: fc layers fine-tuned on the first frame, then on a memory of confident frames' samples.

Samples of confident frames feed short-term (after a failure) and long-term (every N frames) updates, which
:class:`~.schedule.UpdateSchedule` starts and spreads over frames.
"""
from __future__ import annotations

import copy
import math
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from ..config import TrackConfig
from ..geometry import iou
from ..model.classifier import BinaryClassifier
from .memory import Rows, SampleMemory
from .schedule import UpdateSchedule


class OnlineClassifier:
    """Scores candidate features as target or background and keeps learning the target while tracking."""

    def __init__(self, classifier: BinaryClassifier, track: TrackConfig, device: torch.device,
                 bf16: bool = False) -> None:
        """``bf16``: fc4's matrix products in bfloat16 (weights, gradients and Adam stay float32)."""
        self.clf = classifier
        self.t = track
        self.device = device
        self.bf16 = bf16
        self.fc4_bf16: Optional[tuple[torch.Tensor, torch.Tensor]] = None  # fc4's weight and bias cast, see _fc4
        self.initial = copy.deepcopy(classifier.state_dict())  # what every sequence starts from
        self.optimizer: Optional[torch.optim.Optimizer] = None
        # A frame keeps at most 4x frame_pos / frame_neg samples: the first frame's, or fused + 2 single-modality views.
        span = math.ceil(track.update_iters / track.steps_per_frame)  # frames one update reads its training set over
        self.pos_memory = SampleMemory(track.long_frames, 4 * track.frame_pos, spare=span)
        self.neg_memory = SampleMemory(track.short_frames, 4 * track.frame_neg, spare=span)
        self.update_pos: Optional[Rows] = None  # the training set of the update in progress
        self.update_neg: Optional[Rows] = None
        self.schedule = UpdateSchedule(track)

    def reset(self) -> None:
        """Forget the last target: offline weights back, a fresh fc6 (draws from torch's RNG), empty memory."""
        self.clf.load_state_dict(self.initial)
        self.clf.reset_online_head()
        self.fc4_bf16 = None
        # Fused Adam (one kernel for all parameters; CPU and CUDA): 0.2 ms less per step on CPU.
        self.optimizer = torch.optim.Adam(self.clf.online_parameters(fc4=self.t.online_fc4), lr=self.t.init_lr,
                                          fused=True)
        self.pos_memory.clear()
        self.neg_memory.clear()
        self.update_pos = self.update_neg = None
        self.schedule.reset()

    # --- scoring ------------------------------------------------------------------------------
    def samples(self, x: torch.Tensor) -> torch.Tensor:
        """Candidate features -> what online training consumes and memory keeps: x itself (in bfloat16 when fc4
        multiplies in it: the values fc4 reads either way, at half the memory and no cast per update step), or its
        fc4 activations when fc4 stays as trained offline (10x cheaper updates and memory)."""
        if self.t.online_fc4:
            return x.bfloat16() if self.bf16 else x
        with torch.no_grad():
            return self._fc4(x).float()  # (N, fc_dim); eval mode: no dropout

    def _fc4(self, x: torch.Tensor) -> torch.Tensor:
        """fc4 (linear, ReLU, dropout) of (N, feature_dim) features, in bfloat16 when ``bf16``: what autocast
        computes, but with fc4 cast once per optimizer step (autocast casts on every call: 0.17 of 0.6 ms for 256
        candidates). The cast is always recorded by autograd, so an update step's hard-negative scoring and its
        training share it and the gradients reach the float32 weights."""
        if not self.bf16:
            return self.clf.fc4(x)
        if self.fc4_bf16 is None:
            linear = self.clf.fc4[0]
            with torch.enable_grad():
                self.fc4_bf16 = (linear.weight.bfloat16(), linear.bias.bfloat16())
        return self.clf.fc4[2](torch.relu(F.linear(x.bfloat16(), *self.fc4_bf16)))  # fc4[2]: dropout in train mode

    def _logits(self, samples: torch.Tensor) -> torch.Tensor:
        if not self.t.online_fc4:  # fc4[-1] is fc4's dropout: active only in train mode
            return self.clf.head(self.clf.fc4[-1](samples))
        # only fc4 (nearly all of the work) in bfloat16: logits keep float32 resolution
        return self.clf.head(self._fc4(samples).float())  # (N, 2)

    def sample_scores(self, samples: torch.Tensor) -> torch.Tensor:
        """Foreground minus background logit of :meth:`samples` output (N, ...) -> (N,)."""
        with torch.no_grad():
            logits = self._logits(samples)
        return logits[:, 1] - logits[:, 0]

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """Foreground minus background logit of candidate features (N, feature_dim) -> (N,)."""
        return self.sample_scores(self.samples(x))

    # --- learning -----------------------------------------------------------------------------
    def _draw(self, n: int, k: int) -> torch.Tensor:
        """min(k, n) random row indices in [0, n), on the classifier's device."""
        return torch.randint(n, (min(k, n),)).to(self.device)

    def train(self, pos: Union[torch.Tensor, Rows], neg: Union[torch.Tensor, Rows], steps: int) -> float:
        """``steps`` SGD steps with hard-negative mining (MDNet): batches of pos and hardest neg samples.
        Returns the last step's loss."""
        loss = torch.zeros(())
        for _ in range(steps):
            # index_select, not pos[...]: on CPU about 5x faster for rows this wide (tensor and Rows alike).
            # Indices are drawn on the CPU generator whatever the device, so CUDA runs draw the same batches.
            p = pos.index_select(0, self._draw(len(pos), self.t.batch_pos))
            pool = neg.index_select(0, self._draw(len(neg), self.t.hard_neg_pool))
            self.clf.eval()
            hard = pool.index_select(0, self.sample_scores(pool).topk(min(self.t.batch_neg, len(pool))).indices)
            self.clf.train()
            logits = self._logits(torch.cat([p, hard]))
            labels = torch.cat([torch.ones(len(p)), torch.zeros(len(hard))]).long().to(self.device)
            loss = F.cross_entropy(logits, labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.fc4_bf16 = None  # fc4 changed (the fused step does not bump the parameters' version counters)
        self.clf.eval()
        return loss.item()

    def learn_first_frame(self, train_pos: torch.Tensor, train_neg: torch.Tensor,
                          pos: torch.Tensor, neg: torch.Tensor) -> None:
        """Train on the first frame's samples, then keep the fused ones (``pos``, ``neg``) as the first memory."""
        self.train(train_pos, train_neg, self.t.init_iters)
        for group in self.optimizer.param_groups:
            group["lr"] = self.t.update_lr
        self.pos_memory.append(pos[: self.t.frame_pos * 4])
        self.neg_memory.append(neg[: self.t.frame_neg * 4])

    def collect(self, samples: torch.Tensor, boxes: np.ndarray, target: np.ndarray, rng: np.random.Generator,
                views: Optional[Callable[[np.ndarray], Sequence[torch.Tensor]]] = None) -> None:
        """Keep a confident frame's candidates as training samples: IoU >= 0.7 positive, <= 0.3 negative.

        ``views`` (row indices of ``boxes`` -> features of each modality alone) adds the kept boxes' single-modality
        views, so online updates keep the classifier able to score one modality alone (the first frame trains it to)."""
        overlap = iou(boxes, target[None])
        pos = np.flatnonzero(overlap >= 0.7)[: self.t.frame_pos]
        neg = np.flatnonzero(overlap <= 0.3)
        neg = neg[rng.permutation(len(neg))[: self.t.frame_neg]]
        both = np.concatenate([pos, neg])
        # One CMI pass for the views of positives and negatives together (hot path: every confident frame).
        alone = [self.samples(v) for v in views(both)] if views is not None and len(both) else []
        for part, memory in ((slice(0, len(pos)), self.pos_memory), (slice(len(pos), len(both)), self.neg_memory)):
            if part.stop > part.start:
                rows = torch.from_numpy(both[part]).to(samples.device)
                memory.append(torch.cat([samples.index_select(0, rows), *(v[part] for v in alone)]))

    def update(self, success: bool, frame: int, failures: int, deadline: Optional[float] = None) -> None:
        """Run this frame's steps of the online updates that :class:`UpdateSchedule` starts and spreads over frames
        (``deadline``: see :meth:`UpdateSchedule.run`)."""
        frames = self.schedule.start(success, frame, failures)
        if frames is not None:  # gather the training set once per update, not on every frame it spans
            self.update_pos = self.pos_memory.rows(frames)
            self.update_neg = self.neg_memory.rows()
        self.schedule.run(self.update_step, deadline)

    def update_step(self) -> float:
        """One optimizer step of the update in progress; its loss. Autograd only here, not on frames without one."""
        with torch.enable_grad():
            return self.train(self.update_pos, self.update_neg, 1)
