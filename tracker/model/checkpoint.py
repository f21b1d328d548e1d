"""CMI checkpoints: everything but a frozen ImageNet backbone, with a format version and the config."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Iterable, Optional

import torch
from torch import nn

from ..atomic_file import write_atomically

FORMAT_VERSION = 1
REPO = Path(__file__).resolve().parents[2]
BACKBONE_PREFIXES = ("backbone_r.", "backbone_t.")
DOMAIN_PREFIX = "classifier.domains."  # offline training's per-sequence fc6 heads
# Model settings a checkpoint fixes: the architecture and what its layers learnt to read. model.modalities
# and model.dropout are left to the user (a fused checkpoint runs with one modality zeroed in CMI-RGB/TIR).
STORED_MODEL_KEYS = ("stride", "hierarchical", "freeze_stages", "pool_size", "pool_sampling", "embed_dim",
                     "cmi_mode", "cmi_dim", "reduce_dim", "fc_dim")
# What files written before a key existed were trained with.
LEGACY_MODEL_KEYS = {"hierarchical": False}


class CheckpointError(ValueError):
    """A weights file that cannot be used, with the file and the reason in the message."""


def tensor_digest(named: Iterable[tuple[str, torch.Tensor]]) -> str:
    """SHA-1 of (name, tensor) pairs in the order given: equal digests = equal weights."""
    h = hashlib.sha1()
    for name, value in named:
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def resolve_weights(setting: str) -> Optional[Path]:
    """``Config.weights`` -> the file to load; "none" (or empty) = no file."""
    if setting.lower() in ("none", ""):
        return None
    path = Path(setting)
    # trackers.ini entries name files like models/cmi-pixel.pth; the toolkit's working directory varies.
    if not path.is_absolute() and not path.exists() and (REPO / path).exists():
        return REPO / path
    return path


def configure(cfg):
    """``cfg`` with the model settings stored in its weights file, so a network is built the way it was trained.

    A setting given explicitly (YAML or ``key=value``) or changed from its default that contradicts the file
    raises CheckpointError naming both: e.g. ``weights=models/cmi-pixel.pth model.cmi_mode=none``.
    """
    path = resolve_weights(cfg.weights)
    if path is None:
        return cfg
    stored = _read(path).get("config", {}).get("model", {})
    defaults = type(cfg.model)()
    model = dataclasses.replace(cfg.model)
    stored = {**LEGACY_MODEL_KEYS, **stored}
    for key in STORED_MODEL_KEYS:
        if key not in stored or stored[key] == getattr(cfg.model, key):
            continue
        asked = getattr(cfg.model, key)
        if f"model.{key}" in cfg.explicit or asked != getattr(defaults, key):
            raise CheckpointError(f"weights file {path} was trained with model.{key}={stored[key]}, but "
                                  f"model.{key}={asked} was asked for: drop that setting or pick matching weights")
        setattr(model, key, stored[key])
    out = dataclasses.replace(cfg, model=model)
    out.explicit = cfg.explicit
    return out


def save_checkpoint(path: Path, net: nn.Module, cfg, extra: Optional[dict] = None, domains: bool = True) -> None:
    """Write atomically (temp file + rename) so an interrupted save never leaves a truncated file.

    ``domains=False`` leaves out the training heads: what a tracker needs, a fraction of the size.
    """
    path = Path(path)
    skip = (BACKBONE_PREFIXES if cfg.model.freeze_stages else ()) + (() if domains else (DOMAIN_PREFIX,))
    state = {k: v for k, v in net.state_dict().items() if not k.startswith(skip)}
    payload = {"format": "cmi-rgbt", "version": FORMAT_VERSION, "config": dataclasses.asdict(cfg),
               "state": state, "extra": extra or {}}
    write_atomically(path, lambda fp: torch.save(payload, fp))


def load_checkpoint(path: Path, net: nn.Module) -> dict:
    """Load into ``net`` (strict except a frozen backbone); return the payload."""
    path = Path(path)
    payload = _read(path)
    state = payload["state"]
    expected = net.state_dict()
    for key, value in state.items():
        if key.startswith(DOMAIN_PREFIX):
            continue  # offline training heads: not needed for tracking
        if key not in expected:
            raise CheckpointError(f"weights file {path} has unexpected parameter {key} (different architecture)")
        if tuple(value.shape) != tuple(expected[key].shape):
            raise CheckpointError(
                f"weights file {path}: {key} has shape {tuple(value.shape)}, this model expects "
                f"{tuple(expected[key].shape)} (check model.* settings against the file's config)"
            )
    missing = [k for k in expected if k not in state and not k.startswith(BACKBONE_PREFIXES + (DOMAIN_PREFIX,))]
    if missing:
        raise CheckpointError(f"weights file {path} lacks {len(missing)} parameters, e.g. {missing[:3]}")
    net.load_state_dict({k: v for k, v in state.items() if not k.startswith(DOMAIN_PREFIX)}, strict=False)
    return payload


def _read(path: Path) -> dict:
    """The checkpoint's payload after checking its header; CheckpointError names the file and the reason."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # truncated zip, pickle garbage, ...
        raise CheckpointError(f"weights file {path} is not a readable checkpoint ({type(err).__name__}: {err})") from err
    if not isinstance(payload, dict) or payload.get("format") != "cmi-rgbt":
        raise CheckpointError(f"weights file {path} is not a CMI checkpoint (no 'format: cmi-rgbt' header)")
    if payload.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"weights file {path} has format version {payload.get('version')}, expected {FORMAT_VERSION}")
    return payload
