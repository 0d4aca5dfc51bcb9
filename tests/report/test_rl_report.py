"""The page of an agent: training curves, the evaluation beside the random agent, the value
trace, the greedy policy drawn on FrozenLake's grid, the animation, and the ideas of RL in both
languages; saved as report.html in the agent's folder."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("gymnasium", reason="the rl extra is not installed: pip install \"manabu[rl]\"")
pytest.importorskip("stable_baselines3", reason="the rl extra is not installed: pip install \"manabu[rl]\"")

import manabu  # noqa: E402
from manabu.base.i18n import t  # noqa: E402
from manabu.report.rl import FROZEN_LAKE_ARROWS, grid_svg, rl_report  # noqa: E402


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rl_report") / "lake"
    manabu.rl("FrozenLake-v1", folder, time_limit=4, seed=0)
    return folder


def test_the_saved_page_shows_training_evaluation_and_the_grid(lake):
    page = (lake / "report.html").read_text("utf-8")  # written by Agent.save through the "rl" page maker
    agent = manabu.load(lake)
    for section in ("summary", "ideas", "training", "evaluation", "values", "policy"):
        assert f'<section id="{section}">' in page, section
    assert page.count("<svg") >= 5  # rewards, lengths, evaluation bars, values, grid
    grid = re.search(r'<svg class="chart grid-policy".*?</svg>', page, re.S).group(0)
    assert grid.count("<rect x=") >= 16 and grid.count('class="hole"') == 4 and grid.count('class="goal"') == 1
    q = agent.q_table
    cells = [s for s in range(16) if "SFFFFHFHFFFHHFFG"[s] in "SF"]  # every frozen cell and the start
    expected = [FROZEN_LAKE_ARROWS[int(q[s].argmax())] if q[s].any() else "·" for s in cells]
    assert re.findall(r'class="arrow">(.)</text>', grid) == expected
    evaluation = agent.record["evaluation"]
    assert f"{evaluation['agent']['success_rate']:.0%}" in page and t("rl.row_random", "ja") in page
    for key in ("rl.explain_exploration", "rl_report.explain_epsilon"):
        assert t(key, "en").split(":")[0] in page and t(key, "ja")[:12] in page
    if agent.animation:
        assert "data:image/gif;base64," in page


def test_the_grid_drawing_follows_the_table():
    import numpy as np

    q = np.zeros((4, 4))
    q[0, 2] = 0.5  # right from the start
    q[1, 1] = 0.9  # down from the second cell
    drawn = grid_svg(["SF", "HG"], q, FROZEN_LAKE_ARROWS)
    assert drawn.count('class="arrow"') == 2 and "→" in drawn and "↓" in drawn
    assert 'class="hole"' in drawn and 'class="goal"' in drawn and "viewBox=\"-1 -1 90 90\"" in drawn


def test_a_network_agent_has_no_grid_but_the_rest(tmp_path):
    agent = manabu.rl("CartPole-v1", time_limit=3, algo="ppo", seed=0)
    page = rl_report(agent, "en")
    assert "grid-policy" not in page and '<section id="evaluation">' in page and '<section id="values">' in page
