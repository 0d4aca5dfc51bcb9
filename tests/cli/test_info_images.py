"""``manabu info photos/`` (issue 21): the image column, the images per class, and the sizes,
colour modes and bit depths read from the files' headers, in English and Japanese."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from manabu.base.i18n import set_language
from manabu.cli.image_info import show_image_facts
from manabu.data.read import read
from manabu.data.schema import infer_schema
from tests.cli.test_startup import HEAVY, imported, loaded


def save(path, mode, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    if mode == "I;16":
        image = Image.fromarray((np.arange(width * height).reshape(height, width) * 300).astype(np.uint16))
    else:
        image = Image.new("RGB", size, (200, 30, 90)).convert(mode)
    image.save(path)


@pytest.fixture
def photos(tmp_path):
    """cats: three colour PNGs 30×20, one 50×40; dogs: one grey JPEG 30×20, one 16-bit PNG 8×6."""
    root = tmp_path / "photos"
    for i in range(3):
        save(root / "cats" / f"c{i}.png", "RGB", (30, 20))
    save(root / "cats" / "big.png", "RGB", (50, 40))
    save(root / "dogs" / "d.jpg", "L", (30, 20))
    save(root / "dogs" / "deep.png", "I;16", (8, 6))
    (root / "notes.txt").write_text("x", "utf-8")
    return root


def facts_shown(frame, capsys, lang: str, target=None) -> str:
    set_language(lang)
    try:
        show_image_facts(frame, infer_schema(frame, target), target)
    finally:
        set_language(None)
    return capsys.readouterr().out


def test_image_facts_show_counts_sizes_modes_and_classes(photos, capsys):
    text = facts_shown(read(photos), capsys, "en")
    assert 'Images in column "image": 6' in text
    assert "width 8 to 50 px (median 30), height 6 to 40 px (median 20)" in text
    assert "3 distinct size(s), the most common 30 × 20 px (4 images)" in text
    assert re.search(r"│ RGB\s+│ colour\s+│ 3\s+│ 8\s+│ 4\s+│ 66.7%", text), text
    assert re.search(r"│ L\s+│ grey\s+│ 1\s+│ 8\s+│ 1\s+│", text), text
    assert re.search(r"│ I;16\s+│ grey\s+│ 1\s+│ 16\s+│ 1\s+│", text), text
    assert 'Images per class (column "label", 2 classes)' in text
    assert re.search(r"│ cats\s+│ 4\s+│ 66.7%", text) and re.search(r"│ dogs\s+│ 2\s+│ 33.3%", text)
    assert "sample" not in text


def test_image_facts_read_in_japanese(photos, capsys):
    text = facts_shown(read(photos), capsys, "ja")
    assert "列「image」の画像: 6 枚" in text and "幅 8〜50 px" in text
    assert "グレースケール" in text and "カラー" in text and "クラスごとの画像の数" in text


def test_a_large_column_is_sampled_and_says_so(photos, capsys, monkeypatch):
    monkeypatch.setattr("manabu.data.image_facts.MAX_FILES", 4)
    text = facts_shown(read(photos), capsys, "en")
    assert "read from the headers of 4 of the 6 images (a random sample)" in text


def test_the_target_s_classes_are_left_to_info(photos, capsys):
    text = facts_shown(read(photos), capsys, "en", target="label")
    assert "Images in column" in text and "Images per class" not in text


def test_info_on_an_image_folder_lists_the_image_column(cli, photos):
    result = cli("info", photos)
    assert result.exit_code == 0, result.output
    assert "6 rows × 2 columns" in result.output
    assert re.search(r"│ image\s+│ image\s+│ feature", result.output), result.output
    assert "notes.txt" in result.output  # the notice of the file left out


def test_info_on_an_image_folder_shows_the_image_facts(cli, photos):
    result = cli("info", photos, "--lang", "ja")
    assert result.exit_code == 0, result.output
    assert "列「image」の画像: 6 枚" in result.output and "クラスごとの画像の数" in result.output


def test_info_on_an_image_folder_loads_no_model_library(tmp_path, photos):
    result, modules = imported(tmp_path, "info", str(photos))
    assert result.returncode == 0, result.stderr
    assert "PIL" in modules  # the listing works: the images were checked
    assert loaded(modules, HEAVY) == []
