"""The online CMI tracker: MDNet's loop on candidates pooled from one search crop per frame.

Per frame, in named stages: localize (candidates around the last box -> CMI features -> the online classifier,
and the searches after a miss: :mod:`.localize`), place (the top-k mean refined by box regression, set by the
translation and scale filters: :mod:`.refine`, :mod:`.place`), learn (collect the frame's samples, update the
classifier: :mod:`.online`). Before each frame :meth:`CMITracker.read_hint` names the next search crop, so the frame
loader can decode only what that crop reads (``tracker.api.ReadHint``).
"""
from __future__ import annotations

import dataclasses
import logging
import time
from typing import Optional

import numpy as np
import torch

from ..api import Images, ReadHint, frame_size, present_channels
from ..config import Config
from ..geometry import clip_box, sanitize_init_box
from ..model.checkpoint import configure
from ..model.runtime import Runtime, Weights
from .contrast import ContrastGain
from .first_frame import first_frame_set
from .localize import JUMPED, Localization, Localizer
from .online import OnlineClassifier
from .place import Placer
from .refine import BoxRefiner
from .search import SearchRegion

log = logging.getLogger("tracker")


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


class CMITracker:
    name = "CMI"

    def __init__(self, cfg: Config, weights: Optional[Weights] = None) -> None:
        """``weights``: a network or state dict to track with instead of the file ``cfg.weights`` names."""
        if weights is None:
            cfg = configure(cfg)  # the network is built as its weights file was trained
        self.cfg = cfg
        runtime = Runtime.start(cfg, weights)
        self.net, self.device = runtime.net, runtime.device
        self.t = cfg.track
        if not runtime.trained and not self.t.online_fc4:  # a random fc4 must be learnt online
            self.t = dataclasses.replace(self.t, online_fc4=True)
            log.info("fresh fc4: it is trained online (track.online_fc4=true)")
        self.classifier = OnlineClassifier(self.net.classifier, self.t, self.device, bf16=runtime.bf16)
        self.gain = ContrastGain(self.t.color_gain, self.t.color_denoise)
        self.refiner = BoxRefiner(self.t, per_modality=self.t.bbreg_per_modality and cfg.model.modalities == "rgbt")
        self.localize = Localizer(self.t, self.classifier)
        channels = {"rgbt": ("color", "ir"), "rgb": ("color",), "tir": ("ir",)}[cfg.model.modalities]
        self.placer = Placer(self.t, self.refiner, channels)
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

    def search(self, images: Images, box: np.ndarray, expand: float = 1.0, degrade=None) -> SearchRegion:
        """The search region around ``box`` with its backbone features (``degrade``: see ``SearchRegion.extract``)."""
        return SearchRegion.extract(self.net, images, box, self.t, self.device, expand, self.gain, degrade)

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
        torch.manual_seed(self.t.seed)
        self.classifier.reset()
        self.gain.reset()
        region = self.search(images, box)
        night = self.t.night_light > 0 and "color" in region.present and self.cfg.model.modalities != "tir"
        self.classifier.learn_first_frame(*first_frame_set(
            region, box, self.t, self.classifier, s.rng, lambda degrade: self.search(images, box, degrade=degrade),
            night))
        self.refiner.fit(region, box, s.rng)
        self.placer.reset(region, box)

    def track(self, images: Images) -> tuple[np.ndarray, float]:
        start = time.perf_counter()
        s, t = self.state, self.t
        s.frame += 1
        region = self.search(images, s.box, self.expand())
        self.note_blank(images, region)
        found = self.localize(region, s.box, s.failures, s.rng, s.search_rng)
        if found.score > 0:
            refined = self.refiner.refine(region, found.cands[found.top], region.present, self.classifier.scores)
            box = clip_box(self.placer.place(region, refined, s.box, s.init_size), *s.image_size, min_size=t.min_box)
            if s.failures:
                log.info("frame %d: target found again after %d frames", s.frame, s.failures)
            s.failures = 0
            self.learn(region, found, box)
            s.box = box
        else:
            s.failures += 1
            if s.failures == 1:
                log.info("frame %d: target lost (score %.2f); widening the search", s.frame, found.score)
        self.classifier.update(found.score > 0, s.frame, s.failures,
                               start + t.update_budget_ms / 1000 if t.update_budget_ms > 0 else None)
        return s.box.copy(), found.score

    def learn(self, region: SearchRegion, found: Localization, box: np.ndarray) -> None:
        """Collect the frame's samples around ``box`` and update the filters, on frames where the target was found;
        a box re-detected far off waits for the next frames to confirm it."""
        if found.kind == JUMPED:
            return
        views = self.t.modality_dropout and len(region.present) == 2
        # index_select, not p[rows]: the same rows at a tenth of the time (0.35 ms a frame per modality on CPU).
        kept_views = (lambda rows: region.fuse(tuple(p.index_select(0, torch.from_numpy(rows).to(p.device))
                                                     for p in found.pooled))) if views else None
        self.classifier.collect(found.samples, found.boxes, box, self.state.rng, kept_views)
        self.placer.learn(region, box)

    def note_blank(self, images: Images, region: SearchRegion) -> None:
        """Log when a channel read turns blank (no image content) or back."""
        s = self.state
        flat = tuple(c for c in present_channels(images) if c not in region.present)
        if flat != s.flat:
            log.info("frame %d: %s", s.frame, f"channel {'/'.join(flat)} is blank: tracked as missing" if flat
                     else "no channel is blank any more")
            s.flat = flat
