"""Shared fixtures: English messages by default, and small frames made by the tests."""
from __future__ import annotations

import pandas as pd
import pytest

from manabu.base.i18n import set_language
from tests.frames import mixed_frame


@pytest.fixture(autouse=True)
def english_messages():
    """Tests read messages in English unless they ask otherwise."""
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def binary_frame() -> pd.DataFrame:
    return mixed_frame(task="binary")


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    return mixed_frame(task="regression")


@pytest.fixture
def multiclass_frame() -> pd.DataFrame:
    return mixed_frame(task="multiclass")
