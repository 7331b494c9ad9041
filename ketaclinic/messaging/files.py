"""Checking files patients and staff attach to messages: type by content, not by name, and size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MB: a phone photo or a scanned letter

# (first bytes, content type, extension). Only types a browser shows safely and staff can open.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)
ALLOWED_DESCRIPTION = "a photo (JPEG or PNG) or a PDF document"


class AttachmentError(ValueError):
    pass


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    name: str


def check_attachment(upload: Any) -> CheckedFile:
    """Look at the first bytes and the size. Raises AttachmentError with a plain message."""
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise AttachmentError("That file is empty. Please choose another.")
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentError(f"That file is too big ({size / 1024 / 1024:.1f} MB). The limit is "
                              f"{MAX_ATTACHMENT_BYTES // 1024 // 1024} MB.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, content_type, ext in _SIGNATURES:
        if head.startswith(magic):
            name = (getattr(upload, "name", "") or f"file.{ext}").replace("/", "_").replace("\\", "_")[-200:]
            return CheckedFile(content_type, ext, size, name)
    raise AttachmentError(f"We cannot accept that kind of file. Please send {ALLOWED_DESCRIPTION}.")
