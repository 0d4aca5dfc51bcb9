"""Reading images (issue 21): folders of class folders, a table's image paths, ``decode_image``,
the IMAGE column type and the image facts of the profile; every bad file named in one message."""
from __future__ import annotations

import json
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFile

from manabu.data.image_facts import image_facts
from manabu.data.profile import profile_data
from manabu.data.read import read, read_chunks
from manabu.data.read.images import IMAGE_EXTENSIONS, check_image, decode_image, is_image_name, read_image_folder
from manabu.data.schema import ColumnType, Role, Schema, infer_schema
from tests.data.test_read import JAPANESE, data_error

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
HYMENOPTERA = SHARED / "images" / "hymenoptera" / "train"
RNG = np.random.default_rng(0)


# --- making images ---------------------------------------------------------------------------

def save(path: Path, mode: str = "RGB", size: tuple[int, int] = (12, 8), **options) -> Path:
    """An image of random pixels in ``mode`` (I;16: 16-bit grey), ``size`` = (width, height)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    if mode == "I;16":
        image = Image.fromarray((RNG.random((height, width)) * 65535).astype(np.uint16))
    else:
        image = Image.fromarray((RNG.random((height, width, 3)) * 255).astype(np.uint8)).convert(mode)
    image.save(path, **options)
    return path


def save_rgb48_png(path: Path, size: tuple[int, int] = (5, 4)) -> Path:
    """A 16-bit-per-channel RGB PNG, written by hand (Pillow writes only 8-bit RGB)."""
    width, height = size
    rows = b"".join(b"\x00" + (RNG.random(width * 3) * 65535).astype(">u2").tobytes() for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
                     + chunk(b"IEND", b""))
    return path


def rotated_jpeg(path: Path, size: tuple[int, int] = (40, 20)) -> Path:
    """A JPEG stored ``size`` wide and high, with EXIF orientation 6 (turn 90° to show it)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return save(path, "RGB", size, exif=exif)


def truncated_jpeg(path: Path) -> Path:
    data = save(path, "RGB", (64, 48), quality=95).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def damaged_png(path: Path) -> Path:
    """A PNG with one byte of its pixel data flipped: its checksum no longer matches."""
    data = bytearray(save(path, "RGB", (16, 16)).read_bytes())
    data[data.index(b"IDAT") + 10] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def broken_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a_empty.png").write_bytes(b"")
    (folder / "c_text.jpg").write_text("this is not a picture\n", "utf-8")
    return {"empty": folder / "a_empty.png", "truncated": truncated_jpeg(folder / "b_truncated.jpg"),
            "not_image": folder / "c_text.jpg", "damaged": damaged_png(folder / "d_damaged.png")}


def classes(root: Path) -> Path:
    """cats/ (PNG colour, JPEG), dogs/ (BMP grey, 16-bit TIFF, a deeper folder), and clutter."""
    save(root / "cats" / "b.png", "RGB", (12, 8))
    save(root / "cats" / "a.jpg", "RGB", (30, 20))
    save(root / "dogs" / "grey.bmp", "L", (10, 10))
    save(root / "dogs" / "deep16.tif", "I;16", (7, 9))
    save(root / "dogs" / "a_puppies" / "p.PNG", "RGBA", (6, 6))  # sorts before the files beside it
    (root / "notes.txt").write_text("where the photos come from", "utf-8")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "cats" / ".hidden.png").write_bytes(b"")
    return root


def notices(frame: pd.DataFrame) -> dict[str, dict]:
    return {n.key: n.params for n in frame.attrs["manabu_notices"]}


# --- folders ---------------------------------------------------------------------------------

def test_class_folders_read_as_absolute_paths_and_labels_sorted(tmp_path):
    root = classes(tmp_path / "photos")
    frame = read(root)
    assert list(frame.columns) == ["image", "label"]
    assert frame["label"].tolist() == ["cats", "cats", "dogs", "dogs", "dogs"]
    names = [Path(p).relative_to(root).as_posix() for p in frame["image"]]
    assert names == ["cats/a.jpg", "cats/b.png", "dogs/a_puppies/p.PNG", "dogs/deep16.tif", "dogs/grey.bmp"]
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in frame["image"])
    assert frame.attrs["manabu_source"]["format"] == "image_folder"
    assert frame.attrs["manabu_source"]["path"] == str(root)


def test_other_files_are_left_out_with_one_notice_and_hidden_ones_silently(tmp_path):
    root = classes(tmp_path / "photos")
    for i in range(7):
        (root / "dogs" / f"readme{i}.md").write_text("x", "utf-8")
    found = notices(read(root))
    assert list(found) == ["data.images_other_files"]
    other = found["data.images_other_files"]
    assert other["count"] == 8
    assert '"dogs/readme0.md"' in other["names"] and "(+3)" in other["names"]
    assert "DS_Store" not in other["names"] and "hidden" not in other["names"]


def test_a_flat_folder_gives_only_the_image_column(tmp_path):
    for i, mode in enumerate(("RGB", "L", "P")):
        save(tmp_path / "new" / f"{i}.png", mode)
    frame = read(tmp_path / "new")
    assert list(frame.columns) == ["image"] and len(frame) == 3


def test_broken_images_are_left_out_with_one_notice_naming_them(tmp_path):
    root = tmp_path / "photos"
    save(root / "cats" / "ok.png")
    save(root / "dogs" / "ok.jpg")
    broken_files(root / "cats")
    frame = read(root)
    assert [Path(p).name for p in frame["image"]] == ["ok.png", "ok.jpg"]
    found = notices(frame)
    assert list(found) == ["data.images_skipped_empty"]  # the first broken file is the empty one
    skipped = found["data.images_skipped_empty"]
    assert skipped["count"] == 4 and skipped["first"] == "cats/a_empty.png"
    for name in ("cats/a_empty.png", "cats/b_truncated.jpg", "cats/c_text.jpg", "cats/d_damaged.png"):
        assert name in skipped["names"]
    text = frame.attrs["manabu_notices"][0]
    assert "cats/a_empty.png" in text.render("en") and JAPANESE.search(text.render("ja"))


@pytest.mark.parametrize("cause", ["empty", "truncated", "not_image", "damaged"])
def test_each_kind_of_broken_file_is_told_apart(tmp_path, cause):
    path = broken_files(tmp_path)[cause]
    assert check_image(path)[0] == cause
    save(tmp_path / "good" / "x.jpg")
    path.rename(tmp_path / "good" / path.name)
    found = notices(read(tmp_path / "good"))
    assert list(found) == [f"data.images_skipped_{cause}"]
    assert found[f"data.images_skipped_{cause}"]["first"] == path.name


def test_a_folder_of_only_broken_images_is_refused(tmp_path):
    broken_files(tmp_path / "photos" / "cats")
    error = data_error("data.images_unreadable", read, tmp_path / "photos")
    assert error.params["count"] == 4 and "cats/b_truncated.jpg" in str(error)


def test_a_folder_without_images_is_refused_naming_what_it_holds(tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "sub" / "table.csv").write_text("a\n1\n", "utf-8")
    error = data_error("data.images_none", read, tmp_path / "docs")
    assert "sub/table.csv" in str(error) and ".png" in str(error)
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / ".DS_Store").write_bytes(b"x")
    data_error("data.images_empty_folder", read, tmp_path / "bare")


def test_a_folder_that_does_not_exist_is_refused(tmp_path):
    classes(tmp_path / "photos")
    error = data_error("data.not_found_guess", read, tmp_path / "photo")
    assert str(tmp_path / "photos") in str(error)
    data_error("data.not_found", read, tmp_path / "nothing" / "here")
    data_error("data.not_found", read_image_folder, tmp_path / "nothing")
    data_error("data.not_a_folder", read_image_folder, tmp_path / "photos" / "notes.txt")


def test_images_beside_the_class_folders_are_left_out_with_a_notice(tmp_path):
    root = classes(tmp_path / "photos")
    save(root / "stray.png")
    frame = read(root)
    assert "stray.png" not in " ".join(frame["image"]) and len(frame) == 5
    assert notices(frame)["data.images_unlabelled"]["count"] == 1


def test_split_folders_taken_as_classes_are_told(tmp_path):
    save(tmp_path / "data" / "train" / "cats" / "a.png")
    save(tmp_path / "data" / "val" / "cats" / "b.png")
    frame = read(tmp_path / "data")
    assert sorted(frame["label"]) == ["train", "val"]
    assert str(tmp_path / "data" / "train") in notices(frame)["data.images_split_folders"]["example"]
    assert "data.images_split_folders" not in notices(read(tmp_path / "data" / "train"))


@pytest.mark.skipif(not HYMENOPTERA.is_dir(), reason="the shared hymenoptera images are not here")
def test_hymenoptera_reads_two_classes_quickly():
    start = time.perf_counter()
    frame = read(HYMENOPTERA)
    seconds = time.perf_counter() - start
    assert frame["label"].value_counts().to_dict() == {"ants": 124, "bees": 121}
    assert notices(frame) == {}
    assert seconds < 5, seconds  # about 0.4 s: every JPEG is checked at an eighth of its size


# --- decode_image ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,mode", [("g.png", "L"), ("c.png", "RGB"), ("a.png", "RGBA"), ("p.gif", "P"),
                                       ("g.bmp", "L"), ("c.tif", "RGB"), ("d.png", "I;16"), ("d.tif", "I;16"),
                                       ("c.webp", "RGB")])
def test_decode_image_keeps_the_file_s_own_mode(tmp_path, name, mode):
    image = decode_image(save(tmp_path / name, mode, (9, 5)))
    assert image.mode == mode and image.size == (9, 5)
    assert np.asarray(image).shape[:2] == (5, 9)  # the pixels are loaded, not only the header


def test_decode_image_turns_the_image_upright_by_its_exif_orientation(tmp_path):
    path = rotated_jpeg(tmp_path / "phone.jpg", (40, 20))
    with Image.open(path) as raw:
        assert raw.size == (40, 20)
    assert decode_image(path).size == (20, 40)


@pytest.mark.parametrize("cause", ["empty", "truncated", "not_image", "damaged"])
def test_decode_image_refuses_a_broken_file_naming_it(tmp_path, cause):
    path = broken_files(tmp_path)[cause]
    error = data_error(f"data.image_{cause}", decode_image, path)
    assert str(path) in error.render("en") and str(path) in error.render("ja")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_decode_image_refuses_a_missing_file(tmp_path):
    error = data_error("data.image_not_found", decode_image, tmp_path / "gone.png")
    assert "gone.png" in str(error)


def test_image_names_are_local_files_with_an_image_extension():
    assert all(is_image_name(f"a{ext.upper()}") for ext in IMAGE_EXTENSIONS)
    assert is_image_name(Path("x/y.jpeg"))
    assert not is_image_name("https://example.com/a.jpg") and not is_image_name("a.png.txt")
    assert not is_image_name(3) and not is_image_name(None)


# --- a table of image paths ------------------------------------------------------------------

def test_a_table_s_relative_image_paths_are_made_absolute(tmp_path):
    save(tmp_path / "pics" / "a.png")
    save(tmp_path / "pics" / "b.JPG")
    elsewhere = save(tmp_path / "other" / "c.bmp", "L")
    table = tmp_path / "tables" / "index.csv"
    table.parent.mkdir()
    table.write_text(f"file,label,note\n../pics/a.png,x,keep\n../pics/b.JPG,y,this\n{elsewhere},x,\n,y,row\n",
                     "utf-8")
    frame = read(table)
    assert frame["file"].tolist()[:3] == [str(tmp_path / "pics" / "a.png"), str(tmp_path / "pics" / "b.JPG"),
                                          str(elsewhere)]
    assert pd.isna(frame["file"].iloc[3])
    assert frame["note"].tolist()[:2] == ["keep", "this"] and frame["label"].tolist() == ["x", "y", "x", "y"]
    frame.to_parquet(tmp_path / "pics" / "abs.parquet")
    again = read(tmp_path / "pics" / "abs.parquet")
    assert again["file"].tolist()[:3] == frame["file"].tolist()[:3]


def test_a_parquet_table_s_paths_are_read_from_its_own_folder(tmp_path):
    save(tmp_path / "data" / "img" / "a.png")
    pd.DataFrame({"image": ["img/a.png"], "y": [1]}).to_parquet(tmp_path / "data" / "t.parquet")
    assert read(tmp_path / "data" / "t.parquet")["image"].tolist() == [str(tmp_path / "data" / "img" / "a.png")]


def test_image_paths_that_do_not_exist_are_refused_naming_the_column_and_the_paths(tmp_path):
    save(tmp_path / "a.png")
    table = tmp_path / "t.csv"
    table.write_text("photo,y\na.png,1\nmissing1.png,0\nsub/missing2.jpg,1\n", "utf-8")
    error = data_error("data.image_paths_missing", read, table)
    text = error.render("en")
    assert '"photo"' in text and "missing1.png" in text and "sub/missing2.jpg" in text
    assert error.params["count"] == 2 and error.params["total"] == 3


def test_predict_s_chunks_read_a_folder_and_resolve_a_table_s_paths(tmp_path):
    save(tmp_path / "new" / "b.png")
    save(tmp_path / "new" / "a.jpg")
    chunks = read_chunks(tmp_path / "new")
    assert [Path(p).name for frame in chunks for p in frame["image"]] == ["a.jpg", "b.png"]
    (tmp_path / "t.csv").write_text("image\nnew/a.jpg\nnew/b.png\n", "utf-8")
    pd.DataFrame({"image": ["new/b.png"]}).to_parquet(tmp_path / "t.parquet")
    for name, expected in (("t.csv", ["a.jpg", "b.png"]), ("t.parquet", ["b.png"])):
        paths = [p for frame in read_chunks(tmp_path / name, chunk_rows=1) for p in frame["image"]]
        assert paths == [str(tmp_path / "new" / e) for e in expected]


def test_web_addresses_and_other_text_are_left_as_they_are(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("url,name\nhttps://example.com/a.jpg,a.png\nhttps://example.com/b.jpg,notes\n", "utf-8")
    frame = read(table)
    assert frame["url"].tolist() == ["https://example.com/a.jpg", "https://example.com/b.jpg"]
    assert frame["name"].tolist() == ["a.png", "notes"]


# --- schema ----------------------------------------------------------------------------------

def image_frame(n: int, paths=None) -> pd.DataFrame:
    paths = paths or [f"/data/photos/holiday picture number {i} at the sea.jpg" for i in range(n)]
    return pd.DataFrame({"photo": paths, "x": RNG.normal(size=n), "y": ["a", "b"] * (n // 2)})


def test_image_paths_are_the_image_type_before_id_text_or_constant():
    schema = infer_schema(image_frame(600), "y")  # all distinct, long and spaced: an ID or text otherwise
    assert schema.column("photo").type is ColumnType.IMAGE and schema.column("photo").role is Role.FEATURE
    assert schema.of_type(ColumnType.IMAGE) == ["photo"]
    one = infer_schema(image_frame(30, ["same.png"] * 30), "y")
    assert one.column("photo").type is ColumnType.IMAGE
    mixed = infer_schema(image_frame(30, [f"{i}.png" for i in range(29)] + ["notes.txt"]), "y")
    assert mixed.column("photo").type is not ColumnType.IMAGE


def test_the_image_type_survives_the_manifest_and_prepare_keeps_the_paths_as_text():
    frame = image_frame(600)
    frame.loc[3, "photo"] = None
    schema = infer_schema(frame, "y")
    loaded = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert loaded.column("photo").type is ColumnType.IMAGE
    for rows in (frame, frame.head(5)):  # the frame path and the few-rows path
        prepared = loaded.prepare(rows)["photo"]
        assert prepared.iloc[0] == rows["photo"].iloc[0] and isinstance(prepared.iloc[0], str)
        assert pd.isna(prepared.iloc[3])


def test_tabular_preprocessing_leaves_image_columns_out():
    from manabu.features.preprocess import PreprocessKind, build_preprocessor

    frame = image_frame(40)
    schema = infer_schema(frame, "y")
    for kind in (PreprocessKind.TREE, PreprocessKind.LINEAR):
        transformer = build_preprocessor(schema, kind, "binary").transformer
        out = transformer.fit_transform(schema.prepare(frame), frame["y"])
        assert out.shape == (40, 1), kind
        assert all("photo" not in str(name) for name in transformer.get_feature_names_out())


# --- image facts -----------------------------------------------------------------------------

def test_image_facts_read_sizes_modes_and_bit_depths_from_the_headers(tmp_path):
    paths = [save(tmp_path / "a.png", "L", (10, 4)), save(tmp_path / "b.png", "L", (10, 4)),
             save(tmp_path / "c.jpg", "RGB", (30, 20)), save(tmp_path / "d.png", "RGBA", (8, 8)),
             save(tmp_path / "e.tif", "I;16", (6, 7)), save_rgb48_png(tmp_path / "f.png", (5, 4)),
             rotated_jpeg(tmp_path / "g.jpg", (40, 20)), broken_files(tmp_path / "bad")["not_image"], None]
    facts = image_facts(paths)
    assert facts["n_images"] == 8 and facts["n_read"] == 8 and not facts["sampled"]
    assert facts["n_unreadable"] == 1 and facts["unreadable"] == [str(tmp_path / "bad" / "c_text.jpg")]
    assert facts["width"] == {"min": 5, "median": 10.0, "max": 30}
    assert facts["height"] == {"min": 4, "median": 7.0, "max": 40}  # the rotated JPEG stands 40 high
    assert facts["n_sizes"] == 6 and facts["common_size"] == {"width": 10, "height": 4, "count": 2}
    assert facts["bits"] == {"8": 5, "16": 2}
    assert facts["kinds"] == {"grey": 3, "colour": 3, "colour_alpha": 1}
    modes = {(m["mode"], m["bits"]): (m["kind"], m["channels"], m["count"]) for m in facts["modes"]}
    assert modes[("L", 8)] == ("grey", 1, 2) and modes[("I;16", 16)] == ("grey", 1, 1)
    assert modes[("RGB", 16)] == ("colour", 3, 1) and modes[("RGBA", 8)] == ("colour_alpha", 4, 1)
    json.dumps(facts)


def test_image_facts_sample_a_large_column_and_say_so(tmp_path):
    paths = [save(tmp_path / f"{i}.png", "L", (i + 1, 3)) for i in range(10)]
    facts = image_facts(paths, max_files=4)
    assert facts["n_images"] == 10 and facts["n_read"] == 4 and facts["sampled"]
    assert sum(m["count"] for m in facts["modes"]) == 4
    assert facts == image_facts(paths, max_files=4)  # seeded


def test_the_profile_of_an_image_folder_has_image_facts_and_stays_json(tmp_path):
    frame = read(classes(tmp_path / "photos"))
    profile = profile_data(frame, infer_schema(frame, "label"), "binary")
    column = next(c for c in profile["columns"] if c["name"] == "image")
    assert column["type"] == "image" and column["used"] and column["distribution"] is None
    assert column["images"]["n_images"] == 5 and column["images"]["bits"] == {"8": 4, "16": 1}
    assert profile["target"]["distribution"]["values"] == ["dogs", "cats"]
    assert json.loads(json.dumps(profile)) == profile
