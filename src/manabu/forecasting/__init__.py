"""Forecasting: the future of one series or many, from their history.

``panel`` checks the series, ``families`` holds the forecasters (baselines and statistical models
from statsforecast, gradient boosting on lags, networks over windows), ``backtest`` scores them
on rolling origins, ``search`` chooses the ensemble, ``intervals`` calibrates the prediction
intervals, ``training`` runs it all (``manabu.forecast``), ``model`` is the trained forecaster and
``codec`` its storage format. Its page is ``report.forecast``; the metrics are
``evaluate.forecast``'s.
"""
