"""How a network trained, epoch by epoch, for the report: the loss on the training images and on
the held-out ones, the held-out score, and a verdict in words (overfitting, still improving,
converged, or cut by the time limit).

It reads what the network family keeps from its training (the estimator's ``log_``: see
``deep.trainer.TrainingLog``), so any family that keeps one is shown."""
from __future__ import annotations

from typing import Any

OVERFIT_RISE = 0.10  # the last validation loss this far above its lowest, the training loss still falling


def training_curves(model: Any, name: str) -> dict[str, Any] | None:
    """The epochs of the network in ``model`` (a pipeline, or an ensemble's first network
    member), with the member's name and a verdict; None where no network was trained."""
    for member_name, estimator in _final_estimators(model, name):
        log = getattr(estimator, "log_", None)
        if isinstance(log, dict) and log.get("epochs"):
            return {"model": member_name, "epochs": log["epochs"], "best_epoch": log.get("best_epoch"),
                    "stopped_at_deadline": bool(log.get("stopped_at_deadline")),
                    "max_epochs": getattr(estimator, "max_epochs", None), "verdict": verdict(log)}
    return None


def verdict(log: dict[str, Any]) -> str:
    """"cut" (the time limit stopped it), "no_validation" (too few images to hold any out),
    "overfitting", "still_improving" (its best epoch was its last), or "converged"."""
    epochs = log["epochs"]
    if log.get("stopped_at_deadline"):
        return "cut"
    valid = [e.get("valid_loss") for e in epochs]
    if any(v is None for v in valid):
        return "no_validation"
    lowest = min(valid)
    best = valid.index(lowest)
    train = [e["train_loss"] for e in epochs]
    if valid[-1] > lowest * (1 + OVERFIT_RISE) and train[-1] < train[best]:
        return "overfitting"
    if best == len(valid) - 1:
        return "still_improving"
    return "converged"


def pipelines(model: Any, name: str) -> list[tuple[str, Any]]:
    """(name, pipeline) of each model within ``model``: an ensemble's members in its order, or
    the model itself (the saliency maps look for their network here too)."""
    members = getattr(model, "members", None)
    return list(members) if members is not None else [(name, model)]


def _final_estimators(model: Any, name: str):
    for member_name, pipeline in pipelines(model, name):
        yield member_name, last_step(pipeline)


def last_step(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model
