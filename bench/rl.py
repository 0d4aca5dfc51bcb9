#!/usr/bin/env python3
"""Reinforcement learning (issue 24's targets): ``manabu.rl`` on four classic environments, each
agent judged on 100 evaluation episodes (seeds training never used) beside a random agent on the
same episodes, with the wall time, and the RL Zoo's published figure for the same environment
and algorithm beside it.

The Zoo's figures are its "Performance of trained agents" table (``benchmark.md`` of
DLR-RM/rl-baselines3-zoo at commit 22e3ff2, April 2026: mean ± std of the deterministic policy
over its own evaluation, after the Zoo's full budget of steps). FrozenLake is not in the Zoo; for
it the exact success probability of the learnt policy within 100 steps is computed from the map's
transition probabilities too (the best policy's is 0.74), since 100 episodes of 0/1 outcomes
vary by ±0.04 around it.

The targets: CartPole-v1 ≥ 475 within 3 minutes; FrozenLake-v1 (4×4, slippery) success rate ≥
0.70 with the tabular agent; Acrobot-v1 ≥ −100; Pendulum-v1 ≥ −250. "Reached at" is the first
validation (10 episodes, 100 for the Q-table, on seeds of their own) at or above the target.

    nice -n 10 python bench/rl.py --out bench/results/rl_issue24.jsonl
    python bench/rl.py --only Acrobot-v1 --algo ppo --seconds 300
    python bench/rl.py --only CartPole-v1 --train-seeds 1 --no-tune   # one run, as before the runs and the search

``--seeds`` lists the benchmark's own seeds (one ``manabu.rl`` each); ``--train-seeds`` and
``--tune/--no-tune`` are passed to ``manabu.rl`` as ``seeds`` and ``tune`` (its runs with
seed+1 … and its short search, when time allows; left out: manabu's default, "auto").
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

# env: (time limit in seconds, target on the mean return or the success rate, which)
TARGETS = {
    "CartPole-v1": (180.0, 475.0, "mean"),
    "FrozenLake-v1": (60.0, 0.70, "success_rate"),
    "Acrobot-v1": (300.0, -100.0, "mean"),
    "Pendulum-v1": (300.0, -250.0, "mean"),
}
# the RL Zoo's benchmark.md (commit 22e3ff2): (mean, std, the Zoo's training steps)
ZOO = {
    ("CartPole-v1", "ppo"): (500.0, 0.0, "100k"), ("CartPole-v1", "dqn"): (500.0, 0.0, "50k"),
    ("CartPole-v1", "a2c"): (500.0, 0.0, "500k"),
    ("Acrobot-v1", "dqn"): (-76.639, 11.752, "100k"), ("Acrobot-v1", "ppo"): (-73.506, 18.201, "1M"),
    ("Acrobot-v1", "a2c"): (-83.353, 17.213, "500k"),
    ("Pendulum-v1", "sac"): (-156.995, 88.714, "20k"), ("Pendulum-v1", "td3"): (-151.855, 90.227, "20k"),
    ("Pendulum-v1", "ppo"): (-172.225, 104.159, "100k"), ("Pendulum-v1", "a2c"): (-162.965, 103.210, "1M"),
}
EPISODES = 100


def run(env: str, algo: str, seconds: float, seed: int, seeds: int | None = None, tune: bool | None = None) -> dict:
    import manabu

    limit, target, which = TARGETS[env]
    began = time.monotonic()
    agent = manabu.rl(env, time_limit=seconds or limit, algo=algo, seed=seed, episodes=EPISODES, seeds=seeds, tune=tune)
    wall = time.monotonic() - began
    record = agent.record
    mine, randomly = record["evaluation"]["agent"], record["evaluation"]["random"]
    score = mine.get(which)
    zoo = ZOO.get((env, agent.algo))
    row = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "env": env, "algo": agent.algo,
           "asked": algo, "seed": seed, "time_limit": seconds or limit, "episodes": EPISODES,
           "mean": round(mine["mean"], 3), "std": round(mine["std"], 3),
           "success_rate": mine.get("success_rate"),
           "random_mean": round(randomly["mean"], 3), "random_std": round(randomly["std"], 3),
           "random_success_rate": randomly.get("success_rate"),
           "target": target, "on": which, "met": score is not None and score >= target,
           "wall_seconds": round(wall, 1), "learning_seconds": record["learning_seconds"],
           "budget": record["budget"], "timesteps": record["timesteps"], "stopped": record["stopped"],
           "reached_at": reached_at(record, target if which == "mean" else target),
           "zoo": None if zoo is None else {"mean": zoo[0], "std": zoo[1], "steps": zoo[2],
                                            "table": "rl-baselines3-zoo benchmark.md @22e3ff2"},
           "hyperparams": record["hyperparams"]["source"],
           "train_seeds": seeds, "tune": tune, "kept": record.get("kept"),
           "runs": [{k: r.get(k) for k in ("seed", "steps", "seconds", "best_mean", "best_std", "stopped")}
                    for r in record.get("runs") or []],
           "trials": [{k: t.get(k) for k in ("number", "params", "best_mean", "seconds", "pruned")}
                      for t in (record.get("tuning") or {}).get("trials") or []],
           "load_average": [round(v, 2) for v in os.getloadavg()], "cpus": os.cpu_count()}
    if env == "FrozenLake-v1" and agent.q_table is not None:
        row["exact_success_probability"] = round(exact_success(agent.q_table.argmax(axis=1)), 4)
    return row


def reached_at(record: dict, target: float) -> dict | None:
    """The first validation at or above the target: when (seconds into learning) and after how
    many steps or episodes."""
    for point in record["history"]["validation"]["points"]:
        if point["mean"] >= target:
            return {"seconds": point["seconds"], "done": point["done"], "unit": record["budget"]["unit"]}
    return None


def exact_success(policy: np.ndarray, steps: int = 100) -> float:
    """FrozenLake's chance of reaching the goal within ``steps`` from the start under ``policy``."""
    import gymnasium as gym

    transitions = gym.make("FrozenLake-v1").unwrapped.P
    value = np.zeros(len(policy))
    for _ in range(steps):
        value = np.array([sum(p * (r + (0.0 if done else value[nxt])) for p, nxt, r, done in transitions[s][policy[s]])
                          for s in range(len(policy))])
    return float(value[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--algo", default="auto", help="the algorithm for every environment run (default: auto)")
    parser.add_argument("--seconds", type=float, default=0.0, help="the time limit of every run (default: each target's)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--train-seeds", type=int, default=None,
                        help="manabu.rl's seeds: runs with seed, seed+1 … when time allows (default: auto, up to 3)")
    parser.add_argument("--tune", action=argparse.BooleanOptionalAction, default=None,
                        help="manabu.rl's tune: a short search after the runs (default: auto, when time is left)")
    parser.add_argument("--out", type=Path, default=None, help="append one JSON row per run to this file")
    arguments = parser.parse_args()
    print(f"{'env':<15}{'algo':<6}{'mean ± std (100 ep.)':>24}{'random':>18}{'target':>9}{'met':>5}"
          f"{'wall s':>8}{'reached at':>16}  zoo", flush=True)
    for env in arguments.only:
        for seed in arguments.seeds:
            row = run(env, arguments.algo, arguments.seconds, seed, arguments.train_seeds, arguments.tune)
            show(row)
            if arguments.out is not None:
                arguments.out.parent.mkdir(parents=True, exist_ok=True)
                with open(arguments.out, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def show(row: dict) -> None:
    score = f"{row['mean']:.2f} ± {row['std']:.2f}"
    randomly = f"{row['random_mean']:.2f} ± {row['random_std']:.2f}"
    if row["success_rate"] is not None:
        score = f"success {row['success_rate']:.2f}"
        randomly = f"success {row['random_success_rate']:.2f}"
    reached = row["reached_at"]
    when = "-" if reached is None else f"{reached['seconds']:.0f} s"
    zoo = "-" if row["zoo"] is None else f"{row['zoo']['mean']:.1f} ± {row['zoo']['std']:.1f} ({row['zoo']['steps']})"
    print(f"{row['env']:<15}{row['algo']:<6}{score:>24}{randomly:>18}{row['target']:>9}{'yes' if row['met'] else 'no':>5}"
          f"{row['wall_seconds']:>8.0f}{when:>16}  {zoo}", flush=True)
    if len(row["runs"]) + len(row["trials"]) > 1:
        print(f"{'':<21}runs {len(row['runs'])}, trials {len(row['trials'])}, kept {row['kept']}")
    if "exact_success_probability" in row:
        print(f"{'':<21}exact success probability of the learnt policy: {row['exact_success_probability']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
