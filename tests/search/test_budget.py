from manabu.models.linear import SAGA_WORK
from manabu.models.zoo import ZOO, get_entries
from manabu.search.budget import Budget, CostModel
from manabu.search.candidate import Candidate
from manabu.search.crossval import CandidateResult
from manabu.search.listener import SilentListener
from manabu.search.loop import SearchOutcome, SearchSettings, _Run
from manabu.search.pacing import FIRST_SHARE, MAX_SHARE, PROBE_ROWS
from tests.search.conftest import small_problem


def test_cost_extrapolates_with_the_family_exponent():
    costs = CostModel()
    costs.observe("trees", rows=1_000, seconds=0.5)
    costs.observe("knn", rows=1_000, seconds=0.5, exponent=2.0)
    assert costs.estimate("trees", 10_000) == 5.0
    assert costs.estimate("knn", 10_000, exponent=2.0) == 50.0, "kNN compares every row with every row"
    assert costs.estimate("unknown", 10_000) is None


def test_larger_configurations_and_slower_sightings_count():
    costs = CostModel()
    costs.observe("lightgbm", rows=1_000, seconds=2.0, scale=2.0)   # twice the default size
    assert costs.estimate("lightgbm", 1_000) == 1.0
    assert costs.estimate("lightgbm", 1_000, scale=3.0) == 3.0
    costs.observe("lightgbm", rows=1_000, seconds=3.0)               # slower than thought
    assert costs.estimate("lightgbm", 1_000) == 3.0
    costs.observe("lightgbm", rows=1_000, seconds=1.0)               # faster: trusted only halfway
    assert costs.estimate("lightgbm", 1_000) == 2.0



def test_a_costly_setting_is_priced_above_the_defaults_it_is_learnt_from():
    """The cost of the linear family is learnt from its l2 fits; an l1 fit (saga) costs about
    ten of those, and the estimate must say so before it starts."""
    costs = CostModel()
    l2 = Candidate("linear", ZOO["linear"], {"penalty": "l2", "strength": 1.0}, "portfolio")
    l1 = Candidate("linear #2", ZOO["linear"], {"penalty": "l1", "strength": 1.0}, "bayes")
    costs.observe("linear", rows=10_000, seconds=3.0, scale=l2.size_scale)
    assert costs.estimate("linear", 10_000, scale=l2.size_scale) == 3.0
    assert costs.estimate("linear", 10_000, scale=l1.size_scale) == 3.0 * SAGA_WORK

def test_a_familys_first_default_may_take_more_of_the_budget_than_later_candidates():
    """Strong starts: on letter, LightGBM's first default needs about half a minute of a
    minute's budget and is by far the best model, so it must not be skipped as a later
    candidate of that cost would be."""
    problem = small_problem()
    linear, lightgbm = get_entries(["linear", "lightgbm"], "binary")
    outcome = SearchOutcome()
    run = _Run(problem, [lightgbm], Budget(100.0), SilentListener(), SearchSettings(), outcome)
    outcome.results.append(CandidateResult(Candidate("linear", linear, {}, "portfolio"), "ok", 0.8))
    share = (MAX_SHARE + FIRST_SHARE) / 2  # the candidate's folds together take this share of the budget
    rows = len(problem.folds[0][0])
    run.costs.observe("lightgbm", rows=rows, seconds=share * 100.0 / len(problem.folds))
    assert run.affordable(Candidate("lightgbm", lightgbm, {}, "portfolio"))
    assert not run.affordable(Candidate("lightgbm #2", lightgbm, {}, "portfolio"))
    assert not run.affordable(Candidate("lightgbm #7", lightgbm, {}, "bayes"))


def test_only_a_strong_start_takes_the_larger_share():
    """On diamonds the random forest's first default took 26 s of 60 and scored 5% behind
    gradient boosting: a family without a strong start gets the common share from the start."""
    problem = small_problem()
    linear, forest = get_entries(["linear", "random_forest"], "binary")
    assert not forest.strong_start and all(e.strong_start for e in get_entries(
        ["lightgbm", "xgboost", "catboost", "hist_gradient_boosting"], "binary"))
    outcome = SearchOutcome()
    run = _Run(problem, [forest], Budget(100.0), SilentListener(), SearchSettings(), outcome)
    outcome.results.append(CandidateResult(Candidate("linear", linear, {}, "portfolio"), "ok", 0.8))
    rows = len(problem.folds[0][0])
    run.costs.observe("random_forest", rows=rows, seconds=(MAX_SHARE + FIRST_SHARE) / 2 * 100.0 / len(problem.folds))
    assert not run.affordable(Candidate("random_forest", forest, {}, "portfolio"))
    run.costs = CostModel()
    run.costs.observe("random_forest", rows=rows, seconds=MAX_SHARE * 0.9 * 100.0 / len(problem.folds))
    assert run.affordable(Candidate("random_forest", forest, {}, "portfolio")), "within the common share"


def test_a_strong_family_that_cannot_finish_on_all_rows_runs_on_a_sample_that_fits():
    """Issue 20: when no strong family can finish on all rows, it is fitted on the share of them
    that fits its time (folds and refit), and scored on all the validation rows."""
    from manabu.search.pacing import MIN_SAMPLE_ROWS
    problem = small_problem(30_000)
    linear, hgb, forest = get_entries(["linear", "hist_gradient_boosting", "random_forest"], "binary")
    outcome = SearchOutcome()
    run = _Run(problem, [hgb, forest], Budget(100.0), SilentListener(), SearchSettings(), outcome)
    outcome.results.append(CandidateResult(Candidate("linear", linear, {}, "portfolio"), "ok", 0.8))
    rows = len(problem.folds[0][0])
    for family in ("hist_gradient_boosting", "random_forest"):
        run.costs.observe(family, rows=rows, seconds=25.0)  # three folds on all rows: past its share
    sampled = run.runnable(Candidate("hist_gradient_boosting", hgb, {}, "portfolio"))
    assert sampled is not None and 0 < sampled.row_fraction < 1
    assert sampled.row_fraction * rows >= MIN_SAMPLE_ROWS
    assert sampled.name == f"hist_gradient_boosting ({sampled.row_fraction:.0%} rows)"
    needed = run.costs.estimate("hist_gradient_boosting", int(rows * sampled.row_fraction)) * len(problem.folds)
    assert needed <= FIRST_SHARE * 100.0, "its folds fit the share of the first default of a strong family"
    assert [n.key for n in outcome.notices] == ["search.sampled"]
    assert run.runnable(Candidate("random_forest", forest, {}, "portfolio")) is None, "not a strong start"
    assert outcome.notices[-1].key == "search.skipped_budget"
    train, _ = problem.folds[0]
    assert len(sampled.rows_of(train, 0)) == round(len(train) * sampled.row_fraction)
    assert set(sampled.rows_of(train, 0)) <= set(train)


def test_an_unseen_family_is_not_probed_when_even_its_probe_would_end_past_the_search():
    """A probe of a family that cannot be stopped (a forest, an MLP) that began just before the
    search's end ran on past it (3.7 s at --time-limit 6, with a core busy): its expected time is
    the costliest family seen so far, per unit of ``ModelEntry.cost``, times its own cost."""
    problem = small_problem(n=3_300)  # folds of 2,200 rows: unseen families are probed
    linear, forest, mlp = get_entries(["linear", "random_forest", "mlp"], "binary")
    outcome = SearchOutcome()
    run = _Run(problem, [linear, forest, mlp], Budget(10.0), SilentListener(), SearchSettings(), outcome)
    outcome.results.append(CandidateResult(Candidate("linear", linear, {}, "portfolio"), "ok", 0.8))
    run.costs.observe("linear", rows=PROBE_ROWS, seconds=1.0)  # 5 s per unit of cost (linear's is 0.2)
    assert run.probe_seconds(Candidate("mlp", mlp, {}, "portfolio")) == 1.0 / linear.cost * mlp.cost
    assert not run.affordable(Candidate("random_forest", forest, {}, "portfolio"))  # 15 s: more than is left
    assert not run.costs.knows("random_forest"), "skipped without its probe"


def test_an_unseen_family_on_folds_too_small_to_probe_is_judged_by_the_costliest_seen():
    """cnae_9: HistGradientBoosting, never seen and with folds too small to probe, was let in
    7 s before the search's end and took 18 s. Unseen, it costs what the costliest family seen
    costs per unit of ``ModelEntry.cost``."""
    problem = small_problem()  # folds of 200 rows: no probe
    linear, catboost, hgb = get_entries(["linear", "catboost", "hist_gradient_boosting"], "binary")
    outcome = SearchOutcome()
    run = _Run(problem, [linear, catboost, hgb], Budget(100.0), SilentListener(), SearchSettings(), outcome)
    outcome.results.append(CandidateResult(Candidate("linear", linear, {}, "portfolio"), "ok", 0.8))
    rows = len(problem.folds[0][0])
    candidate = Candidate("hist_gradient_boosting", hgb, {}, "portfolio")
    run.costs.observe("catboost", rows=rows, seconds=0.01 * catboost.cost)
    assert run.affordable(candidate)
    run.costs.observe("catboost", rows=rows, seconds=60.0 * catboost.cost)  # a minute a fold per unit of cost
    assert not run.affordable(candidate)
