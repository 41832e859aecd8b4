"""Refuse files that hold credentials: private keys, service-account key files, access tokens.

Run by the pre-commit hook ``secrets`` on every staged text file
(``python -m dataprodukt.hooks.secrets_scan FILE ...``).
Nothing secret belongs in the repository: credentials come from the environment (profiles/profiles.yml) or,
in GitHub Actions, from workload identity federation. A line that only looks like a secret (a test fixture,
documentation) is let through by writing ``pragma: allowlist secret`` on it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ALLOW = "pragma: allowlist secret"


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]


# One pattern per kind of credential; each matches within one line.
RULES: tuple[Rule, ...] = (
    Rule("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    Rule("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b")),
    Rule("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    Rule("Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z]+(?:-[0-9A-Za-z]+)+")),
    Rule("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    Rule("Google OAuth refresh token", re.compile(r"\b1//0[0-9A-Za-z_\-]{40,}")),
)
# A service-account key file is recognised as a whole: its type and a private key, wherever they are.
SERVICE_ACCOUNT_TYPE = re.compile(r'"type"\s*:\s*"service_account"')
SERVICE_ACCOUNT_KEY = re.compile(r'"private_key"\s*:\s*"[^"]+')


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


def scan_text(text: str, path: str = "<text>") -> list[Finding]:
    """Every credential-like line in ``text`` (lines marked with the allow pragma are skipped)."""
    findings: list[Finding] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if ALLOW in line:
            continue
        findings.extend(Finding(path, number, rule.name) for rule in RULES if rule.pattern.search(line))
    kind = SERVICE_ACCOUNT_TYPE.search(text)
    if kind and SERVICE_ACCOUNT_KEY.search(text):
        number = text.count("\n", 0, kind.start()) + 1
        if ALLOW not in lines[number - 1]:
            findings.append(Finding(path, number, "Google service-account key file"))
    return sorted(findings)


def scan_file(path: Path) -> list[Finding]:
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"secrets-scan: {path} can't be read ({error}): skipped", file=sys.stderr)
        return []
    if b"\0" in data[:8192]:
        return []  # binary: keys are text
    return scan_text(data.decode("utf-8", errors="replace"), str(path))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secrets-scan", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    findings = [finding for path in args.files for finding in scan_file(path)]
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"secrets-scan: {len(findings)} possible secret(s) above: take them out of the file(s), keep them in the "
            "environment or a secret store, and revoke any that were ever pushed; if a line is a harmless example, "
            f"write `{ALLOW}` on it",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
