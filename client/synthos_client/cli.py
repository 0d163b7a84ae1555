"""The `synthos` command: login, upload, validate (a CI gate), report.

Exit codes: 0 success / gate passed, 1 the gate failed, 2 an error (bad input, a failed or
canceled validation, a timeout, the API unreachable), 3 an authentication problem (401/403).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from synthos_client import __version__, config
from synthos_client.api import ApiError, Client
from synthos_client.gates import RULES, GateError, evaluate, parse_fail_if
from synthos_client.progress import ProgressBar, ReadProgress

EXIT_OK, EXIT_GATE_FAILED, EXIT_ERROR, EXIT_AUTH = 0, 1, 2, 3
POLL_SECONDS = float(os.environ.get("SYNTHOS_POLL_SECONDS", "2"))
# Environment variables that identify one CI run and stay the same when a step is retried.
RUN_ID_VARIABLES = ("SYNTHOS_RUN_ID", "GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_ID", "CIRCLE_WORKFLOW_ID")
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
FINISHED = ("succeeded", "failed", "canceled")


class CliError(Exception):
    """A problem to report as `error: …` with exit code 2."""


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def info(message: str) -> None:
    print(message, file=sys.stderr)


# --- Helpers ---------------------------------------------------------------------------------------


def detect_format(path: Path) -> tuple[str, str | None]:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise CliError(f"cannot tell the format of {path.name}; pass --format csv|tsv|jsonl|parquet")
    return fmt, compression


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_id(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    for name in RUN_ID_VARIABLES:
        if os.environ.get(name):
            return f"{name}={os.environ[name]}"
    return None


def idempotency_key(*, dataset: str, body: dict, run: str | None) -> str:
    """Deterministic: the same data (sha256 or dataset id), options and CI run give the same key,
    so a retried step replays the first start instead of paying again."""
    options = {key: value for key, value in body.items() if key != "dataset_id"}
    material = json.dumps({"dataset": dataset, "options": options, "run": run}, sort_keys=True, separators=(",", ":"))
    return "synthos-cli-" + hashlib.sha256(material.encode()).hexdigest()[:40]


def _client(args) -> Client:
    credentials = config.resolve(base_url=args.base_url, api_key=args.api_key)
    if not credentials.api_key:
        raise ApiError(
            "not logged in: run `synthos login`, or set SYNTHOS_API_KEY (an API key from the dashboard)", status=401
        )
    return Client(credentials.base_url, api_key=credentials.api_key)


def _deadline(seconds: float) -> float:
    return time.monotonic() + seconds


# --- Datasets --------------------------------------------------------------------------------------


def find_dataset(client: Client, digest: str) -> dict | None:
    """An existing ready (or still processing) dataset with this content, so a retry uploads nothing."""
    url: str | None = client.url("datasets", {"limit": 100})
    for _ in range(10):
        if not url:
            break
        page = client.request("GET", url)
        for dataset in page.get("data", []):
            same = digest in (dataset.get("sha256"), dataset.get("declared_sha256"))
            if same and dataset.get("status") in ("ready", "processing"):
                return dataset
        url = page.get("next")
    return None


def wait_dataset(client: Client, dataset: dict, *, timeout: float, quiet: bool) -> dict:
    deadline = _deadline(timeout)
    while dataset["status"] not in ("ready", "failed"):
        if time.monotonic() > deadline:
            raise CliError(f"dataset {dataset['id']} is still {dataset['status']} after {timeout:g} s")
        time.sleep(POLL_SECONDS)
        dataset = client.get(f"datasets/{dataset['id']}")
    if dataset["status"] == "failed":
        raise CliError(f"dataset {dataset['id']} failed: {dataset.get('error') or 'no reason given'}")
    if not quiet:
        info(f"dataset {dataset['id']} is ready: {dataset.get('row_count')} rows")
    return dataset


def upload(
    client: Client,
    path: Path,
    *,
    name: str | None,
    fmt: str | None,
    timeout: float,
    quiet: bool = False,
    reuse: bool = True,
    digest: str | None = None,
) -> dict:
    """Upload a file (create → PUT to the signed URL → complete) and wait until it is ready."""
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    detected, compression = (fmt, None) if fmt else detect_format(path)
    digest = digest or sha256_of(path)
    if reuse:
        existing = find_dataset(client, digest)
        if existing:
            if not quiet:
                info(f"reusing dataset {existing['id']} (same SHA-256)")
            return wait_dataset(client, existing, timeout=timeout, quiet=quiet)
    size = path.stat().st_size
    body = {"name": name or path.name, "filename": path.name, "format": detected, "size_bytes": size, "sha256": digest}
    if compression:
        body["compression"] = compression
    created = client.post("datasets", body)
    dataset, signed = created["dataset"], created["upload"]
    bar = ProgressBar(f"uploading {path.name}", enabled=not quiet)
    with path.open("rb") as handle:
        client.put_file(signed["url"], ReadProgress(handle, size, bar), size=size, headers=signed.get("headers"))
    bar.close()
    dataset = client.post(f"datasets/{dataset['id']}/complete")
    return wait_dataset(client, dataset, timeout=timeout, quiet=quiet)


# --- Validations -----------------------------------------------------------------------------------


def wait_validation(client: Client, validation: dict, *, timeout: float, quiet: bool) -> dict:
    bar = ProgressBar(f"validating {validation['id']}", enabled=not quiet)
    deadline = _deadline(timeout)
    try:
        while True:
            bar.update(validation.get("progress") or 0, validation.get("stage") or validation["status"])
            if validation["status"] in FINISHED:
                return validation
            if time.monotonic() > deadline:
                raise CliError(f"validation {validation['id']} is still {validation['status']} after {timeout:g} s")
            time.sleep(POLL_SECONDS)
            validation = client.get(f"validations/{validation['id']}")
    finally:
        bar.close()


def _issue_counts(report: dict) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for issue in report.get("issues") or []:
        if isinstance(issue, dict) and issue.get("severity") in counts:
            counts[issue["severity"]] += 1
    return counts


def format_summary(validation: dict, gate: dict | None) -> str:
    report = validation.get("report") or {}
    lines = [
        f"Validation {validation['id']} {validation['status']} ({validation['tier']}, {validation['dataset_name']})"
    ]
    if validation.get("quality_score") is not None:
        lines.append(f"  quality score   {validation['quality_score']}/100")
    collapse = validation.get("collapse_risk")
    if collapse:
        lines.append(f"  collapse risk   {collapse['level']} ({collapse['score']:.2f})")
    prediction = validation.get("prediction")
    if prediction:
        low, high = (prediction.get("interval") or [None, None])[:2]
        lines.append(
            f"  prediction      {prediction.get('metric')} {prediction.get('expected')} (90% interval {low} – {high})"
        )
    if report:
        counts = _issue_counts(report)
        lines.append(f"  issues          {counts['error']} error, {counts['warning']} warning, {counts['info']} info")
    if gate is not None:
        lines.append(f"Gate: {'PASSED' if gate['passed'] else 'FAILED'}")
        lines += [f"  - {rule['message']}" for rule in gate.get("failed_rules", [])]
    return "\n".join(lines)


def cmd_validate(args) -> int:
    try:
        rules = parse_fail_if(args.fail_if or [])
    except GateError as error:
        raise CliError(str(error)) from None
    if bool(args.file) == bool(args.dataset):
        raise CliError("give either FILE or --dataset ID")
    client = _client(args)
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise CliError(f"no such file: {path}")
        digest = sha256_of(path)
        dataset = upload(
            client, path, name=args.name, fmt=args.format, timeout=args.timeout, quiet=args.quiet, digest=digest
        )
        identity = f"sha256:{digest}"
    else:
        dataset = {"id": args.dataset}
        identity = f"dataset:{args.dataset}"
    body: dict[str, Any] = {"dataset_id": dataset["id"], "tier": args.tier}
    for field, value in (
        ("target_column", args.target),
        ("text_column", args.text_column),
        ("reference_dataset_id", args.reference),
    ):
        if value:
            body[field] = value
    if rules:
        body["fail_if"] = rules
    key = idempotency_key(dataset=identity, body=body, run=run_id(args.run_id))
    validation = client.post("validations", body, headers={"Idempotency-Key": key})
    if not args.quiet:
        info(f"validation {validation['id']} {validation['status']} (Idempotency-Key {key})")
    if not args.wait:
        print(json.dumps(validation, indent=2) if args.json else validation["id"])
        return EXIT_OK
    validation = wait_validation(client, validation, timeout=args.timeout, quiet=args.quiet)
    if validation["status"] != "succeeded":
        reason = validation.get("error") or validation["status"]
        raise CliError(f"validation {validation['id']} {validation['status']}: {reason}")
    if validation.get("report") is None:
        validation = client.get(f"validations/{validation['id']}")
    # The server's verdict when it has one; otherwise the same rules checked here on the report.
    gate = validation.get("gate") or (evaluate(rules, validation.get("report")) if rules else None)
    if args.json:
        output = {key: value for key, value in validation.items() if key != "report"}
        print(json.dumps({**output, "gate": gate}, indent=2))
    else:
        print(format_summary(validation, gate))
    return EXIT_GATE_FAILED if gate is not None and not gate["passed"] else EXIT_OK


def cmd_upload(args) -> int:
    client = _client(args)
    dataset = upload(
        client, Path(args.file), name=args.name, fmt=args.format, timeout=args.timeout, quiet=args.quiet, reuse=False
    )
    print(json.dumps(dataset, indent=2) if args.json else dataset["id"])
    return EXIT_OK


def format_report_text(report: dict) -> str:
    dataset = report.get("dataset") or {}
    lines = [
        f"Report (schema {report.get('schema_version')}, tier {report.get('tier')})",
        f"Dataset: {dataset.get('rows')} rows, {len(dataset.get('columns') or [])} columns, {dataset.get('format')}",
        f"Quality score: {report.get('quality_score')}/100",
    ]
    collapse = report.get("collapse_risk")
    if collapse:
        lines.append(f"Collapse risk: {collapse.get('level')} ({collapse.get('score')})")
    prediction = report.get("prediction")
    if prediction:
        lines.append(
            f"Prediction: {prediction.get('metric')} {prediction.get('expected')} "
            f"(interval {prediction.get('interval')}, {prediction.get('model')})"
        )
    issues = report.get("issues") or []
    lines.append(f"Issues ({len(issues)}):")
    for issue in issues:
        column = f" [{issue['column']}]" if issue.get("column") else ""
        lines.append(f"  {issue.get('severity', '?'):7} {issue.get('check')}{column}: {issue.get('message')}")
    return "\n".join(lines)


def cmd_report(args) -> int:
    report = _client(args).get(f"validations/{args.id}/report")
    print(json.dumps(report, indent=2) if args.format == "json" else format_report_text(report))
    return EXIT_OK


def cmd_login(args) -> int:
    credentials = config.resolve(base_url=args.base_url)
    base_url = credentials.base_url
    api_key = args.api_key
    if not api_key:
        email = args.email or input("Email: ").strip()
        password = getpass.getpass("Password: ")
        tokens = Client(base_url).post("auth/login", {"email": email, "password": password})
        # Store an API key, not the password or a 24-hour token: it can be revoked in the dashboard.
        created = Client(base_url, token=tokens["access"]).post(
            "auth/api-keys", {"name": f"synthos CLI on {socket.gethostname()}"[:100]}
        )
        api_key = created["key"]
    me = Client(base_url, api_key=api_key).get("auth/me")
    path = config.save({**config.load(), "base_url": base_url, "api_key": api_key})
    print(f"Logged in to {base_url} as {me.get('email')}; credentials saved in {path}")
    return EXIT_OK


# --- Entry point -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synthos", description="Validate AI training data with Synthos.")
    parser.add_argument("--version", action="version", version=f"synthos {__version__}")
    parser.add_argument("--base-url", help="API server (default: SYNTHOS_BASE_URL, then the saved login)")
    parser.add_argument("--api-key", help="API key (default: SYNTHOS_API_KEY, then the saved login)")
    commands = parser.add_subparsers(dest="command", required=True)

    login = commands.add_parser("login", help="save credentials in ~/.config/synthos/config.json")
    login.add_argument("--email", help="log in with email and password (asked for) and create an API key")
    login.add_argument("--api-key", default=argparse.SUPPRESS, help="save this API key instead")
    login.add_argument("--base-url", default=argparse.SUPPRESS, help="API server to log in to")
    login.set_defaults(func=cmd_login)

    def common(sub):
        sub.add_argument("--timeout", type=float, default=3600, help="seconds to wait (default 3600)")
        sub.add_argument("--quiet", "-q", action="store_true", help="no progress output on stderr")
        sub.add_argument("--json", action="store_true", help="print JSON on stdout")

    up = commands.add_parser("upload", help="upload a file as a dataset and wait until it is ready")
    up.add_argument("file")
    up.add_argument("--name")
    up.add_argument("--format", choices=sorted(set(FORMATS.values())))
    common(up)
    up.set_defaults(func=cmd_upload)

    val = commands.add_parser("validate", help="validate a file or dataset; with --wait, a CI gate")
    val.add_argument("file", nargs="?", help="a file to upload (or use --dataset)")
    val.add_argument("--dataset", help="an existing dataset id (ds_...)")
    val.add_argument("--tier", choices=("quick", "standard", "comprehensive"), default="standard")
    val.add_argument("--target", help="target (label) column")
    val.add_argument("--text-column")
    val.add_argument("--reference", help="reference dataset id of healthy data")
    val.add_argument("--name", help="dataset name when uploading")
    val.add_argument("--format", choices=sorted(set(FORMATS.values())))
    val.add_argument("--wait", action="store_true", help="wait for the result, print it, exit 1 if the gate fails")
    val.add_argument(
        "--fail-if",
        action="append",
        metavar="RULE=VALUE",
        help=f"gate rule, repeatable: {', '.join(RULES)}",
    )
    val.add_argument("--run-id", help="CI run id for the Idempotency-Key (default: SYNTHOS_RUN_ID, GITHUB_RUN_ID, ...)")
    common(val)
    val.set_defaults(func=cmd_validate)

    rep = commands.add_parser("report", help="print a validation's report")
    rep.add_argument("id")
    rep.add_argument("--format", choices=("json", "text"), default="text")
    rep.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ApiError as error:
        err(str(error))
        return EXIT_AUTH if error.is_auth else EXIT_ERROR
    except CliError as error:
        err(str(error))
        return EXIT_ERROR
    except KeyboardInterrupt:
        err("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
