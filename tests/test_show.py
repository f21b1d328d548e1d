"""`python -m tracker.show`: runs rendered to video and contact sheet, boxes drawn where the result files say."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker import render
from tracker.show import FrameRenderer, failure_position, load_one_pass_run, load_workspace_run, main

GRAY = 128
N = 16


def flat_sequence(root: Path, name: str, frames: int, color_size, ir_size, gt: np.ndarray,
                  anchors: np.ndarray | None = None) -> Path:
    """A VOT-layout sequence of flat grey PNG frames (lossless, so drawn pixels can be checked exactly)."""
    seq = root / name
    for channel, (w, h) in (("color", color_size), ("ir", ir_size)):
        (seq / channel).mkdir(parents=True)
        image = np.full((h, w, 3) if channel == "color" else (h, w), GRAY, np.uint8)
        for i in range(frames):
            cv2.imwrite(str(seq / channel / f"{i + 1:08d}.png"), image)
    np.savetxt(seq / "groundtruth.txt", gt, fmt="%.2f", delimiter=",")
    if anchors is None:
        anchors = np.zeros(frames, int)
        anchors[0] = 1
    np.savetxt(seq / "anchor.value", anchors, fmt="%d")
    (seq / "sequence").write_text("channels.color=color/%08d.png\nchannels.ir=ir/%08d.png\nfps=20\n")
    (root / "list.txt").write_text(name + "\n")
    return seq


def moving_gt(frames: int) -> np.ndarray:
    return np.array([[20.0 + 3 * i, 30.0 + i, 40.0, 30.0] for i in range(frames)])


@pytest.fixture()
def one_pass(tmp_path):
    """A 16-frame sequence (colour twice the thermal size) and two trackers' one-pass result files."""
    gt = moving_gt(N)
    flat_sequence(tmp_path / "data", "s", N, (320, 240), (160, 120), gt)
    near = gt + [9, 7, 0, 0]                         # overlaps the ground truth
    lost = gt.copy()
    lost[4:] = [110, 80, 30, 20]                     # far from it from frame 4 on: the failure rule fires there
    for name, boxes in (("A", near), ("B", lost)):
        (tmp_path / "res" / name).mkdir(parents=True)
        np.savetxt(tmp_path / "res" / name / f"{name}_s.txt", boxes, fmt="%.4f", delimiter=",")
    return tmp_path, near, lost


def one_pass_args(root: Path, out: Path, *extra: str) -> list[str]:
    return ["--results", str(root / "res"), "--dataset", "vot", "--root", str(root / "data"), "--sequence", "s",
            "--tracker", "A", "--tracker", "B", "--out", str(out), *extra]


def edge_pixels(image: np.ndarray, origin: tuple[int, int], scale: tuple[float, float], box) -> dict[str, np.ndarray]:
    """Pixels on the middle of the box's left and top edges and 3 px outside its left edge, for a panel at
    ``origin`` showing its image at ``scale`` (output pixels per image pixel)."""
    (ox, oy), (sx, sy), (x, y, w, h) = origin, scale, box
    x0, y0, x1, y1 = round(x * sx), round(y * sy), round((x + w) * sx), round((y + h) * sy)
    cx, cy = ox + (x0 + x1) // 2, oy + (y0 + y1) // 2
    return {"left": image[cy, ox + x0], "top": image[oy + y0, cx], "outside": image[cy, ox + x0 - 3]}


def test_failure_rule_is_the_toolkits():
    low, ok = 0.05, 0.5
    assert failure_position(np.array([ok] * 5 + [low] * 9 + [ok] + [low] * 10)) == 15
    assert failure_position(np.array([ok] * 5 + [low] * 9 + [np.nan] + [low] * 9)) is None  # no GT resets
    assert failure_position(np.array([ok, 0.1] + [low] * 9)) == 1                          # <= threshold counts
    assert failure_position(np.array([ok] * 30)) is None


def test_boxes_drawn_where_the_result_file_says(one_pass):
    root, near, lost = one_pass
    run = load_one_pass_run(root / "res", "vot", root / "data", ["A", "B"], "s")
    assert run.tracks[1].failure == 4 and run.tracks[0].failure is None
    renderer = FrameRenderer(run, 2000)  # wide enough: no downscaling
    header = renderer.layout.header
    image = renderer.frame(6)
    assert image.shape[1] == 320 + render.GAP + 160
    # Boxes live on the thermal grid; the colour panel shows its image at its own size, twice the thermal one.
    for origin, scale in (((320 + render.GAP, header), (1, 1)), ((0, header), (2, 2))):
        a = edge_pixels(image, origin, scale, near[6])
        assert tuple(a["left"]) == tuple(a["top"]) == render.tracker_color(0)
        assert tuple(a["outside"]) == (GRAY,) * 3
        assert tuple(edge_pixels(image, origin, scale, lost[6])["left"]) == render.tracker_color(1)
        assert tuple(edge_pixels(image, origin, scale, run.sequence.boxes[6])["left"]) == render.GT_COLOR


def test_video_and_sheet(one_pass, tmp_path, capsys):
    root, near, _ = one_pass
    video, sheet = tmp_path / "out" / "run.mp4", tmp_path / "out" / "run.png"
    assert main(one_pass_args(root, video)) == 0
    assert main(one_pass_args(root, sheet, "--tiles", "4", "--width", "700")) == 0
    printed = capsys.readouterr().out
    assert str(video) in printed and str(sheet) in printed and "B mean IoU" in printed and "lost at frame 4" in printed

    run = load_one_pass_run(root / "res", "vot", root / "data", ["A", "B"], "s")
    renderer = FrameRenderer(run, 1280)
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == N
    assert frames[0].shape == (renderer.layout.height + render.STRIP_HEIGHT, renderer.layout.width, 3)
    # The decoded frame is the rendered one up to compression; its box edge keeps the tracker's colour.
    expected = renderer.frame(6)
    decoded = frames[6][:renderer.layout.height].astype(int)
    assert np.abs(decoded - expected).mean() < 6
    ir = renderer.layout.ir
    a = edge_pixels(decoded, (ir.x, ir.y), (ir.width / 160, ir.height / 120), near[6])
    assert np.abs(a["left"] - render.tracker_color(0)).max() < 70

    image = cv2.imread(str(sheet))
    tile = FrameRenderer(run, 700 // 2, with_title=False).layout
    title = render.ROW_HEIGHT + 6
    assert image.shape[1] == 2 * tile.width
    assert image.shape[0] == title + 2 * tile.height + render.STRIP_HEIGHT  # 4 tiles: 2 rows of 2
    # Second tile (top right) is frame 15 / 3 = 5: box A where the result file puts it.
    ir = tile.ir
    left = edge_pixels(image, (ir.x + tile.width, ir.y + title), (ir.width / 160, ir.height / 120), near[5])["left"]
    assert tuple(left) == render.tracker_color(0)


def test_full_hd_frames_are_downscaled_with_their_boxes(tmp_path):
    gt = np.array([[900.0, 500.0, 120.0, 90.0]] * 3)
    flat_sequence(tmp_path / "data", "hd", 3, (1920, 1080), (1920, 1080), gt)
    (tmp_path / "res" / "A").mkdir(parents=True)
    boxes = gt + [150, -60, 0, 0]
    np.savetxt(tmp_path / "res" / "A" / "A_hd.txt", boxes, fmt="%.2f", delimiter=",")
    out = tmp_path / "hd.mp4"
    assert main(["--results", str(tmp_path / "res"), "--dataset", "vot", "--root", str(tmp_path / "data"),
                 "--sequence", "hd", "--tracker", "A", "--out", str(out), "--width", "1280"]) == 0
    capture = cv2.VideoCapture(str(out))
    ok, frame = capture.read()
    assert ok and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    panel = (1280 - render.GAP) // 2                   # two 1920-wide panels shrink to 636 px each
    assert frame.shape[1] == 1280
    s = panel / 1920
    header = frame.shape[0] - render.STRIP_HEIGHT - round(1080 * s)
    x0, y = round(boxes[1, 0] * s), header + round((boxes[1, 1] + boxes[1, 3] / 2) * s)
    for left in (0, panel + render.GAP):               # colour, then thermal
        assert np.abs(frame[y, left + x0].astype(int) - render.tracker_color(0)).max() < 70
        assert np.abs(frame[y, left + x0 - 4].astype(int) - GRAY).max() < 20


def write_run(folder: Path, name: str, boxes: np.ndarray, confidence: np.ndarray) -> None:
    """A result file as vot-toolkit 0.7.4 writes it: init code first, then one region and confidence per frame."""
    from vot.region import Special
    from vot.region.shapes import Rectangle
    from vot.tracker.results import Results, Trajectory
    from vot.workspace.storage import LocalStorage

    trajectory = Trajectory(len(boxes))
    trajectory.set(0, Special(Trajectory.INITIALIZATION), {"time": 0.01})
    for i in range(1, len(boxes)):
        trajectory.set(i, Rectangle(*boxes[i]), {"time": 0.01, "confidence": float(confidence[i])})
    folder.mkdir(parents=True, exist_ok=True)
    trajectory.write(Results(LocalStorage(str(folder))), name)


@pytest.fixture()
def workspace(tmp_path):
    """A toolkit workspace with a forward run from frame 0 and a backward run from frame 9 of tracker A."""
    ws = tmp_path / "ws"
    gt = moving_gt(N)
    anchors = np.zeros(N, int)
    anchors[0], anchors[9] = 1, -1
    flat_sequence(ws / "sequences", "s", N, (160, 120), (160, 120), gt, anchors)
    (tmp_path / "trackers.ini").write_text("[A]\nprotocol = traxpython\ncommand = x\n\n[B]\nprotocol = traxpython\n"
                                           "command = x\n")
    (ws / "config.yaml").write_text(f"registry:\n- {tmp_path / 'trackers.ini'}\nstack: vot2019/rgbtir\n")
    folder = ws / "results" / "A" / "baseline" / "s"
    forward = gt + [6, 4, 0, 0]
    write_run(folder, "s_00000000", forward, np.linspace(1, 0, N))
    backward_frames = np.arange(9, -1, -1)
    backward = gt[backward_frames] + [-5, 3, 0, 0]    # in play order: frame 9 first
    write_run(folder, "s_00000009", backward, np.arange(10.0))
    return ws, forward, backward


def test_backward_run_plays_backward(workspace, tmp_path, capsys):
    ws, forward, backward = workspace
    default = load_workspace_run(ws, ["A"], "s")
    assert default.frames.tolist() == list(range(N)) and "anchor 0 (forward)" in default.title
    run = load_workspace_run(ws, ["A"], "s", anchor=9)
    assert run.frames.tolist() == list(range(9, -1, -1))
    assert run.tracks[0].confidence[3] == 3.0 and np.isnan(run.tracks[0].confidence[0])
    renderer = FrameRenderer(run, 2000)
    frame = renderer.frame(3)                          # frame 6 of the sequence, the run's 4th
    assert tuple(edge_pixels(frame, (160 + render.GAP, renderer.layout.header), (1, 1), backward[3])["left"]) \
        == render.tracker_color(0)
    out = tmp_path / "ws.mp4"
    assert main(["--workspace", str(ws), "--tracker", "A", "--sequence", "s", "--run", "9", "--out", str(out)]) == 0
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 10
    assert "anchor 9 (backward)" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--tracker", "Z", "--sequence", "s", "--out", "{tmp}/o.png"], "unknown tracker"),
    (["--tracker", "A", "--sequence", "nope", "--out", "{tmp}/o.png"], "unknown sequence"),
    (["--tracker", "B", "--sequence", "s", "--out", "{tmp}/o.png"], "no results yet"),
    (["--tracker", "A", "--sequence", "s", "--run", "5", "--out", "{tmp}/o.png"], "no run from anchor 5"),
    (["--tracker", "A", "--sequence", "s", "--out", "{tmp}/o.gif"], "unknown output extension"),
    (["--tracker", "A", "--sequence", "s", "--out", "{tmp}/trackers.ini/o.png"], "cannot write"),
])
def test_bad_input_is_one_line_and_exit_2(workspace, tmp_path, capsys, args, message):
    ws = workspace[0]
    argv = ["--workspace", str(ws)] + [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "o.png").exists()


def test_one_pass_missing_results_exit_2(one_pass, tmp_path, capsys):
    root = one_pass[0]
    (root / "res" / "A" / "A_s.txt").unlink()
    assert main(one_pass_args(root, tmp_path / "o.png")) == 2
    assert "no results for A" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--results", str(root / "res"), "--tracker", "A", "--sequence", "s", "--out", "o.png"])
    assert exc.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def test_damaged_result_file_exit_2(workspace, tmp_path, capsys):
    ws = workspace[0]
    (ws / "results" / "A" / "baseline" / "s" / "s_00000000.bin").write_bytes(b"\x07garbage")
    assert main(["--workspace", str(ws), "--tracker", "A", "--sequence", "s", "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "cannot read the results of A" in err and err.count("\n") == 1
