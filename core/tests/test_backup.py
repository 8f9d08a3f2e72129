"""Backup and restore: one archive with the database and every file, checked by its manifest,
restored into an empty database and storage, after which the site works."""

import io
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from core.backup import BackupError, backup_create, backup_verify

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"),
]

ROOT = Path(settings.BASE_DIR)


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def empty_database():
    name = f"jixiao_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_backup_then_restore_into_an_empty_site(
    reference_data, county_user, enterprise, tmp_path, empty_database, settings
):
    # The restored site hashes as production does (the suite's fast hasher is not there).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    county_user.set_password("Zx-9a!long")
    county_user.save()
    stored = default_storage.save("evidence/2026/证明材料.pdf", ContentFile(b"%PDF-1.7 test"))
    result = backup_create(directory=tmp_path / "backups")
    assert result.path.name.startswith("jixiao-backup-") and result.files >= 1
    manifest = backup_verify(result.path)
    assert any(f["name"] == stored for f in manifest["files"])

    var = tmp_path / "restored"
    env = {"DATABASE_URL": _url(empty_database), "VAR_DIR": str(var), "DEBUG": "true"}
    restored = _manage("restore", str(result.path), env=env)
    assert restored.returncode == 0, restored.stderr
    assert (var / "media" / stored).read_bytes() == b"%PDF-1.7 test"
    smoke = _manage(
        "shell",
        "-c",
        "from django.test import Client; c = Client(); "
        "r = c.post('/accounts/login/', "
        f"{{'username': '{county_user.username}', 'password': 'Zx-9a!long'}}); "
        "assert r.status_code == 302, r.status_code; "
        f"r = c.get('/enterprises/{enterprise.pk}/'); "
        f"assert r.status_code == 200 and '{enterprise.name}' in r.content.decode(); print('ok')",
        env=env,
    )
    assert smoke.returncode == 0 and "ok" in smoke.stdout, smoke.stderr
    again = _manage("restore", str(result.path), env=env)
    assert again.returncode != 0 and "不是空的" in again.stderr


def test_a_damaged_archive_is_refused(reference_data, tmp_path):
    default_storage.save("forms/意见表.pdf", ContentFile(b"%PDF-1.7 form"))
    result = backup_create(directory=tmp_path)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(result.path) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/"):
                data = data.replace(b"form", b"FORM")
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="校验值不符"):
        backup_verify(damaged)
