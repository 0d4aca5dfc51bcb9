"""How a search spends its time: the end of the search (the budget less the refits it must keep
time for), which candidates can afford to run, what an unseen family costs (a probe, or by the
costliest family seen so far), and which ones run on a sample of the rows.

``Pacing`` is mixed into the search's run (``manabu.search.loop``), whose state it reads:
``problem``, ``budget``, ``settings``, ``outcome``, ``costs``, ``entries``, and ``notify``."""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from manabu.base.i18n import Message
from manabu.evaluate.metrics import signed
from manabu.models.entry import DeadlineExceeded, fit_with_threads
from manabu.search.budget import refit_in_folds
from manabu.search.candidate import Candidate
from manabu.search.crossval import predict_scores

PROBE_ROWS = 1_000          # rows used to time a family before trusting it with a whole fold
MAX_SHARE = 0.25            # once a model exists, no candidate may take more of the budget than this,
FIRST_SHARE = 0.6           # except the first default of a family with a strong start, which may take this
MIN_SAMPLE_ROWS = 5_000     # a strong family on fewer rows than this is not tried on a sample
MIN_LAST_CHANCE_ROWS = 200  # the last chance's sample: fewer rows than this, and it runs on all of them
SAMPLE_MARGIN = 0.8         # of the time a sampled candidate may take, that its sample is sized to
EXTRA_REFIT_SHARE = 0.05   # of the budget reserved for the refit of each model after the best (ensembles)


class Pacing:
    """The search's decisions about time (see the module docstring)."""

    def search_deadline(self) -> float:
        """The budget's end less the time the refit of the best candidates so far will take: the
        best one's in full, the others' (for an ensemble) up to EXTRA_REFIT_SHARE of the budget
        each. In full, on 976,825 rows at 120 s, the refits of a linear model and a tree that an
        ensemble never used ended the search at 46 s, and the run at 73 s."""
        ranked = sorted(self.outcome.finished(), key=lambda r: -signed(self.problem.metric, r.score))
        refits = [self.problem.refit_seconds(r) for r in ranked[: self.settings.refit_reserve_models]]
        cap = EXTRA_REFIT_SHARE * self.budget.time_limit
        reserve = sum(refits[:1]) + sum(min(seconds, cap) for seconds in refits[1:])
        return self.budget.deadline - reserve - self.settings.reserve_seconds

    def affordable(self, candidate: Candidate) -> bool:
        """Whether the candidate's folds fit its share and the search's time left, by its
        family's timing, a probe, or (unseen, on folds too small to probe, and unable to stop at
        the deadline) the costliest family seen per unit of cost: on cnae_9 (864 rows a fold, 856 columns, 9 classes), unseen
        HistGradientBoosting was let in 7 s before the search's end and its one fold took 18 s."""
        rows = len(self.problem.folds[0][0])
        if self.outcome.best(self.problem.metric) is None:
            return self.first_fold_ends_in_time(candidate, rows)
        if not self.costs.knows(candidate.family) and rows > 2 * PROBE_ROWS:
            if time.monotonic() + self.probe_seconds(candidate) >= self.search_deadline():
                return False  # not even its probe would end in time (a forest's cannot be stopped)
            self.probe(candidate)
        if not self.costs.knows(candidate.family) and candidate.entry.keeps_partial:
            return True  # unseen, on too few rows to probe, and its trees stop at the deadline
        needed = self.fold_seconds(candidate, rows) * len(self.problem.folds)
        return (needed <= time_share(candidate) * self.budget.time_limit
                and time.monotonic() + needed < self.search_deadline())

    def first_fold_ends_in_time(self, candidate: Candidate, rows: int) -> bool:
        """With no model yet, a candidate is tried rather than judged by an estimate, unless its
        first fold, which cannot be stopped, would end past the search's end (or, for a family
        already seen, its folds would): the last chance is then worth more. On chABSA at 10 s,
        the word vectors' first fold began 1 s before the end and took 3.9 s, and the last
        chance had no time left. (A boosting family stops its trees at the deadline, but not
        the text features its folds build first: LightGBM's five folds of chABSA took 5.1 s
        from 0.6 s before the end.)"""
        # a family seen already gives up after its first fold when the others would not fit too
        seen = self.costs.knows(candidate.family) and not candidate.entry.keeps_partial
        folds = len(self.problem.folds) if seen else 1
        return time.monotonic() + self.fold_seconds(candidate, rows) * folds < self.search_deadline()

    def fold_seconds(self, candidate: Candidate, rows: int) -> float:
        """One fold of ``rows`` rows: by the family's own timing, or, unseen, as costly as the
        costliest family seen per unit of ``ModelEntry.cost``."""
        entry = candidate.entry
        known = self.costs.estimate(candidate.family, rows, candidate.size_scale, entry.cost_exponent)
        return known if known is not None else self.seconds_per_cost(rows) * entry.cost

    def folds_that_fit(self, result) -> int | None:
        """How many of the folds (at least one, fewer than all) a candidate that ran out of time
        could still fit, with its refit, in the search's time left, by what its folds took; None
        where there is one fold already, or nothing was timed."""
        folds, per_fold = len(self.problem.folds), result.fit_seconds + result.predict_seconds
        if folds < 2 or per_fold <= 0:
            return None
        rows = len(self.problem.folds[0][0])
        time_left = max(0.0, self.search_deadline() - time.monotonic())
        fit = int(SAMPLE_MARGIN * time_left / per_fold - refit_in_folds(len(self.problem.y), rows))
        return min(max(fit, 1), folds - 1)

    def probe_seconds(self, candidate: Candidate) -> float:
        """About how long a probe of an unseen family takes (``seconds_per_cost``). Probes that
        began just before the search's end had run on past it by up to 3.7 s (an MLP's, at
        --time-limit 6 with a core busy)."""
        return self.seconds_per_cost(PROBE_ROWS) * candidate.entry.cost

    def seconds_per_cost(self, rows: int) -> float:
        """A fold of ``rows`` rows of the costliest family seen so far, per unit of its
        ``ModelEntry.cost`` (0 before any was seen)."""
        cost_of = {entry.name: entry.cost for entry in self.entries}
        per_cost = [self.costs.estimate(family, rows) / max(cost_of.get(family, 1.0), 1e-9)
                    for family in self.costs.observed]
        return max(per_cost, default=0.0)

    def probe(self, candidate: Candidate) -> None:
        """Time the candidate on a small sample of the first fold, to extrapolate its cost. The
        probe is a fit of PROBE_ROWS rows (threads to match), and it too stops at the deadline."""
        problem = self.problem
        train, valid = problem.folds[0]
        rng = np.random.default_rng(problem.seed)
        sample = rng.choice(train, size=PROBE_ROWS, replace=False)
        # validation rows in the fold's proportion, so that prediction cost is probed too
        check = valid[: max(1, round(PROBE_ROWS * len(valid) / len(train)))]
        pipeline, fit_params = candidate.build(problem.schema, problem.task, problem.seed,
                                               n_rows=PROBE_ROWS, deadline=self.search_deadline())
        start = time.monotonic()
        try:
            fit_with_threads(pipeline, problem.X.iloc[sample], problem.y[sample], **fit_params)
            predict_scores(pipeline, problem.X.iloc[check], problem.task, problem.n_classes)
        except DeadlineExceeded:  # the probe alone outlasted the time left: its cost is at least this
            pass
        except Exception:  # the real run will report the failure properly
            return
        self.costs.observe(candidate.family, PROBE_ROWS, time.monotonic() - start, candidate.size_scale,
                           candidate.entry.cost_exponent)


    def on_a_sample(self, candidate: Candidate) -> Candidate | None:
        """The first default of a family with a strong start, fitted on the share of the rows
        whose folds and refit fit in its time (its cost grows as rows ** cost_exponent), and
        scored on all the validation rows; None for other candidates, or where the sample would
        be under MIN_SAMPLE_ROWS. A strong model on part of the rows often beats a weak one on
        all of them, and the scores, on the same validation rows, say whether it does."""
        if not (candidate.entry.strong_start and candidate.origin == "portfolio" and default_number(candidate.name) == 1):
            return None
        time_left = min(time_share(candidate) * self.budget.time_limit, self.search_deadline() - time.monotonic())
        return self.sampled(candidate, time_left, MIN_SAMPLE_ROWS)

    def sampled(self, candidate: Candidate, time_left: float, min_rows: int) -> Candidate | None:
        """The candidate on the share of the rows whose folds and refit fit in ``time_left``, by
        what its family was seen to cost; None when its cost is unknown, when all the rows fit,
        or when the share would be under ``min_rows``."""
        entry, problem = candidate.entry, self.problem
        rows = len(problem.folds[0][0])
        per_fold = self.costs.estimate(candidate.family, rows, candidate.size_scale, entry.cost_exponent)
        if per_fold is None or per_fold <= 0 or time_left <= 0:
            return None
        # the folds, and the refit on the same share of all the rows
        allowed = SAMPLE_MARGIN * time_left / (len(problem.folds) + refit_in_folds(len(problem.y), rows))
        fraction = min(1.0, (allowed / per_fold) ** (1.0 / entry.cost_exponent))
        if fraction * rows < min_rows or fraction >= 1.0:
            return None
        sampled = replace(candidate, row_fraction=round(fraction, 4), name=f"{candidate.name} ({fraction:.0%} rows)")
        self.notify(Message("search.sampled", {"model": candidate.name, "rows": f"{len(problem.y):,}",
                                               "sample": f"{int(fraction * len(problem.y)):,}"}))
        return sampled


def time_share(candidate: Candidate) -> float:
    """The most of the budget that ``candidate`` may take once a model exists. Only the first
    default of a strong-start family may take more: on diamonds the random forest's took 26 s
    of 60 to score 5% behind gradient boosting, and left no time for anything else."""
    first = candidate.origin == "portfolio" and default_number(candidate.name) == 1
    return FIRST_SHARE if first and candidate.entry.strong_start else MAX_SHARE


def default_number(name: str) -> int:
    """"lightgbm #4" -> 4, "lightgbm" -> 1."""
    _, _, number = name.partition(" #")
    return int(number) if number.isdigit() else 1
