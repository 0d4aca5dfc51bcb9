"""A short animation of the agent at work: a few evaluation episodes drawn with the environment's
own ``rgb_array`` frames, as a GIF (Pillow), so that a learner sees what the numbers mean.

Frames are taken every few steps, so that the GIF stays small (``MAX_FRAMES`` at most, ``WIDTH``
pixels wide) whatever the episodes' length, and each episode ends on its last frame.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from manabu.reinforcement.evaluation import stack

EPISODES = 3
MAX_FRAMES = 150
WIDTH = 320
FPS = 15


def animate(make: Callable[..., Any], act: Callable[[Any], np.ndarray], episode_seeds: list[int],
            max_steps: int | None) -> tuple[bytes, dict[str, Any]] | None:
    """The GIF of the first ``EPISODES`` seeds' episodes and what it shows; None when the
    environment draws no frames."""
    quiet_pygame()
    chosen = episode_seeds[:EPISODES]
    stride = max(1, math.ceil((max_steps or 200) * len(chosen) / MAX_FRAMES))
    env = make(render_mode="rgb_array")
    frames: list[np.ndarray] = []
    try:
        for seed in chosen:
            frames.extend(_episode(env, act, seed, stride))
    finally:
        env.close()
    frames = [f for f in frames if isinstance(f, np.ndarray) and f.ndim == 3][: MAX_FRAMES + len(chosen)]
    if not frames:
        return None
    return gif(frames, stride), {"episodes": len(chosen), "seeds": chosen, "frames": len(frames), "stride": stride}


def quiet_pygame() -> None:
    """pygame (which draws the classic environments) greets on stdout and SDL complains of a
    missing display on stderr: neither is wanted, since frames are drawn off screen."""
    for name, value in (("PYGAME_HIDE_SUPPORT_PROMPT", "1"), ("SDL_VIDEODRIVER", "dummy"), ("SDL_AUDIODRIVER", "dummy")):
        os.environ.setdefault(name, value)


def _episode(env: Any, act: Callable[[Any], np.ndarray], seed: int, stride: int) -> list[np.ndarray]:
    observation, _ = env.reset(seed=seed)
    frames, step, done = [env.render()], 0, False
    while not done:
        observation, _, terminated, truncated, _ = env.step(act(stack([observation]))[0])
        step += 1
        done = terminated or truncated
        if done or step % stride == 0:
            frames.append(env.render())
    return frames


def gif(frames: list[np.ndarray], stride: int) -> bytes:
    """The frames as a looping GIF, scaled to ``WIDTH``; each shown for the ``stride`` steps it
    stands for (at most a fifth of a second)."""
    from PIL import Image

    images = []
    for frame in frames:
        image = Image.fromarray(np.ascontiguousarray(frame[..., :3]).astype(np.uint8))
        if image.width > WIDTH:
            image = image.resize((WIDTH, max(1, round(image.height * WIDTH / image.width))))
        images.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=64))
    buffer = io.BytesIO()
    duration = min(200, round(1000 * stride / FPS))
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0)
    return buffer.getvalue()
