"""``fewer_gc_passes``: the young-generation threshold is raised inside the block
only, nested and concurrent blocks share it, and the previous setting comes back
(also after an exception); the registration check reads and checks under it."""

import gc
import threading

import pytest

from config.gc_passes import RAISED_THRESHOLD, fewer_gc_passes


@pytest.fixture
def threshold():
    before = gc.get_threshold()
    gc.set_threshold(700, 11, 12)
    yield
    gc.set_threshold(*before)


def test_raised_inside_and_restored_after(threshold):
    with fewer_gc_passes():
        assert gc.get_threshold() == (RAISED_THRESHOLD, 11, 12)
    assert gc.get_threshold() == (700, 11, 12)


def test_nested_block_keeps_it_raised_until_the_outer_one_ends(threshold):
    with fewer_gc_passes():
        with fewer_gc_passes():
            pass
        assert gc.get_threshold()[0] == RAISED_THRESHOLD
    assert gc.get_threshold() == (700, 11, 12)


def test_restored_after_an_exception(threshold):
    with pytest.raises(ValueError), fewer_gc_passes():
        raise ValueError
    assert gc.get_threshold() == (700, 11, 12)
    with fewer_gc_passes():  # the depth went back to 0 as well
        pass
    assert gc.get_threshold() == (700, 11, 12)


def test_concurrent_blocks_restore_once_the_last_ends(threshold):
    inside, leave = threading.Event(), threading.Event()

    def other():
        with fewer_gc_passes():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with fewer_gc_passes():
        thread.start()
        inside.wait(5)
    assert gc.get_threshold()[0] == RAISED_THRESHOLD  # the other block still runs
    leave.set()
    thread.join(5)
    assert gc.get_threshold() == (700, 11, 12)


def test_registration_check_reads_and_validates_with_fewer_passes(threshold, monkeypatch):
    from licensing import services

    seen = []
    monkeypatch.setattr(
        services, "read_list", lambda *args, **kwargs: seen.append(gc.get_threshold()[0])
    )
    monkeypatch.setattr(
        services, "registration_validate", lambda **kwargs: seen.append(gc.get_threshold()[0])
    )
    services.registration_check(data=b"", filename="x.xlsx", authority=None, product=None)
    assert seen == [RAISED_THRESHOLD, RAISED_THRESHOLD]
    assert gc.get_threshold() == (700, 11, 12)
