#!/usr/bin/env python3
"""Load test of ``manabu serve`` beside a naive FastAPI app, from a second process on loopback.

A LightGBM model is trained on a public set (adult by default). Each server runs in its own
process; this script sends single-row POST /predict requests at a fixed rate for ``--seconds``
per rate. The load is open-loop: request i is due at start + i/rate, and its latency counts
from that moment, so a slow answer delays the requests queued behind it and shows in their
latency too (no coordinated omission). Requests go over ``--connections`` keep-alive HTTP/1.1
connections written and read by hand (asyncio streams), so the client costs little CPU.

    python bench/serve_load.py                                  # 100, 300, 1000 req/s, 60 s each
    python bench/serve_load.py --rates 300 --seconds 20 --workers 2
    python bench/serve_load.py --requests 100000               # then resident memory over 100k requests

The naive app (bench/naive_server.py) unpickles the same fitted pipeline and answers each
request with a one-row DataFrame and ``predict_proba``. Both run one uvicorn worker unless
``--workers`` says otherwise for manabu. A request not answered within twice a phase's length
counts as an error.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "tabular"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="adult")
    parser.add_argument("--rates", default="100,300,1000", help="requests per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="per rate")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of manabu serve")
    parser.add_argument("--requests", type=int, default=0,
                        help="after the rates: this many requests to manabu at the highest rate, memory sampled")
    parser.add_argument("--servers", default="manabu,naive")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="serve_load_"))
    model_dir, naive_model, bodies = prepare_model(args.set, folder)
    rates = [float(r) for r in args.rates.split(",")]
    print(f"{args.set}: LightGBM, {len(bodies)} distinct request bodies, {args.connections} connections, "
          f"{args.seconds:g} s per rate, {os.cpu_count()} cores")
    print(f"{'server':>8} {'rate':>6} {'sent':>7} {'ok':>7} {'errors':>6} {'req/s':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'RSS MB':>7}")
    for name in args.servers.split(","):
        with server(name, model_dir, naive_model, args.workers) as (port, process):
            for rate in rates:
                result = asyncio.run(load(port, bodies, rate, args.seconds, args.connections))
                report(name, rate, result, rss_mb(process))
            if args.requests and name == "manabu":
                memory_over_requests(name, port, process, bodies, max(rates), args.requests, args.connections)


def prepare_model(set_name: str, folder: Path) -> tuple[Path, Path, list[bytes]]:
    import manabu

    meta = json.loads((DATA / set_name / "meta.json").read_text())
    train = pd.read_parquet(DATA / set_name / "train.parquet")
    test = pd.read_parquet(DATA / set_name / "test.parquet")
    predictor = manabu.fit(train, target=meta["target"], models=["lightgbm"], max_trials=1, time_limit=120,
                           verbose=False)
    model_dir = predictor.save(folder / "model")
    naive_model = folder / "naive.pkl"
    naive_model.write_bytes(pickle.dumps((predictor.pipeline, predictor.schema, predictor.classes)))
    rows = test.drop(columns=[meta["target"]]).head(1000)
    bodies = [json.dumps(record, default=str).encode() for record in
              json.loads(rows.to_json(orient="records", date_format="iso"))]
    return model_dir, naive_model, bodies


class server:
    """A server in its own process, on a free port, stopped with SIGINT."""

    def __init__(self, name: str, model_dir: Path, naive_model: Path, workers: int) -> None:
        self.port = free_port()
        if name == "manabu":
            command = [sys.executable, "-m", "manabu.cli", "serve", str(model_dir), "--port", str(self.port),
                       "--workers", str(workers)]
            env = dict(os.environ)
        else:
            command = [sys.executable, "-m", "uvicorn", "naive_server:app", "--port", str(self.port),
                       "--log-level", "warning"]
            env = {**os.environ, "NAIVE_MODEL": str(naive_model), "PYTHONPATH": str(HERE)}
        self.process = subprocess.Popen(command, env=env, cwd=HERE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)

    def __enter__(self):
        deadline = time.monotonic() + 120
        while not asyncio.run(healthy(self.port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {self.process.stderr.read()}")
            time.sleep(0.3)
        return self.port, psutil.Process(self.process.pid)

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def healthy(port: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.write(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
    status, _ = await read_response(reader)
    writer.close()
    return status == 200


def request_bytes(body: bytes) -> bytes:
    return (b"POST /predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
    return status, await reader.readexactly(length)


async def load(port: int, bodies: list[bytes], rate: float, seconds: float, connections: int) -> dict:
    """Open-loop load: request i is due at start + i / rate; latency counts from then."""
    total = int(rate * seconds)
    requests = [request_bytes(bodies[i % len(bodies)]) for i in range(total)]
    latencies = np.full(total, np.nan)
    start = time.perf_counter() + 0.5

    async def connection(first: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(first, total, connections):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                writer.write(requests[i])
                status, _ = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError):  # counted as unanswered
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            if status == 200:
                latencies[i] = time.perf_counter() - due
        writer.close()

    tasks = [asyncio.create_task(connection(k)) for k in range(min(connections, total))]
    # a server that falls behind would take far longer than the phase: what is not answered
    # within twice the phase's length counts as an error
    done, pending = await asyncio.wait(tasks, timeout=2 * seconds + 5)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    ok = latencies[~np.isnan(latencies)] * 1000
    return {"sent": total, "ok": len(ok), "errors": total - len(ok), "throughput": len(ok) / elapsed,
            "p50": float(np.percentile(ok, 50)) if len(ok) else float("nan"),
            "p99": float(np.percentile(ok, 99)) if len(ok) else float("nan"),
            "max": float(ok.max()) if len(ok) else float("nan")}


def rss_mb(process: psutil.Process) -> float:
    """Resident memory of the server and its worker processes."""
    processes = [process, *process.children(recursive=True)]
    return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20


def report(name: str, rate: float, result: dict, rss: float) -> None:
    print(f"{name:>8} {rate:6.0f} {result['sent']:7d} {result['ok']:7d} {result['errors']:6d} "
          f"{result['throughput']:7.0f} {result['p50']:7.2f} {result['p99']:7.2f} {result['max']:7.1f} {rss:7.0f}",
          flush=True)


def memory_over_requests(name: str, port: int, process: psutil.Process, bodies: list[bytes], rate: float,
                         requests: int, connections: int) -> None:
    """Resident memory after each fifth of ``requests`` requests at ``rate``."""
    step = requests // 5
    samples = [rss_mb(process)]
    for _ in range(5):
        asyncio.run(load(port, bodies, rate, step / rate, connections))
        samples.append(rss_mb(process))
    print(f"{name:>8} RSS MB at 0, {step:,}, ... {requests:,} requests: " + ", ".join(f"{s:.0f}" for s in samples),
          flush=True)


if __name__ == "__main__":
    main()
