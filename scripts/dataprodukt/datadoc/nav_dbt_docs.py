"""NAV's dbt docs host (navikt/dbt-docs): the dbt docs site, put where NAV's teams read it.

The service takes an HTTP ``PUT`` of ``multipart/form-data`` to ``<host>/docs/<team>/<project>`` with the three
files ``dbt docs generate`` writes, each a form field named by its file name (``index.html``, ``manifest.json``,
``catalog.json``); a PUT replaces everything published before for that project (NAV's README and pkg/api/api.go).
The manifest goes without compiled SQL (``publish.basis.shareable_manifest``): it names the warehouse's relations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc.http_client import Response, multipart, request

FILES = (("index.html", "text/html"), ("manifest.json", "application/json"), ("catalog.json", "application/json"))
WHAT = "NAV's dbt docs"


def address(url: str, team: str, project: str) -> str:
    return f"{url.rstrip('/')}/docs/{team}/{project}"


def site_files(target_dir: Path) -> dict[str, tuple[str, bytes, str]]:
    """The docs site's files as the form sends them; a UserError naming what is missing."""
    from dataprodukt.publish.basis import shareable_manifest

    missing = [name for name, _kind in FILES if not (target_dir / name).is_file()]
    if missing:
        raise UserError(
            f"{WHAT}: {', '.join(missing)} missing in {target_dir}: run `dbt docs generate` (or `dataprodukt run`)"
        )
    files = {}
    for name, kind in FILES:
        data = (target_dir / name).read_bytes()
        if name == "manifest.json":
            data = json.dumps(shareable_manifest(json.loads(data))).encode("utf-8")
        files[name] = (name, data, kind)
    return files


def push(config: dict[str, Any], target_dir: Path, project: str, token: str | None) -> tuple[str, Response]:
    """PUT the site; where it went and the service's answer."""
    url = address(str(config["url"]), str(config["team"]), str(config.get("project") or project))
    body, content_type = multipart(site_files(target_dir))
    return url, request("PUT", url, body, {"Content-Type": content_type}, token, WHAT)
