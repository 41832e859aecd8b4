"""Version helpers (ssb-fagfunksjoner equivalents) and write-once storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataprodukt.core.storage import AlreadyStored, Storage
from dataprodukt.rules.file_versions import (
    get_fileversions,
    latest_version_number,
    latest_version_path,
    next_version_number,
    next_version_path,
)

NAME = "framskrevne-befolkningsendringer_p2019_p2050"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    base = tmp_path / "befolkningsframskrivinger" / "klargjorte-data"
    base.mkdir(parents=True)
    for name in (
        f"{NAME}.parquet",  # the latest copy: not a version
        f"{NAME}_v1.parquet",
        f"{NAME}_v2.parquet",
        f"{NAME}_v10.parquet",
        f"{NAME}_v10__DOC.json",  # the metadata document beside it: not a version
        f"{NAME}_v3__DOC.json",  # a document without its file: not a version either
        f"{NAME}_p2051_v9.parquet",  # another dataset
        f"{NAME}_v4.csv",  # another file type
        f"annen-{NAME}_v11.parquet",
    ):
        (base / name).write_bytes(b"x")
    return base


def test_get_fileversions_lists_versions_in_number_order(folder: Path) -> None:
    assert get_fileversions(str(folder / f"{NAME}.parquet")) == [
        str(folder / f"{NAME}_v{n}.parquet") for n in (1, 2, 10)
    ]
    # any file of the dataset finds the same versions
    assert get_fileversions(str(folder / f"{NAME}_v1.parquet")) == get_fileversions(str(folder / f"{NAME}.parquet"))


def test_latest_and_next_version(folder: Path) -> None:
    path = str(folder / f"{NAME}_v2.parquet")
    assert latest_version_number(path) == 10
    assert latest_version_path(path) == str(folder / f"{NAME}_v10.parquet")
    assert next_version_number(path) == 11
    assert next_version_path(str(folder / f"{NAME}.parquet")) == str(folder / f"{NAME}_v11.parquet")


def test_doc_sibling_is_never_a_version(tmp_path: Path) -> None:
    (tmp_path / "a_p2020_v3__DOC.json").write_text("{}", encoding="utf-8")
    path = str(tmp_path / "a_p2020.parquet")
    assert get_fileversions(path) == []
    assert latest_version_number(path) is None
    assert latest_version_path(path) is None
    assert next_version_path(path) == str(tmp_path / "a_p2020_v1.parquet")


def test_partitioned_versions_are_folders(tmp_path: Path) -> None:
    for version in (1, 2):
        (tmp_path / f"skjema_p2018_p2020_v{version}" / "aar=2018").mkdir(parents=True)
    (tmp_path / "skjema_p2018_p2020_v2__DOC.json").write_text("{}", encoding="utf-8")
    assert latest_version_path(str(tmp_path / "skjema_p2018_p2020")) == str(tmp_path / "skjema_p2018_p2020_v2")
    assert next_version_path(str(tmp_path / "skjema_p2018_p2020_v1")) == str(tmp_path / "skjema_p2018_p2020_v3")


def test_storage_writes_a_versioned_file_once(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path))
    storage.write_new("p/utdata/a_p2020_v1.parquet", b"first")
    with pytest.raises(AlreadyStored, match=r"a_p2020_v1.parquet exists already and is never replaced"):
        storage.write_new("p/utdata/a_p2020_v1.parquet", b"second")
    assert (tmp_path / "p/utdata/a_p2020_v1.parquet").read_bytes() == b"first"
    # no temporary file is left behind
    assert sorted(path.name for path in (tmp_path / "p/utdata").iterdir()) == ["a_p2020_v1.parquet"]


def test_storage_replaces_an_unversioned_copy_only_when_it_differs(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path))
    assert storage.replace("p/utdata/a_p2020.parquet", b"one") is True
    assert storage.replace("p/utdata/a_p2020.parquet", b"one") is False
    assert storage.replace("p/utdata/a_p2020.parquet", b"two") is True
    assert (tmp_path / "p/utdata/a_p2020.parquet").read_bytes() == b"two"
    assert storage.walk() == ["p/utdata/a_p2020.parquet"]
