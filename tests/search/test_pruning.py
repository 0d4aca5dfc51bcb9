from manabu.search.pruning import MIN_PEERS, FoldPruner


def test_nobody_is_pruned_before_enough_peers_or_after_the_last_fold():
    pruner = FoldPruner(n_folds=3)
    for value in range(MIN_PEERS - 1):
        pruner.record([float(value), 0.0, 0.0])
    assert not pruner.should_stop(0, -100.0), "too few peers to judge"
    pruner.record([10.0, 0.0, 0.0])
    assert pruner.should_stop(0, -100.0)
    assert not pruner.should_stop(2, -100.0), "the last fold is done: nothing to save"


def test_the_better_half_goes_on():
    pruner = FoldPruner(n_folds=5)
    for value in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        pruner.record([value])
    assert not pruner.should_stop(0, 0.4)
    assert pruner.should_stop(0, 0.3)
    assert pruner.should_stop(0, float("nan")), "a fold that could not be scored is not promising"
    assert not pruner.should_stop(1, 0.0), "no peer reached the second fold yet"
