"""Ensembles of the models found by the search: greedy selection and stacking."""
