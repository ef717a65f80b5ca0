"""Attachment storage: uploaded and generated files of a case.

Bytes live on disk under SUPERVISION_ATTACHMENTS_DIR (default instance/attachments), named
by a random id and sharded by its first two characters; the user's file name is kept only
as metadata, so no upload can choose where it is written. Type and size are checked before
anything is stored, and the content must match the declared type's signature.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from db.models import Attachment
from db.models import ProcessInstance
from supervision import audit
from supervision import clock
from supervision.errors import InvalidInputError
from supervision.errors import NotFoundError

MAX_BYTES = 20 * 1024 * 1024
ALLOWED: dict[str, str] = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain",
    "ofd": "application/ofd",
    "zip": "application/zip",
    "mp4": "video/mp4",
}
# Magic numbers: a .pdf must start like a PDF, etc. (text has none).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "ofd": (b"PK\x03\x04",),
    "zip": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
}


def storage_root() -> Path:
    return Path(os.environ.get("SUPERVISION_ATTACHMENTS_DIR", "instance/attachments"))


def _path(attachment_id: str) -> Path:
    return storage_root() / attachment_id[:2] / attachment_id


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str | None = None


def clean_filename(name: str) -> str:
    """Keep only the last path component and printable characters, for display."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base.strip(" .")[:200] or "file"


def check_upload(upload: Upload, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """Return (clean name, content type) or raise InvalidInputError."""
    name = clean_filename(upload.filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise InvalidInputError(
            f"不允许上传 .{extension or '?'} 文件；允许：{', '.join(sorted(ALLOWED))} "
            f"(file type not allowed)"
        )
    if not upload.content:
        raise InvalidInputError("文件为空 (empty file)")
    if len(upload.content) > max_bytes:
        raise InvalidInputError(f"文件超过 {max_bytes // (1024 * 1024)} MB (file too large)")
    signatures = SIGNATURES.get(extension)
    if signatures and not upload.content.startswith(signatures):
        raise InvalidInputError("文件内容与扩展名不符 (content does not match the file type)")
    return name, ALLOWED[extension]


def store(
    session: Session,
    instance: ProcessInstance,
    upload: Upload,
    *,
    actor: str | None,
    task_id: str | None = None,
    kind: str = "upload",
    max_bytes: int = MAX_BYTES,
) -> Attachment:
    """Check and store a file on a case (inside the caller's transaction)."""
    name, content_type = check_upload(upload, max_bytes)
    attachment_id = uuid.uuid4().hex
    path = _path(attachment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(upload.content)
    tmp.replace(path)
    row = Attachment(
        id=attachment_id,
        instance_id=instance.id,
        task_id=task_id,
        filename=name,
        content_type=content_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        kind=kind,
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    session.add(row)
    audit.append(
        session,
        "attachment",
        actor=actor,
        instance_id=instance.id,
        task_id=task_id,
        details={
            "attachment_id": attachment_id,
            "filename": name,
            "size": row.size,
            "sha256": row.sha256,
            "kind": kind,
        },
    )
    return row


def read(attachment: Attachment) -> bytes:
    path = _path(attachment.id)
    if not path.exists():
        raise NotFoundError("附件文件缺失 (attachment file missing)")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise NotFoundError("附件文件已损坏 (attachment file does not match its checksum)")
    return data
