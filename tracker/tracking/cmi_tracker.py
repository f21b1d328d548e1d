"""The online CMI tracker: MDNet's loop on candidates pooled from one search crop per frame.

Per frame: crop around the last box, one backbone pass for both modalities (:mod:`.search`), Gaussian
candidates -> CMI features -> the online classifier (:mod:`.online`); the top-k mean is refined by box
regression and its size damped (:mod:`.refine`). :class:`CMITracker` composes these parts and keeps the
per-sequence state (:class:`SequenceState`). Before each frame :meth:`CMITracker.read_hint` names the next
search crop, so the frame loader can decode only what that crop reads (``tracker.api.ReadHint``).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from typing import Iterable, Mapping, Optional, Union

import numpy as np
import torch
from torch import nn

from ..api import Images, ReadHint, frame_size, present_channels
from ..config import Config
from ..geometry import clip_box, iou, sanitize_init_box
from ..model.checkpoint import BACKBONE_PREFIXES, DOMAIN_PREFIX, configure, load_checkpoint, resolve_weights
from ..model.network import CMINet
from . import sampling
from .contrast import ContrastGain
from .low_light import low_light
from .online import OnlineClassifier
from .refine import BoxRefiner
from .scale_filter import ScaleFilter
from .search import SearchRegion
from .translation_filter import TranslationFilter

log = logging.getLogger("tracker")

# What a tracker can start from besides ``Config.weights``: a network, or its state dict (e.g. in training).
Weights = Union[nn.Module, Mapping[str, torch.Tensor]]


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda requested but torch.cuda.is_available() is False")
    return torch.device(name)


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere bfloat16 is emulated, slower
    than float32."""
    try:  # private torch helpers (2.1+); an older or newer torch without them gets float32
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:
        return False


def use_bf16(setting: str, device: torch.device) -> bool:
    """``fc_bf16`` resolved: auto is on for CPUs with native bfloat16 only (GPUs keep float32, already fast)."""
    if setting == "auto":
        return device.type == "cpu" and native_bf16()
    return setting == "on"


def load_network(cfg: Config, weights: Optional[Weights] = None) -> tuple[CMINet, bool]:
    """A CMI network with ``weights`` (a network or state dict) or else ``cfg.weights``; also whether it is trained.

    A state dict is copied, never shared: online learning must not change a network still in training.
    """
    net = CMINet(cfg.model)
    if weights is not None:
        state = weights.state_dict() if isinstance(weights, nn.Module) else weights
        missing = net.load_state_dict({k: v for k, v in state.items() if not k.startswith(DOMAIN_PREFIX)},
                                      strict=False).missing_keys
        missing = [k for k in missing if not k.startswith(BACKBONE_PREFIXES)]
        if missing:
            raise ValueError(f"CMI weights lack {len(missing)} parameters, e.g. {missing[:3]}")
        return net, True
    path = resolve_weights(cfg.weights)
    if path is None:
        log.info("no CMI weights: untrained interaction (lambda = 0), ImageNet backbone")
        return net, False
    load_checkpoint(path, net)  # raises CheckpointError at start-up, never mid-sequence
    log.info("loaded CMI weights %s", path)
    return net, True


@dataclasses.dataclass
class SequenceState:
    """What tracking one sequence carries from frame to frame."""

    box: np.ndarray  # last output, xywh
    init_size: np.ndarray  # first frame's (w, h): the size bound's reference
    image_size: tuple[int, int]  # (width, height)
    rng: np.random.Generator  # every candidate and sample draw of the sequence
    # The re-detection within a frame's crop draws from its own stream: where it finds nothing, the rest of the
    # sequence draws what it would have drawn without it.
    search_rng: np.random.Generator
    frame: int = 0
    failures: int = 0  # consecutive frames without a confident candidate
    flat: tuple[str, ...] = ()  # channels read but blank (no image content) in the last frame


def top_candidates(cands: np.ndarray, scores: torch.Tensor, k: int,
                   penalty: Optional[torch.Tensor] = None) -> tuple[np.ndarray, float]:
    """Indices of the ``k`` best candidates that overlap the best one (re-detection boxes can lie far apart),
    and their mean score. ``penalty`` (per candidate) is subtracted for the ranking only."""
    ranked = scores if penalty is None else scores - penalty.to(scores)
    top = ranked.topk(k).indices
    top = top[torch.from_numpy(iou(cands[top.cpu().numpy()], cands[int(top[0])][None]) > 0.3).to(top.device)]
    return top.cpu().numpy(), float(scores[top].mean())


def motion_penalty(cands: np.ndarray, last: np.ndarray, weight: float) -> Optional[torch.Tensor]:
    """``weight`` x (centre shift from the ``last`` box / its side)^2 per candidate, (N,); None when 0: a Gaussian
    prior on motion in the classifier's logits, so that of two boxes that look alike the nearer one is taken."""
    if weight <= 0:
        return None
    shift = (cands[:, :2] + cands[:, 2:] / 2) - (last[:2] + last[2:] / 2)
    return torch.from_numpy(weight * (shift ** 2).sum(1) / np.prod(last[2:])).float()


class CMITracker:
    name = "CMI"

    def __init__(self, cfg: Config, weights: Optional[Weights] = None) -> None:
        """``weights``: a network or state dict to track with instead of the file ``cfg.weights`` names."""
        if weights is None:
            cfg = configure(cfg)  # the network is built as its weights file was trained
        self.cfg = cfg
        self.device = pick_device(cfg.device)
        # Also on a GPU: cropping, sampling and box arithmetic stay on the CPU, where an intra-op pool as wide as
        # the machine costs more to wake than these small ops take.
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.track.seed)  # untrained layers start from the same draw in every process
        self.net, trained = load_network(cfg, weights)
        self.t = cfg.track
        if trained and not self.t.offline_classifier:
            self.net.classifier.reset_hidden()  # draws follow track.seed (set above)
            trained = False
        if not trained and not self.t.online_fc4:  # a random fc4 must be learnt online
            self.t = dataclasses.replace(self.t, online_fc4=True)
            log.info("fresh fc4: it is trained online (track.online_fc4=true)")
        self.net.to(self.device).eval()
        bf16 = use_bf16(cfg.fc_bf16, self.device)
        if self.device.type == "cpu":
            self.net.accelerate(cfg.backend, cfg.threads)
            backbone = "onnxruntime" if self.net.fast_features is not None else "torch"
            log.info("running on cpu: %d threads, backbone through %s, fc4 in %s", cfg.threads, backbone,
                     "bfloat16" if bf16 else "float32")
        else:
            log.info("running on %s (%s)", self.device, torch.cuda.get_device_name(self.device))
        self.classifier = OnlineClassifier(self.net.classifier, self.t, self.device, bf16=bf16)
        self.gain = ContrastGain(self.t.color_gain, self.t.color_denoise)
        self.refiner = BoxRefiner(self.t, per_modality=self.t.bbreg_per_modality and cfg.model.modalities == "rgbt")
        self.scale = ScaleFilter(self.t.scale_steps, self.t.scale_factor, self.t.scale_filter_lr) \
            if self.t.scale_filter else None
        self.translation = TranslationFilter(self.t.translation_filter_lr) if self.t.translation_filter else None
        # The channels both filters read: the network's, so that CMI-RGB / CMI-TIR stay single-modality.
        self.filter_channels = {"rgbt": ("color", "ir"), "rgb": ("color",), "tir": ("ir",)}[cfg.model.modalities]
        self.state: Optional[SequenceState] = None
        if cfg.warmup:
            self.warm_up()

    def warm_up(self) -> None:
        """One initialize and a few frames on noise; initialize resets all state, so results do not change."""
        rng = np.random.default_rng(0)
        images = {"color": rng.integers(0, 256, (480, 640, 3), np.uint8),
                  "ir": rng.integers(0, 256, (480, 640), np.uint8)}
        box = np.array([300.0, 220.0, 40.0, 40.0])
        self.initialize(images, box)
        for _ in range(3):
            self.track(images)
        # CUDA loads kernels and picks algorithms on a shape's first use (1.7-2.1 s on an H200): without this the
        # first frame after a failure, the first widened crop, would stall a realtime run. The CPU has no such cost.
        if self.device.type == "cuda":
            for expand in sorted({min(self.t.failure_expand ** f, self.t.max_expand) for f in range(1, 17)} - {1.0}):
                self.search(images, box, expand)

    def search(self, images: Images, box: np.ndarray, expand: float = 1.0) -> SearchRegion:
        """The search region around ``box`` with its backbone features."""
        return SearchRegion.extract(self.net, images, box, self.t, self.device, expand, self.gain)

    def expand(self) -> float:
        """How much wider than usual the next search crop is: it grows with each consecutive failure."""
        return min(self.t.failure_expand ** self.state.failures, self.t.max_expand)

    def read_hint(self) -> Optional[ReadHint]:
        """The area the next ``track`` call crops and its sampling scale (``tracker.api.ReadHint``), or None
        before the first frame."""
        if self.state is None:
            return None
        return SearchRegion.read_hint(self.state.box, self.t, self.expand())

    def initialize(self, images: Images, box) -> None:
        present = present_channels(images)
        if not present:
            raise ValueError("no readable channel in the initialization frame")
        size = frame_size(images[present[-1]])  # thermal if present: the ground truth follows its grid
        box = sanitize_init_box(box, *size)
        s = self.state = SequenceState(box, box[2:].copy(), size, np.random.default_rng(self.t.seed),
                                       np.random.default_rng([self.t.seed, 1]))
        t = self.t
        torch.manual_seed(t.seed)
        self.classifier.reset()
        self.gain.reset()
        region = self.search(images, box)
        pos_boxes = sampling.positives(s.rng, box, t.init_pos)
        neg_boxes = sampling.negatives(s.rng, box, t.init_neg, region.area())
        pos = self.classifier.samples(region.embed(pos_boxes))
        neg = self.classifier.samples(region.embed(neg_boxes))
        # Parts of the training set, concatenated once (it reaches about 80 MB of features).
        train_pos, train_neg = [pos], [neg]
        k_pos, k_neg = len(pos_boxes) // 2, len(neg_boxes) // 2
        both = len(region.present) == 2
        if t.modality_dropout and both:
            # Also learn each modality alone, so a channel that goes missing later is survivable.
            train_pos += map(self.classifier.samples, region.embed_views(pos_boxes[:k_pos]))
            train_neg += map(self.classifier.samples, region.embed_views(neg_boxes[:k_neg]))
        if t.night_light > 0 and "color" in region.present and self.cfg.model.modalities != "tir":
            # The target at night: the same samples from a dimmed, noisy colour crop (through the gain, as later).
            night = SearchRegion.extract(self.net, images, box, t, self.device, gain=self.gain,
                                         degrade=lambda crop: low_light(crop, t.night_light, t.night_noise, s.rng))
            dark = night.embed_views(np.concatenate([pos_boxes[:k_pos], neg_boxes[:k_neg]]),
                                     ("rgbt", "rgb") if t.modality_dropout and both else ("rgbt",))
            train_pos += [self.classifier.samples(v[:k_pos]) for v in dark]
            train_neg += [self.classifier.samples(v[k_pos:]) for v in dark]
        self.classifier.learn_first_frame(torch.cat(train_pos), torch.cat(train_neg), pos, neg)
        self.refiner.fit(region, box, s.rng)
        if self.scale is not None:
            self.scale.reset(region.pixels(self.filter_channels), *region.crop.centre_size(box))
        if self.translation is not None:
            self.translation.reset(region.pixels(self.filter_channels), *region.crop.centre_size(box))

    def place(self, region: SearchRegion, refined: np.ndarray) -> np.ndarray:
        """The output box: ``refined``'s centre, moved to the translation filter's peak when that lies within
        track.translation_gate target sizes of it; the scale filter's size (the last box's times its factor) or,
        without the filter, the damped refined size; bounded to track.max_scale of the first box."""
        s = self.state
        centre = refined[:2] + refined[2:] / 2
        if self.translation is not None and region.expand == 1:  # the filter has the usual crop's size
            found = self.translation.locate(region.pixels(self.filter_channels))
            if found is not None:
                peak = region.crop.to_image(found)
                if np.linalg.norm(peak - centre) <= self.t.translation_gate * np.sqrt(np.prod(s.box[2:])):
                    centre = peak
        if self.scale is None:
            return self.refiner.damp_size(np.concatenate([centre - refined[2:] / 2, refined[2:]]), s.box, s.init_size)
        last = np.concatenate([centre - s.box[2:] / 2, s.box[2:]])  # the last size at the new centre
        factor = self.scale.estimate(region.pixels(self.filter_channels), *region.crop.centre_size(last))
        size = np.clip(s.box[2:] * factor, s.init_size / self.t.max_scale, s.init_size * self.t.max_scale)
        return np.concatenate([centre - size / 2, size])

    def single_modality_candidates(self, cands: np.ndarray, view_scores: tuple[torch.Tensor, ...], top: np.ndarray,
                                   score: float, penalty: Optional[torch.Tensor]) -> tuple[np.ndarray, float]:
        """When no fused candidate scores as the target, take each modality alone (the classifier also learnt them
        on the first frame): in thermal crossover the target still stands out in RGB, in the dark in thermal, while
        the other modality's features now pull every fused score down. Best view's top-k wins. ``view_scores``:
        the candidates' scores per view (RGB alone, thermal alone); ``penalty``: :func:`motion_penalty` of ``cands``."""
        for view in view_scores:
            view_top, view_score = top_candidates(cands, view, self.t.top_k, penalty)
            if view_score > score:
                top, score = view_top, view_score
        return top, score

    def search_wider(self, region: SearchRegion, cands: np.ndarray, scores: torch.Tensor,
                     view_scores: tuple[torch.Tensor, ...], score: float
                     ) -> Optional[tuple[np.ndarray, np.ndarray, float]]:
        """When no nearby candidate scores as the target, search this frame's crop again, coarse to fine: boxes all
        over it, then Gaussian boxes around the best few (by their best view). ``scores``, ``view_scores``: the
        fused and the per-view scores of ``cands`` (empty: single-modality input or dropout off). Returns the
        candidates with the new boxes appended, the top indices and their top-k score, or None if that does not
        clear track.redetect_score and the nearby candidates' ``score`` by track.redetect_margin (a marginal
        failure: partial occlusion, night, where the best box elsewhere is more likely a look-alike)."""
        s, t = self.state, self.t

        def fused_scores(p: tuple[torch.Tensor, ...]) -> torch.Tensor:
            return self.classifier.scores(region.fuse(p, ("rgbt",))[0])

        def best_view(fused: torch.Tensor, views: Iterable[torch.Tensor]) -> torch.Tensor:
            for view in views:
                fused = torch.maximum(fused, view)
            return fused

        best = best_view(scores, view_scores)
        if not s.failures:  # after a failure these are among the candidates already
            whole = sampling.whole(s.search_rng, s.box, t.redetect, region.area())
            p = region.pool(whole)
            fused = fused_scores(p)
            views = (self.classifier.scores(v) for v in region.fuse(p)) if view_scores else ()
            cands, scores, best = np.concatenate([cands, whole]), torch.cat([scores, fused]), \
                torch.cat([best, best_view(fused, views)])
        local = np.concatenate([sampling.gaussian(s.search_rng, b, t.redetect_local, t.redetect_spread, t.scale_step)
                                for b in cands[best.topk(3).indices.cpu().numpy()]])
        cands = np.concatenate([cands, local])
        top, wide_score = top_candidates(cands, torch.cat([scores, fused_scores(region.pool(local))]), t.top_k)
        if wide_score <= max(t.redetect_score, score + t.redetect_margin):
            return None
        return cands, top, wide_score

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        s, t = self.state, self.t
        s.frame += 1
        expand = self.expand()
        region = self.search(images, s.box, expand)
        flat = tuple(c for c in present_channels(images) if c not in region.present)
        if flat != s.flat:
            log.info("frame %d: %s", s.frame, f"channel {'/'.join(flat)} is blank: tracked as missing" if flat
                     else "no channel is blank any more")
            s.flat = flat
        cands = sampling.gaussian(s.rng, s.box, t.candidates, t.trans_std * expand, t.scale_step)
        cands[:, 2:] = np.clip(cands[:, 2:], t.min_box, None)
        if s.failures and t.redetect:
            cands = np.concatenate([cands, sampling.whole(s.rng, s.box, t.redetect, region.area())])
        boxes = np.concatenate([cands, sampling.whole(s.rng, s.box, t.far_neg, region.area())])  # + far negatives
        pooled = region.pool(boxes)  # (N, C, P, P) x 2: scored fused, and per modality when needed
        samples = self.classifier.samples(region.fuse(pooled, ("rgbt",))[0])
        scores = self.classifier.sample_scores(samples[: len(cands)])
        penalty = motion_penalty(cands, s.box, t.motion_prior)  # of these candidates, for every ranking below
        top, score = top_candidates(cands, scores, t.top_k, penalty)
        views = t.modality_dropout and len(region.present) == 2  # each modality alone is learnt too
        jumped = False  # a box found far off within the frame is not learnt from: the next frames confirm it or not
        # A frame without a confident fused candidate scores each modality alone once, for both searches below.
        view_scores = tuple(self.classifier.scores(v) for v in region.fuse(tuple(p[: len(cands)] for p in pooled))) \
            if score <= 0 and views else ()
        if score <= 0 and t.redetect_local:
            found = self.search_wider(region, cands, scores, view_scores, score)
            if found is not None:
                cands, top, score = found
                jumped = True
        if score <= 0 and view_scores:
            # search_wider's appended boxes come back only with a score above 0: here cands are the frame's own.
            top, score = self.single_modality_candidates(cands, view_scores, top, score, penalty)
        success = score > 0
        if success:
            refined = self.refiner.refine(region, cands[top], region.present, self.classifier.scores)
            new_box = clip_box(self.place(region, refined), *s.image_size, min_size=t.min_box)
            if s.failures:
                log.info("frame %d: target found again after %d frames", s.frame, s.failures)
            s.failures = 0
            # A marginal frame's box may already sit on a look-alike or on what occludes the target: its samples
            # would teach the classifier that mistake (real footage: Woman behind parked cars).
            if score > t.collect_score and not jumped:
                kept_views = (lambda rows: region.fuse(tuple(p[torch.from_numpy(rows)] for p in pooled))) if views \
                    else None
                self.classifier.collect(samples, boxes, new_box, s.rng, kept_views)
                if self.scale is not None:
                    self.scale.update(region.pixels(self.filter_channels), *region.crop.centre_size(new_box))
                if self.translation is not None and region.expand == 1:
                    self.translation.update(region.pixels(self.filter_channels), region.crop.centre_size(new_box)[0])
        else:
            new_box = s.box
            s.failures += 1
            if s.failures == 1:
                log.info("frame %d: target lost (score %.2f); widening the search", s.frame, score)
        s.box = new_box
        self.classifier.update(success, s.frame, s.failures,
                               start + t.update_budget_ms / 1000 if t.update_budget_ms > 0 else None)
        return s.box.copy(), score
