"""The secrets scan: which lines are credentials and which only look alike.

The fake credentials are assembled from pieces, so this file itself passes the scan it tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataprodukt.hooks.secrets_scan import ALLOW, main, scan_text

BEGIN = "-----BEGIN "
GITHUB = "gh" + "p_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS = "AK" + "IA" + "IOSFODNN7EXAMPLE"
SLACK = "xo" + "xb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
GOOGLE = "AI" + "za" + "SyA-1234567890abcdefghijklmnopqrstu"


def _service_account(with_key: bool) -> str:
    document = {"type": "service_" + "account", "project_id": "demo", "client_email": "sa@demo.iam.gserviceaccount.com"}
    if with_key:
        document["private" + "_key"] = BEGIN + "PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"
    return json.dumps(document, indent=2)


FOUND = [
    ("RSA private key", BEGIN + "RSA PRIVATE KEY-----", "private key"),
    ("PKCS8 private key", BEGIN + "PRIVATE KEY-----", "private key"),
    ("OpenSSH private key", BEGIN + "OPENSSH PRIVATE KEY-----", "private key"),
    ("encrypted private key", BEGIN + "ENCRYPTED PRIVATE KEY-----", "private key"),
    ("PGP private key block", BEGIN + "PGP PRIVATE KEY BLOCK-----", "private key"),
    ("GitHub token in YAML", f"token: {GITHUB}", "GitHub token"),
    ("GitHub token in a URL", f"https://{GITHUB}@github.com/org/repo.git", "GitHub token"),
    ("GitHub fine-grained token", "github_" + "pat_" + "1" * 22 + "_" + "a" * 59, "GitHub token"),
    ("AWS access key id", f"aws_access_key_id = {AWS}", "AWS access key id"),
    ("Slack bot token", f"SLACK_TOKEN={SLACK}", "Slack token"),
    ("Google API key", f"key={GOOGLE}", "Google API key"),
]

NOT_FOUND = [
    ("public key", BEGIN + "PUBLIC KEY-----"),
    ("certificate", BEGIN + "CERTIFICATE-----"),
    ("token prefix in prose", "tokens such as gh" + "p_ or xo" + "x are refused"),
    ("short ghp-like word", "gh" + "p_short"),
    ("lower-case akia", "ak" + "iaiosfodnn7example"),
    ("secret from the environment", "password: \"{{ env_var('PGPASSWORD') }}\""),
    ("workload identity", "workload_identity_provider: ${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"),
    ("allowed example", f"token: {GITHUB}  # {ALLOW}"),
]


@pytest.mark.parametrize(("label", "line", "kind"), FOUND, ids=[case[0] for case in FOUND])
def test_a_credential_is_found(label: str, line: str, kind: str) -> None:
    findings = scan_text(f"first line\n{line}\nlast line\n", "file.txt")
    assert [(finding.line, finding.kind) for finding in findings] == [(2, kind)], label
    assert str(findings[0]) == f"file.txt:2: {kind}"


@pytest.mark.parametrize(("label", "line"), NOT_FOUND, ids=[case[0] for case in NOT_FOUND])
def test_a_lookalike_is_not_a_credential(label: str, line: str) -> None:
    assert scan_text(f"{line}\n") == [], label


def test_a_service_account_key_file_is_found_where_its_type_is() -> None:
    findings = scan_text(_service_account(with_key=True), "key.json")
    kinds = {finding.kind: finding.line for finding in findings}
    assert kinds["Google service-account key file"] == 2  # the "type" line
    assert "private key" in kinds  # the key itself, escaped inside the JSON string


def test_a_service_account_description_without_a_key_is_not_a_secret() -> None:
    assert scan_text(_service_account(with_key=False)) == []


def test_main_fails_on_a_secret_and_passes_clean_and_binary_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = tmp_path / "clean.sql"
    clean.write_text("select 1 as en\n", encoding="utf-8")
    binary = tmp_path / "data.parquet"
    binary.write_bytes(b"PAR1\0\0" + (BEGIN + "PRIVATE KEY-----").encode())
    leaked = tmp_path / "profiles.yml"
    leaked.write_text(f"ok: 1\ntoken: {GITHUB}\n", encoding="utf-8")

    assert main([str(clean), str(binary)]) == 0
    assert main([str(clean), str(leaked)]) == 1
    out, err = capsys.readouterr()
    assert f"{leaked}:2: GitHub token" in out
    assert ALLOW in err and "revoke" in err


def test_the_repository_holds_no_secrets() -> None:
    repo = Path(__file__).resolve().parent.parent
    files = [
        path
        for folder in ("scripts", "tests", "models", "profiles", "docs", ".github")
        for path in (repo / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert files
    assert main([str(path) for path in files]) == 0
