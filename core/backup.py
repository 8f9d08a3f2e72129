"""Backup and restore of a whole site: the database and every uploaded or generated file, in
one dated archive with a manifest of checksums.

The archive is a plain tar: ``manifest.json``, the database (``database.dump``, a PostgreSQL
custom-format dump, or ``database.sqlite3`` for the embedded default) and ``files/<name>`` for
each file of the default storage (local folder or object storage alike: files are read and
written through Django's storage API). A restore goes into an empty database and an empty
storage, and checks every checksum of the manifest before and after.
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    bytes: int


def _sha256_of(fh) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def storage_files(storage: Storage, base: str = "") -> Iterator[str]:
    """Every file name in ``storage`` (recursively), in a stable order."""
    try:
        dirs, files = storage.listdir(base)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{base}/{name}" if base else name
    for sub in sorted(dirs):
        yield from storage_files(storage, f"{base}/{sub}" if base else sub)


def _libpq_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGHOST": db.get("HOST") or "", "PGPORT": str(db.get("PORT") or "")}
    env["PGUSER"] = db.get("USER") or ""
    env["PGDATABASE"] = db["NAME"]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def _dump_database(target: Path) -> str:
    if connection.vendor == "postgresql":
        name = "database.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
            env=_libpq_env(),
            check=True,
            capture_output=True,
        )
        return name
    if connection.vendor == "sqlite":
        name = "database.sqlite3"
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return name
    raise BackupError(f"不支持备份此类数据库：{connection.vendor}")


def _migrations_state() -> dict[str, str]:
    state: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        state[app] = max(state.get(app, ""), name)
    return dict(sorted(state.items()))


def backup_create(*, directory: Path, storage: Storage = default_storage) -> BackupResult:
    """Write ``jixiao-backup-<date>-<time>.tar`` into ``directory``; returns its path.

    The archive is written under a temporary name and renamed when complete, so an
    interrupted backup never leaves a file that looks whole."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    final = directory / f"jixiao-backup-{stamp}.tar"
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        dump_path = Path(work) / "database"
        db_name = _dump_database(dump_path)
        with dump_path.open("rb") as fh:
            db_sha, db_size = _sha256_of(fh)
        partial = Path(work) / "archive.tar"
        files, total = [], 0
        with tarfile.open(partial, "w") as tar:
            tar.add(dump_path, arcname=db_name)
            for name in storage_files(storage):
                with storage.open(name, "rb") as fh:
                    sha, size = _sha256_of(fh)
                    fh.seek(0)
                    info = tarfile.TarInfo(f"files/{name}")
                    info.size = size
                    info.mtime = int(timezone.now().timestamp())
                    tar.addfile(info, fh)
                files.append({"name": name, "sha256": sha, "size": size})
                total += size
            manifest = {
                "format": FORMAT,
                "created_at": timezone.now().isoformat(),
                "database": {
                    "vendor": connection.vendor,
                    "file": db_name,
                    "sha256": db_sha,
                    "size": db_size,
                },
                "migrations": _migrations_state(),
                "files": files,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, final)
    return BackupResult(path=final, files=len(files), bytes=total + db_size)


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError, TypeError) as exc:
        raise BackupError("备份文件缺少有效的清单（manifest.json），无法恢复") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份文件格式版本 {manifest.get('format')} 不受支持")
    return manifest


def backup_verify(path: Path) -> dict:
    """Check every checksum of the archive against its manifest; returns the manifest."""
    with tarfile.open(path, "r") as tar:
        manifest = _read_manifest(tar)
        members = {m.name: m for m in tar.getmembers()}
        expected = [(manifest["database"]["file"], manifest["database"]["sha256"])]
        expected += [(f"files/{f['name']}", f["sha256"]) for f in manifest["files"]]
        for name, sha in expected:
            member = members.get(name)
            if member is None or not member.isfile():
                raise BackupError(f"备份文件不完整：缺少 {name}")
            got, _size = _sha256_of(tar.extractfile(member))
            if got != sha:
                raise BackupError(f"备份文件已损坏：{name} 的校验值不符")
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def backup_restore(*, path: Path, storage: Storage = default_storage) -> dict:
    """Restore ``path`` into the (empty) configured database and (empty) storage."""
    manifest = backup_verify(path)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"备份来自 {vendor} 数据库，不能恢复到 {connection.vendor}")
    if not _database_is_empty():
        raise BackupError("目标数据库不是空的：请恢复到新建的空数据库")
    if next(storage_files(storage), None) is not None:
        raise BackupError("目标文件存储不是空的：请恢复到新的空存储")
    with tarfile.open(path, "r") as tar, tempfile.TemporaryDirectory() as work:
        dump = Path(work) / "database"
        with dump.open("wb") as out:
            shutil.copyfileobj(tar.extractfile(manifest["database"]["file"]), out)
        connection.close()
        if vendor == "postgresql":
            subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={settings.DATABASES['default']['NAME']}",
                    str(dump),
                ],
                env=_libpq_env(),
                check=True,
                capture_output=True,
            )
        else:
            shutil.copyfile(dump, settings.DATABASES["default"]["NAME"])
        for entry in manifest["files"]:
            saved = storage.save(entry["name"], File(tar.extractfile(f"files/{entry['name']}")))
            if saved != entry["name"]:
                raise BackupError(f"文件 {entry['name']} 未能按原名恢复")
            with storage.open(saved, "rb") as fh:
                if _sha256_of(fh)[0] != entry["sha256"]:
                    raise BackupError(f"恢复后的文件 {saved} 校验值不符")
    return manifest
