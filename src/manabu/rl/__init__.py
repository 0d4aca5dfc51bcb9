"""Reinforcement learning: ``manabu rl ENV`` (``manabu.rl(ENV)``) trains an agent on a Gymnasium
environment, from a Q-table to PPO, judges it beside a random agent and saves it without pickle.

``environments`` resolves ENV (a Gymnasium id, or ``file.py:MyEnv`` checked with Gymnasium's
``env_checker``); ``choice`` picks the algorithm from the spaces; ``hyperparams`` holds the RL
Zoo's settings as data; ``tabular`` is manabu's own Q-learning, ``sb3`` Stable-Baselines3's
agents; ``learners`` and ``anytime`` train while keeping the best policy (Ctrl-C keeps it too);
``evaluation`` and ``record`` judge it on episodes of their own; ``agent`` is what is returned
and loaded, ``codec`` its folder (safetensors and JSON).

This package is also the function: ``manabu.rl(...)`` calls ``training.rl``. A package and a
function cannot both be ``manabu.rl`` (importing the package replaces the function on ``manabu``,
which is why forecasting lives in ``manabu.forecasting``), so the package's module is made
callable (a module's ``__class__`` may be a subclass of ``ModuleType``). Importing it imports
nothing heavy: Gymnasium, Stable-Baselines3 and torch are imported when an agent needs them.
"""
from __future__ import annotations

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from manabu.rl.training import rl
        return rl(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
