"""The one response for private files (uploaded lists, issued documents, exports):
an attachment that browsers and proxies never cache or sniff."""

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header


def private_download(content, *, filename: str, content_type: str) -> HttpResponse:
    """``content`` is the file's bytes or an open binary file (streamed). The
    download is named ``filename``, stored by no cache (``private, no-store``) and
    taken as ``content_type`` only (``nosniff``)."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
