"""One supervised training run and what it gives back: the settings (``config``, ``presets``),
the run itself (``run``), the numbers kept for the report (``numbers``), the progress shown while
it runs (``progress``) and the trained model (``predictor``). Nothing is imported here, so that
``manabu --help`` does not wait for scikit-learn."""
