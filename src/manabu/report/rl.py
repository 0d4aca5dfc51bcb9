"""The report page of a trained agent (``manabu rl ENV``), as a teacher would walk through it:
what agent, state, action, reward and exploration are; how the return grew over the training
episodes (with its moving average and the validations that chose the policy kept); how the agent
did on evaluation episodes beside a random agent; where several seeds or a short search of the
settings were trained, each run and trial and which was kept; what it expects to gain along one episode;
for a grid world, its greedy policy drawn on the grid; and the animation of a few episodes.

Everything comes from the agent's record (``rl.record``), its Q-table and its GIF; nothing is
played again, so the page is made in a moment."""
from __future__ import annotations

import base64
import html
from typing import Any

import numpy as np

from manabu.base.i18n import get_language
from manabu.report import charts
from manabu.report.markup import both, explain, figure, message, number, page, section, table
from manabu.reinforcement.spaces import shown

# the arrow of each action in the grid worlds Gymnasium ships (FrozenLake's order is the default)
ARROWS = {"CliffWalking": ("↑", "→", "↓", "←")}
FROZEN_LAKE_ARROWS = ("←", "↓", "→", "↑")
CELL_COLOURS = {"S": "#dbe8f5", "F": "#f4f8fb", "H": "#3b4a5a", "G": "#b8e0b9", "C": "#3b4a5a"}
CELL = 44  # pixels per cell of the grid drawing


def rl_report(agent: Any, lang: str | None = None) -> str:
    """The page of an ``rl.agent.Agent`` (found by ``manabu.artifact.pages`` as "rl")."""
    record = agent.record
    sections = [_summary(agent), _ideas(), _training(record), _evaluation(agent), _runs(record), _tuning(record),
                _values(record),
                _grid(agent), _animation(agent)]
    return page(f"manabu rl: {agent.env_id}", sections, lang or get_language(), "rl_report.footer")


def _summary(agent: Any) -> str:
    record = agent.record
    budget = record.get("budget") or {}
    text = both("rl_report.summary", env=agent.env_id, algo=agent.algo,
                observation=shown(agent.settings["observation_space"]), action=shown(agent.settings["action_space"]),
                done=f"{budget.get('done', 0):,}", unit=budget.get("unit", ""),
                seconds=number(record.get("learning_seconds"), 3))
    choice = record.get("choice")
    reason = f"<p>{both('rl_report.choice')} {message(choice)}</p>" if isinstance(choice, dict) else ""
    values = (record.get("hyperparams") or {}).get("values") or {}
    settings = table([both("rl_report.col_setting"), both("rl_report.col_value")],
                     [[html.escape(str(name)), number(value)] for name, value in values.items()])
    notices = "".join(f"<li>{message(n)}</li>" for n in record.get("notices", []))
    listed = f'<ul class="explain">{notices}</ul>' if notices else ""
    return section("summary", "rl_report.title_summary", f"<p>{text}</p>{reason}{settings}{listed}")


def _ideas() -> str:
    """The words of reinforcement learning, as a teacher would say them."""
    words = "".join(explain(f"rl.explain_{word}") for word in ("agent", "state", "action", "reward", "exploration"))
    return section("ideas", "rl_report.title_ideas", words + explain("rl_report.explain_epsilon"))


def _training(record: dict[str, Any]) -> str:
    history = record.get("history") or {}
    train = history.get("train") or {}
    if not train.get("return"):
        return ""
    unit = history.get("unit", "episodes")
    x = train["timestep"] if unit == "timesteps" else train["episode"]
    points = (history.get("validation") or {}).get("points") or []

    def rewards(ax):
        ax.plot(x, train["return"], color=charts.PALETTE[0], alpha=0.35, linewidth=0.8, label="return")
        ax.plot(x, train["moving_average"], color=charts.PALETTE[1], linewidth=1.6,
                label=f"moving average ({train.get('window', '')})")
        if points:
            ax.errorbar([p["done"] for p in points], [p["mean"] for p in points], yerr=[p["std"] for p in points],
                        fmt="o", color=charts.PALETTE[2], markersize=3, capsize=2, linewidth=0.8, label="validation")
        ax.set_xlabel(unit)
        ax.set_ylabel("return")
        ax.legend(fontsize=7, frameon=False)

    def lengths(ax):
        ax.plot(x, train["length"], color=charts.PALETTE[4], linewidth=0.8)
        ax.set_xlabel(unit)
        ax.set_ylabel("steps")
    best = (history.get("validation") or {}).get("best_at")
    content = (figure(charts.svg(rewards), "rl_report.caption_rewards", episodes=f"{len(train['return']):,}")
               + explain("rl_report.explain_rewards", best=number(best))
               + figure(charts.svg(lengths), "rl_report.caption_lengths") + explain("rl_report.explain_lengths"))
    return section("training", "rl_report.title_training", content)


def _evaluation(agent: Any) -> str:
    evaluation = agent.record.get("evaluation") or {}
    if "agent" not in evaluation:
        return ""
    success = "success_rate" in evaluation["agent"]
    header = [both("rl.col_who"), both("rl.col_mean"), both("rl.col_std")]
    header += [both("rl.col_success")] if success else []
    rows = []
    for name, scores in ((both("rl.row_agent", algo=agent.algo), evaluation["agent"]),
                         (both("rl.row_random"), evaluation["random"])):
        cells = [number(float(scores["mean"])), number(float(scores["std"]))]
        cells += [f"{scores['success_rate']:.0%}"] if success else []
        rows.append([name, *cells])
    names = [agent.algo, "random"]
    means = [float(evaluation["agent"]["mean"]), float(evaluation["random"]["mean"])]
    spread = [float(evaluation["agent"]["std"]), float(evaluation["random"]["std"])]
    chart = figure(charts.bars(names, means, spread, "return", highlight=agent.algo), "rl_report.caption_evaluation")
    text = both("rl.result_title", episodes=evaluation["agent"]["episodes"])
    return section("evaluation", "rl_report.title_evaluation",
                   f"<p>{text}</p>" + table(header, rows) + chart + explain("rl_report.explain_evaluation"))


def _runs(record: dict[str, Any]) -> str:
    """The runs with other seeds (``reinforcement.runs``): a row each, and why there are several."""
    runs = record.get("runs") or []
    if len(runs) < 2:
        return ""
    header = [both(f"rl_runs_report.col_{name}") for name in ("seed", "settings", "trained", "seconds", "best",
                                                               "stopped", "kept")]
    rows = [[str(run["seed"]), _source(run.get("settings", "")),
             f"{run['steps']:,} " + (both(f"rl.unit_{run['unit']}") if run.get("unit") else ""),
             number(run["seconds"], 3),
             _best(run), both(f"rl_runs_stopped.{run['stopped']}") if run.get("stopped") else "",
             both("rl_runs_report.kept_mark") if run.get("kept") else ""] for run in runs]
    return section("runs", "rl_runs_report.title_runs",
                   f"<p>{_kept(record)}</p>" + table(header, rows) + explain("rl_runs_report.explain_runs"))


def _tuning(record: dict[str, Any]) -> str:
    """The trials of the short search (``reinforcement.tuning``): settings drawn, best validation,
    pruned or not."""
    tuned = record.get("tuning") or {}
    trials = tuned.get("trials") or []
    if not trials:
        return ""
    header = [both(f"rl_runs_report.col_{name}") for name in ("trial", "params", "best", "seconds", "pruned",
                                                               "kept")]
    rows = []
    for trial in trials:
        drawn = "<br>".join(f"{html.escape(str(key))} = {number(value)}" for key, value in
                            (trial.get("params") or {}).items())
        if trial.get("error"):
            drawn += "<br>" + both("rl_runs_report.failed", error=trial["error"])
        rows.append([str(trial["number"]), drawn, _best(trial), number(trial.get("seconds"), 3),
                     both("rl_runs_report.pruned") if trial.get("pruned") else "",
                     both("rl_runs_report.kept_mark") if trial.get("kept") else ""])
    content = (f"<p>{_kept(record)}</p>" + table(header, rows)
               + explain("rl_runs_report.explain_tuning", seconds=number(tuned.get("slice_seconds"), 3)))
    return section("tuning", "rl_runs_report.title_tuning", content)


def _best(run: dict[str, Any]) -> str:
    if run.get("best_mean") is None:
        return "-"
    spread = "" if run.get("best_std") is None else f" ± {number(run['best_std'])}"
    return number(run["best_mean"]) + spread


def _source(source: str) -> str:
    """Where a run's settings come from, in both languages."""
    if source == "tuned":
        return both("rl_runs.source_tuned")
    return both(f"rl.source_{source}") if source in ("rl_zoo", "default", "manabu") else html.escape(source)


def _kept(record: dict[str, Any]) -> str:
    kept = record.get("kept") or {}
    if kept.get("kind") == "trial":
        return both("rl_runs_report.kept_trial", number=kept.get("number"))
    return both("rl_runs_report.kept_seed", seed=kept.get("seed", record.get("seed", 0)))


def _values(record: dict[str, Any]) -> str:
    trace = record.get("values") or {}
    if not trace.get("value"):
        return ""
    steps = list(range(len(trace["value"])))

    def draw(ax):
        ax.plot(steps, trace["value"], color=charts.PALETTE[0], linewidth=1.4, label="value estimate")
        ax.plot(steps, trace["discounted_return"], color=charts.PALETTE[1], linewidth=1.2, linestyle="--",
                label="discounted return")
        ax.set_xlabel("step")
        ax.set_ylabel("value")
        ax.legend(fontsize=7, frameon=False)
    return section("values", "rl_report.title_values",
                   figure(charts.svg(draw), "rl_report.caption_values", gamma=trace.get("gamma", ""))
                   + explain("rl_report.explain_values"))


def _grid(agent: Any) -> str:
    """The greedy policy on the grid: an arrow per cell, holes and the goal marked, each cell
    shaded by the value the agent expects from it."""
    grid = (agent.record.get("env") or {}).get("grid")
    q = agent.q_table
    if not grid or q is None:
        return ""
    rows = [str(row) for row in grid["rows"]]
    height, width = len(rows), max(len(row) for row in rows)
    if q.shape[0] != height * width:
        return ""
    return section("policy", "rl_report.title_policy",
                   grid_svg(rows, q, _arrows(agent.env_id, q.shape[1])) + explain("rl_report.explain_policy"))


def _arrows(env_id: str, actions: int) -> tuple[str, ...]:
    found = next((arrows for prefix, arrows in ARROWS.items() if env_id.startswith(prefix)), FROZEN_LAKE_ARROWS)
    return found if actions == len(found) else tuple(str(a) for a in range(actions))


def grid_svg(rows: list[str], q: np.ndarray, arrows: tuple[str, ...]) -> str:
    """The grid as an SVG: a cell per state (row by row), its letter's colour, the greedy
    action's arrow, and a bar of green as deep as its value (the largest Q) among the cells."""
    height, width = len(rows), max(len(row) for row in rows)
    best = q.max(axis=1)
    top = float(best.max()) if best.size and best.max() > 0 else 1.0
    cells = []
    for r, row in enumerate(rows):
        for c, letter in enumerate(row):
            state, x, y = r * width + c, c * CELL, r * CELL
            colour = CELL_COLOURS.get(letter, "#f4f8fb")
            cells.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{colour}" stroke="#8899aa" '
                         f'class="cell-{html.escape(letter)}"/>')
            if letter in "HGC":
                mark = {"H": "hole", "G": "goal", "C": "cliff"}[letter]
                cells.append(f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 5}" text-anchor="middle" font-size="13" '
                             f'fill="{"#ffffff" if letter != "G" else "#1d5e2a"}" class="{mark}">{letter}</text>')
                continue
            share = max(0.0, float(best[state])) / top
            cells.append(f'<rect x="{x + 2}" y="{y + CELL - 6}" width="{(CELL - 4) * share:.1f}" height="4" '
                         f'fill="#4f9a5b"/>')
            arrow = arrows[int(q[state].argmax())] if np.any(q[state] != 0) else "·"
            cells.append(f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 7}" text-anchor="middle" font-size="20" '
                         f'class="arrow">{arrow}</text>')
    return (f'<figure><svg class="chart grid-policy" role="img" viewBox="-1 -1 {width * CELL + 2} {height * CELL + 2}" '
            f'style="max-width:{width * CELL * 1.5}px">{"".join(cells)}</svg>'
            f'<figcaption>{both("rl_report.caption_policy")}</figcaption></figure>')


def _animation(agent: Any) -> str:
    if not agent.animation:
        return ""
    data = base64.b64encode(agent.animation).decode("ascii")
    shown_ = (agent.record.get("animation") or {}).get("episodes", "")
    image = f'<img src="data:image/gif;base64,{data}" alt="" class="animation" style="max-width:100%">'
    return section("animation", "rl_report.title_animation",
                   f"<figure>{image}<figcaption>{both('rl_report.caption_animation', episodes=shown_)}</figcaption>"
                   "</figure>")
