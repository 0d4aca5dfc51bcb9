"""Several runs when time allows: the same settings with other seeds, then a short search.

RL is noisy: the same algorithm with the same settings can learn well with one seed and poorly
with the next. One run cannot say how much that matters; two or three show the spread, and
keeping the best of them on the validation episodes makes a poor seed less likely to be the one
kept. The final evaluation (``record.judge``, on seeds of its own) then judges the kept agent
only, so that choosing among runs does not flatter its figure.

The order: the first run (the known-good settings, ``seed``) always; when it finished its budget
with time to spare, further runs with ``seed + 1``, ``seed + 2`` … while the time left holds a
whole run (the longest so far, with a margin), up to ``seeds``; then, while time is still left,
a few tuning trials (``tuning``), each in a slice of it. Every run and trial validates on the
same episodes (those of ``seed``), so that their best means compare; the best is kept. Ctrl-C
or SIGTERM during any of them ends the lot and keeps the best so far; a resumed agent trains one
run only.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from manabu.base.i18n import Notice
from manabu.reinforcement import tuning
from manabu.reinforcement.agent import Agent
from manabu.reinforcement.anytime import Watch
from manabu.reinforcement.environments import EnvSource
from manabu.reinforcement.evaluation import VALIDATION, run_episodes, seeds
from manabu.reinforcement.hyperparams import Hyperparams
from manabu.reinforcement.record import ANIMATION_SECONDS

SAVE_SECONDS = 1.0         # kept back for writing the folder
VALIDATION_EPISODES = {"q": 100, "network": 10}  # a Q-table's episodes are cheap, and FrozenLake's 0/1 noisy
AUTO_SEEDS = 3             # runs when ``seeds`` is None ("auto"), time allowing
MARGIN = 1.25              # a further run starts only when the time left holds a whole run this many times
TRIALS = 4                 # the time left for tuning is cut into this many slices (within the bounds below)
MAX_TRIALS = 10
MIN_VALIDATIONS = 3        # a trial's slice holds at least this many of a whole run's validation intervals
MIN_TRIAL_SECONDS = 1.0

Progress = Callable[[float, dict[str, Any]], None]


@dataclass
class Run:
    """One training: its learner (which holds the agent until released), its watch (the best
    policy and the history), its settings and seed, how long it learnt and how far it got."""

    learner: Any
    watch: Watch
    hyper: Hyperparams
    seed: int
    seconds: float
    steps: int
    unit: str
    number: int | None = None          # a tuning trial's number (from 1)
    params: dict[str, Any] | None = None  # a tuning trial's drawn settings

    def __post_init__(self) -> None:
        self.validated = self.watch.best is not None

    @property
    def best_mean(self) -> float:
        return float(self.watch.best_mean) if self.validated else -np.inf

    def release(self) -> None:
        """Close the learner and let go of its model and best policy (a run not kept: a
        replay buffer or a network each, held for the rest of the search, would add up)."""
        self.learner.close()
        self.learner, self.watch.best = None, None

    def summary(self, kept: bool) -> dict[str, Any]:
        """What the record keeps of the run."""
        best = self.validated
        point = next((v for v in self.watch.validations if v.mean == self.watch.best_mean), None)
        found = {"seed": self.seed, "settings": self.hyper.source, "steps": self.steps,
                 "unit": self.unit, "seconds": round(self.seconds, 3),
                 "best_mean": round(self.best_mean, 6) if best else None,
                 "best_std": round(point.std, 6) if best and point is not None else None,
                 "stopped": self.watch.stopped, "kept": kept}
        if self.number is not None:
            found.update({"number": self.number, "params": self.params, "pruned": self.watch.stopped == "pruned"})
        return found


def learner_for(source: EnvSource, planned: Any, hyper: Hyperparams, seed: int, previous: Agent | None) -> Any:
    """The learner of ``planned.algo`` with ``hyper``: the Q-table, or Stable-Baselines3's."""
    from manabu.reinforcement.learners import NetworkLearner, TabularLearner

    if planned.algo == "q":
        return TabularLearner(source, hyper, (planned.observation, planned.action), seed, previous)
    return NetworkLearner(source, planned.algo, hyper, planned.observation, seed, previous)


class Runs:
    """The runs and trials of one ``manabu.rl``, and the one kept (``train()``)."""

    def __init__(self, source: EnvSource, planned: Any, settings: Any, started: float,
                 progress: Progress | None = None, previous: Agent | None = None) -> None:
        self.source, self.planned, self.settings, self.previous = source, planned, settings, previous
        self.started, self.end, self.progress = started, started + settings.time_limit, progress
        self.count = VALIDATION_EPISODES["q" if planned.algo == "q" else "network"]
        self.validation = seeds(settings.seed, VALIDATION, self.count)  # the same for every run and trial
        self.kept_back = SAVE_SECONDS + (ANIMATION_SECONDS if source.renders() else 0.0)
        self.runs: list[Run] = []
        self.trials: list[Run] = []
        self.failed: list[dict[str, Any]] = []  # trials whose settings the algorithm refused
        self.kept: Run | None = None
        self.interrupted = False
        self.slice_seconds: float | None = None
        self.notices: list[Notice] = []

    def train(self) -> Run:
        """The first run, then more seeds and trials while time allows; the run kept."""
        first = self.one(self.planned.hyper, self.settings.seed, self.end, previous=self.previous)
        self.runs.append(first)
        self.offer(first)
        if self.previous is not None:
            if (self.settings.seeds or 1) > 1 or self.settings.tune:
                self.notices.append(Notice("rl_runs.resumed_one_run", {}))
            return first
        if first.watch.stopped != "budget":
            if first.watch.stopped == "deadline" and ((self.settings.seeds or 1) > 1 or self.settings.tune):
                self.notices.append(Notice("rl_runs.no_time_for_more", {}))
            return first
        try:
            self.more_seeds()
            self.search()
        except KeyboardInterrupt:
            self.interrupted = True
        return self.kept

    def more_seeds(self) -> None:
        """Runs with ``seed + 1``, ``seed + 2`` … while a whole run fits, up to ``seeds`` runs."""
        wanted = AUTO_SEEDS if self.settings.seeds is None else self.settings.seeds
        for k in range(1, wanted):
            if self.interrupted or self.left() < self.whole() * MARGIN:
                if self.settings.seeds is not None and not self.interrupted:
                    self.notices.append(Notice("rl_runs.fewer_seeds", {"ran": len(self.runs), "asked": wanted}))
                return
            run = self.one(self.planned.hyper, self.settings.seed + k, self.end,
                           shown={"kind": "seed", "seed": self.settings.seed + k})
            self.runs.append(run)
            self.offer(run)

    def search(self) -> None:
        """Tuning trials, each in a slice of the time left: ``tune=None`` tries when time is
        left, ``True`` says so when none is, ``False`` never tries."""
        if self.settings.tune is False or self.interrupted or not tuning.tunable(self.planned.algo):
            return
        whole = self.whole()
        interval = self.runs[0].seconds / max(1, len(self.runs[0].watch.validations))
        shortest = max(MIN_TRIAL_SECONDS, MIN_VALIDATIONS * interval)
        self.slice_seconds = min(max(self.left() / TRIALS, shortest), max(whole * MARGIN, shortest))
        if self.left() < self.slice_seconds:
            if self.settings.tune:
                self.notices.append(Notice("rl_runs.no_time_to_tune", {"seconds": f"{shortest:.1f}"}))
            return
        study = tuning.study(self.settings.seed)
        while (len(self.trials) + len(self.failed) < MAX_TRIALS and self.left() >= self.slice_seconds
               and not self.interrupted):
            self.trial(study)

    def trial(self, study: Any) -> None:
        """One trial: settings drawn around the known-good ones, trained within a slice, told to
        the study; kept when its best validation beats the best so far."""
        asked = study.ask()
        hyper, params = tuning.sample(asked, self.planned.hyper)
        try:
            run = self.one(hyper, self.settings.seed, time.monotonic() + self.slice_seconds,
                           trial_seconds=self.slice_seconds, listen=tuning.reporter(asked),
                           shown={"kind": "trial", "number": asked.number + 1})
        except Exception as error:  # settings the algorithm refuses: the search goes on without them
            tuning.tell(study, asked, None, False)
            self.failed.append({"number": asked.number + 1, "params": params, "seed": self.settings.seed,
                                "settings": hyper.source, "steps": 0, "unit": "", "seconds": 0.0, "best_mean": None,
                                "best_std": None, "stopped": "failed", "pruned": False, "kept": False,
                                "error": f"{type(error).__name__}: {error}"})
            return
        run.number, run.params = asked.number + 1, params  # counted from 1, as the report shows them
        tuning.tell(study, asked, run.best_mean if run.validated else None, run.watch.stopped == "pruned")
        self.trials.append(run)
        self.offer(run)

    def one(self, hyper: Hyperparams, seed: int, end: float, *, previous: Agent | None = None,
            trial_seconds: float | None = None, listen: Callable[[int, float], bool] | None = None,
            shown: dict[str, Any] | None = None) -> Run:
        """Train one learner until its watch says stop (Ctrl-C during learning marks the whole
        lot interrupted, and keeps what this run had found)."""
        learner = learner_for(self.source, self.planned, hyper, seed, previous)
        watch = self.watch_for(learner, end, trial_seconds, listen, shown)
        if previous is not None:
            self.go_on(watch, learner, previous)
        began = time.monotonic()
        try:
            learner.learn(watch)
        except KeyboardInterrupt:
            watch.stopped, self.interrupted = "interrupted", True
        seconds = time.monotonic() - began
        if not self.interrupted:
            watch.finish(learner.done)
        return Run(learner, watch, hyper, seed, seconds, int(learner.done), learner.unit)

    def watch_for(self, learner: Any, end: float, trial_seconds: float | None,
                  listen: Callable[[int, float], bool] | None, shown: dict[str, Any] | None) -> Watch:
        """The run's watch: a run keeps back time for the final evaluation and the save, a trial
        (``trial_seconds``) only for its own last validation."""
        def validate() -> tuple[float, float]:
            returns, _ = run_episodes(learner.source.make, learner.act_batch, self.validation)
            return float(np.mean(returns)), float(np.std(returns))

        final = trial_seconds is None
        watch = Watch(end=end, validate=validate, snapshot=learner.snapshot, budget=learner.budget,
                      unit=learner.unit, validation_episodes=self.count,
                      final_episodes=self.settings.episodes if final else 0,
                      time_limit=self.settings.time_limit if final else trial_seconds,
                      progress=self.progress_for(shown), start=learner.start,
                      kept_back=self.kept_back if final else 0.0, listen=listen)
        return watch

    @staticmethod
    def go_on(watch: Watch, learner: Any, previous: Agent) -> None:
        """A resumed run's watch: the saved history first, and the saved agent the one to beat."""
        history = previous.record.get("history") or {}
        watch.resume_from(history)
        best = history.get("validation", {}).get("best_mean")
        if best is not None:
            watch.best_mean, watch.best, watch.best_step = float(best), learner.snapshot(), learner.start

    def progress_for(self, shown: dict[str, Any] | None) -> Progress | None:
        """The progress function of a run: the first run's own; a later one's the share of the
        whole time limit used, its status saying which run it is."""
        if self.progress is None or shown is None:
            return self.progress

        def show(fraction: float, status: dict[str, Any]) -> None:
            used = (time.monotonic() - self.started) / self.settings.time_limit
            self.progress(float(min(1.0, used)), {**status, "run": shown})
        return show

    def offer(self, run: Run) -> None:
        """Keep ``run`` when its best validation beats the kept one's (the earlier on a tie),
        and close the learner that is not kept."""
        if self.kept is None:
            self.kept = run
        elif run.validated and run.best_mean > self.kept.best_mean:
            self.kept.release()
            self.kept = run
        else:
            run.release()

    def whole(self) -> float:
        """Seconds a whole run takes (the longest of the runs so far)."""
        return max(run.seconds for run in self.runs)

    def left(self) -> float:
        """Seconds left before the final evaluation and the save must start."""
        reserve = max(run.watch.reserve() for run in self.runs)
        return self.end - time.monotonic() - reserve

    def record(self) -> dict[str, Any]:
        """The record's "runs" (each seed's run), "tuning" (the trials, or None where none
        ran) and "kept" (which of them is the agent)."""
        kept = self.kept
        tuned = None
        if self.trials or self.failed:
            trials = sorted([trial.summary(trial is kept) for trial in self.trials] + self.failed,
                            key=lambda row: row["number"])
            tuned = {"trials": trials, "space": self.planned.algo,
                     "slice_seconds": round(self.slice_seconds or 0.0, 3), "source": tuning.source_note()}
        return {"runs": [run.summary(run is kept) for run in self.runs], "tuning": tuned,
                "kept": {"kind": "trial" if kept.number is not None else "seed", "seed": kept.seed,
                         "number": kept.number,
                         "best_mean": round(kept.best_mean, 6) if kept.validated else None},
                "resumed_run": self.previous is not None}

