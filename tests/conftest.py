"""Shared fixtures: English messages by default, and small frames made by the tests."""
from __future__ import annotations

from contextlib import contextmanager

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


@contextmanager
def no_report_numbers():
    """Training without the report's numbers (the learning curve, importances, partial
    dependence, SHAP values, profile, drift reference): they take what the time limit leaves,
    up to half of a small fit. For tests that neither read them nor draw the report, nor
    measure the time a training takes; tests/report and tests/training check them."""
    from manabu.training import run
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run, "report_numbers", lambda *args, **kwargs: None)
        yield


@pytest.fixture
def without_report_numbers():
    """``no_report_numbers`` for one test (a module's shared model uses the context itself)."""
    with no_report_numbers():
        yield
