"""How the labels of a multi-label fit (``training.multilabel``) share one time limit and one search.

The labels of one table are usually related (tox21's twelve assays read the same molecules), so
what the search finds for one label is offered to the next: each label's search opens with the
configurations chosen for the labels before it, the most often chosen first
(``search.opening.Opening``). The first label has nothing to go on, and its share of the time is
short, so its search opens with the families that do well from their first configuration (as a
search on a tight budget does), first in a quick form (``QUICK``). Each search then goes on with
its own strategy in what is left of its share: with a long time limit, every label explores, and
what wins travels on.

Time: each label gets an equal share of the time left, less what the labels before it took
beyond their shares (the steps a search cannot stop: preparing its rows, the features of a fold,
the least a refit needs; the median of what was seen), so that the last labels are not squeezed
by the first ones. Each label is validated on the first fold of its plan only (a hold-out of a
fifth of its rows), unless the user named the folds: k folds would cost k fits of every candidate
of every label, and leave the refit, whose model is kept, a small part of the share; the mean
over the labels steadies what one hold-out leaves noisy.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from statistics import median
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from manabu.search.opening import Opening

# A label's search is short, and much of a short fit goes to what every fit pays before its first
# tree (the features of its rows, the library's binned copy of them: in proportion to the
# columns), so each family's first configuration is tried first in a form that learns in fewer
# trees and from fewer columns: a larger learning rate, and a molecule's fingerprint folded to
# 1,024 columns. On tox21 (12 labels, 6,265 training molecules, random split, the labels given
# 72 s on a busy machine), LightGBM's first configuration so scored a mean test ROC-AUC of 0.860
# where as it is in its portfolio (0.03, 2,048 columns) it scored 0.790. With time for every
# tree they score alike: early-stopped at 0.1, 0.859 on 1,024 columns and 0.857 on 2,048; at
# 0.03, 0.863 after 200 trees, where 0.1 reached 0.864 after 60. The fingerprint's size is
# ``features.molecules.SIZE_OPTION``, written out: this module is imported with
# ``training.multilabel``, which a saved model's folder loads without the features or the search.
QUICK = (("learning_rate", 0.1), ("fingerprint_size", 1024))
MIN_LABEL_SECONDS = 2.0  # a label's share is never less: a search needs a moment to try anything
SHARING = "equal_less_overrun"  # the record's name for how the time limit was shared
SHARED_CONFIGURATIONS = 3  # configurations of the labels before offered first to the next
# The molecules' descriptors (8 ms a molecule, against 0.04 for a fingerprint) are left out of
# every label's search when computing them would take more than this share of the time limit:
# tox21's 6,265 training molecules took 25 s of two idle cores (62 s of a busy machine's) before
# the first label of a 60 s fit began. The forest beside which tox21 is read learns from the
# fingerprint alone.
DESCRIPTOR_SHARE = 0.1
DESCRIPTORS = "molecule_descriptors"  # ``features.molecules.DESCRIPTORS_OPTION``, written out as above
_SAMPLED = re.compile(r" \(\d+% rows\)$")  # a candidate fitted on a sample of the rows: "lightgbm (40% rows)"


def label_seconds(left: float, labels_left: int, overrun: float = 0.0) -> float:
    """A label's share of the time: an equal share of what is left (so what a label did not use
    goes to the next ones), less the ``overrun`` expected past it, never less than
    ``MIN_LABEL_SECONDS``."""
    return max(MIN_LABEL_SECONDS, left / labels_left - overrun)


def label_folds(validation: str | None) -> int | None:
    """Folds each label is validated on: the first one, unless the user named the folds
    (``--validation kfold``, ``loo`` or a number): then all of them (None)."""
    text = str(validation or "").strip().lower()
    return None if text in ("kfold", "loo") or text.isdigit() else 1


@dataclass
class SharedSearch:
    """The time and the configurations that the labels' searches share, label after label."""

    deadline: float          # time.monotonic() at which every label must be done
    labels: int
    held: float = 0.0        # seconds per label done held back to draw its page when the model is saved
    folds: int | None = 1    # ``label_folds``
    descriptors: bool = True  # ``descriptors_affordable``: False fixes every configuration without them
    overruns: list[float] = field(default_factory=list)
    # each configuration chosen so far: (how many labels chose it, when it was first chosen, itself)
    chosen: dict[str, tuple[int, int, tuple[str, str, dict]]] = field(default_factory=dict)

    def share(self, done: int) -> float:
        """The next label's share of the time, ``done`` labels being done."""
        left = self.deadline - time.monotonic() - done * self.held
        return label_seconds(left, self.labels - done, self.overrun())

    def overrun(self) -> float:
        """What a label is expected to take beyond its share: the median seen so far (none yet: 0)."""
        return max(0.0, median(self.overruns)) if self.overruns else 0.0

    def opening(self) -> Opening:
        """The opening of the next label's search: the configurations chosen before it, the
        most often chosen first (ties: the earliest), with the strong families first after them."""
        from manabu.search.opening import Opening

        ranked = sorted(self.chosen.values(), key=lambda v: (-v[0], v[1]))
        first = tuple(config for _, _, config in ranked[:SHARED_CONFIGURATIONS])
        fixed = () if self.descriptors else ((DESCRIPTORS, False),)
        return Opening(first=first, tight=True, quick=QUICK, folds=self.folds, fixed=fixed)

    def learn(self, record, share: float, seconds: float) -> None:
        """What one label's search tells the next ones: the time it took beyond its share, and
        the configuration it chose (its best single model, when an ensemble was chosen)."""
        self.overruns.append(seconds - share)
        config = chosen_configuration(record.leaderboard, record.best_model)
        if config is not None:
            key = config[1] + json.dumps(config[2], sort_keys=True, default=str)
            votes, seen, _ = self.chosen.get(key, (0, len(self.chosen), config))
            self.chosen[key] = (votes + 1, seen, config)


def chosen_configuration(leaderboard: list[dict[str, Any]], best_model: str | None = None
                         ) -> tuple[str, str, dict] | None:
    """The model a search chose (``best_model``), else its best-ranked single model, as (name,
    family, params): ensembles are left out (their members are rows of their own), and a
    sample's mark is taken off its name (the next label fits it on all its rows, or on the
    sample its own search finds fits)."""
    singles = [row for row in leaderboard if row.get("rank") is not None and row.get("family") != "ensemble"]
    chosen = [row for row in singles if row.get("model") == best_model] or singles
    if not chosen:
        return None
    row = chosen[0]
    return _SAMPLED.sub("", str(row["model"])), str(row["family"]), dict(row.get("params") or {})


def descriptors_affordable(molecules: dict[str, list[str]], time_limit: float) -> bool:
    """Whether the descriptors of ``molecules`` (``training.molecules.molecule_texts``) cost at
    most ``DESCRIPTOR_SHARE`` of the time limit on this machine's cores
    (``features.molecules.DESCRIPTOR_MS``); no molecules: True (nothing to leave out)."""
    import os

    from manabu.features.molecules import DESCRIPTOR_MS

    count = sum(len(texts) for texts in molecules.values())
    cores = min(2, os.cpu_count() or 1)  # ``data.molecules.on_both_cores``
    return count * DESCRIPTOR_MS / 1000 / cores <= DESCRIPTOR_SHARE * time_limit


def warm_molecules(molecules: dict[str, list[str]], descriptors: bool = True) -> None:
    """Compute once, for every label, what each label's run would compute again on the same
    ``molecules`` (``training.molecules.molecule_texts``): their features (without
    ``descriptors``, their standardised forms only) and the forms from which each label keeps
    its training molecules' fingerprints (``evaluate.applicability``). Otherwise the first label
    pays for all of them out of its share, and the next labels' shares are cut for an overrun
    that does not come again."""
    from manabu.data.molecules import PARALLEL_FROM
    from manabu.evaluate.applicability import standard_smiles, text_of
    from manabu.features.molecules import MoleculeFeatures

    for name, values in molecules.items():
        features = MoleculeFeatures(size=8, descriptors=descriptors, maccs=descriptors).fit(None)
        features.transform(pd.DataFrame({name: values}))  # this process standardised every molecule
        # in batches small enough to stay in this process, where the standardised molecules
        # are remembered: two other processes would standardise them all again (13 s of a
        # core for tox21's molecules on a busy machine, against 0.7 s to write them out here)
        texts = sorted({text_of(v) for v in values})
        for start in range(0, len(texts), PARALLEL_FROM - 1):
            standard_smiles(texts[start:start + PARALLEL_FROM - 1])
