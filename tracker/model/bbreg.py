"""MDNet-style bounding-box regression: ridge regression from candidate features to box offsets."""
from __future__ import annotations

import numpy as np
import torch


def _targets(boxes: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(dx, dy, dw, dh): centre offsets in box units and log size ratios, (N, 4)."""
    c = boxes[:, :2] + boxes[:, 2:] / 2
    g = gt[:2] + gt[2:] / 2
    return np.concatenate([(g - c) / boxes[:, 2:], np.log(gt[2:] / boxes[:, 2:])], axis=1)


class BoxRegressor:
    def __init__(self, alpha: float = 1000.0) -> None:
        self.alpha = alpha
        self.weights: np.ndarray | None = None  # (D, 4)
        self.bias = np.zeros(4)

    def fit(self, features: torch.Tensor, boxes: np.ndarray, gt: np.ndarray) -> None:
        """Closed-form ridge regression on (N, D) features of boxes (N, 4) xywh around ``gt``."""
        x = features.detach().double().cpu().numpy()
        y = _targets(np.asarray(boxes, np.float64), np.asarray(gt, np.float64))
        # Centre instead of a bias column so the bias is not shrunk.
        x_mean, y_mean = x.mean(0), y.mean(0)
        xc, yc = x - x_mean, y - y_mean
        if len(x) < x.shape[1]:  # dual form: an N x N solve instead of D x D
            self.weights = xc.T @ np.linalg.solve(xc @ xc.T + self.alpha * np.eye(len(x)), yc)
        else:
            self.weights = np.linalg.solve(xc.T @ xc + self.alpha * np.eye(x.shape[1]), xc.T @ yc)
        self.bias = y_mean - x_mean @ self.weights

    def predict(self, features: torch.Tensor, boxes: np.ndarray) -> np.ndarray:
        """Refined (N, 4) xywh boxes; unchanged boxes if not fitted."""
        boxes = np.asarray(boxes, np.float64)
        if self.weights is None:
            return boxes.copy()
        d = features.detach().double().cpu().numpy() @ self.weights + self.bias
        d[:, 2:] = np.clip(d[:, 2:], -0.3, 0.3)  # at most ~35 % size change per frame
        c = boxes[:, :2] + boxes[:, 2:] / 2 + d[:, :2] * boxes[:, 2:]
        wh = boxes[:, 2:] * np.exp(d[:, 2:])
        return np.concatenate([c - wh / 2, wh], axis=1)
