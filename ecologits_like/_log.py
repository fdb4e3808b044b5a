"""The library logger, with once-per-problem messages so a failing model does not flood logs."""

from __future__ import annotations

import logging
import threading

__all__ = ["log_once", "logger", "reset_log_once"]

logger = logging.getLogger("ecologits_like")

_seen: set[str] = set()
_seen_lock = threading.Lock()
_MAX_REMEMBERED = 10_000  # bounds memory if problems keep changing (e.g. many unknown model names)


def log_once(key: str, message: str, *args: object, level: int = logging.WARNING) -> None:
    """Log ``message`` the first time ``key`` is seen, and never again for that key."""
    if key in _seen:
        return
    with _seen_lock:
        if key in _seen:
            return
        if len(_seen) >= _MAX_REMEMBERED:
            _seen.clear()
        _seen.add(key)
    if logger.isEnabledFor(level):
        logger.log(level, message, *args)


def reset_log_once() -> None:
    """Forget which problems were logged (tests use this)."""
    with _seen_lock:
        _seen.clear()
