"""``registration_upload``: the check and the draft in one transaction, the
previous draft retired and the file saved while the reader process reads the
list; a list with errors or a file that cannot be read keeps nothing, not even
a file, and leaves the previous draft as it was."""

from pathlib import Path

import pytest

from licensing import reader_process, services
from licensing.anmeldeliste import ListFileError, read_list
from licensing.models import RegistrationUpload
from licensing.services import registration_upload
from tests.licensing.listfiles import contact, make_xlsx

pytestmark = pytest.mark.django_db

VALID = [contact(n) for n in ["100001", "100002", "100003", "200001", "200002"]]


def stored_files(upload) -> set[Path]:
    root = Path(upload.file.storage.location)
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def draft(authority, product, directory, staff_user):
    result, upload = registration_upload(
        authority=authority, product=product, data=make_xlsx(VALID), filename="a.xlsx"
    )
    assert result.is_valid
    return upload


@pytest.mark.parametrize(
    "data",
    [make_xlsx([*VALID, contact("999999")]), b"PK\x03\x04 not a workbook", make_xlsx([])],
    ids=["list with errors", "damaged file", "no rows"],
)
def test_a_list_not_kept_keeps_no_file_and_the_previous_draft(authority, product, draft, data):
    files = stored_files(draft)
    try:
        result, upload = registration_upload(
            authority=authority, product=product, data=data, filename="b.xlsx"
        )
    except ListFileError:
        pass
    else:
        assert not result.is_valid
        assert upload is None

    assert stored_files(draft) == files
    [still] = RegistrationUpload.objects.all()
    assert still.pk == draft.pk and still.is_draft and still.file.name == draft.file.name


def test_a_valid_list_replaces_the_draft(
    authority, product, draft, django_capture_on_commit_callbacks
):
    data = make_xlsx([*VALID, contact("100004")])
    files = stored_files(draft)
    with django_capture_on_commit_callbacks(execute=True):
        result, upload = registration_upload(
            authority=authority, product=product, data=data, filename="b.xlsx"
        )

    draft_path = draft.file.path
    draft.refresh_from_db()
    assert result.is_valid and upload.is_draft and upload.original_filename == "b.xlsx"
    assert not draft.is_draft and draft.file.name == ""
    # The replaced draft's file is gone, the new one kept, nothing else.
    assert stored_files(upload) == files - {Path(draft_path)} | {Path(upload.file.path)}
    with upload.file.open("rb") as handle:
        assert handle.read() == data
    assert len(result.entries) == 6


def test_the_draft_is_prepared_while_the_reader_reads(authority, product, draft, monkeypatch):
    events = []
    frame, save = reader_process._Reader.frame, services._save_list_file

    def first_frame(self, first=False):
        if first:
            events.append("reader answers")
        return frame(self, first)

    def saved(*args):
        events.append("file saved")
        return save(*args)

    monkeypatch.setattr(reader_process._Reader, "frame", first_frame)
    monkeypatch.setattr(services, "_save_list_file", saved)

    registration_upload(authority=authority, product=product, data=make_xlsx(VALID), filename="c")

    assert events == ["file saved", "reader answers"]


def test_what_the_work_meanwhile_raises_is_raised_as_it_is(fresh_reader_pool):
    class Lost(Exception):
        pass

    def lose():
        raise Lost("the database went away")

    with pytest.raises(Lost):
        read_list(make_xlsx(VALID), "a.xlsx", while_reading=lose)
    assert len(read_list(make_xlsx(VALID), "a.xlsx").rows) == len(VALID)


@pytest.fixture
def fresh_reader_pool():
    reader_process.shutdown()
    yield
    reader_process.shutdown()
