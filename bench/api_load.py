"""Load test of the list/detail API under gunicorn, against a stock DRF list and bare Django.

    .venv/bin/python bench/api_load.py [--seconds 15] [--rounds 5] [--clients 32] [--threads 1,4]
        [--database synthos_bench_api]

Needs PostgreSQL and Redis on localhost (DATABASE_HOST_URL, default postgres://postgres@127.0.0.1:5432;
CACHE_URL, default redis://127.0.0.1:6379/0). It creates (or reuses) its own database, migrates it,
seeds one account with a ready dataset and 60 succeeded validations, then, once per server
configuration in `--threads` (default 1: 2 sync workers, the issue's reference and the production
setting in README.md; `--threads 1,4` adds 2 gthread workers with 4 threads each, for comparison),
starts gunicorn on 127.0.0.1 and a qcluster worker, and drives, one after another, with
`--clients` concurrent keep-nothing HTTP/1.1 clients (processes × threads, on loopback):

- ours: GET /api/v1/validations?limit=50 (JWT, tier throttle, envelope, cursor pagination)
- ours: GET /api/v1/datasets/{id}
- stock: a DRF ListAPIView + ModelSerializer + simplejwt's JWTAuthentication over the same 50 rows
- bare: a Django view returning JsonResponse({"ok": True})

Rate limits are raised with RATE_LIMIT_FREE so the throttle still runs but never refuses: any 429
voids the run. Prints requests/s, p50 and p99 for each, and the ratios to the stock DRF list.

The load generator: `wrk` when it is installed (`apt-get install wrk`; a small C program, so most of
the 2 cores go to the servers; a Lua script adds the auth header and counts status codes), else
the Python clients. `--generator python` forces the Python clients; the output names the one used.

When Django imports this file as the URLconf (bench/api_load_settings.py sets ROOT_URLCONF), it
defines the two comparison views and includes synthos.urls; nothing else runs then.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent


def _comparison_urlpatterns():
    from django.http import JsonResponse
    from django.urls import include, path
    from rest_framework import pagination, permissions, serializers
    from rest_framework.generics import ListAPIView
    from rest_framework.renderers import JSONRenderer
    from rest_framework_simplejwt.authentication import JWTAuthentication

    from validations.models import Validation

    class StockValidationSerializer(serializers.ModelSerializer):
        class Meta:
            model = Validation
            exclude = ("report", "timings", "owner")

    class StockPagination(pagination.PageNumberPagination):
        page_size = 50

    class StockValidationList(ListAPIView):
        authentication_classes = [JWTAuthentication]
        permission_classes = [permissions.IsAuthenticated]
        throttle_classes: list = []
        renderer_classes = [JSONRenderer]  # stock DRF, whatever our settings choose
        serializer_class = StockValidationSerializer
        pagination_class = StockPagination

        def get_queryset(self):
            return Validation.objects.filter(owner=self.request.user).defer("report").order_by("-created_at")

    def bare(request):
        return JsonResponse({"ok": True})

    return [
        path("bench/stock/validations", StockValidationList.as_view()),
        path("bench/bare", bare),
        path("", include("synthos.urls")),
    ]


if __name__ != "__main__":
    urlpatterns = _comparison_urlpatterns()


# --- The driver -------------------------------------------------------------------------------


def _env(database_url: str, cache_url: str) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 60,
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "CACHE_KEY_PREFIX": f"bench-{os.getpid()}",
        "RATE_LIMIT_FREE": "100000000/10000000",
        "LOG_LEVEL": "WARNING",
        "Q_WORKERS": "1",
    }


def _create_database(host_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{host_url}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _seed(env: dict) -> dict:
    """Runs in a child process with the bench env: one user, a dataset, 60 succeeded validations."""
    code = r"""
import json, django
django.setup()
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken
from accounts.models import User
from billing.services import credit_account_open
from datasets.models import Dataset
from validations.models import Validation
user, _ = User.objects.get_or_create(email="bench@example.com", defaults={"email_verified_at": timezone.now()})
credit_account_open(user=user)
dataset = Dataset.objects.filter(owner=user).first() or Dataset.objects.create(
    owner=user, name="bench", filename="b.csv", format="csv", size_bytes=1000, status="ready",
    storage_key="bench/b.csv", sha256="0" * 64, row_count=1000,
    columns=[{"name": n, "dtype": "string", "null_fraction": 0.0, "distinct": 10} for n in ("id", "text", "label")],
    preview=[{"id": i, "text": f"row {i}", "label": "a"} for i in range(100)])
report = {"schema_version": 1, "tier": "standard", "quality_score": 87, "issues": [], "checks": {},
          "collapse_risk": {"score": 0.2, "level": "low", "indicators": {"mattr": 0.7}}, "timings": {"total": 1.0}}
missing = 60 - Validation.objects.filter(owner=user).count()
now = timezone.now()
Validation.objects.bulk_create([
    Validation(owner=user, dataset=dataset, dataset_name="bench", tier="standard", status="succeeded",
               progress=100, stage="done", credits_charged=25, attempts=1, started_at=now, finished_at=now,
               quality_score=87, collapse_score=0.2, collapse_level="low", report=report, timings={"total": 1.0})
    for _ in range(max(0, missing))])
print(json.dumps({"token": str(RefreshToken.for_user(user).access_token), "dataset_id": dataset.pk}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "synthos.settings.base"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _client_process(port: int, path: str, headers: dict, threads: int, seconds: float) -> tuple[list, dict]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop():
        mine, codes = [], {}
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
            finally:
                conn.close()
            mine.append(time.perf_counter() - began)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, statuses


def _drive(port: int, path: str, headers: dict, *, clients: int, seconds: float, processes: int) -> dict:
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    started = time.monotonic()
    with ProcessPoolExecutor(processes) as pool:
        results = list(
            pool.map(_client_process, *zip(*[(port, path, headers, n, seconds) for n in per_process], strict=True))
        )
    elapsed = time.monotonic() - started
    latencies = [lat for lats, _ in results for lat in lats]
    statuses: dict[int, int] = {}
    for _, codes in results:
        for code, count in codes.items():
            statuses[code] = statuses.get(code, 0) + count
    return {"latencies": latencies, "elapsed": elapsed, "statuses": statuses}


# wrk: one connection per client, the auth header from the script's arguments, status codes
# counted per thread; at the end one RESULT line with the latency distribution sampled at
# WRK_QUANTILES evenly spaced quantiles (so rounds can be pooled into one distribution).
WRK_QUANTILES = 1000
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  statuses = {}
  if args[1] and args[1] ~= "" then wrk.headers[args[1]] = args[2] end
  req = wrk.format("GET", wrk.path)
end
function request() return req end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do codes[code] = (codes[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(codes) do table.insert(parts, string.format('"%d": %d', code, count)) end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local samples = {}
  for k = 0, QUANTILES - 1 do
    table.insert(samples, string.format("%d", latency:percentile((k + 0.5) * 100 / QUANTILES)))
  end
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "socket_errors": %d, "statuses": {%s}, '
    .. '"latency_us": [%s]}\\n', summary.requests, summary.duration, socket_errors, table.concat(parts, ", "),
    table.concat(samples, ",")))
end
""".replace("QUANTILES", str(WRK_QUANTILES))


def _drive_wrk(port: int, path: str, headers: dict, *, clients: int, seconds: float, script: str) -> dict:
    (name, value), *rest = list(headers.items()) or [("", "")]
    assert not rest, "the wrk script sends one header"
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s", "-s", script]
        + [f"http://127.0.0.1:{port}{path}", "--", name, value],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT ")).removeprefix("RESULT "))
    statuses = {int(code): count for code, count in result["statuses"].items()}
    if result["socket_errors"]:
        statuses[0] = result["socket_errors"]
    weight = result["requests"] / WRK_QUANTILES
    return {
        # Each sampled quantile stands for an equal share of the round's requests.
        "weighted": [(lat / 1e6, weight) for lat in result["latency_us"]],
        "elapsed": result["duration_us"] / 1e6,
        "requests": result["requests"],
        "statuses": statuses,
    }


def _weighted_quantile(samples: list[tuple[float, float]], q: float) -> float:
    samples = sorted(samples)
    target = q * sum(weight for _, weight in samples)
    seen = 0.0
    for value, weight in samples:
        seen += weight
        if seen >= target:
            return value
    return samples[-1][0]


def _combine(parts: list[dict]) -> dict:
    statuses: dict[int, int] = {}
    for part in parts:
        for code, count in part["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    elapsed = sum(part["elapsed"] for part in parts)
    if "weighted" in parts[0]:
        samples = [sample for part in parts for sample in part["weighted"]]
        requests = sum(part["requests"] for part in parts)
        p50, p99 = _weighted_quantile(samples, 0.5), _weighted_quantile(samples, 0.99)
    else:
        latencies = sorted(lat for part in parts for lat in part["latencies"])
        requests = len(latencies)
        p50, p99 = statistics.median(latencies), latencies[max(0, int(len(latencies) * 0.99) - 1)]
    return {
        "requests": requests,
        "rps": requests / elapsed,
        "p50_ms": p50 * 1000,
        "p99_ms": p99 * 1000,
        "statuses": statuses,
    }


def _wait_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="per target, over all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds over the targets")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes (threads share them)")
    parser.add_argument("--database", default="synthos_bench_api")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto", help="auto: wrk if installed")
    parser.add_argument(
        "--threads",
        default="1",
        help="server configurations to run, as threads per gunicorn worker (comma-separated, e.g. 1,4): "
        "1 = sync workers (the issue's reference and the production setting in README.md), more = gthread "
        "workers (keep-alive; a thread runs while another waits on the database or Redis)",
    )
    args = parser.parse_args()
    generator = ("wrk" if shutil.which("wrk") else "python") if args.generator == "auto" else args.generator

    host_url = os.environ.get("DATABASE_HOST_URL", "postgres://postgres@127.0.0.1:5432")
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/0")
    env = _env(f"{host_url}/{args.database}", cache_url)
    _create_database(host_url, args.database)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        env={**env, "DJANGO_SETTINGS_MODULE": "synthos.settings.base"},
        cwd=ROOT,
        check=True,
    )
    seed = _seed(env)
    auth = {"Authorization": f"Bearer {seed['token']}"}
    targets = [
        ("ours: GET /api/v1/validations?limit=50", "/api/v1/validations?limit=50", auth),
        ("ours: GET /api/v1/datasets/{id}", f"/api/v1/datasets/{seed['dataset_id']}", auth),
        ("stock DRF ListAPIView + ModelSerializer + JWT (50)", "/bench/stock/validations", auth),
        ("bare Django JsonResponse", "/bench/bare", {}),
    ]
    voided = False
    for threads in [int(value) for value in args.threads.split(",")]:
        results = _run_server(args, env, targets, generator=generator, threads=threads)
        voided |= _print_results(args, results, targets, generator=generator, threads=threads)
    if voided:
        print("\nVOID: a 429 was answered; raise RATE_LIMIT_FREE further.")
        sys.exit(1)


def _server_name(threads: int) -> str:
    return "sync workers" if threads == 1 else f"gthread workers x {threads} threads"


def _run_server(args, env: dict, targets: list, *, generator: str, threads: int) -> dict:
    """One gunicorn (2 workers, `threads` threads each) and a qcluster worker; every target driven
    in interleaved rounds; the combined result per target."""
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "synthos.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{args.port}"]
        + ["--log-level", "warning", "--threads", str(threads)],
        env={**env, "DJANGO_SETTINGS_MODULE": "api_load_settings"},
        cwd=ROOT,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        env={**env, "DJANGO_SETTINGS_MODULE": "synthos.settings.base"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(WRK_SCRIPT)
    script.close()

    def drive(path: str, headers: dict, seconds: float) -> dict:
        if generator == "wrk":
            return _drive_wrk(args.port, path, headers, clients=args.clients, seconds=seconds, script=script.name)
        return _drive(args.port, path, headers, clients=args.clients, seconds=seconds, processes=args.processes)

    try:
        _wait_up(args.port)
        time.sleep(5)  # let the worker finish booting: its start-up would eat the first target's CPU
        for _, path, headers in targets:  # warm up every worker's imports, connections and caches
            drive(path, headers, 1)
        # Interleaved rounds: a load change on the machine hits every target alike.
        rounds: dict[str, list[dict]] = {name: [] for name, _, _ in targets}
        for _ in range(args.rounds):
            for name, path, headers in targets:
                rounds[name].append(drive(path, headers, args.seconds / args.rounds))
        return {name: _combine(parts) for name, parts in rounds.items()}
    finally:
        gunicorn.terminate()
        worker.terminate()
        gunicorn.wait(timeout=15)
        worker.wait(timeout=15)
        os.unlink(script.name)


def _print_results(args, results: dict, targets: list, *, generator: str, threads: int) -> bool:
    """Prints one server configuration's table; True when a 429 voids the run."""
    stock = results[targets[2][0]]
    print(
        f"\n{args.clients} clients ({'wrk' if generator == 'wrk' else 'Python load generator'}), "
        f"{args.seconds:.0f} s per target in {args.rounds} interleaved rounds, gunicorn 2 {_server_name(threads)}, "
        f"{os.cpu_count()} cores (the load generator shares them), load average {os.getloadavg()[0]:.1f}\n"
    )
    print(f"{'endpoint':<52} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× stock':>8}  statuses")
    voided = False
    for name, result in results.items():
        ratio = result["rps"] / stock["rps"] if stock["rps"] else float("nan")
        print(
            f"{name:<52} {result['rps']:>8.0f} {result['p50_ms']:>8.1f} {result['p99_ms']:>8.1f} {ratio:>8.2f}  "
            f"{result['statuses']}"
        )
        voided |= 429 in result["statuses"]
        bad = {code for code in result["statuses"] if code != 200}
        if bad:
            print(f"  ! non-200 answers: {sorted(bad)}")
    return voided


if __name__ == "__main__":
    main()
