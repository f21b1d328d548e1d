"""The output box: first-frame box regressors, their blend with the top-k mean, and the damped size update."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from ..config import TrackConfig
from ..model.bbreg import BoxRegressor
from . import sampling
from .search import SearchRegion


class BoxRefiner:
    """Regressors fit on the first frame (fused, and each modality alone) propose boxes; the size moves slowly."""

    def __init__(self, track: TrackConfig, per_modality: bool) -> None:
        self.t = track
        self.per_modality = per_modality  # per-modality regressors allowed (both modalities in the model)
        self.regressors: dict[str, BoxRegressor] = {}

    def fit(self, region: SearchRegion, box: np.ndarray, rng: np.random.Generator) -> None:
        """Fit on boxes around the first frame's ``box``: fused and each modality alone when both have content;
        with one, on that modality's view (what later frames without the other one are refined with)."""
        t = self.t
        samples = sampling.select(rng, sampling.uniform(rng, box, t.bbreg_samples * 4, 0.3, 1.6),
                                  box, t.bbreg_samples, 0.6, 1.0)
        if len(region.present) == 2:
            views = ("rgbt", "rgb", "tir") if self.per_modality else ("rgbt",)
        else:
            views = ("rgb",) if region.present == ("color",) else ("tir",)
        self.regressors = {view: BoxRegressor(t.bbreg_alpha) for view in views}
        for reg, x_view in zip(self.regressors.values(), region.embed_views(samples, views)):
            reg.fit(x_view, samples, box)

    def refine(self, region: SearchRegion, top_boxes: np.ndarray, present: Sequence[str],
               scores: Callable[[torch.Tensor], torch.Tensor]) -> np.ndarray:
        """The output box before damping: the top-k mean, or a regressed box the classifier (``scores``) prefers.

        Each fitted view usable with the ``present`` channels proposes a regressed box blended with the mean;
        with ``track.bbreg_verify`` the classifier picks among the mean and the proposals.
        """
        mean = top_boxes.mean(axis=0)
        # A regressor fit on fused features misreads a frame with a channel missing: use the present one's.
        usable = set(self.regressors) if len(present) == 2 else {"rgb" if tuple(present) == ("color",) else "tir"}
        views = [view for view in self.regressors if view in usable]
        if not views:
            return mean
        proposals = [self.blend(self.regressors[view].predict(x_view, top_boxes).mean(axis=0), mean)
                     for view, x_view in zip(views, region.embed_views(top_boxes, views))]
        if not self.t.bbreg_verify:
            return proposals[0]
        options = np.stack([mean, *proposals])
        return options[int(scores(region.embed(options)).argmax())]

    def blend(self, regressed: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Weighted mean of two boxes: centres linearly, sizes geometrically (track.bbreg_weight)."""
        w = self.t.bbreg_weight
        centre = w * (regressed[:2] + regressed[2:] / 2) + (1 - w) * (mean[:2] + mean[2:] / 2)
        size = regressed[2:] ** w * mean[2:] ** (1 - w)
        return np.concatenate([centre - size / 2, size])

    def damp_size(self, box: np.ndarray, previous: np.ndarray, init_size: np.ndarray) -> np.ndarray:
        """Keep ``box``'s centre; move the size from ``previous`` scale_lr of the way (geometric) and bound it
        to ``track.max_scale`` times the first frame's ``init_size``."""
        size = previous[2:] ** (1 - self.t.scale_lr) * np.maximum(box[2:], 1e-3) ** self.t.scale_lr
        size = np.clip(size, init_size / self.t.max_scale, init_size * self.t.max_scale)
        return np.concatenate([box[:2] + box[2:] / 2 - size / 2, size])
