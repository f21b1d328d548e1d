"""Localize: where the target is in one frame's search region, and how it was found.

Gaussian candidates around the last box (after a failure, in a wider crop and also all over it); only when none
scores as the target, each modality alone (thermal crossover, dark RGB).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..config import TrackConfig
from ..geometry import iou
from . import sampling
from .online import OnlineClassifier
from .search import SearchRegion

FOUND, VIEW, LOST = "found", "view", "lost"


@dataclasses.dataclass
class Localization:
    """One frame's outcome: the chosen candidates and what the learn stage collects from."""

    kind: str  # FOUND with both modalities, VIEW with one modality alone, or LOST
    cands: np.ndarray  # (N, 4) scored candidate boxes, image xywh
    top: np.ndarray  # indices of the chosen ones in ``cands``
    score: float  # their mean score (foreground minus background logit)
    scores: torch.Tensor  # the fused score of every candidate
    boxes: np.ndarray  # the frame's candidates and far negatives, as first drawn
    samples: torch.Tensor  # their fused classifier inputs
    pooled: tuple[torch.Tensor, torch.Tensor]  # their pooled features per modality


def top_candidates(cands: np.ndarray, scores: torch.Tensor, k: int) -> tuple[np.ndarray, float]:
    """Indices of the ``k`` best candidates that overlap the best one (re-detection boxes can lie far apart),
    and their mean score."""
    top = scores.topk(k).indices
    top = top[torch.from_numpy(iou(cands[top.cpu().numpy()], cands[int(top[0])][None]) > 0.3).to(top.device)]
    return top.cpu().numpy(), float(scores[top].mean())


class Localizer:
    """The candidate search policy of one frame."""

    def __init__(self, track: TrackConfig, classifier: OnlineClassifier) -> None:
        self.t = track
        self.classifier = classifier

    def __call__(self, region: SearchRegion, box: np.ndarray, failures: int, rng: np.random.Generator
                 ) -> Localization:
        """Search ``region`` around the last ``box`` after ``failures`` consecutive lost frames; ``rng`` draws the
        candidates."""
        loc = self.nearby(region, box, failures, rng)
        if loc.score > 0 or not (self.t.modality_dropout and len(region.present) == 2):
            return loc
        n = len(loc.cands)  # each modality alone was learnt too
        return self.single_view(loc, tuple(self.classifier.scores(v)
                                           for v in region.fuse(tuple(p[:n] for p in loc.pooled))))

    def nearby(self, region: SearchRegion, box: np.ndarray, failures: int, rng: np.random.Generator) -> Localization:
        """Gaussian candidates around ``box`` (spread grown with the crop after failures, then also target-sized
        boxes all over it); far negatives drawn for the learn stage."""
        t = self.t
        cands = sampling.gaussian(rng, box, t.candidates, t.trans_std * region.expand, t.scale_step)
        cands[:, 2:] = np.clip(cands[:, 2:], t.min_box, None)
        if failures and t.redetect:
            cands = np.concatenate([cands, sampling.whole(rng, box, t.redetect, region.area())])
        boxes = np.concatenate([cands, sampling.whole(rng, box, t.far_neg, region.area())])
        pooled = region.pool(boxes)  # (N, C, P, P) x 2: scored fused, and per modality when needed
        samples = self.classifier.samples(region.fuse(pooled, ("rgbt",))[0])
        scores = self.classifier.sample_scores(samples[: len(cands)])
        top, score = top_candidates(cands, scores, t.top_k)
        return Localization(FOUND if score > 0 else LOST, cands, top, score, scores, boxes, samples, pooled)

    def single_view(self, loc: Localization, view_scores: tuple[torch.Tensor, ...]) -> Localization:
        """Each modality alone (the classifier also learnt them): in thermal crossover the target still stands out
        in RGB, in the dark in thermal, while the other modality's features pull every fused score down. The best
        view's top-k wins if it beats the fused one."""
        top, score, kind = loc.top, loc.score, loc.kind
        for view in view_scores:
            view_top, view_score = top_candidates(loc.cands, view, self.t.top_k)
            if view_score > score:
                top, score, kind = view_top, view_score, VIEW
        return dataclasses.replace(loc, kind=kind if score > 0 else LOST, top=top, score=score)
