"""The storage published files go to: a local folder (default ``build/storage``) or a ``gs://bucket/prefix`` root.

One small interface over pyarrow's file systems, so exports, the register's record files and the version helpers
work the same on a laptop and on Google Cloud Storage. Versioned files are written once: ``write_new`` writes a
temporary name and renames it into place, and refuses to replace a file that is already there.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project

STORAGE_ENV = "DATAPRODUKT_STORAGE_ROOT"
DEFAULT_ROOT = "build/storage"


class AlreadyStored(UserError):
    """A versioned file exists already and is never replaced."""


@dataclass(frozen=True)
class Storage:
    """A storage root; every ``path`` argument is relative to it (``<product>/<state>/<file>``)."""

    root: str

    @property
    def is_local(self) -> bool:
        return "://" not in self.root

    def _fs(self) -> tuple[Any, str]:
        import pyarrow.fs

        if self.is_local:
            return pyarrow.fs.LocalFileSystem(), str(Path(self.root).resolve())
        try:
            filesystem, base = pyarrow.fs.FileSystem.from_uri(self.root)
        except (OSError, ValueError) as error:
            raise UserError(
                f"storage root {self.root} can't be opened: {error} (check {STORAGE_ENV} and the credentials)"
            ) from error
        return filesystem, base.rstrip("/")

    def uri(self, path: PurePosixPath | str) -> str:
        """The address of a path as a user would type it (relative to the working folder when below it)."""
        full = f"{self.root.rstrip('/')}/{path}"
        if self.is_local:
            try:
                return str(Path(full).relative_to(Path.cwd()))
            except ValueError:
                return full
        return full

    def exists(self, path: PurePosixPath | str) -> bool:
        import pyarrow.fs

        filesystem, base = self._fs()
        return bool(filesystem.get_file_info(f"{base}/{path}").type != pyarrow.fs.FileType.NotFound)

    def listdir(self, folder: PurePosixPath | str) -> list[str]:
        """Names (files and folders) directly in a folder; empty when it does not exist."""
        import pyarrow.fs

        filesystem, base = self._fs()
        selector = pyarrow.fs.FileSelector(f"{base}/{folder}".rstrip("/"), allow_not_found=True)
        return sorted(PurePosixPath(info.path).name for info in filesystem.get_file_info(selector))

    def walk(self) -> list[str]:
        """Every file below the root, as paths relative to it."""
        import pyarrow.fs

        filesystem, base = self._fs()
        selector = pyarrow.fs.FileSelector(base, recursive=True, allow_not_found=True)
        return sorted(
            info.path[len(base) + 1 :]
            for info in filesystem.get_file_info(selector)
            if info.type == pyarrow.fs.FileType.File
        )

    def read_bytes(self, path: PurePosixPath | str) -> bytes:
        filesystem, base = self._fs()
        with filesystem.open_input_stream(f"{base}/{path}") as stream:
            return bytes(stream.read())

    def write_new(self, path: PurePosixPath | str, data: bytes) -> None:
        """Write a file that must not exist yet: a temporary name first, then an atomic no-replace rename."""
        if self.exists(path):
            raise AlreadyStored(f"{self.uri(path)} exists already and is never replaced: publish a new version")
        filesystem, base = self._fs()
        target = f"{base}/{path}"
        temporary = self._write_temporary(filesystem, target, data)
        if self.is_local:
            try:
                os.link(temporary, target)  # fails when the target appeared meanwhile: never replaces
            except FileExistsError as error:
                raise AlreadyStored(f"{self.uri(path)} exists already and is never replaced") from error
            finally:
                os.unlink(temporary)
        else:
            filesystem.move(temporary, target)

    def replace(self, path: PurePosixPath | str, data: bytes) -> bool:
        """Write or replace an unversioned file (the latest copy, a v0); return False when it was already equal."""
        if self.exists(path) and self.read_bytes(path) == data:
            return False
        filesystem, base = self._fs()
        target = f"{base}/{path}"
        temporary = self._write_temporary(filesystem, target, data)
        if self.is_local:
            os.replace(temporary, target)
        else:
            filesystem.move(temporary, target)
        return True

    @staticmethod
    def _write_temporary(filesystem: Any, target: str, data: bytes) -> str:
        parent = str(PurePosixPath(target).parent)
        filesystem.create_dir(parent, recursive=True)
        temporary = f"{parent}/.tmp-{uuid.uuid4().hex}-{PurePosixPath(target).name}"
        with filesystem.open_output_stream(temporary) as stream:
            stream.write(data)
        return temporary


def storage_for(project: Project) -> Storage:
    """$DATAPRODUKT_STORAGE_ROOT, else the var storage_root in dbt_project.yml, else build/storage."""
    configured = os.environ.get(STORAGE_ENV) or str(project.dbt_project.get("vars", {}).get("storage_root") or "")
    root = configured or DEFAULT_ROOT
    if "://" in root:
        if not root.startswith("gs://"):
            raise UserError(f"storage root {root!r}: use a local folder or gs://bucket/prefix ({STORAGE_ENV})")
        return Storage(root)
    path = Path(root)
    return Storage(str(path if path.is_absolute() else project.root / path))
