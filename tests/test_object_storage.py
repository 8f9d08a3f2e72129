"""Files through Django's storage API everywhere, so web and workers share S3-compatible
object storage without a shared disk (STORAGE_URL); downloads keep their permission checks,
streamed through the site. Object storage here is moto's in-process S3."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.storage import StorageUrlError, s3_storage
from declarations.services import drafting
from declarations.services.package import package_render
from emergency_list.models import ExcelJob
from emergency_list.services.jobs import export_request
from emergency_list.tests.excel_data import YEAR, seed_county
from grading.models import Region, User
from tests import declaration_builders as builders
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "grading", "declarations", "review", "emergency_list", "publication"]
BUCKET = "jixiao-test"


def test_storage_url_names_the_bucket_keys_and_endpoint():
    entry = s3_storage("s3+http://jixiao:p%40ss@minio:9000/files?prefix=media/")
    options = entry["OPTIONS"]
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "files" and options["location"] == "media"
    assert (options["access_key"], options["secret_key"]) == ("jixiao", "p@ss")
    assert options["endpoint_url"] == "http://minio:9000"
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
    assert options["querystring_expire"] <= 300, "a signed URL is short-lived"
    assert s3_storage("s3://k:s@oss.example.cn/b")["OPTIONS"]["endpoint_url"] == (
        "https://oss.example.cn"
    )
    for bad in ("ftp://k:s@h/b", "s3://k:s@h/", "s3://k:s@h/a/b"):
        with pytest.raises(StorageUrlError):
            s3_storage(bad)


def test_no_module_opens_a_stored_file_by_its_path():
    """A FieldFile's ``.path`` or ``storage.path()`` exists only for a local folder; the one
    allowed use falls back when the storage has no paths (NotImplementedError)."""
    offenders = []
    pattern = re.compile(r"\.(file|upload|package_file)\.path\b|storage\.path\(")
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            if "tests" in source.parts or "migrations" in source.parts:
                continue
            text = source.read_text(encoding="utf-8")
            for match in pattern.finditer(text):
                after = text[match.end() : match.end() + 400]
                if "except NotImplementedError" not in after:
                    offenders.append(f"{source.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders, offenders


@pytest.fixture
def object_storage(settings):
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage(f"s3://test:test@/{BUCKET}?region=us-east-1"),
        }
        assert type(storages["default"]).__name__ == "S3Storage"
        yield
    # settings restores STORAGES; Django resets the storages it built


def png_upload(name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.mark.django_db
def test_an_export_is_stored_and_downloaded_through_object_storage(
    object_storage, settings, client, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    user = factories.staff_user(User.Role.COUNTY, "410184")
    with django_capture_on_commit_callbacks(execute=True):
        job = export_request(actor=user, region=Region.objects.get(code="410184"), year=YEAR)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY, job.error
    with pytest.raises(NotImplementedError):
        job.file.path  # noqa: B018  (no local path: the file lives in the bucket)
    client.force_login(user)
    response = client.get(reverse("emergency_list:job-download", args=[job.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == job.sha256
    assert response["Cache-Control"] == "private, no-store"
    # another county's staff: the same answer as a missing job
    client.force_login(factories.staff_user(User.Role.COUNTY, "410122"))
    assert client.get(reverse("emergency_list:job-download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_a_package_with_evidence_images_renders_from_object_storage(object_storage):
    enterprise = factories.enterprise(county="410184", industry="N31")
    user = factories.enterprise_user(enterprise)
    declaration = builders.complete(builders.draft(user, grade="B"), user, evidence_rows=1)
    row = declaration.indicator_rows.order_by("seq").first()
    drafting.evidence_upload(
        actor=user,
        declaration=declaration,
        upload=png_upload("现场照片.png"),
        title="现场照片",
        section="indicator",
        indicator_row=row,
    )
    from declarations.services import lifecycle

    version = lifecycle.declaration_submit(actor=user, declaration=declaration)
    pdf = package_render(version)
    assert pdf.startswith(b"%PDF-")
    assert b"/Subtype /Image" in pdf or b"/Image" in pdf
