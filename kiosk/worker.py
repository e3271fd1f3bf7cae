"""Run device and network I/O off the UI thread and hand results back to it.

The controller never blocks: it submits a job; the job runs on the worker thread; its result or
error is handed to ``post`` — which the Kivy app sets to ``Clock.schedule_once`` so callbacks run
on the UI thread. ``InlineWorker`` runs everything at once on the caller's thread for tests.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

logger = logging.getLogger(__name__)

Job = Callable[[], Any]
OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]
Post = Callable[[Callable[[], None]], None]


class Worker(Protocol):
    def submit(self, job: Job, on_done: OnDone, on_error: OnError) -> None: ...
    def post(self, callback: Callable[[], None]) -> None: ...
    def stop(self) -> None: ...


class ThreadWorker:
    """One daemon thread executing jobs in order; callbacks go through ``post``."""

    def __init__(self, post: Post, name: str = "kiosk-io") -> None:
        self._post = post
        self._jobs: queue.Queue[tuple[Job, OnDone, OnError] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Job, on_done: OnDone, on_error: OnError) -> None:
        self._jobs.put((job, on_done, on_error))

    def post(self, callback: Callable[[], None]) -> None:
        self._post(callback)

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, on_done, on_error = item
            try:
                result = job()
            except BaseException as exc:  # every failure must reach the UI as a message, never kill the thread
                logger.debug("job failed: %s", type(exc).__name__)
                self._post(lambda exc=exc, on_error=on_error: on_error(exc))
            else:
                self._post(lambda result=result, on_done=on_done: on_done(result))


class InlineWorker:
    """Synchronous stand-in for tests: jobs and callbacks run immediately, in order."""

    def submit(self, job: Job, on_done: OnDone, on_error: OnError) -> None:
        try:
            result = job()
        except Exception as exc:
            on_error(exc)
        else:
            on_done(result)

    def post(self, callback: Callable[[], None]) -> None:
        callback()

    def stop(self) -> None:
        return None
