"""The typed config: defaults, YAML, overrides, and errors that name the key."""
from __future__ import annotations

import pytest

from tracker.config import Config, ConfigError


def test_overrides_and_yaml(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("model:\n  cmi_mode: pixel\n  dropout: 0.25\nthreads: 1\n")
    cfg = Config.load(path, ["model.freeze_stages=false", "device=cpu"])
    assert (cfg.model.cmi_mode, cfg.model.dropout, cfg.threads) == ("pixel", 0.25, 1)
    assert cfg.model.freeze_stages is False and cfg.device == "cpu"


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.cmi_mode=attention", "model.cmi_mode='attention': expected one of none, pixel, relation, both"),
        ("model.nope=1", "unknown config key 'model.nope'"),
        ("threads=two", "config key 'threads': cannot use 'two' as int"),
        ("threads=0", "threads=0: expected a positive number"),
        ("model.dropout=nan", "config key 'model.dropout': cannot use 'nan' as float"),
        ("model", "expected key=value"),
        ("track.night_light=1.5", "track.night_light=1.5, track.night_noise=6.0: expected 0 <= night_light < 1"),
        ("track.color_gain=0.5", "track.color_gain=0.5, track.color_denoise=1.0: expected color_gain >= 1"),
        ("track.scale_factor=1", "track.scale_steps=17, track.scale_factor=1.0, track.scale_filter_lr=0.025: "
                                 "expected odd scale_steps >= 3, scale_factor > 1"),
        ("track.scale_steps=16", "track.scale_steps=16, track.scale_factor=1.03, track.scale_filter_lr=0.025: "
                                 "expected odd scale_steps >= 3"),
        ("track.translation_filter_lr=0", "track.translation_filter_lr=0.0, track.translation_gate=0.15: "
                                          "expected 0 < translation_filter_lr <= 1"),
        ("track.steps_per_frame=0", "track.steps_per_frame=0: expected a positive number"),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ConfigError) as err:
        Config.load(None, [override])
    assert message in str(err.value)


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        Config.load(path)
    with pytest.raises(ConfigError, match="unknown config section 'tracking'"):
        path.write_text("tracking:\n  x: 1\n")
        Config.load(path)


def test_every_registered_tracker_starts():
    """Each trackers.ini entry's arguments parse and the weights it names load into its architecture."""
    import ast
    import configparser
    from pathlib import Path

    import tracker.vot
    from tracker.model.checkpoint import configure, load_checkpoint, resolve_weights
    from tracker.model.network import CMINet

    registry = configparser.ConfigParser()
    registry.read(Path(__file__).resolve().parents[1] / "trackers.ini")
    checked = 0
    for name in registry.sections():
        command = registry[name]["command"]
        call = command.split("t.main(", 1)[1].rsplit("))", 1)[0] if "t.main(" in command else ""
        args = ast.literal_eval(f"[{call}]")
        tracker_name, cfg = tracker.vot.parse_args(args)
        weights = resolve_weights(cfg.weights)
        if tracker_name == "cmi" and weights is not None:
            # The network is built as the file was trained (tracker start-up does the same).
            load_checkpoint(weights, CMINet(configure(cfg).model, imagenet=False))  # raises CheckpointError naming it
            checked += 1
    assert checked >= 4, "expected CMI-offline, CMI-pixel, CMI-relation and CMI-concat to load shipped weights"


def test_checkpoint_config_builds_the_network(tmp_path):
    """A weights file's stored model config is used; an explicit contradicting setting stops the tracker."""
    import dataclasses

    import torch

    from tracker.model.checkpoint import CheckpointError, configure, save_checkpoint
    from tracker.model.network import CMINet

    trained = Config.load(None, ["model.cmi_mode=pixel", "model.fc_dim=64"])
    path = tmp_path / "pixel.pth"
    save_checkpoint(path, CMINet(trained.model, imagenet=False), trained)
    cfg = configure(Config.load(None, [f"weights={path}"]))
    assert (cfg.model.cmi_mode, cfg.model.fc_dim) == ("pixel", 64)
    assert configure(Config.load(None, [f"weights={path}", "model.modalities=tir"])).model.modalities == "tir"
    # Contradictions: explicit (even when it names the default) or a non-default value set some other way.
    for overrides in (["model.cmi_mode=none"], ["model.cmi_mode=both"]):
        with pytest.raises(CheckpointError, match=r"model\.cmi_mode=pixel.*model\.cmi_mode="):
            configure(Config.load(None, [f"weights={path}", *overrides]))
    changed = dataclasses.replace(Config.load(None, [f"weights={path}"]))
    changed.model.cmi_mode = "relation"
    with pytest.raises(CheckpointError, match="relation"):
        configure(changed)
    assert torch.load(path, weights_only=False)["config"]["model"]["cmi_mode"] == "pixel"


def test_contradicting_override_exits_2_before_the_handshake(capsys):
    import tracker.vot

    assert tracker.vot.main("weights=models/cmi-pixel.pth", "model.cmi_mode=none", "warmup=false") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cmi-pixel.pth" in err[0] and "model.cmi_mode=pixel" in err[0] \
        and "model.cmi_mode=none" in err[0]


def test_trax_adapter_sets_the_realtime_update_deadline_unless_given():
    """The plain API never postpones update steps (offline boxes must not depend on machine load); the TraX process,
    which the toolkit's realtime mode times, does unless the key is given."""
    import tracker.vot
    from tracker.config import Config

    assert Config().track.update_budget_ms == 0
    assert tracker.vot.parse_args([])[1].track.update_budget_ms == tracker.vot.REALTIME_BUDGET_MS > 0
    assert tracker.vot.parse_args(["track.update_budget_ms=0"])[1].track.update_budget_ms == 0
