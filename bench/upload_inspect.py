"""Benchmark: upload a ≥ 1 GB CSV through the local signed URL, inspect it, compare with bare Polars.

    .venv/bin/python bench/upload_inspect.py                  # 100 MB and 1024 MB files
    .venv/bin/python bench/upload_inspect.py --sizes-mb 1024  # just the 1 GB file

For each size it writes a CSV (20 columns: ints, floats, short strings, some nulls) into a temp
directory, starts a real web server (gunicorn, one sync worker) on a fresh SQLite database and a
temp MEDIA_ROOT, creates a dataset through the API (X-API-Key), PUTs the file to the signed URL with
http.client in 1 MB chunks, calls complete, then runs the inspection (`dataset_inspect`, the
worker's code path) in a separate process, and finally a bare Polars streaming pass (per-column null
count, min, max, approximate distinct count) in another process. Peak RSS is each process's VmHWM
from /proc (Linux). Both timings start after Polars is imported (a worker imports it once); the
"with process start" time includes Django setup and the imports. Goals (issue 3): web peak < 150 MB
and flat across sizes, worker < 1 GB, inspection ≤ 2× the bare pass.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MB = 1024 * 1024


def vm_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_csv(path: Path, target_bytes: int) -> int:
    """Write a 20-column CSV of at least target_bytes in blocks (polars + numpy, seeded per block)."""
    import numpy as np
    import polars as pl

    rows = 0
    with open(path, "wb") as out:
        block = 0
        while out.tell() < target_bytes:
            rng = np.random.default_rng(block)
            n = 200_000
            columns = {"id": np.arange(rows, rows + n)}
            for i in range(6):
                columns[f"int_{i}"] = rng.integers(0, 10 ** (i + 2), n)
            for i in range(6):
                values = rng.normal(100 * i, 10, n).round(3)
                columns[f"float_{i}"] = np.where(rng.random(n) < 0.02, np.nan, values)
            words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"])
            for i in range(7):
                columns[f"text_{i}"] = np.char.add(
                    words[rng.integers(0, 8, n)], rng.integers(0, 10**i + 1, n).astype(str)
                )
            frame = pl.DataFrame(columns).with_columns(pl.col(pl.Float64).fill_nan(None))
            frame.write_csv(out, include_header=block == 0)
            rows += n
            block += 1
    return rows


def run_env(workdir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="synthos.settings.base",
        DEBUG="0",
        SECRET_KEY="bench-" + secrets.token_hex(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        MEDIA_ROOT=str(workdir / "media"),
        DATASET_STORAGE="local",
        LOG_LEVEL="WARNING",
        RATE_LIMIT_FREE="100000/10000",
        PYTHONPATH=str(ROOT),
    )
    return env


def django_snippet(env: dict, code: str) -> str:
    result = subprocess.run(
        [PYTHON, "-c", "import django; django.setup()\n" + textwrap.dedent(code)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"a Django step failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


WORKER = """
import time, json
from pathlib import Path
from datasets.models import Dataset
from datasets.services import dataset_inspect
import validations.engine.io  # imports Polars: outside the timing, as in the bare pass below
start = time.perf_counter()
dataset_inspect(dataset_id="{dataset_id}")
wall = time.perf_counter() - start
d = Dataset.objects.get(pk="{dataset_id}")
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"wall": wall, "hwm_kb": int(hwm), "status": d.status, "error": d.error, "rows": d.row_count,
                  "columns": len(d.columns)}}))
"""

BARE = """
import time, json, sys
from pathlib import Path
import polars as pl
path = sys.argv[1]
start = time.perf_counter()
lf = pl.scan_csv(path)
names = lf.collect_schema().names()
exprs = []
for name in names:
    c = pl.col(name)
    exprs += [c.null_count().alias(name + ":nulls"), c.min().alias(name + ":min"), c.max().alias(name + ":max"),
              c.approx_n_unique().alias(name + ":distinct")]
row = lf.select(exprs).collect(engine="streaming")
wall = time.perf_counter() - start
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"wall": wall, "hwm_kb": int(hwm), "rows": lf.select(pl.len()).collect(engine="streaming").item()}))
"""


def put_file(url: str, path: Path, size: int, on_chunk) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    conn.putrequest("PUT", parts.path + (f"?{parts.query}" if parts.query else ""))
    conn.putheader("Content-Length", str(size))
    conn.putheader("Content-Type", "text/csv")
    conn.endheaders()
    with open(path, "rb") as handle:
        while chunk := handle.read(MB):
            conn.send(chunk)
            on_chunk()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def api(base: str, method: str, path: str, key: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"X-API-Key": key, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read() or b"{}")


def bench_one(size_mb: int, keep: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="synthos-bench-"))
    try:
        return _bench_in(workdir, size_mb)
    finally:
        if not keep:
            subprocess.run(["rm", "-rf", str(workdir)], check=True)


def _bench_in(workdir: Path, size_mb: int) -> dict:
    env = run_env(workdir)
    csv_path = workdir / "data.csv"
    start = time.perf_counter()
    rows = write_csv(csv_path, size_mb * MB)
    size = csv_path.stat().st_size
    print(f"\n== {size / MB:,.0f} MB CSV, {rows:,} rows × 20 columns (written in {time.perf_counter() - start:.1f} s)")

    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    key = django_snippet(
        env,
        """
        from accounts.tests.factories import make_verified_user
        from accounts.services import api_key_create
        user = make_verified_user(email="bench@example.com", password="bench-password-123")
        print(api_key_create(user=user, name="bench")[1])
        """,
    )

    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "synthos.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--timeout",
            "900",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        created = api(
            base,
            "POST",
            "/api/v1/datasets",
            key,
            {"name": "bench", "filename": "data.csv", "format": "csv", "size_bytes": size},
        )
        worker_pids = children(server.pid)
        web_pid = worker_pids[0]
        rss_before = vm_kb(web_pid, "VmRSS")
        peak_rss = [rss_before]

        def sample():
            peak_rss[0] = max(peak_rss[0], vm_kb(web_pid, "VmRSS"))

        start = time.perf_counter()
        status, body = put_file(created["upload"]["url"], csv_path, size, sample)
        upload_wall = time.perf_counter() - start
        assert status == 200, (status, body)
        web_hwm = vm_kb(web_pid, "VmHWM")
        api(base, "POST", f"/api/v1/datasets/{created['dataset']['id']}/complete", key)
    finally:
        server.terminate()
        server.wait(timeout=30)

    start = time.perf_counter()
    worker = json.loads(django_snippet(env, WORKER.format(dataset_id=created["dataset"]["id"])))
    worker_process_wall = time.perf_counter() - start
    bare = json.loads(
        subprocess.run([PYTHON, "-c", BARE, str(csv_path)], capture_output=True, text=True, check=True).stdout
    )
    result = {
        "size_mb": size / MB,
        "rows": rows,
        "upload_wall": upload_wall,
        "upload_mb_s": size / MB / upload_wall,
        "web_rss_before_mb": rss_before / 1024,
        "web_rss_sampled_peak_mb": peak_rss[0] / 1024,
        "web_hwm_mb": web_hwm / 1024,
        "inspect_wall": worker["wall"],
        "inspect_process_wall": worker_process_wall,
        "inspect_mb_s": size / MB / worker["wall"],
        "worker_hwm_mb": worker["hwm_kb"] / 1024,
        "status": worker["status"],
        "error": worker["error"],
        "bare_wall": bare["wall"],
        "bare_hwm_mb": bare["hwm_kb"] / 1024,
        "ratio": worker["wall"] / bare["wall"],
    }
    print(f"upload:     {result['upload_wall']:.2f} s wall, {result['upload_mb_s']:,.0f} MB/s")
    print(
        f"web:        peak RSS {result['web_hwm_mb']:.1f} MB (VmHWM of the gunicorn worker; "
        f"{result['web_rss_before_mb']:.1f} MB before the PUT, "
        f"sampled peak during it {result['web_rss_sampled_peak_mb']:.1f} MB)"
    )
    print(
        f"inspection: {result['inspect_wall']:.2f} s wall ({result['inspect_process_wall']:.2f} s with process start), "
        f"{result['inspect_mb_s']:,.0f} MB/s, worker peak RSS {result['worker_hwm_mb']:.1f} MB, "
        f"status {result['status']}" + (f" ({result['error']})" if result["error"] else "")
    )
    print(f"bare Polars streaming pass: {result['bare_wall']:.2f} s wall, peak RSS {result['bare_hwm_mb']:.1f} MB")
    print(f"ratio inspection / bare pass: {result['ratio']:.2f}× (goal ≤ 2×)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-mb", default="100,1024", help="comma-separated file sizes in MB (default 100,1024)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directories")
    args = parser.parse_args()
    results = [bench_one(int(size), args.keep) for size in args.sizes_mb.split(",")]
    print("\n== summary")
    print(
        f"{'size MB':>8} {'upload s':>9} {'MB/s':>7} {'web MB':>7} {'inspect s':>10} "
        f"{'worker MB':>10} {'bare s':>7} {'ratio':>6}"
    )
    for r in results:
        print(
            f"{r['size_mb']:>8.0f} {r['upload_wall']:>9.2f} {r['upload_mb_s']:>7.0f} {r['web_hwm_mb']:>7.1f} "
            f"{r['inspect_wall']:>10.2f} {r['worker_hwm_mb']:>10.1f} {r['bare_wall']:>7.2f} {r['ratio']:>5.2f}×"
        )
    ok_web = all(r["web_hwm_mb"] < 150 for r in results)
    ok_worker = all(r["worker_hwm_mb"] < 1024 for r in results)
    ok_ratio = all(r["ratio"] <= 2 for r in results)
    print(
        f"goals: web < 150 MB {'met' if ok_web else 'MISSED'}; worker < 1 GB {'met' if ok_worker else 'MISSED'}; "
        f"inspection ≤ 2× bare {'met' if ok_ratio else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
