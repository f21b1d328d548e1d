"""The online CMI tracker: MDNet's loop on candidates pooled from one search crop per frame.

Per frame: crop around the last box, one backbone pass per modality, Gaussian candidates
-> CMI features -> classifier; the top-k mean is refined by box regression. Samples of
confident frames feed short-term (after a failure) and long-term (every N frames)
updates of fc4-fc6, spread over frames so no frame blows the realtime budget.
"""
from __future__ import annotations

import collections
import copy
import dataclasses
import logging

import numpy as np
import torch
import torch.nn.functional as F

from ..api import Images
from ..config import Config
from ..geometry import clip_box, iou, sanitize_init_box
from ..model.bbreg import BoxRegressor
from ..model.checkpoint import load_checkpoint, resolve_weights
from ..model.network import CMINet
from . import sampling
from .crop import cut, make_crop

log = logging.getLogger("tracker")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda requested but torch.cuda.is_available() is False")
    return torch.device(name)


class CMITracker:
    name = "CMI"

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.t = cfg.track
        self.device = pick_device(cfg.device)
        if self.device.type == "cpu":
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.track.seed)  # untrained layers start from the same draw in every process
        self.net = CMINet(cfg.model)
        weights = resolve_weights(cfg.weights)
        if weights is not None:
            load_checkpoint(weights, self.net)  # raises CheckpointError at start-up, never mid-sequence
            log.info("loaded CMI weights %s", weights)
        else:
            log.info("no CMI weights: untrained interaction (lambda = 0), ImageNet backbone")
            if not self.t.online_fc4:  # a random fc4 must be learnt online
                self.t = dataclasses.replace(self.t, online_fc4=True)
                log.info("no CMI weights: fc4 is trained online (track.online_fc4=true)")
        self.net.to(self.device).eval()
        self.initial_classifier = copy.deepcopy(self.net.classifier.state_dict())
        self.reported: set[str] = set()
        if cfg.warmup:
            self._warm_up()

    def _warm_up(self) -> None:
        """One initialize and a few frames on noise; initialize resets all state, so results do not change."""
        rng = np.random.default_rng(0)
        images = {"color": rng.integers(0, 256, (480, 640, 3), np.uint8),
                  "ir": rng.integers(0, 256, (480, 640), np.uint8)}
        self.initialize(images, np.array([300.0, 220.0, 40.0, 40.0]))
        for _ in range(3):
            self.track(images)

    # --- helpers -----------------------------------------------------------------------
    def _report_once(self, key: str, message: str) -> None:
        if key not in self.reported:
            self.reported.add(key)
            log.warning("%s (reported once per sequence)", message)

    def _features(self, images: Images, box: np.ndarray, expand: float = 1.0):
        """Crop around ``box``, run the backbones; returns (feats, crop)."""
        for channel in ("color", "ir"):
            if images.get(channel) is None:
                self._report_once(f"missing-{channel}", f"channel {channel!r} missing; tracking on the other one")
        size = float(np.sqrt(box[2] * box[3]))
        scale = min(self.t.target_size / max(size, 1.0), self.t.max_upscale)
        side = self.t.crop_size / scale * expand
        crop = make_crop(box[:2] + box[2:] / 2, side, self.t.crop_size)
        rgb = cut(images.get("color"), crop, 3).to(self.device)
        tir = cut(images.get("ir"), crop, 1).to(self.device)
        with torch.no_grad():
            f_r, f_t = self.net.extract(rgb, tir)
        # A missing modality contributes zero features, as in the single-modality training views.
        if images.get("color") is None:
            f_r = torch.zeros_like(f_r)
        if images.get("ir") is None:
            f_t = torch.zeros_like(f_t)
        return (f_r, f_t), crop

    def _embed_views(self, feats, crop, boxes: np.ndarray, views=("rgb", "tir")) -> tuple[torch.Tensor, ...]:
        """Candidate features of ``boxes`` per view: ``rgbt`` both modalities, ``rgb``/``tir`` the other one zeroed.

        RoIAlign is linear, so zeroing a pooled modality equals pooling a zeroed map: one pooling and one
        CMI pass serve every view.
        """
        keep = {"rgbt": (1.0, 1.0), "rgb": (1.0, 0.0), "tir": (0.0, 1.0)}
        with torch.no_grad():
            p_r, p_t = self.net.pool(feats, crop.boxes_to_crop(boxes).to(self.device))  # (N, C, P, P) each
            fused = self.net.cmi(torch.cat([p_r * keep[v][0] for v in views]),
                                 torch.cat([p_t * keep[v][1] for v in views]))
        return fused.flatten(1).split(len(boxes))  # len(views) x (N, feature_dim)

    def _embed(self, feats, crop, boxes: np.ndarray) -> torch.Tensor:
        with torch.no_grad():
            return self.net.candidate_features(feats, crop.boxes_to_crop(boxes).to(self.device))

    def _samples(self, x: torch.Tensor) -> torch.Tensor:
        """Candidate features -> what online training consumes and memory keeps: x itself, or its fc4
        activations when fc4 stays as trained offline (10x cheaper updates and memory)."""
        if self.t.online_fc4:
            return x
        with torch.no_grad():
            return self.net.classifier.fc4(x)  # (N, fc_dim); eval mode: no dropout

    def _logits(self, samples: torch.Tensor) -> torch.Tensor:
        clf = self.net.classifier
        if self.t.online_fc4:
            return clf(samples)
        return clf.head(clf.fc4[-1](samples))  # fc4[-1] is fc4's dropout: active only in train mode

    def _sample_scores(self, samples: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            logits = self._logits(samples)
        return logits[:, 1] - logits[:, 0]

    def _scores(self, x: torch.Tensor) -> torch.Tensor:
        """Foreground minus background logit of candidate features (N, feature_dim) -> (N,)."""
        return self._sample_scores(self._samples(x))

    def _train(self, pos: torch.Tensor, neg: torch.Tensor, steps: int) -> None:
        """``steps`` SGD steps with hard-negative mining (MDNet): batches of pos and hardest neg samples."""
        clf = self.net.classifier
        for _ in range(steps):
            p = pos[torch.randint(len(pos), (min(self.t.batch_pos, len(pos)),))]
            pool = neg[torch.randint(len(neg), (min(self.t.hard_neg_pool, len(neg)),))]
            clf.eval()
            hard = pool[self._sample_scores(pool).topk(min(self.t.batch_neg, len(pool))).indices]
            clf.train()
            logits = self._logits(torch.cat([p, hard]))
            labels = torch.cat([torch.ones(len(p)), torch.zeros(len(hard))]).long().to(self.device)
            loss = F.cross_entropy(logits, labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        clf.eval()

    # --- API -----------------------------------------------------------------------------
    def initialize(self, images: Images, box) -> None:
        ref = images.get("ir") if images.get("ir") is not None else images.get("color")
        if ref is None:
            raise ValueError("no readable channel in the initialization frame")
        self.reported.clear()
        self.image_size = (ref.shape[1], ref.shape[0])
        self.box = sanitize_init_box(box, *self.image_size)
        self.init_size = self.box[2:].copy()
        self.rng = np.random.default_rng(self.t.seed)
        torch.manual_seed(self.t.seed)
        self.net.classifier.load_state_dict(self.initial_classifier)
        self.net.classifier.reset_online_head()
        self.optimizer = torch.optim.Adam(self.net.classifier.online_parameters(fc4=self.t.online_fc4),
                                          lr=self.t.init_lr)

        feats, crop = self._features(images, self.box)
        pos_boxes = sampling.positives(self.rng, self.box, self.t.init_pos)
        neg_boxes = sampling.negatives(self.rng, self.box, self.t.init_neg, crop.area())
        pos = self._samples(self._embed(feats, crop, pos_boxes))
        neg = self._samples(self._embed(feats, crop, neg_boxes))
        train_pos, train_neg = pos, neg
        both = all(images.get(c) is not None for c in ("color", "ir"))
        if self.t.modality_dropout and both:
            # Also learn each modality alone, so a channel that goes missing later is survivable.
            k_pos, k_neg = len(pos_boxes) // 2, len(neg_boxes) // 2
            train_pos = torch.cat([train_pos, *map(self._samples, self._embed_views(feats, crop, pos_boxes[:k_pos]))])
            train_neg = torch.cat([train_neg, *map(self._samples, self._embed_views(feats, crop, neg_boxes[:k_neg]))])
        self._train(train_pos, train_neg, self.t.init_iters)

        reg_boxes = sampling.select(
            self.rng, sampling.uniform(self.rng, self.box, self.t.bbreg_samples * 4, 0.3, 1.6),
            self.box, self.t.bbreg_samples, 0.6, 1.0,
        )
        per_modality = both and self.t.bbreg_per_modality and self.cfg.model.modalities == "rgbt"
        views = ("rgbt", "rgb", "tir") if per_modality else ("rgbt",)
        self.bbregs = {view: BoxRegressor(self.t.bbreg_alpha) for view in views}
        for reg, x_view in zip(self.bbregs.values(), self._embed_views(feats, crop, reg_boxes, views)):
            reg.fit(x_view, reg_boxes, self.box)

        for group in self.optimizer.param_groups:
            group["lr"] = self.t.update_lr
        self.pos_memory = collections.deque([pos[: self.t.frame_pos * 4]], maxlen=self.t.long_frames)
        self.neg_memory = collections.deque([neg[: self.t.frame_neg * 4]], maxlen=self.t.short_frames)
        self.frame = 0
        self.failures = 0
        self.pending = 0  # update steps still to run

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        self.frame += 1
        t = self.t
        expand = min(t.failure_expand ** self.failures, t.max_expand)
        feats, crop = self._features(images, self.box, expand)
        trans = t.trans_std * expand
        cands = sampling.gaussian(self.rng, self.box, t.candidates, trans, t.scale_step)
        cands[:, 2:] = np.clip(cands[:, 2:], t.min_box, None)
        if self.failures and t.redetect:
            cands = np.concatenate([cands, sampling.whole(self.rng, self.box, t.redetect, crop.area())])
        far = sampling.whole(self.rng, self.box, t.far_neg, crop.area())
        x = self._embed(feats, crop, np.concatenate([cands, far]))
        samples = self._samples(x)
        scores = self._sample_scores(samples[: len(cands)])
        top = scores.topk(t.top_k).indices
        # Average only the top boxes that overlap the best one: re-detection boxes can lie far apart.
        top = top[torch.from_numpy(iou(cands[top.cpu().numpy()], cands[int(top[0])][None]) > 0.3).to(top.device)]
        score = float(scores[top].mean())
        success = score > 0
        if success:
            top_np = top.cpu().numpy()
            refined = self._refine(images, feats, crop, cands[top_np])
            new_box = clip_box(self._damp_size(refined), *self.image_size, min_size=t.min_box)
            if self.failures:
                log.info("frame %d: target found again after %d frames", self.frame, self.failures)
            self.failures = 0
            self._collect(samples, np.concatenate([cands, far]), new_box)
        else:
            new_box = self.box
            self.failures += 1
            if self.failures == 1:
                log.info("frame %d: target lost (score %.2f); widening the search", self.frame, score)
        self.box = new_box
        self._schedule_update(success)
        return self.box.copy(), score

    def _refine(self, images: Images, feats, crop, top_boxes: np.ndarray) -> np.ndarray:
        """The output box before damping: the top-k mean, or a regressed box the classifier scores higher.

        Each fitted view (fused, and each modality alone) proposes a regressed box blended with the mean;
        with ``track.bbreg_verify`` the classifier picks among the mean and the proposals.
        """
        mean = top_boxes.mean(axis=0)
        present = [c for c in ("color", "ir") if images.get(c) is not None]
        # A regressor fit on fused features misreads a frame with a channel missing: use the present one's.
        usable = set(self.bbregs) if len(present) == 2 else {"rgb" if present == ["color"] else "tir"}
        views = [view for view in self.bbregs if view in usable]
        if not views:
            return mean
        proposals = [self._blend(self.bbregs[view].predict(x_view, top_boxes).mean(axis=0), mean)
                     for view, x_view in zip(views, self._embed_views(feats, crop, top_boxes, views))]
        if not self.t.bbreg_verify:
            return proposals[0]
        options = np.stack([mean, *proposals])
        return options[int(self._scores(self._embed(feats, crop, options)).argmax())]

    def _blend(self, regressed: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Weighted mean of two boxes: centres linearly, sizes geometrically (track.bbreg_weight)."""
        w = self.t.bbreg_weight
        centre = w * (regressed[:2] + regressed[2:] / 2) + (1 - w) * (mean[:2] + mean[2:] / 2)
        size = regressed[2:] ** w * mean[2:] ** (1 - w)
        return np.concatenate([centre - size / 2, size])

    def _damp_size(self, box: np.ndarray) -> np.ndarray:
        """Keep the estimated centre; move the size scale_lr of the way (geometric) and bound it (track.scale_lr)."""
        size = self.box[2:] ** (1 - self.t.scale_lr) * np.maximum(box[2:], 1e-3) ** self.t.scale_lr
        size = np.clip(size, self.init_size / self.t.max_scale, self.init_size * self.t.max_scale)
        return np.concatenate([box[:2] + box[2:] / 2 - size / 2, size])

    def _collect(self, samples: torch.Tensor, boxes: np.ndarray, target: np.ndarray) -> None:
        """Keep this frame's candidates as training samples: IoU >= 0.7 positive, <= 0.3 negative."""
        overlap = iou(boxes, target[None])
        pos = np.flatnonzero(overlap >= 0.7)[: self.t.frame_pos]
        neg = np.flatnonzero(overlap <= 0.3)
        neg = neg[self.rng.permutation(len(neg))[: self.t.frame_neg]]
        if len(pos):
            self.pos_memory.append(samples[torch.from_numpy(pos)])
        if len(neg):
            self.neg_memory.append(samples[torch.from_numpy(neg)])

    def _schedule_update(self, success: bool) -> None:
        """Start short-term updates on failure, long-term ones every ``long_interval`` frames; run a budget of steps."""
        # During a failure streak re-train every few frames, not every frame (realtime budget).
        short = not success and (self.failures == 1 or self.failures % 5 == 0)
        if self.pending == 0 and (short or self.frame % self.t.long_interval == 0):
            # Gather the training set once per update, not on every frame it spans.
            frames = self.t.short_frames if short else self.t.long_frames
            self.update_pos = torch.cat(list(self.pos_memory)[-frames:])
            self.update_neg = torch.cat(list(self.neg_memory))
            self.pending = self.t.update_iters
        if self.pending == 0:
            return
        steps = min(self.pending, self.t.steps_per_frame)
        with torch.enable_grad():
            self._train(self.update_pos, self.update_neg, steps)
        self.pending -= steps
