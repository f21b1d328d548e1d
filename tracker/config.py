"""One typed configuration for model, tracking loop and runtime.

Defaults live here; a YAML file and ``section.key=value`` overrides (command
line or ``trackers.ini`` arguments) change them. Unknown keys and values of the
wrong type fail at start-up with a message naming the key, never mid-sequence.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A configuration key or value that cannot be used."""


@dataclass
class ModelConfig:
    """CMI network: backbone, candidate pooling, interaction module, classifier."""

    stride: int = 16  # backbone output stride: 8 or 16
    freeze_stages: bool = True  # keep ImageNet backbone weights fixed
    pool_size: int = 5  # RoIAlign grid (pool_size x pool_size) per candidate
    embed_dim: int = 64  # channels per modality after a 1x1 projection of the backbone map
    cmi_mode: str = "both"  # none | pixel | relation | both
    cmi_dim: int = 32  # Q/K channels of the 1x1 projections (d in eq. 2)
    reduce_dim: int = 64  # channels per modality after the 1x1 reduction following psi
    fc_dim: int = 256  # width of fc4 / fc5
    dropout: float = 0.5
    modalities: str = "rgbt"  # rgbt | rgb | tir (the other one is zeroed)

    def validate(self) -> None:
        _choice("model.stride", self.stride, (8, 16))
        _choice("model.cmi_mode", self.cmi_mode, ("none", "pixel", "relation", "both"))
        _choice("model.modalities", self.modalities, ("rgbt", "rgb", "tir"))
        for name in ("pool_size", "embed_dim", "cmi_dim", "reduce_dim", "fc_dim"):
            _positive(f"model.{name}", getattr(self, name))
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout={self.dropout}: expected 0 <= dropout < 1")


@dataclass
class TrackConfig:
    """Online tracking loop (MDNet family). Filled in by the tracking issue."""

    seed: int = 0

    def validate(self) -> None:
        pass


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    track: TrackConfig = field(default_factory=TrackConfig)
    device: str = "auto"  # auto | cpu | cuda
    threads: int = 2  # torch intra-op threads on CPU
    weights: str = ""  # checkpoint path; empty = default shipped weights if present

    def validate(self) -> "Config":
        self.model.validate()
        self.track.validate()
        _choice("device", self.device, ("auto", "cpu", "cuda"))
        _positive("threads", self.threads)
        return self

    @classmethod
    def load(cls, yaml_path: str | Path | None = None, overrides: typing.Sequence[str] = ()) -> "Config":
        """Defaults, then the YAML file, then ``key=value`` overrides; validated."""
        cfg = cls()
        if yaml_path:
            import yaml

            path = Path(yaml_path)
            try:
                data = yaml.safe_load(path.read_text()) or {}
            except (OSError, yaml.YAMLError) as err:
                raise ConfigError(f"cannot read config file {path}: {err}") from err
            if not isinstance(data, dict):
                raise ConfigError(f"config file {path}: expected a mapping at top level")
            _apply_mapping(cfg, cfg, data, prefix="")
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"override {item!r}: expected key=value, e.g. model.cmi_mode=pixel")
            set_value(cfg, key.strip(), value.strip())
        return cfg.validate()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def set_value(cfg: object, dotted: str, raw: object) -> None:
    """Set ``section.key`` on a nested dataclass, coercing ``raw`` to the field type."""
    *parents, leaf = dotted.split(".")
    target = cfg
    for part in parents:
        if not _has_field(target, part):
            raise ConfigError(f"unknown config key {dotted!r}")
        target = getattr(target, part)
    if not _has_field(target, leaf) or dataclasses.is_dataclass(getattr(target, leaf)):
        raise ConfigError(f"unknown config key {dotted!r}")
    hint = typing.get_type_hints(type(target))[leaf]
    setattr(target, leaf, _coerce(dotted, raw, hint))


def _apply_mapping(root: object, target: object, data: dict, prefix: str) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not _has_field(target, key) or not dataclasses.is_dataclass(getattr(target, key)):
                raise ConfigError(f"unknown config section {dotted!r}")
            _apply_mapping(root, getattr(target, key), value, prefix=dotted + ".")
        else:
            set_value(root, dotted, value)


def _has_field(obj: object, name: str) -> bool:
    return dataclasses.is_dataclass(obj) and name in {f.name for f in dataclasses.fields(obj)}


def _coerce(key: str, raw: object, hint: type) -> object:
    try:
        if hint is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if hint is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(str(raw)) if not isinstance(raw, (int, float)) else int(raw)
        if hint is float:
            value = float(raw)
            if value != value:
                raise ValueError
            return value
        if hint is str:
            return str(raw)
    except (TypeError, ValueError):
        pass
    else:
        raise ConfigError(f"config key {key!r}: unsupported type {hint}")
    raise ConfigError(f"config key {key!r}: cannot use {raw!r} as {hint.__name__}")


def _choice(key: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise ConfigError(f"{key}={value!r}: expected one of {', '.join(map(str, allowed))}")


def _positive(key: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{key}={value}: expected a positive number")
