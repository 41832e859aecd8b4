"""Where published files live: one storage root (a local folder or ``gs://bucket/prefix``), resolved in one place.

Every file the tooling publishes goes through a :class:`Storage`: data files and their partitions, the latest
copies, ``__DOC.json`` documents, publication records, the data package, the catalog's index and page. Paths
given to it are relative to its root (``<product>/<state>/<file>``).

- Versioned files are written once (``write_new``): never replacing a file that is there.
- Everything else (the latest copy, a v0, a document) is replaced (``replace``), and only when its bytes change,
  so an unchanged file keeps its bytes and its modification time.

The roots, in order: ``$DATAPRODUKT_STORAGE_ROOT``, else the var ``storage_root`` in dbt_project.yml, else
``build/storage``; the catalog: ``$DATAPRODUKT_CATALOG_DIR``, else ``build/catalog`` beside a local storage root,
or ``<storage root>/<product>/katalog`` in a bucket. A file's public address (``file_path`` in Datadoc) is its
address in storage, or under ``$DATAPRODUKT_STORAGE_URI`` when a local folder is copied to a bucket afterwards.
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
CATALOG_ENV = "DATAPRODUKT_CATALOG_DIR"
PUBLIC_URI_ENV = "DATAPRODUKT_STORAGE_URI"
DEFAULT_ROOT = "build/storage"
DEFAULT_CATALOG = "build/catalog"
CATALOG_FOLDER = "katalog"


class AlreadyStored(UserError):
    """A versioned file exists already and is never replaced."""


@dataclass(frozen=True)
class Storage:
    """A storage root; every ``path`` argument is relative to it (``<product>/<state>/<file>``).

    ``public`` is how the root is named in metadata (``file_path``); by default the root itself.
    """

    root: str
    public: str = ""

    @property
    def is_local(self) -> bool:
        return "://" not in self.root

    def child(self, folder: str) -> Storage:
        """The storage rooted at a folder below this root."""
        public = f"{self.public.rstrip('/')}/{folder}" if self.public else ""
        return Storage(f"{self.root.rstrip('/')}/{folder}", public)

    def uri(self, path: PurePosixPath | str) -> str:
        """The address of a path as a user would type it (relative to the working folder when below it)."""
        full = f"{self.root.rstrip('/')}/{path}"
        if self.is_local:
            try:
                return str(Path(full).relative_to(Path.cwd()))
            except ValueError:
                return full
        return full

    @property
    def public_root(self) -> str:
        """How the metadata names the root (``file_path`` = this + ``/`` + the path below the root)."""
        return (self.public or self.root).rstrip("/")

    def local_path(self, path: PurePosixPath | str) -> Path | None:
        """The file on this machine's disk, or None in a bucket."""
        return Path(self.root) / str(path) if self.is_local else None

    # reading

    def exists(self, path: PurePosixPath | str) -> bool:
        if self.is_local:
            return (Path(self.root) / str(path)).exists()
        import pyarrow.fs

        filesystem, base = self._fs()
        return bool(filesystem.get_file_info(f"{base}/{path}").type != pyarrow.fs.FileType.NotFound)

    def listdir(self, folder: PurePosixPath | str) -> list[str]:
        """Names (files and folders) directly in a folder; empty when it does not exist."""
        if self.is_local:
            where = Path(self.root) / str(folder)
            return sorted(entry.name for entry in where.iterdir()) if where.is_dir() else []
        import pyarrow.fs

        filesystem, base = self._fs()
        selector = pyarrow.fs.FileSelector(f"{base}/{folder}".rstrip("/"), allow_not_found=True)
        return sorted(PurePosixPath(info.path).name for info in filesystem.get_file_info(selector))

    def walk(self, folder: PurePosixPath | str = "") -> list[str]:
        """Every file below a folder (default the root), as paths relative to the root."""
        if self.is_local:
            base = Path(self.root)
            where = base / str(folder)
            if not where.is_dir():
                return []
            return sorted(path.relative_to(base).as_posix() for path in where.rglob("*") if path.is_file())
        import pyarrow.fs

        filesystem, base_path = self._fs()
        selector = pyarrow.fs.FileSelector(f"{base_path}/{folder}".rstrip("/"), recursive=True, allow_not_found=True)
        return sorted(
            info.path[len(base_path) + 1 :]
            for info in filesystem.get_file_info(selector)
            if info.type == pyarrow.fs.FileType.File
        )

    def read_bytes(self, path: PurePosixPath | str) -> bytes:
        if self.is_local:
            return (Path(self.root) / str(path)).read_bytes()
        filesystem, base = self._fs()
        with filesystem.open_input_stream(f"{base}/{path}") as stream:
            return bytes(stream.read())

    def read_if_exists(self, path: PurePosixPath | str) -> bytes | None:
        try:
            return self.read_bytes(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            if self.is_local:
                return None
            raise

    # writing

    def write_new(self, path: PurePosixPath | str, data: bytes) -> None:
        """Write a file that must not exist yet: a temporary name first, then a no-replace rename."""
        if self.exists(path):
            raise AlreadyStored(f"{self.uri(path)} exists already and is never replaced: publish a new version")
        if self.is_local:
            target = Path(self.root) / str(path)
            temporary = _local_temporary(target, data)
            try:
                os.link(temporary, target)  # fails when the target appeared meanwhile: never replaces
            except FileExistsError as error:
                raise AlreadyStored(f"{self.uri(path)} exists already and is never replaced") from error
            finally:
                os.unlink(temporary)
            return
        filesystem, base = self._fs()
        target_name = f"{base}/{path}"
        filesystem.move(self._remote_temporary(filesystem, target_name, data), target_name)

    def replace(self, path: PurePosixPath | str, data: bytes) -> bool:
        """Write or replace an unversioned file; False when it already held exactly these bytes."""
        if self.read_if_exists(path) == data:
            return False
        if self.is_local:
            target = Path(self.root) / str(path)
            os.replace(_local_temporary(target, data), target)
            return True
        filesystem, base = self._fs()
        target_name = f"{base}/{path}"
        filesystem.move(self._remote_temporary(filesystem, target_name, data), target_name)
        return True

    def _fs(self) -> tuple[Any, str]:
        import pyarrow.fs

        try:
            filesystem, base = pyarrow.fs.FileSystem.from_uri(self.root)
        except (OSError, ValueError) as error:
            raise UserError(
                f"storage root {self.root} can't be opened: {error} (check {STORAGE_ENV} and the credentials)"
            ) from error
        return filesystem, base.rstrip("/")

    @staticmethod
    def _remote_temporary(filesystem: Any, target: str, data: bytes) -> str:
        parent = str(PurePosixPath(target).parent)
        filesystem.create_dir(parent, recursive=True)
        temporary = f"{parent}/.tmp-{uuid.uuid4().hex}-{PurePosixPath(target).name}"
        with filesystem.open_output_stream(temporary) as stream:
            stream.write(data)
        return temporary


def _local_temporary(target: Path, data: bytes) -> Path:
    """The bytes in a hidden file beside ``target`` (same file system, so a rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".tmp-{uuid.uuid4().hex}-{target.name}"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(handle, data)
    except BaseException:
        os.close(handle)
        temporary.unlink(missing_ok=True)
        raise
    os.close(handle)
    return temporary


def _resolve(project: Project, text: str, variable: str) -> str:
    if "://" in text:
        if not text.startswith("gs://"):
            raise UserError(f"storage root {text!r}: use a local folder or gs://bucket/prefix ({variable})")
        return text.rstrip("/")
    path = Path(text)
    return str(path if path.is_absolute() else project.root / path)


def storage_for(project: Project, given: str | Path | None = None) -> Storage:
    """The product's storage: ``given``, else $DATAPRODUKT_STORAGE_ROOT, else the var storage_root, else
    build/storage."""
    configured = str(given or os.environ.get(STORAGE_ENV) or project.variables.get("storage_root") or DEFAULT_ROOT)
    root = _resolve(project, configured, STORAGE_ENV)
    public = os.environ.get(PUBLIC_URI_ENV, "").strip().rstrip("/")
    if not public and "://" not in root:
        # a local root is named relative to the project, as a reader of the repository finds it
        try:
            public = Path(root).resolve().relative_to(project.root.resolve()).as_posix()
        except ValueError:
            public = Path(root).resolve().as_posix()
    return Storage(root, public)


def catalog_for(project: Project, storage: Storage, given: str | Path | None = None) -> Storage:
    """The catalog's folder: ``given``, else $DATAPRODUKT_CATALOG_DIR, else build/catalog beside a local storage
    root, or ``<storage root>/<product>/katalog`` in a bucket."""
    configured = str(given or os.environ.get(CATALOG_ENV) or "")
    if configured:
        return Storage(_resolve(project, configured, CATALOG_ENV))
    if storage.is_local:
        return Storage(str(project.root / DEFAULT_CATALOG))
    return storage.child(f"{project.product}/{CATALOG_FOLDER}")
