"""What a caller sharing one time limit among searches fixes for all of them
(``search.opening.Opening.fixed``): every configuration takes the setting, the portfolio's and
the search's own proposals alike, and a family whose space lacks it is left as it is."""
from __future__ import annotations

import numpy as np

from dataclasses import replace

from manabu.models.entry import ModelEntry
from manabu.models.space import Choice, Real
from manabu.search.opening import Opening, fixed_entries, portfolio_candidates, with_fixed


def _entry(name: str, space: dict) -> ModelEntry:
    from manabu.models.zoo import get_entries

    base = get_entries([name], "binary")[0]
    return replace(base, space=space)


def test_fixed_settings_reach_every_configuration_whose_family_has_them():
    opening = Opening(fixed=(("molecule_descriptors", False),))
    described = _entry("lightgbm", {"learning_rate": Real(0.01, 0.3, log=True),
                                    "molecule_descriptors": Choice((True, False))})
    plain = _entry("linear", {"C": Real(0.01, 10.0, log=True)})
    entries = fixed_entries([described, plain], opening)
    rng = np.random.default_rng(0)
    assert {entries[0].space["molecule_descriptors"].sample(rng) for _ in range(20)} == {False}
    assert entries[1].space == plain.space
    queue = with_fixed(portfolio_candidates(entries, frozenset()), opening)
    assert queue and all(c.params.get("molecule_descriptors") is False for c in queue if c.family == "lightgbm")
    assert all("molecule_descriptors" not in c.params for c in queue if c.family == "linear")
    assert with_fixed(queue, Opening()) == queue and fixed_entries(entries, Opening()) == entries
