"""One training loop for the networks: AdamW with a one-cycle learning-rate schedule (paced by
the deadline as well as by the epochs), early stopping on held-out rows, mixed precision on a
GPU, a deadline checked before every batch, and the loss and score of every epoch kept for the
report's training curves.

A network stopped at its deadline keeps its best epoch's weights and says so
(``TrainingLog.stopped_at_deadline``): the search scores it like any other.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from manabu.base.allocator import blocks_kept_for_reuse
from manabu.deep.device import autocast

CLIP_NORM = 5.0  # gradients are clipped to this norm: a bad batch early on cannot wreck the weights


class DeadlineExceeded(Exception):
    """The deadline passed while a later epoch was validated: the best epoch so far is kept."""


@dataclass
class TrainingLog:
    """What a training did, epoch by epoch: ``{"epoch", "train_loss", "valid_loss",
    "valid_score", "learning_rate", "seconds"}`` (valid_* None with nothing held out)."""

    epochs: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    stopped_at_deadline: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "best_epoch": self.best_epoch, "stopped_at_deadline": self.stopped_at_deadline}


@dataclass
class Schedule:
    max_epochs: int
    steps_per_epoch: int
    learning_rate: float
    weight_decay: float = 0.0
    patience: int = 5


Batches = Callable[[], Iterable[tuple[Any, Any]]]


def train_network(network, loss_fn, score_fn, train_batches: Batches, valid_batches: Batches | None,
                  schedule: Schedule, device, *, augment=None, prepare=None,
                  deadline: float | None = None) -> TrainingLog:
    """Train ``network`` (already on ``device``) in place and leave it with its best epoch's
    weights: the epoch of lowest validation loss, or the last one with nothing held out.

    ``train_batches()`` and ``valid_batches()`` give (inputs, targets) batches on the CPU;
    ``augment`` (inputs on the device -> inputs) runs on training batches only, ``prepare``
    (normalising, say) on every batch after it; ``score_fn`` (outputs, targets) -> a number,
    higher better, for the curves. At ``deadline`` the training stops, as a booster stops
    adding trees: the first epoch runs at least one batch and is validated whatever the time,
    so there is always a whole network to keep."""
    import torch

    optimiser = torch.optim.AdamW(network.parameters(), lr=schedule.learning_rate, weight_decay=schedule.weight_decay)
    total_steps = max(1, schedule.max_epochs * schedule.steps_per_epoch)
    lr_schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, one_cycle(total_steps, time.monotonic(), deadline))
    with blocks_kept_for_reuse():
        log, best_state = _epochs(network, loss_fn, score_fn, train_batches, valid_batches, schedule, device,
                                  optimiser, lr_schedule, _then(augment, prepare), prepare, deadline)
    network.load_state_dict(best_state)
    return log


def _epochs(network, loss_fn, score_fn, train_batches, valid_batches, schedule: Schedule, device, optimiser,
            lr_schedule, transform, prepare, deadline) -> tuple[TrainingLog, dict[str, Any]]:
    """The epochs, early stopping and the deadline: (the log, the best epoch's weights)."""
    log, best_loss, best_state, waited = TrainingLog(), math.inf, None, 0
    for epoch in range(1, schedule.max_epochs + 1):
        started, first = time.monotonic(), epoch == 1
        train_loss, cut = _train_epoch(network, loss_fn, train_batches, optimiser, lr_schedule, device,
                                       transform, deadline, at_least_one=first)
        if cut and not first:  # the epoch's last weights were not validated: the best one stays
            log.stopped_at_deadline = True
            break
        try:
            valid_loss, valid_score = (None, None) if valid_batches is None else evaluate(
                network, loss_fn, score_fn, valid_batches, device, None if first else deadline, prepare)
        except DeadlineExceeded:
            log.stopped_at_deadline = True
            break
        log.epochs.append({"epoch": epoch, "train_loss": train_loss, "valid_loss": valid_loss,
                           "valid_score": valid_score, "learning_rate": optimiser.param_groups[0]["lr"],
                           "seconds": round(time.monotonic() - started, 3)})
        if best_state is None or valid_loss is None or valid_loss < best_loss:
            best_loss, log.best_epoch, waited = (valid_loss if valid_loss is not None else math.inf), epoch, 0
            best_state = {name: value.detach().clone() for name, value in network.state_dict().items()}
        else:
            waited += 1
        if cut:
            log.stopped_at_deadline = True
            break
        if waited >= schedule.patience:
            break
    return log, best_state


WARM_UP = 0.2          # of the training, the learning rate rises to its peak
START_FACTOR = 0.04    # of the peak, where it starts (as OneCycleLR's default, 1/25)
END_FACTOR = 1e-3      # of the peak, where it ends


def one_cycle(total_steps: int, started: float, deadline: float | None) -> Callable[[int], float]:
    """The learning rate's factor at a step: a linear rise over the first WARM_UP of the
    training, then a cosine fall to END_FACTOR (Smith's one-cycle policy). Progress is the
    share of the steps done or, with a deadline, of the time gone, whichever is further: a
    network cut by the time limit then ends with its rate already low, not at its peak (on
    MNIST, a 30-epoch cycle cut after 6 epochs kept a high rate, and a worse network)."""
    def factor(step: int) -> float:
        progress = step / total_steps
        if deadline is not None and deadline > started:
            progress = max(progress, (time.monotonic() - started) / (deadline - started))
        progress = min(progress, 1.0)
        if progress < WARM_UP:
            return START_FACTOR + (1.0 - START_FACTOR) * progress / WARM_UP
        fall = (progress - WARM_UP) / (1.0 - WARM_UP)
        return END_FACTOR + (1.0 - END_FACTOR) * 0.5 * (1.0 + math.cos(math.pi * fall))
    return factor


def import_torch() -> None:
    """Import torch and what its optimisers import on first use (its compiler's modules)."""
    import torch

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])


def _then(first, second):
    """``first`` then ``second``, either of which may be None."""
    if first is None or second is None:
        return first or second
    return lambda inputs: second(first(inputs))


def check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded("the training ran past its deadline")


def _train_epoch(network, loss_fn, batches: Batches, optimiser, lr_schedule, device, transform, deadline,
                 at_least_one: bool = False) -> tuple[float, bool]:
    """(mean training loss, whether ``deadline`` cut the epoch short)."""
    import torch

    network.train()
    total, count = 0.0, 0
    for inputs, targets in batches():
        if deadline is not None and time.monotonic() >= deadline and not (at_least_one and count == 0):
            return total / max(count, 1), True
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        if transform is not None:
            inputs = transform(inputs)
        optimiser.zero_grad(set_to_none=True)
        with autocast(device):
            loss = loss_fn(network(inputs), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), CLIP_NORM)
        optimiser.step()
        lr_schedule.step()
        total, count = total + float(loss.detach()) * len(targets), count + len(targets)
    return total / max(count, 1), False


def evaluate(network, loss_fn, score_fn, batches: Batches, device, deadline: float | None = None,
             prepare=None) -> tuple[float, float]:
    """(mean loss, score) of ``network`` over ``batches`` (each ``prepare``d first)."""
    import torch

    network.eval()
    outputs, targets, total = [], [], 0.0
    with torch.inference_mode():
        for inputs, target in batches():
            check_deadline(deadline)
            inputs = inputs.to(device)
            with autocast(device):
                output = network(inputs if prepare is None else prepare(inputs)).float()
            total += float(loss_fn(output, target.to(device))) * len(target)
            outputs.append(output.cpu())
            targets.append(target)
    output, target = torch.cat(outputs), torch.cat(targets)
    return total / max(len(target), 1), float(score_fn(output, target))
