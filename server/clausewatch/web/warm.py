"""Build the analyzer in the background, so the server answers /api/health while rules compile.

Compiling the rule patterns and loading the clause encoder take a second or more of CPU; the
extension's first question ("is the server there?") should not wait for it. Whoever needs the
analyzer waits. Once it is built, the same thread can run more warm-up work (`then`): `serve` has
it run one tiny inference (`Detector.warm()`), so that the first page does not pay onnxruntime's
first-run setup.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class Warming:
    """Stands in for the object `build` returns; attribute access waits until it is built.

    `then(value)` runs in the background thread after the value is ready (users no longer wait):
    work that makes it faster, not work it needs. Its failure is logged, never raised.
    """

    def __init__(self, build: Callable[[], object], on_error: Callable[[BaseException], None] | None = None,
                 then: Callable[[object], None] | None = None):
        self._ready = threading.Event()
        self._value: object = None
        self._error: BaseException | None = None
        self._on_error = on_error
        self._then = then
        self.warmed = threading.Event()  # set once `then` has finished (or failed, or was skipped)
        threading.Thread(target=self._run, args=(build,), name="clausewatch-warm", daemon=True).start()

    def _run(self, build) -> None:
        try:
            self._value = build()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits, and to on_error
            self._error = exc
            if self._on_error:
                self._on_error(exc)
        finally:
            self._ready.set()
        try:
            if self._error is None and self._then is not None:
                self._then(self._value)
        except Exception:  # noqa: BLE001 - an optimisation: the analyzer works without it
            log.exception("warming up the analyzer failed; it compiles on first use instead")
        finally:
            self.warmed.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._error is None

    def get(self):
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError("the analyzer could not be built") from self._error
        return self._value

    def __getattr__(self, name: str):
        return getattr(self.get(), name)
