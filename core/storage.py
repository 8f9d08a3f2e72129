"""Where uploaded and generated files live: the local folder (the embedded default) or
S3-compatible object storage, named by one URL (``STORAGE_URL``) so web and workers on
different machines share files without a shared disk.

Code never opens a path: files are written with ``storage.save`` and read with
``field.open()``; protected downloads stream through the site's views, which check permission
first (object keys are private, and any URL the storage signs expires after five minutes).
Read by the settings module, so nothing here imports Django's models.
"""

from urllib.parse import parse_qs, unquote, urlsplit

SIGNED_URL_SECONDS = 300


class StorageUrlError(ValueError):
    pass


def s3_storage(url: str) -> dict:
    """The ``STORAGES["default"]`` entry for ``s3://KEY:SECRET@host[:port]/bucket`` (HTTPS) or
    ``s3+http://…`` (plain HTTP, e.g. MinIO on the internal network). Query: ``region``,
    ``prefix`` (a folder inside the bucket)."""
    parts = urlsplit(url)
    if parts.scheme not in ("s3", "s3+http", "s3+https"):
        raise StorageUrlError(
            f"STORAGE_URL: 不支持的存储类型 {parts.scheme!r}（应为 s3:// 或 s3+http://）"
        )
    bucket = parts.path.strip("/")
    if not bucket or "/" in bucket:
        raise StorageUrlError("STORAGE_URL: 缺少存储桶名称（s3://KEY:SECRET@host/bucket）")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    options = {
        "bucket_name": bucket,
        "access_key": unquote(parts.username or ""),
        "secret_key": unquote(parts.password or ""),
        "default_acl": "private",
        # Names are never reused: a stored form or export is never silently replaced.
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": SIGNED_URL_SECONDS,
        "location": query.get("prefix", "").strip("/"),
    }
    if parts.hostname:
        http = "http" if parts.scheme == "s3+http" else "https"
        port = f":{parts.port}" if parts.port else ""
        options["endpoint_url"] = f"{http}://{parts.hostname}{port}"
    if query.get("region"):
        options["region_name"] = query["region"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
