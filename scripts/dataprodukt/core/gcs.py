"""Objects in a Google Cloud Storage bucket, through google-cloud-storage: the bucket half of ``Storage``.

Names are relative to the root ``gs://<bucket>/<prefix>``. A versioned object is created with the precondition
``ifGenerationMatch=0``, so Cloud Storage itself refuses a second writer (412): two runs can never both "write
once". A single upload is atomic: a reader sees the whole object or none of it.

Credentials are the application-default ones (workload identity in CI, ``gcloud auth application-default login``
on a laptop); with ``STORAGE_EMULATOR_HOST`` set the client talks to that emulator, anonymously. Every failure
becomes one line naming the bucket or object and what to do.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from dataprodukt.core.errors import UserError
from dataprodukt.core.storage_emulator import HOST_VARIABLE, require_running

# set on every object this tooling creates, so a retried create can tell its own earlier attempt from another writer
WRITE_ID = "dataprodukt-write-id"
ROLE_READ = "roles/storage.objectViewer"
ROLE_WRITE = "roles/storage.objectCreator (and roles/storage.objectUser for the catalog and the latest copies)"
T = TypeVar("T")
_clients = threading.local()


def split(root: str) -> tuple[str, str]:
    """``gs://bucket/prefix`` -> (bucket, prefix without slashes at either end)."""
    bucket, _, prefix = root.removeprefix("gs://").partition("/")
    if not bucket:
        raise UserError(
            f"storage root {root!r} names no bucket: write gs://<bucket> (the product's folder comes below it)"
        )
    return bucket, prefix.strip("/")


def _client() -> Any:
    """One client per thread (and per emulator address)."""
    import os

    key = os.environ.get(HOST_VARIABLE, "")
    found = getattr(_clients, "by_host", {})
    if key not in found:
        from google.auth.exceptions import DefaultCredentialsError
        from google.cloud import storage

        require_running()
        try:
            found[key] = storage.Client()
        except DefaultCredentialsError as error:
            raise UserError(
                f"no Google credentials for Cloud Storage: {' '.join(str(error).split())[:200]} "
                "(run `gcloud auth application-default login`, or authenticate the workflow with workload identity)"
            ) from error
        _clients.by_host = found
    return found[key]


class BucketObjects:
    """The objects below ``gs://<bucket>/<prefix>``; every name is relative to that root."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.bucket_name, self.prefix = split(root)

    def _name(self, path: str) -> str:
        path = path.strip("/")
        return f"{self.prefix}/{path}".strip("/") if self.prefix else path

    def _uri(self, name: str) -> str:
        return f"gs://{self.bucket_name}/{name}"

    @property
    def _bucket(self) -> Any:
        return _client().bucket(self.bucket_name)

    def _call(self, action: Callable[[], T], name: str, writing: bool) -> T:
        """Run a client call; the client's errors become one line naming the object and what to do."""
        from google.api_core import exceptions
        from google.auth.exceptions import GoogleAuthError
        from requests.exceptions import RequestException

        where = self._uri(name)
        try:
            return action()
        except exceptions.NotFound as error:
            raise UserError(
                f"gs://{self.bucket_name} does not exist, or this account can't see it ({where}): create the bucket "
                f"(`gcloud storage buckets create gs://{self.bucket_name} --location=europe-north1`) or correct the "
                "storage root (DATAPRODUKT_STORAGE_ROOT)"
            ) from error
        except exceptions.Forbidden as error:
            role = ROLE_WRITE if writing else ROLE_READ
            raise UserError(
                f"no permission to {'write' if writing else 'read'} {where}: grant the run's service account {role} "
                f"on gs://{self.bucket_name} ({_reason(error)})"
            ) from error
        except exceptions.GoogleAPICallError as error:
            raise UserError(f"{where}: Cloud Storage answered {error.code}: {_reason(error)}") from error
        except (exceptions.RetryError, RequestException, GoogleAuthError) as error:
            raise UserError(
                f"can't reach Cloud Storage for {where}: {' '.join(str(error).split())[:300]} (check the network "
                f"and the credentials; {HOST_VARIABLE} points the client at an emulator)"
            ) from error

    # reading

    def exists(self, path: str) -> bool:
        name = self._name(path)
        return self._call(lambda: self._bucket.get_blob(name), name, writing=False) is not None

    def read(self, path: str) -> bytes | None:
        from google.api_core import exceptions

        name = self._name(path)

        def download() -> bytes | None:
            try:
                return bytes(self._bucket.blob(name).download_as_bytes())
            except exceptions.NotFound:
                return None

        return self._call(download, name, writing=False)

    def _list(self, folder: str, delimiter: str | None) -> tuple[list[str], list[str]]:
        start = self._name(folder)
        prefix = f"{start}/" if start else ""

        def listing() -> tuple[list[str], list[str]]:
            pages = _client().list_blobs(self.bucket_name, prefix=prefix, delimiter=delimiter)
            names = [blob.name for blob in pages]
            return names, sorted(pages.prefixes)

        names, folders = self._call(listing, prefix, writing=False)
        return [name[len(prefix) :] for name in names], [name[len(prefix) :].rstrip("/") for name in folders]

    def listdir(self, folder: str) -> list[str]:
        names, folders = self._list(folder, "/")
        return sorted(set(names) | set(folders))

    def walk(self, folder: str) -> list[str]:
        """Every object below ``folder``, relative to the root."""
        names, _folders = self._list(folder, None)
        base = folder.strip("/")
        return sorted(f"{base}/{name}" if base else name for name in names)

    # writing

    def create(self, path: str, data: bytes) -> bool:
        """Create the object only if there is none (``ifGenerationMatch=0``); False when one exists already."""
        from google.api_core import exceptions

        name = self._name(path)
        write_id = uuid.uuid4().hex

        def upload() -> bool:
            blob = self._bucket.blob(name)
            blob.metadata = {WRITE_ID: write_id}
            try:
                blob.upload_from_string(data, content_type=_content_type(name), if_generation_match=0)
            except exceptions.PreconditionFailed:
                # a retried upload whose first attempt landed meets its own object: that is this writer's success
                found = self._bucket.get_blob(name)
                return found is not None and (found.metadata or {}).get(WRITE_ID) == write_id
            return True

        return self._call(upload, name, writing=True)

    def put(self, path: str, data: bytes) -> bool:
        """Write or replace the object; False when it holds these bytes already (compared by MD5, not read)."""
        name = self._name(path)
        digest = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")

        def upload() -> bool:
            found = self._bucket.get_blob(name)
            if found is not None and found.md5_hash == digest:
                return False
            self._bucket.blob(name).upload_from_string(data, content_type=_content_type(name))
            return True

        return self._call(upload, name, writing=True)


CONTENT_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _reason(error: Any) -> str:
    return " ".join(str(getattr(error, "message", error)).split())[:300]
