"""Where and how the CMI network runs: device, offline weights, ONNX Runtime backbone, bfloat16 fc4."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Optional, Union

import torch
from torch import nn

from ..config import Config
from . import projection
from .checkpoint import BACKBONE_PREFIXES, DOMAIN_PREFIX, load_checkpoint, resolve_weights
from .network import CMINet

log = logging.getLogger("tracker")

# What a tracker can start from besides ``Config.weights``: a network, or its state dict (e.g. in training).
Weights = Union[nn.Module, Mapping[str, torch.Tensor]]


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda requested but torch.cuda.is_available() is False")
    return torch.device(name)


def _cpu_has(*features: str) -> bool:
    """Whether torch's CPU probe ``torch.cpu._is_<feature>_supported`` holds for any of ``features``, in order.
    These helpers are private (torch 2.1+): a torch without one answers False, so the float32 path runs."""
    try:
        return any(getattr(torch.cpu, f"_is_{feature}_supported")() for feature in features)
    except AttributeError:
        return False


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere bfloat16 is emulated, slower
    than float32."""
    return _cpu_has("avx512_bf16", "amx_tile")


def use_bf16(setting: str, device: torch.device) -> bool:
    """``fc_bf16`` resolved: auto is on for CPUs with native bfloat16 only (GPUs keep float32, already fast)."""
    if setting == "auto":
        return device.type == "cpu" and native_bf16()
    return setting == "on"


def native_int8() -> bool:
    """Whether this CPU has VNNI integer dot products (AVX512-VNNI or AMX), where ONNX Runtime's int8 kernels are
    both faster and exact enough; AVX2 alone saturates their 16-bit pair sums."""
    return _cpu_has("vnni", "amx_tile")


def use_int8(setting: str) -> bool:
    """``int8`` resolved: auto is on for CPUs with VNNI only."""
    return native_int8() if setting == "auto" else setting == "on"


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
        fixed = resolve_weights(cfg.model.projection)  # "" (or "none"): drawn at random, seeded by track.seed
        if fixed is not None:
            projection.apply(net, projection.load(fixed))
            log.info("projections from %s", fixed)
        return net, False
    load_checkpoint(path, net)  # raises CheckpointError at start-up, never mid-sequence
    log.info("loaded CMI weights %s", path)
    return net, True


@dataclass
class Runtime:
    """A network ready to track with, on its device."""

    net: CMINet
    trained: bool  # the classifier starts from offline weights
    device: torch.device
    bf16: bool  # fc4 in bfloat16

    @classmethod
    def start(cls, cfg: Config, weights: Optional[Weights] = None) -> "Runtime":
        """Load the network, move it to ``cfg.device`` and, on CPU, run its frozen backbone through
        ``cfg.backend``; seeds torch with ``cfg.track.seed`` first so untrained layers draw alike in every process."""
        device = pick_device(cfg.device)
        # Also on a GPU: cropping, sampling and box arithmetic stay on the CPU, where an intra-op pool as wide as
        # the machine costs more to wake than these small ops take.
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.track.seed)
        net, trained = load_network(cfg, weights)
        if trained and not cfg.track.offline_classifier:
            net.classifier.reset_hidden()  # fc4/fc5 drawn fresh (track.seed), learnt online
            trained = False
        net.to(device).eval()
        bf16 = use_bf16(cfg.fc_bf16, device)
        if device.type == "cpu":
            net.accelerate(cfg.backend, cfg.threads, use_int8(cfg.int8), cfg.cache_dir)
            fast = net.fast_features
            backbone = "torch" if fast is None else "onnxruntime int8" if fast.int8 else "onnxruntime"
            log.info("running on cpu: %d threads, backbone through %s, fc4 in %s", cfg.threads, backbone,
                     "bfloat16" if bf16 else "float32")
        else:
            log.info("running on %s (%s)", device, torch.cuda.get_device_name(device))
        return cls(net, trained, device, bf16)
