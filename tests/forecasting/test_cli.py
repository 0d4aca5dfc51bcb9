"""``manabu forecast`` and ``manabu predict`` on a forecaster, as a user types them."""
from __future__ import annotations

import pandas as pd

from tests.cli.conftest import Cli
from tests.forecasting.conftest import monthly


def test_forecast_then_predict_from_the_command_line(tmp_path):
    cli = Cli()
    data = tmp_path / "sales.csv"
    monthly().to_csv(data, index=False)
    model = tmp_path / "model"
    result = cli("forecast", data, "--time", "month", "--target", "sales", "--horizon", "6", "--time-limit", "60",
                 "--models", "naive,seasonal_naive,auto_ets", "-o", model)
    assert result.exit_code == 0, result.output
    assert "auto_ets" in result.output and "MASE" in result.output and (model / "report.html").is_file()
    out = tmp_path / "forecast.csv"
    result = cli("predict", model, "--horizon", "4", "-o", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert len(table) == 4 and "sales_forecast" in table.columns and "sales_upper_95" in table.columns
    history = tmp_path / "new.csv"
    monthly(points=74).tail(2).to_csv(history, index=False)
    result = cli("predict", model, history, "-o", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["month"].iloc[0] == "2021-03-01"


def test_a_gap_is_one_message_in_both_languages(tmp_path):
    cli = Cli()
    data = tmp_path / "gaps.csv"
    monthly().drop(index=[5]).to_csv(data, index=False)
    result = cli("forecast", data, "--time", "month", "--target", "sales", "--horizon", "6", "-o", tmp_path / "m")
    assert result.exit_code == 2 and "--fill linear" in result.output and "Traceback" not in result.output
    result = cli("forecast", data, "--time", "month", "--target", "sales", "--horizon", "6", "--lang", "ja",
                 "-o", tmp_path / "m")
    assert result.exit_code == 2 and "埋め" in result.output
    assert not (tmp_path / "m").exists()


def test_predict_without_data_on_a_table_model_says_what_to_give(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "manifest.json").write_text('{"kind": null}')
    result = Cli()("predict", tmp_path / "m")
    assert result.exit_code == 2 and "needs DATA" in result.output
