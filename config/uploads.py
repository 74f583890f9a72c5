"""Uploads refused while they stream, never read whole (FILE_UPLOAD_HANDLERS).

``SizeLimitedUploadHandler`` counts the bytes of each uploaded file as Django's
multipart parser hands them over; past the limit of the page it stops the parser
(the rest of the request body is not read) and remembers the file. ``upload_files``
gives the view ``request.FILES`` with a stand-in for each refused file whose size is
just over the limit, so the form answers with its usual German "too large" message.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.datastructures import MultiValueDict


def upload_limit(path: str) -> int:
    """The largest file a page takes: bank statements in the admin, lists elsewhere."""
    if path.startswith("/" + settings.ADMIN_URL):
        return max(settings.UPLOAD_MAX_BYTES, settings.BANK_UPLOAD_MAX_BYTES)
    return settings.UPLOAD_MAX_BYTES


class RefusedUpload(UploadedFile):
    """A file that was refused while streaming: no content, a size over the limit."""

    def __init__(self, *, name: str, limit: int):
        super().__init__(file=None, name=name, content_type="application/octet-stream")
        self.size = limit + 1

    def read(self, *args) -> bytes:
        return b""


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = upload_limit(self.request.path)
        self.received = 0

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            refused = getattr(self.request, "refused_uploads", {})
            refused[self.field_name] = RefusedUpload(name=self.file_name, limit=self.limit)
            self.request.refused_uploads = refused
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_files(request) -> MultiValueDict:
    """``request.FILES`` plus a ``RefusedUpload`` for each file refused while streaming."""
    files = request.FILES.copy()
    for field_name, refused in getattr(request, "refused_uploads", {}).items():
        files[field_name] = refused
    return files
