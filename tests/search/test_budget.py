from manabu.search.budget import CostModel


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
