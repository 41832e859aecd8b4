"""HTTP for the catalogs people open: one request with retries, a bearer token from the environment, clear errors.

A request that meets a network error, a 429 or a 5xx is tried again (``RETRIES`` times, waiting 0.5 s, 1 s, 2 s
...); any other 4xx, or a redirect (a sink that moved must be configured anew, not followed with the token), fails
at once. The error names the method, the address, the status and the start of the answer, and what to do; the
token is never part of a message.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataprodukt.core.errors import UserError

RETRIES = 3
BACKOFF = 0.5
TIMEOUT = 60
USER_AGENT = "dataprodukt"
RETRY_STATUS = {408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a redirect is answered as the error it is here


_OPENER = urllib.request.build_opener(_NoRedirect)


def multipart(files: Mapping[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body of files (field name -> file name, bytes, content type), and its content type."""
    boundary = f"dataprodukt-{uuid.uuid4().hex}"
    parts = []
    for field, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode("utf-8") + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
    what: str = "the catalog",
    retries: int = RETRIES,
    backoff: float = BACKOFF,
    fix: str = "check the configuration (vars catalogs in dbt_project.yml)",
) -> Response:
    """Send one request (again on a network error, 429 or 5xx); the answer of a 2xx, else a UserError."""
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    attempt = 0
    while True:
        attempt += 1
        outcome = _send(method, url, body, sent)
        if isinstance(outcome, Response) and 200 <= outcome.status < 300:
            return outcome
        status = outcome.status if isinstance(outcome, Response) else None
        if attempt > retries or (status is not None and status not in RETRY_STATUS):
            raise UserError(_message(method, url, outcome, attempt, what, bool(token), fix))
        time.sleep(backoff * 2 ** (attempt - 1))


def _send(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response | str:
    """The answer (any status), or why there was none."""
    prepared = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with _OPENER.open(prepared, timeout=TIMEOUT) as answer:
            return Response(int(answer.status), answer.read())
    except urllib.error.HTTPError as error:
        return Response(int(error.code), error.read() or b"")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(getattr(error, "reason", error))


def _message(method: str, url: str, outcome: Response | str, attempts: int, what: str, token: bool, fix: str) -> str:
    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
    if isinstance(outcome, str):
        return f"{what}: {method} {url} failed{tries}: {outcome}; check the address and the network"
    answer = " ".join(outcome.body.decode("utf-8", "replace").split())[:300]
    if outcome.status in {401, 403}:
        advice = "check the token" if token else "it wants a token: name its environment variable in token_env"
    elif 300 <= outcome.status < 400:
        advice = "the address moved: configure the new one"
    elif outcome.status >= 500:
        advice = "the service failed: try again later"
    else:
        advice = fix
    return f"{what}: {method} {url} answered {outcome.status}{tries}: {answer or '(no body)'}; {advice}"
