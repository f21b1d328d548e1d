"""Localize: where the target is in one frame's search region, and how it was found.

Coarse to fine, each stage only when the one before found no candidate that scores as the target: Gaussian
candidates around the last box; the whole crop searched again (fast motion, camera jumps); each modality alone
(thermal crossover, dark RGB).
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

import numpy as np
import torch

from ..config import TrackConfig
from ..geometry import iou
from . import sampling
from .online import OnlineClassifier
from .search import SearchRegion

FOUND, JUMPED, VIEW, LOST = "found", "jumped", "view", "lost"


@dataclasses.dataclass
class Localization:
    """One frame's outcome: the chosen candidates and what the learn stage collects from."""

    kind: str  # FOUND near the last box, JUMPED (re-detected elsewhere in the crop), VIEW (one modality), LOST
    cands: np.ndarray  # (N, 4) scored candidate boxes, image xywh
    top: np.ndarray  # indices of the chosen ones in ``cands``
    score: float  # their mean score (foreground minus background logit)
    scores: torch.Tensor  # the fused score of every candidate
    boxes: np.ndarray  # the nearby candidates as first drawn (what ``samples`` and ``pooled`` belong to)
    samples: torch.Tensor  # their fused classifier inputs
    pooled: tuple[torch.Tensor, torch.Tensor]  # their pooled features per modality


def top_candidates(cands: np.ndarray, scores: torch.Tensor, k: int) -> tuple[np.ndarray, float]:
    """Indices of the ``k`` best candidates that overlap the best one (re-detection boxes can lie far apart),
    and their mean score."""
    top = scores.topk(k).indices.cpu().numpy()
    top = top[iou(cands[top], cands[top[0]][None]) > 0.3]
    return top, float(scores[torch.from_numpy(top).to(scores.device)].mean())


class Localizer:
    """The candidate search policy of one frame."""

    def __init__(self, track: TrackConfig, classifier: OnlineClassifier) -> None:
        self.t = track
        self.classifier = classifier

    def __call__(self, region: SearchRegion, box: np.ndarray, failures: int, rng: np.random.Generator,
                 search_rng: np.random.Generator) -> Localization:
        """Search ``region`` around the last ``box`` after ``failures`` consecutive lost frames; ``rng`` draws the
        candidates, ``search_rng`` the re-detection (so a frame where it finds nothing leaves ``rng`` as it was)."""
        t = self.t
        loc = self.nearby(region, box, failures, rng)
        if loc.score > 0:
            return loc
        n = len(loc.cands)
        views = t.modality_dropout and len(region.present) == 2  # each modality alone was learnt too
        view_scores = tuple(self.classifier.scores(v) for v in region.fuse(tuple(p[:n] for p in loc.pooled))) \
            if views else ()
        if t.redetect_local:
            wider = self.wider(region, box, failures, search_rng, loc, view_scores)
            if wider is not None:
                return wider
        return self.single_view(loc, view_scores)

    def nearby(self, region: SearchRegion, box: np.ndarray, failures: int, rng: np.random.Generator) -> Localization:
        """Gaussian candidates around ``box`` (spread grown with the crop after failures, then also target-sized
        boxes all over it)."""
        t = self.t
        cands = sampling.gaussian(rng, box, t.candidates, t.trans_std * region.expand, t.scale_step)
        cands[:, 2:] = np.clip(cands[:, 2:], t.min_box, None)
        if failures and t.redetect:
            cands = np.concatenate([cands, sampling.whole(rng, box, t.redetect, region.area())])
        pooled = region.pool(cands)  # (N, C, P, P) x 2: scored fused, and per modality when needed
        samples = self.classifier.samples(region.fuse(pooled, ("rgbt",))[0])
        scores = self.classifier.sample_scores(samples)
        top, score = top_candidates(cands, scores, t.top_k)
        return Localization(FOUND if score > 0 else LOST, cands, top, score, scores, cands, samples, pooled)

    def wider(self, region: SearchRegion, box: np.ndarray, failures: int, rng: np.random.Generator,
              loc: Localization, view_scores: tuple[torch.Tensor, ...]) -> Optional[Localization]:
        """The frame's crop searched again, coarse to fine: boxes all over it, then Gaussian boxes around the best
        few (by their best view). ``view_scores``: the per-view scores of ``loc.cands``.
        None unless the new top-k clears track.redetect_score and the nearby score by track.redetect_margin (a
        marginal failure: partial occlusion, night, where the best box elsewhere is more likely a look-alike)."""
        t, cands, scores = self.t, loc.cands, loc.scores

        def fused_scores(p: tuple[torch.Tensor, ...]) -> torch.Tensor:
            return self.classifier.scores(region.fuse(p, ("rgbt",))[0])

        def best_view(fused: torch.Tensor, views: Iterable[torch.Tensor]) -> torch.Tensor:
            for view in views:
                fused = torch.maximum(fused, view)
            return fused

        best = best_view(scores, view_scores)
        if not failures:  # after a failure these are among the candidates already
            whole = sampling.whole(rng, box, t.redetect, region.area())
            p = region.pool(whole)
            fused = fused_scores(p)
            views = (self.classifier.scores(v) for v in region.fuse(p)) if view_scores else ()
            cands, scores, best = np.concatenate([cands, whole]), torch.cat([scores, fused]), \
                torch.cat([best, best_view(fused, views)])
        local = np.concatenate([sampling.gaussian(rng, b, t.redetect_local, t.redetect_spread, t.scale_step)
                                for b in cands[best.topk(3).indices.cpu().numpy()]])
        cands = np.concatenate([cands, local])
        scores = torch.cat([scores, fused_scores(region.pool(local))])
        top, score = top_candidates(cands, scores, t.top_k)
        if score <= max(t.redetect_score, loc.score + t.redetect_margin):
            return None
        return dataclasses.replace(loc, kind=JUMPED, cands=cands, top=top, score=score, scores=scores)

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
