"""The report's SHAP values for every kind of chosen model, said with how they were measured
(TreeSHAP, KernelSHAP on a sample, an ensemble's weighted members, skipped with the reason),
records saved before them still drawn, and bars of importance drawn from zero."""
from __future__ import annotations

import pytest

from manabu.base.i18n import catalogue
from manabu.report import charts
from manabu.report.charts import bar_limits
from manabu.report.learning import learning_section

LEARNING = {"model": "svm", "metric": "roc_auc",
            "curve": {"rows": [50, 100, 200], "train": [0.9, 0.92, 0.93], "valid": [0.8, 0.85, 0.86],
                      "verdict": "plateau"},
            "importance": {"columns": ["signal", "noise"], "mean": [1.96, 2.01], "std": [0.01, 0.02],
                           "rows": 200, "repeats": 3},
            "dependence": []}
COLUMNS = {"columns": ["signal", "noise"], "mean_abs": [0.4, 0.01]}


def _start(key: str) -> str:
    return catalogue("en")[key].split("{")[0]


@pytest.mark.parametrize("shap,key", [
    ({"model": "svm", "method": "kernel", "unit": "probability", "rows": 40, "background": 30, **COLUMNS},
     "report.shap_explain_kernel"),
    ({"model": "lightgbm", "method": "tree", "unit": "raw", "rows": 2000, "background": None, **COLUMNS},
     "report.shap_explain_tree"),
    ({"model": "ensemble", "method": "ensemble", "unit": "share", "rows": 25, "background": 30, **COLUMNS,
      "members": [{"model": "lightgbm", "weight": 0.6, "method": "tree", "rows": 2000, "background": None},
                  {"model": "knn", "weight": 0.4, "method": "kernel", "rows": 25, "background": 30}]},
     "report.shap_explain_ensemble"),
])
def test_every_chosen_model_has_its_shap_values(shap, key):
    page = learning_section(LEARNING, shap)
    assert _start(key) in page and _start("report.shap_absent") not in page
    assert page.count("<svg") == 3  # the learning curve, permutation importance, SHAP values
    if shap["method"] == "ensemble":
        assert "lightgbm: weight 0.6, TreeSHAP on 2,000 rows" in page
        assert "knn: weight 0.4, KernelExplainer on 25 rows against 30 background rows" in page
    if shap["method"] == "kernel":
        assert "40" in page and "30" in page  # rows explained, background rows: the sample is said


def test_a_model_too_slow_or_a_table_too_wide_to_explain_says_so():
    page = learning_section(LEARNING, {"model": "transformer", "skipped_seconds": 42.0})
    assert _start("report.shap_skipped") in page and "42.0" in page
    page = learning_section(LEARNING, {"model": "svm", "skipped_columns": 5000})
    assert _start("report.shap_too_wide") in page and "5,000" in page


def test_shap_values_show_when_the_learning_curve_was_skipped():
    page = learning_section({"model": "svm", "skipped_seconds": 80.0},
                            {"model": "svm", "method": "kernel", "unit": "value", "rows": 12, "background": 8,
                             **COLUMNS})
    assert _start("report.learning_skipped") in page and _start("report.shap_explain_kernel") in page


def test_a_record_saved_before_keeps_its_tree_shap_or_its_reason():
    old = dict(LEARNING, shap={"columns": ["signal"], "mean_abs": [1.2], "rows": 200})
    assert _start("report.shap_explain") in learning_section(old, measured=False)
    assert _start("report.shap_absent") in learning_section(dict(LEARNING, shap=None), measured=False)


def test_shap_values_that_failed_are_not_blamed_on_the_model():
    page = learning_section(LEARNING, None, measured=True)
    assert _start("report.shap_failed") in page and _start("report.shap_absent") not in page


def test_importance_bars_start_at_zero(monkeypatch):
    """An importance of 1.96 next to one of 2.01 is drawn from zero, where their lengths compare;
    a leaderboard's scores stay zoomed in, where their differences are."""
    assert bar_limits([1.96, 2.01], [0.01, 0.02], from_zero=True)[0] == 0.0
    assert bar_limits([1.96, 2.01], [0.0, 0.0], from_zero=False)[0] > 1.9
    low, high = bar_limits([-0.1, 0.5], [0.05, 0.0], from_zero=True)
    assert low < -0.15 and high > 0.5  # a harmful column's bar shows, left of zero

    calls = []
    drawn = charts.bars
    monkeypatch.setattr(charts, "bars", lambda *args, **kwargs: calls.append(kwargs) or drawn(*args, **kwargs))
    learning_section(LEARNING, {"model": "svm", "method": "kernel", "unit": "probability", "rows": 40,
                                "background": 30, **COLUMNS})
    assert len(calls) == 2 and all(call.get("from_zero") for call in calls)
