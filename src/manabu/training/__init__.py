"""One supervised training run and what it gives back: the settings (``config``, ``presets``),
the run itself in steps (``run``), what it records (``record``), the numbers kept for the report
(``numbers``), the progress shown while it runs (``progress``), the run logged to MLflow
(``tracking``) and the trained model (``predictor``). Nothing is imported here, so that
``manabu --help`` does not wait for scikit-learn."""
