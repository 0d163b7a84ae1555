"""The `synthos` command against an in-memory fake of the documented API (API.md)."""

import json
import os
import stat

import pytest
from synthos_client import cli, config
from synthos_client.api import ApiError, Client
from synthos_client.gates import GateError, evaluate, parse_fail_if

REPORT = {
    "schema_version": 1,
    "tier": "standard",
    "quality_score": 72,
    "collapse_risk": {"score": 0.2, "level": "low"},
    "issues": [{"check": "exact_duplicates", "severity": "warning", "message": "1 duplicate row", "column": None}],
    "prediction": None,
    "dataset": {"rows": 3, "columns": [{"name": "a"}], "format": "csv"},
}


def envelope_error(status: int, message: str) -> ApiError:
    return ApiError(message, status=status, request_id="req_fake")


class FakeApi:
    """Answers like Synthos: datasets (signed upload, complete, inspection) and validations."""

    def __init__(self):
        self.datasets: dict[str, dict] = {}
        self.validations: dict[str, dict] = {}
        self.keys: dict[str, dict] = {}
        self.calls: list[tuple[str, str, dict | None, dict | None]] = []
        self.uploaded: dict[str, bytes] = {}
        self.report = dict(REPORT)
        self.final_status = "succeeded"
        self.server_gate = None
        self.api_key = "sk_live_good"
        self.polls = 0

    def request(self, client, method, path, *, body=None, query=None, headers=None):
        path = path.split("/api/v1/", 1)[-1].split("?", 1)[0]
        self.calls.append((method, path, body, headers))
        if path != "auth/login" and not (path == "auth/api-keys" and client.token):
            if client.api_key != self.api_key:
                raise envelope_error(401, "Invalid or revoked API key.")
        parts = path.split("/")
        if (method, path) == ("POST", "auth/login"):
            if body["password"] != "pw":
                raise envelope_error(401, "Email or password is wrong.")
            return {"access": "jwt", "refresh": "r", "token_type": "Bearer", "expires_in": 86400}
        if (method, path) == ("POST", "auth/api-keys"):
            return {"id": "key_1", "name": body["name"], "key": self.api_key}
        if (method, path) == ("GET", "auth/me"):
            return {"email": "ci@example.com"}
        if (method, path) == ("GET", "datasets"):
            return {"data": list(self.datasets.values()), "next": None, "previous": None}
        if (method, path) == ("POST", "datasets"):
            dataset_id = f"ds_{len(self.datasets) + 1}"
            dataset = {"id": dataset_id, "status": "awaiting_upload", "sha256": "", **body}
            dataset["declared_sha256"] = dataset.pop("sha256_declared", body.get("sha256", ""))
            dataset["sha256"] = ""
            self.datasets[dataset_id] = dataset
            upload = {"url": f"http://storage.test/{dataset_id}", "method": "PUT", "headers": {"Content-Length": "1"}}
            return {"dataset": dataset, "upload": upload}
        if parts[0] == "datasets" and parts[-1] == "complete":
            self.datasets[parts[1]]["status"] = "processing"
            return self.datasets[parts[1]]
        if parts[0] == "datasets" and method == "GET":
            dataset = self.datasets[parts[1]]
            dataset.update(status="ready", sha256=dataset["declared_sha256"], row_count=3)
            return dataset
        if (method, path) == ("POST", "validations"):
            key = headers["Idempotency-Key"]
            if key in self.keys:
                return self.keys[key]
            validation = {
                "id": f"val_{len(self.validations) + 1}",
                "status": "queued",
                "progress": 0,
                "stage": "queued",
                "tier": body["tier"],
                "dataset_name": "data.csv",
                "report": None,
            }
            self.validations[validation["id"]] = validation
            self.keys[key] = dict(validation)
            return validation
        if parts[0] == "validations" and len(parts) == 2:
            self.polls += 1
            validation = self.validations[parts[1]]
            if self.polls == 1:
                validation.update(status="running", progress=40, stage="near_duplicates")
            else:
                validation.update(status=self.final_status, progress=100, stage="done")
                if self.final_status == "succeeded":
                    validation.update(report=self.report, quality_score=self.report["quality_score"])
                    validation["collapse_risk"] = self.report["collapse_risk"]
                    if self.server_gate is not None:
                        validation["gate"] = self.server_gate
                else:
                    validation["error"] = "The worker could not read the file."
            return dict(validation)
        if parts[0] == "validations" and parts[-1] == "report":
            return self.report
        raise AssertionError(f"unexpected call {method} {path}")

    def put_file(self, client, url, stream, *, size, headers=None):
        self.uploaded[url] = b"".join(iter(lambda: stream.read(3), b""))


@pytest.fixture
def api(monkeypatch, tmp_path):
    fake = FakeApi()
    monkeypatch.setattr(Client, "request", lambda client, *args, **kwargs: fake.request(client, *args, **kwargs))
    monkeypatch.setattr(Client, "put_file", lambda client, *args, **kwargs: fake.put_file(client, *args, **kwargs))
    monkeypatch.setattr(cli, "POLL_SECONDS", 0)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("SYNTHOS_API_KEY", "sk_live_good")
    monkeypatch.setenv("SYNTHOS_BASE_URL", "http://synthos.test")
    for name in cli.RUN_ID_VARIABLES[1:]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SYNTHOS_RUN_ID", raising=False)
    monkeypatch.delenv("SYNTHOS_CONFIG", raising=False)
    return fake


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"a,label\n1,x\n2,y\n3,x\n")
    return path


def validations_posted(api) -> list[tuple[dict, dict]]:
    return [(body, headers) for method, path, body, headers in api.calls if (method, path) == ("POST", "validations")]


# --- validate ---------------------------------------------------------------------------------------


def test_validate_uploads_starts_waits_and_passes_the_gate(api, data_file, capsys):
    code = cli.main(
        [
            "validate",
            str(data_file),
            "--tier",
            "standard",
            "--target",
            "label",
            "--wait",
            "--fail-if",
            "quality_score_lt=70",
        ]
    )
    out, errors = capsys.readouterr()
    assert code == 0, errors
    assert api.uploaded["http://storage.test/ds_1"] == data_file.read_bytes()
    [(body, headers)] = validations_posted(api)
    assert body == {
        "dataset_id": "ds_1",
        "tier": "standard",
        "target_column": "label",
        "fail_if": {"quality_score_lt": 70},
    }
    assert headers["Idempotency-Key"].startswith("synthos-cli-")
    assert "quality score   72/100" in out and "Gate: PASSED" in out
    assert "uploading train.csv [" in errors and "100%" in errors and "validating val_1 [" in errors


def test_a_failing_gate_exits_1_and_says_why(api, data_file, capsys):
    code = cli.main(
        ["validate", str(data_file), "--wait", "--fail-if", "quality_score_lt=80", "--fail-if", "issues_warning_gte=1"]
    )
    out, _ = capsys.readouterr()
    assert code == 1
    assert "Gate: FAILED" in out and "quality_score_lt: 72" in out and "issues_warning_gte: 1" in out


def test_the_servers_gate_wins_over_the_local_one(api, data_file, capsys):
    api.server_gate = {"passed": False, "failed_rules": [{"rule": "quality_score_lt", "message": "server says no"}]}
    code = cli.main(["validate", str(data_file), "--wait", "--fail-if", "quality_score_lt=10", "--json"])
    out, _ = capsys.readouterr()
    assert code == 1 and json.loads(out)["gate"]["failed_rules"][0]["message"] == "server says no"
    assert "report" not in json.loads(out)


def test_a_failed_validation_exits_2(api, data_file, capsys):
    api.final_status = "failed"
    assert cli.main(["validate", str(data_file), "--wait"]) == 2
    assert "error: validation val_1 failed: The worker could not read the file." in capsys.readouterr().err


def test_a_retried_step_reuses_the_dataset_and_the_idempotency_key(api, data_file, capsys):
    assert cli.main(["validate", str(data_file), "--tier", "quick", "--wait", "--quiet"]) == 0
    assert cli.main(["validate", str(data_file), "--tier", "quick", "--wait", "--quiet"]) == 0
    first, second = validations_posted(api)
    assert first == second  # same body, same key: the server replays, nothing is charged twice
    assert len(api.uploaded) == 1 and len(api.validations) == 1


def test_the_key_changes_with_the_tier_options_and_the_ci_run(monkeypatch):
    body = {"dataset_id": "ds_1", "tier": "quick"}
    key = cli.idempotency_key(dataset="sha256:ab", body=body, run=None)
    assert key == cli.idempotency_key(dataset="sha256:ab", body={**body, "dataset_id": "ds_2"}, run=None)
    assert key != cli.idempotency_key(dataset="sha256:ab", body={**body, "tier": "standard"}, run=None)
    assert key != cli.idempotency_key(dataset="sha256:ab", body=body, run="GITHUB_RUN_ID=7")
    monkeypatch.setenv("GITHUB_RUN_ID", "7")
    assert cli.run_id(None) == "GITHUB_RUN_ID=7" and cli.run_id("mine") == "mine"


def test_validate_an_existing_dataset_without_waiting_prints_its_id(api, capsys):
    api.datasets["ds_9"] = {"id": "ds_9", "status": "ready"}
    assert cli.main(["validate", "--dataset", "ds_9", "--tier", "quick"]) == 0
    assert capsys.readouterr().out.strip() == "val_1"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "--tier", "quick"], "give either FILE or --dataset ID"),
        (["validate", "missing.csv"], "no such file: missing.csv"),
        (["validate", "--dataset", "ds_1", "--fail-if", "quality=80"], "unknown --fail-if rule 'quality'"),
        (["validate", "--dataset", "ds_1", "--fail-if", "quality_score_lt"], "takes RULE=VALUE"),
    ],
)
def test_bad_input_exits_2_with_a_message(api, capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bad_api_key_exits_3_with_the_request_id(api, data_file, capsys, monkeypatch):
    monkeypatch.setenv("SYNTHOS_API_KEY", "sk_live_revoked")
    assert cli.main(["validate", str(data_file), "--wait"]) == 3
    assert capsys.readouterr().err.strip() == "error: Invalid or revoked API key. (request_id req_fake)"


def test_no_credentials_at_all_exits_3(api, capsys, monkeypatch):
    monkeypatch.delenv("SYNTHOS_API_KEY")
    assert cli.main(["report", "val_1"]) == 3
    assert "not logged in" in capsys.readouterr().err


# --- upload, report, login --------------------------------------------------------------------------


def test_upload_declares_format_size_and_sha256(api, tmp_path, capsys):
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(b"\x1f\x8b fake gzip")
    assert cli.main(["upload", str(path), "--name", "rows"]) == 0
    created = next(body for method, p, body, _ in api.calls if (method, p) == ("POST", "datasets"))
    assert created["format"] == "jsonl" and created["compression"] == "gzip" and created["name"] == "rows"
    assert created["size_bytes"] == path.stat().st_size and len(created["sha256"]) == 64
    assert capsys.readouterr().out.strip() == "ds_1"


def test_report_prints_json_or_text(api, capsys):
    assert cli.main(["report", "val_1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["quality_score"] == 72
    assert cli.main(["report", "val_1"]) == 0
    text = capsys.readouterr().out
    assert "Quality score: 72/100" in text and "warning exact_duplicates: 1 duplicate row" in text


def test_login_with_an_api_key_saves_it_readable_by_the_owner_only(api, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("SYNTHOS_API_KEY")
    assert cli.main(["--base-url", "http://synthos.test", "login", "--api-key", "sk_live_good"]) == 0
    path = tmp_path / "config" / "synthos" / "config.json"
    assert json.loads(path.read_text()) == {"base_url": "http://synthos.test", "api_key": "sk_live_good"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "as ci@example.com" in capsys.readouterr().out
    # The saved key is used when the environment sets none.
    assert cli.main(["report", "val_1", "--format", "json"]) == 0


def test_login_with_email_and_password_stores_a_new_api_key(api, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("SYNTHOS_API_KEY")
    monkeypatch.setattr("getpass.getpass", lambda prompt: "pw")
    assert cli.main(["login", "--email", "ci@example.com"]) == 0
    assert config.load()["api_key"] == "sk_live_good"
    named = next(body for method, p, body, _ in api.calls if p == "auth/api-keys")
    assert named["name"].startswith("synthos CLI on ")


def test_a_wrong_password_exits_3(api, capsys, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "nope")
    assert cli.main(["login", "--email", "ci@example.com"]) == 3
    assert "Email or password is wrong." in capsys.readouterr().err


def test_the_environment_overrides_the_saved_login(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("SYNTHOS_CONFIG", raising=False)
    config.save({"base_url": "http://saved", "api_key": "sk_saved"})
    monkeypatch.setenv("SYNTHOS_API_KEY", "sk_env")
    monkeypatch.delenv("SYNTHOS_BASE_URL", raising=False)
    assert config.resolve() == config.Credentials(base_url="http://saved", api_key="sk_env")
    assert config.resolve(api_key="sk_flag").api_key == "sk_flag"


# --- formats, gates, progress ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", ("csv", None)),
        ("a.TSV", ("tsv", None)),
        ("a.ndjson", ("jsonl", None)),
        ("a.csv.gz", ("csv", "gzip")),
        ("a.parquet", ("parquet", None)),
        ("a.jsonl.zst", ("jsonl", "zstd")),
    ],
)
def test_formats_are_detected_from_the_file_name(tmp_path, name, expected):
    assert cli.detect_format(tmp_path / name) == expected


def test_an_unknown_extension_asks_for_format(tmp_path):
    with pytest.raises(cli.CliError, match="--format"):
        cli.detect_format(tmp_path / "data.xlsx")


def test_fail_if_values_are_typed():
    assert parse_fail_if(["quality_score_lt=80", "collapse_level_gte=Medium", "prediction_lower_lt=0.85"]) == {
        "quality_score_lt": 80,
        "collapse_level_gte": "medium",
        "prediction_lower_lt": 0.85,
    }
    with pytest.raises(GateError, match="must be a number"):
        parse_fail_if(["issues_error_gte=many"])
    with pytest.raises(GateError, match="low, medium, high"):
        parse_fail_if(["collapse_level_gte=extreme"])


def test_the_local_gate_fails_a_rule_without_a_value():
    result = evaluate({"prediction_lower_lt": 0.8}, {"prediction": None})
    assert result["passed"] is False and result["failed_rules"][0]["actual"] is None


def test_the_progress_bar_writes_a_line_per_step_in_ci_logs(capsys):
    from synthos_client.progress import ProgressBar

    bar = ProgressBar("work")
    for percent in range(0, 101, 5):
        bar.update(percent)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 11 and lines[-1].startswith("work [" + "#" * 30 + "] 100%")
