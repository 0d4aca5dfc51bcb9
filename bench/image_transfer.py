"""Transfer learning on hymenoptera (ants and bees, its own train/val folders): a network from
scratch against one that transfers a checkpoint pretrained here, on another set.

No ImageNet weights can be downloaded here, so the checkpoint is pretrained on the only natural
photographs this machine holds (the sample photos that scikit-learn and Matplotlib ship), as an
Exemplar-CNN (Dosovitskiy et al., 2014): each of a few hundred random patches is its own class,
learnt through heavy augmentation, which teaches colour, edge and texture features without labels.
The checkpoint is written as a torchvision-named safetensors state dict with its normalisation in
the metadata, exactly what a user would give with ``--image-model``.

    python bench/image_transfer.py [--time-limit 180] [--pretrain-seconds 240]

Results are appended to bench/results/image_transfer_issue21.jsonl.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

HYMENOPTERA = Path(__file__).resolve().parents[2] / "shared" / "data" / "images" / "hymenoptera"
RESULTS = Path(__file__).resolve().parent / "results" / "image_transfer_issue21.jsonl"
PATCH = 64


def sample_photos() -> list[Path]:
    import matplotlib
    import sklearn.datasets

    images = Path(sklearn.datasets.__file__).parent / "images"
    return [images / "china.jpg", images / "flower.jpg",
            Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"]


def exemplar_patches(n_classes: int, copies: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` random patches (of 48 to 200 pixels, scaled to PATCH) of the sample photos,
    each ``copies`` times: (images (n, 3, PATCH, PATCH) in [0, 1], class codes)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    photos = [Image.open(path).convert("RGB") for path in sample_photos()]
    patches = []
    for index in range(n_classes):
        photo = photos[index % len(photos)]
        size = int(rng.integers(48, 200))
        left, top = int(rng.integers(0, photo.width - size)), int(rng.integers(0, photo.height - size))
        patch = photo.crop((left, top, left + size, top + size)).resize((PATCH, PATCH), Image.BILINEAR)
        patches.append(np.asarray(patch, dtype=np.float32).transpose(2, 0, 1) / 255.0)
    images = np.repeat(np.stack(patches), copies, axis=0)
    return images, np.repeat(np.arange(n_classes), copies)


def pretrain(folder: Path, seconds: float, seed: int) -> tuple[Path, dict]:
    from safetensors.torch import save_file

    from manabu.models.images.family import ImageCNNClassifier
    from manabu.models.text_torch import torch_weights

    images, codes = exemplar_patches(400, 12, seed)
    started = time.monotonic()
    network = ImageCNNClassifier(width=32, max_epochs=40, patience=40, n_threads=1,
                                 random_state=seed).fit(images, codes, deadline=time.monotonic() + seconds)
    path = folder / "exemplar_resnet.safetensors"
    save_file(torch_weights(network.weights_), str(path),
              metadata={"mean": json.dumps(network.mean_), "std": json.dumps(network.std_)})
    last = network.log_["epochs"][-1]
    return path, {"pretrain_seconds": round(time.monotonic() - started, 1), "pretrain_epochs": len(network.log_["epochs"]),
                  "pretrain_valid_accuracy": last["valid_score"], "pretrain_images": len(images),
                  "pretrain_classes": 400, "network": network.config_}


def fit_and_score(time_limit: float, models: str, image_model: Path | None, seed: int) -> dict:
    import pandas as pd

    import manabu

    started = time.monotonic()
    predictor = manabu.fit(str(HYMENOPTERA / "train"), time_limit=time_limit, models=models.split(","),
                           image_model=image_model, seed=seed, verbose=False)
    seconds = time.monotonic() - started
    files = sorted(p for p in (HYMENOPTERA / "val").rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    truth = [p.parent.name for p in files]
    answers = predictor.predict(pd.DataFrame({"image": [str(p) for p in files]}))
    return {"models": models, "accuracy": round(float(np.mean(np.asarray(answers) == np.asarray(truth))), 4),
            "fit_seconds": round(seconds, 1), "best": predictor.record.best_model, "val_images": len(files)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=180.0)
    parser.add_argument("--pretrain-seconds", type=float, default=240.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/manabu-bench-transfer"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint, pretraining = pretrain(args.work, args.pretrain_seconds, args.seed)
    print(json.dumps(pretraining))
    record = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.node(), "cpus": os.cpu_count(),
              "time_limit": args.time_limit, "seed": args.seed, "note": args.note,
              "pretraining": {k: v for k, v in pretraining.items() if k != "network"},
              "pretrained_on": "Exemplar-CNN on 400 random patches of scikit-learn's and Matplotlib's sample photos"}
    record["scratch"] = fit_and_score(args.time_limit, "cnn", None, args.seed)
    print(json.dumps(record["scratch"]))
    record["transfer"] = fit_and_score(args.time_limit, "transfer", checkpoint, args.seed)
    print(json.dumps(record["transfer"]))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
