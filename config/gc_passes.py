"""Fewer garbage-collector passes while a request builds many objects at once."""

import contextlib
import gc
import threading

_lock = threading.Lock()
_state = {"depth": 0, "threshold": gc.get_threshold()}

# Young-generation threshold while raised (Python's default is 700 allocations).
RAISED_THRESHOLD = 50_000


@contextlib.contextmanager
def fewer_gc_passes():
    """Run the young-generation garbage collection less often inside the block.

    Reading a long list or rendering a long PDF allocates hundreds of thousands of
    objects that live until the block ends (rows, values, boxes). With the default
    threshold (700) the collector keeps rescanning them and, every hundred young
    passes, the whole heap (Django's ~150,000 objects): a quarter of the web
    process's CPU in a 10,000-row list check, about a tenth of a 500-school PDF.
    Nothing is left uncollected: the threshold only spaces the passes out. Nested or
    concurrent blocks (threads) share one raised threshold; the last one to finish
    restores the previous setting.
    """
    with _lock:
        if _state["depth"] == 0:
            _state["threshold"] = gc.get_threshold()
            gc.set_threshold(RAISED_THRESHOLD, *_state["threshold"][1:])
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                gc.set_threshold(*_state["threshold"])
