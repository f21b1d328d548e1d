"""Cross-modal interaction (CMI) module, eqs. (1)-(3) of Xu et al. 2023.

Works per candidate on pooled maps F_R, F_T of shape (N, C, h, w), n = h*w positions.

* pixel level (eq. 2): W_R = softmax(Q_R K_R^T / sqrt(d)), W_T likewise, (N, n, n).
* relation level (eq. 3): W_rel = softmax(s * (W_T ⊙ W_R)), one affinity for both modalities.
* propagation (eq. 1): F_{T->R} = W V_T, F'_R = psi(F_R, lambda_R F_{T->R}); symmetric F'_T.

Which affinity guides which direction: at pixel level each modality propagates with its
*own* affinity (F_{T->R} = W_T V_T): the thermal structure decides how thermal context is
gathered before it is handed to RGB, so a dark, noisy RGB frame cannot corrupt the
message it receives. At relation level both directions use W_rel, which is large only
where the two modalities agree. ``both`` averages the two affinities (rows still sum to 1).
``none`` is plain concat fusion: the propagated term is zero.

psi is a concat followed by a 1x1 reduction with ReLU. lambda_R, lambda_T are learned
scalars initialised to ``lambda_init`` (default 0: an untrained module is concat fusion). s is a learned
temperature initialised to n^2: a product of two uniform rows is 1/n^2 everywhere (logit 1), while pairs both
modalities find alike (say 0.3 x 0.3) stand out (logit 0.09 n^2 = 56 for n = 25); with s = n the softmax of these
products stayed almost uniform (row entropy 0.99 of the maximum, after learning on a first frame).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

MODES = ("none", "pixel", "relation", "both")


class CrossModalInteraction(nn.Module):
    def __init__(self, channels: int, qk_dim: int, out_dim: int, positions: int, mode: str = "both",
                 lambda_init: float = 0.0) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"CMI mode {mode!r}: expected one of {', '.join(MODES)}")
        self.mode = mode
        self.qk_dim = qk_dim
        # Q, K, V projections per modality (1x1 convolutions == linear maps per position).
        self.q = nn.ModuleDict({m: nn.Conv2d(channels, qk_dim, 1) for m in "RT"})
        self.k = nn.ModuleDict({m: nn.Conv2d(channels, qk_dim, 1) for m in "RT"})
        self.v = nn.ModuleDict({m: nn.Conv2d(channels, channels, 1) for m in "RT"})
        self.lam = nn.ParameterDict({m: nn.Parameter(torch.tensor(float(lambda_init))) for m in "RT"})
        self.log_scale = nn.Parameter(torch.tensor(2 * math.log(positions)))
        self.reduce = nn.ModuleDict({m: nn.Conv2d(2 * channels, out_dim, 1) for m in "RT"})
        self.act = nn.ReLU(inplace=True)
        # (parameters' identity and versions, _fused_weights per modality, concat_reduction)
        self._fused: tuple = ((), {}, None)

    def pixel_affinity(self, f: torch.Tensor, m: str) -> torch.Tensor:
        """Eq. (2): (N, C, h, w) -> (N, n, n), rows sum to 1."""
        q = self.q[m](f).flatten(2).transpose(1, 2)  # (N, n, d)
        k = self.k[m](f).flatten(2)  # (N, d, n)
        return torch.softmax(q @ k / math.sqrt(self.qk_dim), dim=-1)

    def relation_affinity(self, w_r: torch.Tensor, w_t: torch.Tensor) -> torch.Tensor:
        """Eq. (3): softmax of the element-wise product of the two pixel affinities."""
        return torch.softmax(self.log_scale.exp() * (w_t * w_r), dim=-1)

    def directed_affinities(self, w_r: torch.Tensor, w_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The affinity that carries thermal into RGB and the one that carries RGB into thermal, by mode."""
        if self.mode == "pixel":
            return w_t, w_r
        w_rel = self.relation_affinity(w_r, w_t)
        if self.mode == "both":
            return (w_t + w_rel) / 2, (w_r + w_rel) / 2
        return w_rel, w_rel

    def propagated(self, f_r: torch.Tensor, f_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(F_{T->R}, F_{R->T}), each (N, C, h, w); zeros in ``none`` mode."""
        if self.mode == "none":
            return torch.zeros_like(f_r), torch.zeros_like(f_t)
        a_to_r, a_to_t = self.directed_affinities(self.pixel_affinity(f_r, "R"), self.pixel_affinity(f_t, "T"))
        n, c, h, w = f_r.shape
        v_t = self.v["T"](f_t).flatten(2).transpose(1, 2)  # (N, n, C)
        v_r = self.v["R"](f_r).flatten(2).transpose(1, 2)
        t_to_r = (a_to_r @ v_t).transpose(1, 2).reshape(n, c, h, w)
        r_to_t = (a_to_t @ v_r).transpose(1, 2).reshape(n, c, h, w)
        return t_to_r, r_to_t

    def concat(self, f_r: torch.Tensor, f_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """psi before the reduction: [F_R, lambda_R F_{T->R}] and [F_T, lambda_T F_{R->T}], (N, 2C, h, w)."""
        t_to_r, r_to_t = self.propagated(f_r, f_t)
        return (torch.cat([f_r, self.lam["R"] * t_to_r], 1), torch.cat([f_t, self.lam["T"] * r_to_t], 1))

    def forward(self, f_r: torch.Tensor, f_t: torch.Tensor) -> torch.Tensor:
        """Fused candidate features (N, 2 * out_dim, h, w): [F'_R, F'_T]."""
        if not torch.is_grad_enabled():
            return self._inference(f_r, f_t)
        cat_r, cat_t = self.concat(f_r, f_t)
        return torch.cat([self.act(self.reduce["R"](cat_r)), self.act(self.reduce["T"](cat_t))], 1)

    def _fused_weights(self, m: str, other: str) -> tuple[torch.Tensor, torch.Tensor]:
        """One (2 qk + 2 out, C) matrix per modality m: Q, K, the reduction's F_m half, and the message to the
        other modality already through its V, lambda and reduction (propagation is linear because affinity
        rows sum to 1); plus the constant that V's bias adds to the other modality's output."""
        c = self.v[m].in_channels
        red_other = self.reduce[other].weight.flatten(1)  # (out, 2C): [F_other half, message half]
        msg = self.lam[other] * red_other[:, c:] @ self.v[m].weight.flatten(1)  # (out, C)
        weight = torch.cat([self.q[m].weight.flatten(1), self.k[m].weight.flatten(1),
                            self.reduce[m].weight.flatten(1)[:, :c], msg])
        bias = torch.cat([self.q[m].bias, self.k[m].bias, self.reduce[m].bias,
                          self.lam[other] * red_other[:, c:] @ self.v[m].bias])
        return weight, bias

    def interacts(self) -> bool:
        """Whether the propagated term of eq. (1) can be non-zero: a mode other than ``none`` and some lambda != 0."""
        return self.mode != "none" and any(float(lam.detach()) != 0.0 for lam in self.lam.values())

    def _inference_weights(self) -> tuple[bool, dict[str, tuple[torch.Tensor, torch.Tensor]]]:
        """Whether the module :meth:`interacts`, and :meth:`_fused_weights` of both modalities (only the
        reduction's rows when it does not: Q, K and the message would be computed to be multiplied by zero).
        Rebuilt only when a parameter changed (any in-place update bumps a tensor's version): the tracker runs the
        module several times per frame on unchanged weights, and rebuilding costs 0.1 ms each time."""
        key = tuple((p.data_ptr(), p._version) for p in self.parameters())
        if key != self._fused[0]:
            active = self.interacts()
            weights = {m: self._fused_weights(m, other) for m, other in (("R", "T"), ("T", "R"))}
            reduction = None
            if not active:
                rows = slice(2 * self.qk_dim, 2 * self.qk_dim + self.reduce["R"].out_channels)
                weights = {m: (w[rows], b[rows]) for m, (w, b) in weights.items()}
                reduction = {m: (None if _is_identity(w) else w, b) for m, (w, b) in weights.items()}
            self._fused = (key, (active, weights), reduction)
        return self._fused[1]

    def concat_reduction(self) -> dict[str, tuple[torch.Tensor | None, torch.Tensor]] | None:
        """psi's reduction per modality, (weight (out, C), bias (out,)), when the module does not
        :meth:`interact <interacts>`: the output is then relu(W_m F_m + b_m) position by position, and W_m can be
        applied to a whole feature map before RoIAlign (both are linear). The weight is None where it is the
        identity (the fixed projections, tracker.model.projection): nothing to apply. None when it interacts."""
        self._inference_weights()
        return self._fused[2]

    def _inference(self, f_r: torch.Tensor, f_t: torch.Tensor) -> torch.Tensor:
        """forward() without autograd as a few batched matrix products on (N, positions, C) instead of 1x1
        convolutions of 5x5 maps: same result to float rounding (tests/test_fast_path.py), fewer and larger ops."""
        n, c, h, w = f_r.shape
        d, out = self.qk_dim, self.reduce["R"].out_channels
        active, fused_weights = self._inference_weights()
        y = {m: F.linear(f.flatten(2).transpose(1, 2), *fused_weights[m])  # (N, n, 2d + 2 out), or (N, n, out)
             for m, f in (("R", f_r), ("T", f_t))}
        if not active:  # concat fusion: psi's reduction of [F_m, 0]
            fused_r, fused_t = y["R"], y["T"]
        else:
            q = {m: y[m][..., :d] for m in "RT"}
            k = {m: y[m][..., d:2 * d] for m in "RT"}
            base = {m: y[m][..., 2 * d:2 * d + out] for m in "RT"}
            message = {m: y[m][..., 2 * d + out:] for m in "RT"}  # from m, for the other modality
            w_r = torch.softmax(q["R"] @ k["R"].transpose(1, 2) / math.sqrt(d), dim=-1)
            w_t = torch.softmax(q["T"] @ k["T"].transpose(1, 2) / math.sqrt(d), dim=-1)
            a_to_r, a_to_t = self.directed_affinities(w_r, w_t)
            fused_r = torch.baddbmm(base["R"], a_to_r, message["T"])
            fused_t = torch.baddbmm(base["T"], a_to_t, message["R"])
        fused = torch.relu(torch.cat([fused_r, fused_t], dim=2))  # (N, n, 2 out)
        return fused.transpose(1, 2).reshape(n, 2 * out, h, w)


def _is_identity(weight: torch.Tensor) -> bool:
    """Whether a (out, C) matrix is the identity."""
    return weight.shape[0] == weight.shape[1] and torch.equal(weight, torch.eye(len(weight), dtype=weight.dtype,
                                                                                 device=weight.device))
