"""Reinforcement learning on the command line: ``manabu rl ENV [-o DIR] [--time-limit S]
[--algo auto|q|dqn|ppo|a2c|sac|td3] [--seed N] [--seeds N] [--tune/--no-tune] [--episodes N]
[--resume]`` trains an agent (with other seeds and a short search when time allows), shows its
evaluation beside a random agent's, and saves its folder.

The environment is resolved (and a user's environment checked) and the plan said before the
agent's libraries load; Ctrl-C or SIGTERM during training keeps the best policy so far, which is
evaluated and saved, with the command that goes on from it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from manabu.base.i18n import t
from manabu.cli.common import (Debug, Lang, app, command, command_started, default_output, err, out, print_notices,
                               say, sigterm_as_interrupt)


@app.command("rl")
def rl_command(
    env: Annotated[str, typer.Argument(metavar="ENV", help="A Gymnasium id (CartPole-v1, FrozenLake-v1, Pendulum-v1 …) or path/to/file.py:MyEnv.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder to save the agent in (default: a new folder under ./manabu-models).")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds for the whole run: training, evaluation and saving.")] = 120.0,
    algo: Annotated[str, typer.Option(help="auto (from the spaces), q (a Q-table), dqn, ppo, a2c, sac or td3.")] = "auto",
    seed: Annotated[int, typer.Option(help="Random seed (the evaluation episodes use seeds of their own).")] = 0,
    episodes: Annotated[int, typer.Option(help="Evaluation episodes (at least 20).")] = 20,
    seeds: Annotated[int | None, typer.Option(help="Runs with seed, seed+1 … when the first ends with time to spare; the best on validation is kept (default: up to 3; 1: one run).")] = None,
    tune: Annotated[bool | None, typer.Option("--tune/--no-tune", help="A short Optuna search around the known-good settings after the runs (default: when time is left).")] = None,
    resume: Annotated[bool, typer.Option(help="Go on training the agent saved in --output.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace the folder if it exists.")] = False,
    lang: Lang = None, debug: Debug = False,
) -> None:
    """Train an agent on an environment, judge it beside a random agent, and save it."""
    def run() -> None:
        from manabu.reinforcement.environments import resolve
        from manabu.reinforcement.training import Settings, plan, previous_agent

        started = command_started()
        settings = Settings(time_limit, algo, seed, episodes, seeds, tune)
        destination = output or default_output(env.replace("/", "_").replace(":", "-"))
        previous = previous_agent(destination, resume, overwrite)
        source = resolve(env)
        print_notices(source.notices)
        planned = plan(source, settings, previous)
        from manabu.reinforcement.spaces import shown
        say(t("rl.plan", env=source.name, observation=shown(planned.observation), action=shown(planned.action),
              reason=planned.reason.render(), source=_source(planned.hyper.source),
              seconds=f"{time_limit:g}"))
        agent = _train(source, settings, previous, planned, started)
        _show(agent)
        with err.status(t("cli.drawing_report")):
            saved = agent.save(destination, overwrite=overwrite or resume)
        say(t("rl.saved", path=str(saved)), console=out)
        if agent.record["interrupted"]:
            say(t("rl.resume_hint", env=env, path=str(saved)), console=out)
        say(t("rl.next_predict", path=str(saved)), console=out)
    command(run)(lang=lang, debug=debug)


def _train(source, settings, previous, planned, started):
    """Training under a progress bar: the share of the time limit or of the budget used, the
    steps, the episodes, the recent and the best return."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from manabu.reinforcement.training import train

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                   TimeElapsedColumn(), console=err, transient=True)
    task = bar.add_task(escape(t("rl.progress", algo=planned.algo)), total=1.0, status="")

    def show(fraction: float, status: dict) -> None:
        if "run" in status:  # a later run: another seed, or a tuning trial
            run = status["run"]
            key = "rl_runs.progress_seed" if run["kind"] == "seed" else "rl_runs.progress_trial"
            bar.update(task, description=escape(t(key, algo=planned.algo, seed=run.get("seed"),
                                                  number=run.get("number"))))
        shown = {key: "-" if status[key] is None else f"{status[key]:.1f}" for key in ("recent", "best")}
        bar.update(task, completed=fraction, status=escape(t("rl.progress_status", done=status["done"],
                                                              unit=t(f"rl.unit_{status['unit']}"),
                                                              episodes=status["episodes"], **shown)))
    with sigterm_as_interrupt(), bar:
        return train(source, settings, previous=previous, progress=show, started=started, planned=planned)


def _show(agent) -> None:
    """Why training stopped, then the evaluation: the agent beside the random agent."""
    record = agent.record
    budget = record["budget"]
    trial = (record.get("kept") or {}).get("kind") == "trial" and record["stopped"] != "interrupted"
    key = "rl_runs_cli.stopped_slice" if trial else f"rl.stopped_{record['stopped']}"
    seconds = record["tuning"]["slice_seconds"] if trial else record["learning_seconds"]
    say(t(key, done=budget["done"], unit=t(f"rl.unit_{budget['unit']}"), seconds=f"{seconds:.0f}"), console=out)
    print_notices([_notice(n) for n in record["notices"]])
    _show_runs(record)
    evaluation = record["evaluation"]
    success = "success_rate" in evaluation["agent"]
    table = Table(title=escape(t("rl.result_title", episodes=evaluation["agent"]["episodes"])))
    headers = [t("rl.col_who"), t("rl.col_mean"), t("rl.col_std")]
    headers += [t("rl.col_success")] if success else []
    for header in [*headers, t("rl.col_length")]:
        table.add_column(header, justify="left" if header == t("rl.col_who") else "right")
    for name, scores in ((t("rl.row_agent", algo=agent.algo), evaluation["agent"]),
                         (t("rl.row_random"), evaluation["random"])):
        cells = [f"{scores['mean']:.2f}", f"{scores['std']:.2f}"]
        cells += [f"{scores['success_rate']:.0%}"] if success else []
        table.add_row(escape(name), *cells, f"{scores['mean_length']:.1f}")
    out.print(table)


def _show_runs(record: dict) -> None:
    """Which of several runs and trials was kept (nothing where one run was all)."""
    runs, tuned, kept = record.get("runs") or [], record.get("tuning"), record.get("kept") or {}
    trials = (tuned or {}).get("trials") or []
    if len(runs) + len(trials) < 2:
        return
    mean = "-" if kept.get("best_mean") is None else f"{kept['best_mean']:.2f}"
    if trials:
        pruned = sum(1 for trial in trials if trial.get("pruned"))
        say(t("rl_runs.tuned", trials=len(trials), seconds=f"{tuned['slice_seconds']:.1f}", pruned=pruned), console=out)
    if kept.get("kind") == "trial":
        say(t("rl_runs.kept_trial", number=kept["number"], trials=len(trials), mean=mean, runs=len(runs)),
            console=out)
    else:
        say(t("rl_runs.kept_seed", seed=kept.get("seed"), runs=len(runs), mean=mean), console=out)


def _source(source: str) -> str:
    """Where the settings come from, in words (a resumed agent's may come from a search)."""
    return t("rl_runs.source_tuned") if source == "tuned" else t(f"rl.source_{source}")


def _notice(saved: dict):
    from manabu.base.i18n import Notice
    return Notice(saved["key"], dict(saved.get("params", {})))
