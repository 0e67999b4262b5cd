"""Benchmark: the output store's hand-over — publish N letter-sized files from a render task's workspace, then
fetch them back in the batch task's workspace — on the local folder and on an S3-compatible bucket (a moto
server in its own process, through Airflow's object storage), same files, same run.

    uv run python bench/bench_store.py                  # 500 files of 60 kB
    uv run python bench/bench_store.py --files 2000 --size 80000

Prints, per store: publish and fetch time, files per second, and the bucket/local ratio, with the machine's
load (``uptime``) beside the figures. moto answers on 127.0.0.1: the figures are the store's own cost
(requests, copies), not a real S3 round trip (add the network's latency per request, 8 requests at a time).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def run(store, files: int, size: int) -> tuple[float, float]:
    payload = os.urandom(size)
    prefix = "2025-09/03_bench"
    started = time.perf_counter()
    with store.workspace(prefix) as ws:                          # a render task
        folder = ws.root / "letters"
        folder.mkdir(parents=True, exist_ok=True)
        locations = []
        for i in range(files):
            path = folder / f"L-{i:06d}_D{i:06d}.pdf"
            path.write_bytes(payload)
            locations.append(ws.location(path))
    published = time.perf_counter() - started
    started = time.perf_counter()
    with store.workspace(prefix, names=("mailroom/batches/*",)) as ws:   # the batch task
        paths = ws.fetch(locations)
        assert sum(p.stat().st_size for p in paths) == files * size
    fetched = time.perf_counter() - started
    return published, fetched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--size", type=int, default=60_000)
    args = parser.parse_args()

    from s3_server import S3Server, _free_port

    port = _free_port()     # moto in its own process: it does not share this process's GIL
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = S3Server(endpoint=f"http://127.0.0.1:{port}", moto=moto)
    for _ in range(100):
        try:
            server.client().list_buckets()
            break
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.2)
    try:
        return _bench(server, args)
    finally:
        moto.terminate()
        moto.wait(timeout=30)


def _bench(server, args) -> int:
    from s3_server import connection_json

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        os.environ["ARREARS_VAR_DIR"] = f"{tmp}/var"
        os.environ["AIRFLOW_CONN_ARREARS_OUTPUT"] = connection_json(server)
        server.client().create_bucket(Bucket="bench")
        from arrears.core.store import LocalStore, ObjectStore

        local = LocalStore(Path(tmp) / "output")
        bucket = ObjectStore("s3://arrears_output@bench/prod", scratch=Path(tmp) / "scratch")
        bucket.exists("warm-up")                                  # connection and imports, not timed
        figures = {"local": run(local, args.files, args.size), "bucket": run(bucket, args.files, args.size)}
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"{args.files} files of {args.size / 1000:.0f} kB; load: {load}")
    for name, (published, fetched) in figures.items():
        print(f"  {name:<6} publish {published:6.2f} s ({args.files / published:7.0f} files/s)   "
              f"fetch {fetched:6.2f} s ({args.files / fetched:7.0f} files/s)")
    (lp, lf), (bp, bf) = figures["local"], figures["bucket"]
    print(f"  bucket / local: publish x{bp / lp:.1f}, fetch x{bf / lf:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
