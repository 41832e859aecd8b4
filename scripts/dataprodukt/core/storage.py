"""Where published files live: one storage root (a local folder or ``gs://bucket/prefix``), resolved in one place.

Every file the tooling publishes goes through a :class:`Storage`: data files and their partitions, the latest
copies, ``__DOC.json`` documents, publication records, the data package, the catalog's index and page. Paths
given to it are relative to its root (``<product>/<state>/<file>``).

- Versioned files are written once (``write_new``), and the store itself refuses a second writer: on disk an
  exclusive create (a temporary file hard-linked into place), in a bucket the precondition ``ifGenerationMatch=0``
  (``core.gcs``). The loser gets :class:`AlreadyStored` naming the file; nothing it wrote replaces anything.
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
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Protocol

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

    @cached_property
    def _objects(self) -> Objects:
        if self.is_local:
            return Folder(self.root)
        from dataprodukt.core.gcs import BucketObjects

        return BucketObjects(self.root)

    # reading

    def exists(self, path: PurePosixPath | str) -> bool:
        return self._objects.exists(str(path))

    def listdir(self, folder: PurePosixPath | str) -> list[str]:
        """Names (files and folders) directly in a folder; empty when it does not exist."""
        return self._objects.listdir(str(folder))

    def walk(self, folder: PurePosixPath | str = "") -> list[str]:
        """Every file below a folder (default the root), as paths relative to the root."""
        return self._objects.walk(str(folder))

    def read_bytes(self, path: PurePosixPath | str) -> bytes:
        found = self._objects.read(str(path))
        if found is None:
            raise FileNotFoundError(f"{self.uri(path)} does not exist")
        return found

    def read_if_exists(self, path: PurePosixPath | str) -> bytes | None:
        return self._objects.read(str(path))

    # writing

    def write_new(self, path: PurePosixPath | str, data: bytes) -> None:
        """Write a file that must not exist yet; the store itself refuses a second writer (AlreadyStored)."""
        if not self._objects.create(str(path), data):
            raise AlreadyStored(
                f"{self.uri(path)} exists already and is never replaced: another run published it first, or a run "
                "stopped half-way (check the register; publish a new version to change published data)"
            )

    def replace(self, path: PurePosixPath | str, data: bytes) -> bool:
        """Write or replace an unversioned file; False when it already held exactly these bytes."""
        return self._objects.put(str(path), data)


class Objects(Protocol):
    """Where a storage root's files are: a local folder (:class:`Folder`) or a bucket (``core.gcs``)."""

    def exists(self, path: str) -> bool: ...

    def read(self, path: str) -> bytes | None: ...

    def listdir(self, folder: str) -> list[str]: ...

    def walk(self, folder: str) -> list[str]: ...

    def create(self, path: str, data: bytes) -> bool:
        """Write a file that must not exist; False (nothing written) when it does."""
        ...

    def put(self, path: str, data: bytes) -> bool:
        """Write or replace a file; False when it held these bytes already."""
        ...


@dataclass(frozen=True)
class Folder:
    """A storage root on this machine's disk. A file appears complete or not at all: it is written under a
    temporary name beside its place, then linked (a new file) or renamed (a replaced one) into place."""

    root: str

    def _path(self, path: str) -> Path:
        return Path(self.root) / path

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def read(self, path: str) -> bytes | None:
        try:
            return self._path(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def listdir(self, folder: str) -> list[str]:
        where = self._path(folder)
        return sorted(entry.name for entry in where.iterdir()) if where.is_dir() else []

    def walk(self, folder: str) -> list[str]:
        base = Path(self.root)
        where = base / folder
        if not where.is_dir():
            return []
        return sorted(path.relative_to(base).as_posix() for path in where.rglob("*") if path.is_file())

    def create(self, path: str, data: bytes) -> bool:
        target = self._path(path)
        if target.exists():
            return False
        temporary = _local_temporary(target, data)
        try:
            os.link(temporary, target)  # an exclusive create: fails when the target appeared meanwhile
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True

    def put(self, path: str, data: bytes) -> bool:
        if self.read(path) == data:
            return False
        target = self._path(path)
        os.replace(_local_temporary(target, data), target)
        return True


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


def require_bucket(project: Project, storage: Storage) -> None:
    """Production (a target that is not local) publishes where its files last: with no storage root configured,
    they would go to ``build/storage`` on the machine that runs it, gone with a CI runner. One set explicitly (a
    folder a bucket is mounted on, say) is the team's choice."""
    if project.is_production and storage.is_local and Path(storage.root) == project.root / DEFAULT_ROOT:
        raise UserError(
            f"target {project.target} has no storage root, so its publication would go to {DEFAULT_ROOT} on this "
            f"machine: set {STORAGE_ENV}=gs://<bucket> (or the var storage_root in dbt_project.yml; docs/ci.md)"
        )


def catalog_for(project: Project, storage: Storage, given: str | Path | None = None) -> Storage:
    """The catalog's folder: ``given``, else $DATAPRODUKT_CATALOG_DIR, else build/catalog beside a local storage
    root, or ``<storage root>/<product>/katalog`` in a bucket."""
    configured = str(given or os.environ.get(CATALOG_ENV) or "")
    if configured:
        return Storage(_resolve(project, configured, CATALOG_ENV))
    if storage.is_local:
        return Storage(str(project.root / DEFAULT_CATALOG))
    return storage.child(f"{project.product}/{CATALOG_FOLDER}")
