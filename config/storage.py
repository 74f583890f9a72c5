"""The private file storage for uploads and issued documents (never served by URL)."""

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    return storages["private"]
