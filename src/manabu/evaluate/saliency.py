"""Where a network looks when it answers: saliency maps for the report of an image model, in
place of SHAP values, which per pixel column (or per image file) say nothing a reader can see
and cost a model-agnostic explainer thousands of predictions per image.

Two maps per image, both computed by ``captum`` (PyTorch's attribution library), both for one
class (the report asks for the class the held-out prediction chose):

- Grad-CAM (Selvaraju et al., 2017) on the last stage's feature map of the ResNet (the output of
  ``deep.networks.ResNet.features``): the regions that raise the class's score, coarse (a map of
  a few cells a side, scaled up to the image);
- integrated gradients (Sundararajan et al., 2017) from a black image: the pixels, sharp.

They are maps of the network as the estimator keeps it, its inputs normalised as it normalises
them (``mean_``, ``std_``): the saved model, not a stand-in. captum is optional (the ``deep``
extra names it): without it ``saliency_maps`` returns None, and the report says what to install
rather than drawing maps of a home-made method that no one else could check.
"""
from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from manabu.evaluate.networks import last_step, pipelines
from manabu.models.text_torch import torch_settings

IG_STEPS = 16          # integration steps: maps for the eye, not the completeness axiom to 1e-3
TOP_QUANTILE = 0.99    # a map is scaled so that this quantile is 1: one hot pixel does not blank the rest


def network_of(model: Any, name: str) -> tuple[str, Any] | None:
    """(name, pipeline) of the first model within ``model`` (itself, or an ensemble's member)
    whose last step is an image network (it has ``network()`` and the inputs' ``mean_``)."""
    for member_name, pipeline in pipelines(model, name):
        estimator = last_step(pipeline)
        if callable(getattr(estimator, "network", None)) and hasattr(estimator, "mean_"):
            return member_name, pipeline
    return None


def captum_available() -> bool:
    return importlib.util.find_spec("captum") is not None


def saliency_maps(estimator: Any, images: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray] | None:
    """For each image (rows, channels, height, width, as the estimator takes them) the maps of
    its ``targets`` output (an index into the network's outputs): ``{"grad_cam": (rows, height,
    width), "integrated_gradients": ...}``, each in [0, 1] (Grad-CAM left out of a network
    without ResNet stages). None without captum."""
    if not captum_available():
        return None
    import torch
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam

    network = estimator.network()
    model = _normalised(network, estimator.mean_, estimator.std_)
    inputs = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    target = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    maps = {}
    stage = getattr(network, f"layer{getattr(network, 'n_stages', 0)}", None)
    # one thread: these batches are small, and two threads on a busy 2-core machine took 50 times as long
    with torch_settings(1):
        if stage is not None:
            cam = LayerGradCam(model, stage).attribute(inputs, target=target, relu_attributions=True)
            cam = LayerAttribution.interpolate(cam, tuple(images.shape[2:]), interpolate_mode="bilinear")
            maps["grad_cam"] = _unit(cam.detach().sum(dim=1).numpy())
        gradients = IntegratedGradients(model).attribute(inputs, baselines=torch.zeros_like(inputs), target=target,
                                                         n_steps=IG_STEPS, internal_batch_size=IG_STEPS)
        maps["integrated_gradients"] = _unit(gradients.detach().abs().sum(dim=1).numpy())
    return maps


def _normalised(network: Any, mean: list[float], std: list[float]) -> Any:
    """The network behind the estimator's own normalisation, so that attributions are of the
    pixels as the estimator takes them (a black baseline is black, not the mean image)."""
    import torch

    class Normalised(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

        def forward(self, x):
            return self.network((x - self.mean) / self.std)

    return Normalised().eval()


def _unit(maps: np.ndarray) -> np.ndarray:
    """Each map scaled into [0, 1] by its own TOP_QUANTILE (a map of zeros stays zeros)."""
    maps = np.nan_to_num(np.asarray(maps, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    maps = np.clip(maps, 0.0, None)
    top = np.quantile(maps.reshape(len(maps), -1), TOP_QUANTILE, axis=1) if maps.size else np.empty(0)
    scale = np.where(top > 0, top, 1.0).reshape(-1, *([1] * (maps.ndim - 1)))
    return np.clip(maps / scale, 0.0, 1.0)
