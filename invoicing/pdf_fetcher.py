"""The only URL fetcher WeasyPrint gets: it serves the project's own static files
and refuses everything else (http://, https://, ftp://, data:, any other file://).

WeasyPrint's default fetcher follows every URL in a letter; user text in a template
is escaped today, but one ``|safe`` would turn that into server-side request forgery
or a local file read. Relative URLs resolve against ``STATIC_BASE_URL`` (the
project's ``static/`` folder), so ``invoicing/logo.svg`` is a static file too.
"""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

logger = logging.getLogger(__name__)


def static_roots() -> list[Path]:
    return [Path(p).resolve() for p in (*settings.STATICFILES_DIRS, settings.STATIC_ROOT)]


def static_base_url() -> str:
    return static_roots()[0].as_uri() + "/"


def static_file(url: str) -> Path | None:
    """The file behind ``url`` if it is a file:// URL inside a static folder."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    for root in static_roots():
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


class StaticOnlyFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        path = static_file(url)
        if path is None:
            logger.warning("PDF: refused to fetch %.200s", url)
            raise URLFetchingError(f"only the project's static files may be fetched: {url:.200}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
        )
