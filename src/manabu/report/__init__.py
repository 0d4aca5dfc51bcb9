"""The HTML report: what the data looked like, how the models compared, and how the chosen one
errs, explained in Japanese and English.

Training keeps the numbers (``manabu.data.profile``: columns and distributions;
``manabu.evaluate.diagnostics``: the chosen model's out-of-fold errors) in the manifest;
``render_report`` draws the page from them alone (``charts``, ``markup``, ``page``), so ``manabu report``
rebuilds it, in either language, without the data.
"""
from manabu.artifact import REPORT_FILE
from manabu.report.page import render_report
from manabu.report.files import Report, predictor_report, report_for_folder, write_report

__all__ = ["REPORT_FILE", "Report", "predictor_report", "render_report", "report_for_folder", "write_report"]
