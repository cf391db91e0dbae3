"""Read an iterator of pages one step ahead, in a thread, while the caller works on the last one.

A listing waits on the server for each page; building a frame from a page is Python work. Done
in turn, the two add up. With the next page requested while the caller converts the last one,
the building hides in the waiting, and the listing costs about what fetching and parsing its
pages costs. The pages are still fetched one at a time, in order, by one thread (the requests,
their checks and their deadlines are those of the iterator); an error is raised to the caller
where the page would have been, and a caller that stops early stops the thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
_POLL = 0.1  # s: how often a blocked producer looks whether the caller stopped


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield what `items` yields, produced by a thread at most `depth` items ahead."""
    ready: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: object, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                ready.put((item, error), timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    break
            else:
                hand_over(_DONE)
        except BaseException as error:  # handed to the caller, raised there
            hand_over(_DONE, error)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="sinch-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
