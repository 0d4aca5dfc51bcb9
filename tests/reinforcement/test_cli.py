"""``manabu rl`` on the command line: the plan, the evaluation beside the random agent, the saved
folder; and one clear message (exit status 2) for each mistake."""
from __future__ import annotations

from tests.cli.conftest import Cli, assert_refused


def test_manabu_rl_trains_shows_the_random_agent_and_saves(tmp_path):
    result = Cli()("rl", "FrozenLake-v1", "-o", tmp_path / "lake", "--time-limit", "6")
    assert result.exit_code == 0, result.output
    for phrase in ("Discrete(16)", "Q-table", "random actions", "Success rate", "Agent saved to"):
        assert phrase in result.output, (phrase, result.output)
    assert (tmp_path / "lake" / "agent.safetensors").is_file()


def test_bad_input_is_one_clear_message(tmp_path, corridor):
    cli = Cli()
    out = tmp_path / "out"
    assert_refused(cli("rl", "CartPol-v1", "-o", out / "a"), "CartPole-v1", parent=out)
    assert_refused(cli("rl", "CartPole-v1", "--algo", "td3", "-o", out / "b"), "td3", "dqn, ppo, a2c",
                   parent=out)
    assert_refused(cli("rl", f"{corridor}:Nope", "-o", tmp_path / "c"), "Corridor")
    assert_refused(cli("rl", "FrozenLake-v1", "--episodes", "5", "-o", tmp_path / "d"), "at least 20")
    assert_refused(cli("rl", "FrozenLake-v1", "--resume", "-o", tmp_path / "e"), "Nothing to resume")
