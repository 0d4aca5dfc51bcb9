#!/usr/bin/env python3
"""Image classification on tables of pixels (issue 21's targets): the image network alone, the
tabular families alone, and manabu choosing among all of them, on the same split.

Sets (``../shared/data/images/``): sklearn_digits_8x8 (1,797 digits of 8 x 8 pixels, values
0-16) and mnist_5k (5,000 MNIST digits of 28 x 28, values 0-255). Each is split once, stratified,
80% to train and 20% held out (seed 0). Each run is ``manabu.fit`` with ``--time-limit`` (the
whole call: reading, search, refit); the held-out rows are scored after, on accuracy. Targets:
the network at least 0.98 (digits) and 0.975 (MNIST) within 120 s of training on the CPU, and
the default run choosing the better of the network and the tabular families itself.

    python bench/images.py --time-limit 120 --out bench/results/images_issue21.jsonl

``--speed`` measures instead what serving and predicting cost, on mnist_5k written as PNG files
(the same 80/20 split: 4,000 training files in one sub-folder per digit, the 1,000 held-out files
likewise), with a model that ``manabu train FOLDER --models cnn`` trains in a child process:

- ``train``: that training's wall time and peak memory (the child's peak RSS, from
  ``getrusage(RUSAGE_CHILDREN)`` in a process that runs only it); with ``--speed-tables`` also
  ``manabu train`` on each pixel table of ``--sets``, every family (the default run);
- ``latency``: one image file predicted in process (``manabu.load`` once, then ``predict`` on a
  one-row table of the file; with PyTorch's threads as the process has them, one per core, and
  again on one thread), and one file POSTed as multipart/form-data to ``manabu serve``
  started on a loopback port: median and 90th percentile of ``--repeats`` calls, after warm-up
  calls, each call on another training file (decoded files are cached in process: a file predicted
  twice would not be decoded the second time);
- ``batch``: the 1,000 held-out files through ``manabu predict MODEL FOLDER -o out.csv`` (the whole
  command: start, load, decoding, writing) and through the Python API (``predictor.predict`` on
  the folder's table), as images per second, with the accuracy of the answers;
- ``onnx``: the network written by ``manabu export-onnx`` and run by ONNX Runtime on the same
  arrays (decoding excluded), beside the PyTorch network (also on one thread), one image and 1,000.

    python bench/images.py --speed --time-limit 60 --out bench/results/images_issue21_speed.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

import manabu
from manabu.models.zoo import ZOO

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "images"
SETS = {"sklearn_digits_8x8": "target", "mnist_5k": "label"}
TARGETS = {"sklearn_digits_8x8": 0.98, "mnist_5k": 0.975}


def runs() -> dict[str, list[str] | None]:
    tabular = [name for name, entry in ZOO.items() if not entry.needs_images and not entry.needs_text]
    return {"network": ["cnn"], "tabular": tabular, "default": None}


def one(name: str, target: str, run: str, models, time_limit: float) -> dict:
    frame = pd.read_parquet(DATA / f"{name}.parquet")
    train, test = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame[target])
    started = time.monotonic()
    predictor = manabu.fit(train, target, time_limit=time_limit, models=models, verbose=False)
    seconds = time.monotonic() - started
    answered = time.monotonic()
    predicted = predictor.predict(test.drop(columns=[target]))
    return {"set": name, "run": run, "time_limit": time_limit, "seconds": round(seconds, 1),
            "best_model": predictor.record.best_model,
            "accuracy": round(float(accuracy_score(test[target], predicted)), 4),
            "target": TARGETS[name], "predict_s_per_1000": round((time.monotonic() - answered) / len(test) * 1000, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


# -- speed and memory (--speed) ------------------------------------------------------------------

SPEED_SET = "mnist_5k"
WARM_UP = 5
MEASURE_RSS = ("import json, resource, subprocess, sys, time; started = time.monotonic(); "
               "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
               "print(json.dumps({'code': code, 'seconds': time.monotonic() - started, "
               "'peak_rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")


def manabu_command(*args) -> list[str]:
    return [sys.executable, "-m", "manabu.cli", *map(str, args)]


def with_peak_memory(command: list[str]) -> dict:
    """Run ``command`` in a child of a fresh process: its wall time and its peak RSS."""
    done = subprocess.run([sys.executable, "-c", MEASURE_RSS, *command], capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["code"] != 0:
        raise SystemExit(f"{' '.join(command)} exited with {measured['code']}")
    return {"seconds": round(measured["seconds"], 1), "peak_rss_mb": round(measured["peak_rss_kb"] / 1024)}


def png_folders(root: Path) -> tuple[Path, Path]:
    """mnist_5k as PNG files: train/<digit>/<n>.png and test/<digit>/<n>.png (80/20, seed 0)."""
    from PIL import Image

    frame = pd.read_parquet(DATA / f"{SPEED_SET}.parquet")
    target = SETS[SPEED_SET]
    train, test = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame[target])
    for part, rows in (("train", train), ("test", test)):
        pixels = rows.drop(columns=[target]).to_numpy(dtype="uint8").reshape(len(rows), 28, 28)
        for index, (image, label) in enumerate(zip(pixels, rows[target])):
            folder = root / part / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{index:05d}.png")
    return root / "train", root / "test"


def timings(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 2), "calls": len(ordered)}


def latency_in_process(model: Path, files: list[Path], repeats: int, threads: int | None = None) -> dict:
    """``threads``: PyTorch's threads for the calls (None: as the process has them, one per core)."""
    import torch

    started = time.monotonic()
    predictor = manabu.load(model)
    loaded = time.monotonic() - started
    seconds, before = [], torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        for index, file in enumerate(files[:WARM_UP + repeats]):
            one_row = pd.DataFrame({"image": [str(file)]})
            began = time.perf_counter()
            predictor.predict(one_row)
            if index >= WARM_UP:
                seconds.append(time.perf_counter() - began)
    finally:
        torch.set_num_threads(before)
    return {"load_s": round(loaded, 2), "torch_threads": threads or before, **timings(seconds)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def latency_served(model: Path, files: list[Path], repeats: int, threads: int | None = None) -> dict:
    """``threads``: the server's OMP_NUM_THREADS, PyTorch's threads (None: one per core)."""
    import httpx

    port = free_port()
    started = time.monotonic()
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    server = subprocess.Popen(manabu_command("serve", model, "--port", port), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0) as client:
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() - started > 120:
                    raise SystemExit("manabu serve did not start")
                time.sleep(0.2)
            ready = time.monotonic() - started
            seconds = []
            for index, file in enumerate(files[:WARM_UP + repeats]):
                body = [("image", (file.name, file.read_bytes(), "image/png"))]
                began = time.perf_counter()
                answer = client.post("/predict", files=body)
                elapsed = time.perf_counter() - began
                answer.raise_for_status()
                if index >= WARM_UP:
                    seconds.append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"server_ready_s": round(ready, 1), "torch_threads": threads or os.cpu_count(), **timings(seconds)}


def batch_cli(model: Path, folder: Path, work: Path) -> dict:
    out = work / "predicted.csv"
    started = time.monotonic()
    subprocess.run(manabu_command("predict", model, folder, "-o", out), check=True, capture_output=True)
    seconds = time.monotonic() - started
    answers = pd.read_csv(out)
    right = (answers["label_predicted"].astype(str) == answers["label"].astype(str)).mean()
    return {"images": len(answers), "seconds": round(seconds, 2), "images_per_s": round(len(answers) / seconds, 1),
            "accuracy": round(float(right), 4)}


def batch_api(model: Path, folder: Path) -> dict:
    predictor = manabu.load(model)
    frame = manabu.read(folder)
    started = time.monotonic()
    predicted = predictor.predict(frame.drop(columns=["label"]))
    seconds = time.monotonic() - started
    return {"images": len(frame), "seconds": round(seconds, 2), "images_per_s": round(len(frame) / seconds, 1),
            "accuracy": round(float((predicted.astype(str) == frame["label"].astype(str)).mean()), 4)}


def onnx_speed(model: Path, folder: Path, work: Path, repeats: int) -> dict:
    import numpy as np
    import onnxruntime

    onnx_file = work / "model.onnx"
    subprocess.run(manabu_command("export-onnx", model, "-o", onnx_file), check=True, capture_output=True)
    predictor = manabu.load(model)
    frame = manabu.read(folder)
    images = predictor.pipeline.steps[0][1].transform(frame)
    network = predictor.pipeline.steps[-1][1]
    import torch

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # as many threads as PyTorch's
    session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def one_image(answer) -> dict:
        seconds = []
        for index in range(WARM_UP + repeats):
            began = time.perf_counter()
            answer(images[index:index + 1])
            if index >= WARM_UP:
                seconds.append(time.perf_counter() - began)
        return timings(seconds)

    def per_second(answer) -> float:
        began = time.perf_counter()
        answer(images)
        return round(len(images) / (time.perf_counter() - began), 1)

    def one_thread(answer):
        def answered(batch):
            before = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return answer(batch)
            finally:
                torch.set_num_threads(before)
        return answered

    run = lambda batch: session.run(None, {"images": batch})[0]  # noqa: E731
    difference = float(np.max(np.abs(run(images) - network.predict_proba(images))))
    return {"onnx_one_image": one_image(run), "torch_one_image": one_image(network.predict_proba),
            "torch_one_image_one_thread": one_image(one_thread(network.predict_proba)),
            "onnx_images_per_s": per_second(run), "torch_images_per_s": per_second(network.predict_proba),
            "onnx_bytes": onnx_file.stat().st_size, "largest_difference": difference,
            "threads": torch.get_num_threads()}


def speed(args):
    """The rows of --speed, as they are measured: training's memory, one image's latency, a
    batch's images per second, ONNX Runtime beside PyTorch."""
    common = {"set": SPEED_SET, "time_limit": args.time_limit, "cpus": os.cpu_count(),
                        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
                        "note": args.note}
    with tempfile.TemporaryDirectory(prefix="manabu_bench_images_") as temporary:
        work = Path(temporary)
        train, test = png_folders(work)
        model = work / "model"
        trained = with_peak_memory(manabu_command("train", train, "--models", "cnn", "--time-limit", args.time_limit,
                                                  "-o", model))
        yield {**common, "run": "train_memory", "data": "4,000 PNG files (28x28 grey), --models cnn",
               "best_model": manabu.load(model).record.best_model, **trained}
        if args.speed_tables:
            for name in args.sets.split(","):
                command = manabu_command("train", DATA / f"{name}.parquet", "--target", SETS[name],
                                         "--time-limit", args.time_limit, "-o", work / name)
                yield {**common, "set": name, "run": "train_memory", "data": "pixel table, every family",
                       **with_peak_memory(command), "best_model": manabu.load(work / name).record.best_model}
        files = sorted(train.rglob("*.png"))[::5]  # digits of every class, each file once
        yield {**common, "run": "latency_in_process", "what": "manabu.load, then predict on one PNG file",
               **latency_in_process(model, files, args.repeats)}
        yield {**common, "run": "latency_in_process", "what": "the same, PyTorch on one thread",
               **latency_in_process(model, files[WARM_UP + args.repeats:], args.repeats, threads=1)}
        yield {**common, "run": "latency_serve", "what": "POST /predict, one PNG as multipart/form-data",
               **latency_served(model, files[-(WARM_UP + args.repeats):], args.repeats)}
        yield {**common, "run": "latency_serve", "what": "the same, the server started with OMP_NUM_THREADS=1",
               **latency_served(model, files[-(WARM_UP + args.repeats):], args.repeats, threads=1)}
        yield {**common, "run": "batch_cli", "what": "manabu predict MODEL test/ -o out.csv (whole command)",
               **batch_cli(model, test, work)}
        yield {**common, "run": "batch_api", "what": "predictor.predict on the folder's 1,000 files",
               **batch_api(model, test)}
        yield {**common, "run": "onnx", "what": "manabu export-onnx, ONNX Runtime on ImageInput's arrays",
               **onnx_speed(model, test, work, args.repeats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--runs", default="network,tabular,default")
    parser.add_argument("--speed", action="store_true", help="latency, images/s and training memory instead")
    parser.add_argument("--speed-tables", action="store_true", help="with --speed: also train on the tables of --sets")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--note", default="", help="with --speed: kept in each row (what else ran on the machine)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.speed:
        produced = speed(args)
    else:
        produced = (one(name, SETS[name], run, runs()[run], args.time_limit)
                    for name in args.sets.split(",") for run in args.runs.split(","))
    for row in produced:
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as file:
                file.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
