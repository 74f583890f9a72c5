"""WeasyPrint fetches nothing but the project's own static files: no http(s), no
other file on the server, no data: URL, not even when a template let markup through."""

import http.server
import threading
from pathlib import Path

import pytest
from django.conf import settings
from weasyprint.urls import URLFetchingError

from invoicing import pdf as pdf_module
from invoicing.pdf import render_invoice_pdf
from invoicing.pdf_fetcher import StaticOnlyFetcher, static_base_url
from tests.invoicing.factories import InvoiceFactory, add_lines

STATIC_CSS = Path(settings.BASE_DIR) / "static" / "css" / "portal.css"


def test_a_static_file_is_served():
    response = StaticOnlyFetcher().fetch(STATIC_CSS.as_uri())

    assert response.read() == STATIC_CSS.read_bytes()
    assert response.headers["Content-Type"] == "text/css"


def test_a_relative_url_resolves_to_the_static_folder():
    from urllib.parse import urljoin

    url = urljoin(static_base_url(), "css/portal.css")

    assert StaticOnlyFetcher().fetch(url).read() == STATIC_CSS.read_bytes()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "data:text/plain,geheim",
        STATIC_CSS.parent.as_uri() + "/../../pyproject.toml",
        STATIC_CSS.parent.as_uri() + "/%2e%2e/%2e%2e/pyproject.toml",
        "file://evil.example.org" + str(STATIC_CSS),
        STATIC_CSS.parent.as_uri() + "/",
    ],
)
def test_everything_else_is_refused(url):
    with pytest.raises(URLFetchingError):
        StaticOnlyFetcher().fetch(url)


@pytest.fixture
def http_hits():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


@pytest.mark.django_db
def test_an_invoice_with_injected_markup_fetches_nothing(http_hits, monkeypatch):
    port, hits = http_hits
    injected = (
        f'<img src="http://127.0.0.1:{port}/ssrf.png">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
        '<img src="file:///etc/passwd">'
    )
    real = pdf_module.render_to_string
    monkeypatch.setattr(
        pdf_module,
        "render_to_string",
        lambda name, context=None: real(name, context).replace("</body>", injected + "</body>"),
    )
    invoice = InvoiceFactory()
    add_lines(invoice, [("100.00", "7.00")])

    assert render_invoice_pdf(invoice).startswith(b"%PDF")
    assert hits == []
