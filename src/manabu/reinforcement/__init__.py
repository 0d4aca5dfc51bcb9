"""Reinforcement learning: ``manabu rl ENV`` (``manabu.rl(ENV)``) trains an agent on a Gymnasium
environment, from a Q-table to PPO, judges it beside a random agent and saves it without pickle.

``environments`` resolves ENV (a Gymnasium id, or ``file.py:MyEnv`` checked with Gymnasium's
``env_checker``); ``choice`` picks the algorithm from the spaces; ``hyperparams`` holds the RL
Zoo's settings as data; ``tabular`` is manabu's own Q-learning, ``sb3`` Stable-Baselines3's
agents; ``learners`` and ``anytime`` train while keeping the best policy (Ctrl-C keeps it too);
``runs`` trains again with other seeds when time allows and ``tuning`` searches around the known-good
settings (Optuna), the best on validation being kept;
``evaluation`` and ``record`` judge it on episodes of their own; ``agent`` is what is returned
and loaded, ``codec`` its folder (safetensors and JSON).

Its function is ``manabu.rl`` (``training.rl``); the package is named otherwise, as forecasting's
is, since importing a package ``manabu.rl`` would replace the function on ``manabu``. Importing it
imports nothing heavy: Gymnasium, Stable-Baselines3 and torch are imported when an agent needs them.
"""
