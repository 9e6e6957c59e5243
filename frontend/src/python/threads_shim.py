# Threads for a program running in the page. Pyodide has one thread, so
# `threading.Thread.start()` would fail; here a thread is a task of the
# worker's event loop instead, and it runs until it blocks (a socket call,
# `time.sleep`, `join`, a lock someone holds), when the others run. A
# blocking call waits with run_sync, which suspends only the stack that
# made it: the program's main code and each thread have their own. So a
# thread-per-client server serves a second client while the first is
# silent, as it would with real threads; pure computation is never
# interleaved (a loop without a blocking call keeps the others waiting,
# as with CPython's GIL before it switches).
#
# What is replaced: Thread.start/join/is_alive, current_thread, get_ident,
# Lock (and with it Condition, Event, Semaphore, Barrier and queue.Queue,
# which are built on it), RLock, and time.sleep. The program waits for its
# threads at the end, as CPython does for non-daemon threads.
#
# Other processes cannot run in a browser at all: `subprocess`, `os.fork`
# and `multiprocessing` fail at once, at the program's line, saying so.

import asyncio
import contextvars
import errno
import itertools
import os
import subprocess
import sys
import threading
import time
from collections import deque

from pyodide.ffi import run_sync

_loop = asyncio.get_event_loop()
_idents = itertools.count(2)
_main_ident = 1
# The thread whose task is running (None: the program's main code).
_current = contextvars.ContextVar("roundtrip_thread", default=None)
_running = {}


def _wait(awaitable, timeout=None):
    """Blocks this thread (only) until `awaitable` is done; False if
    `timeout` seconds passed first."""
    if timeout is not None and timeout >= 0:
        awaitable = asyncio.wait_for(asyncio.shield(awaitable), timeout)
    try:
        run_sync(awaitable)
        return True
    except (asyncio.TimeoutError, TimeoutError):
        return False


def get_ident():
    thread = _current.get()
    return _main_ident if thread is None else thread._ident


def current_thread():
    thread = _current.get()
    return threading.main_thread() if thread is None else thread


class Lock:
    """A lock the page's threads wait on without blocking each other."""

    def __init__(self):
        self._locked = False
        self._waiters = deque()

    def acquire(self, blocking=True, timeout=-1):
        if not self._locked:
            self._locked = True
            return True
        if not blocking:
            return False
        waiter = _loop.create_future()
        self._waiters.append(waiter)
        if _wait(waiter, None if timeout is None or timeout < 0 else timeout):
            # `release` handed the lock to this waiter.
            return True
        if waiter.done():
            # Handed over just as the wait timed out: pass it on.
            self.release()
        else:
            self._waiters.remove(waiter)
            waiter.cancel()
        return False

    def release(self):
        if not self._locked:
            raise RuntimeError("release unlocked lock")
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                # Still locked: it passes to the first waiter.
                waiter.set_result(True)
                return
        self._locked = False

    def locked(self):
        return self._locked

    # Condition's wait() saves and restores a plain lock's state this way.
    def _at_fork_reinit(self):
        self._locked = False
        self._waiters.clear()

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    def __repr__(self):
        return f"<{'locked' if self._locked else 'unlocked'} _thread.lock object>"


def _start(self):
    if not self._initialized:
        raise RuntimeError("thread.__init__() not called")
    if self._rt_started:
        raise RuntimeError("threads can only be started once")
    self._rt_started = True
    self._ident = self._native_id = next(_idents)
    self._rt_done = _loop.create_future()
    _running[self._ident] = self

    async def main():
        _current.set(self)
        try:
            self.run()
        except SystemExit:
            pass
        except BaseException:
            threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), self)))
        finally:
            _running.pop(self._ident, None)
            self._rt_done.set_result(None)

    _loop.create_task(main(), context=contextvars.Context())


def _join(self, timeout=None):
    if not self._rt_started:
        raise RuntimeError("cannot join thread before it is started")
    if self is current_thread():
        raise RuntimeError("cannot join current thread")
    if not self._rt_done.done():
        _wait(self._rt_done, timeout)


def _is_alive(self):
    return self._rt_started and not self._rt_done.done()


_original_init = threading.Thread.__init__


def _init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self._rt_started = False
    self._rt_done = None


def _sleep(seconds):
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    run_sync(asyncio.sleep(seconds))


def _enumerate():
    return [threading.main_thread(), *_running.values()]


def join_all():
    """The end of the program: wait for its non-daemon threads."""
    while True:
        waiting = [t for t in _running.values() if not t.daemon]
        if not waiting:
            return
        waiting[0].join()


threading.Thread.__init__ = _init
threading.Thread.start = _start
threading.Thread.join = _join
threading.Thread.is_alive = _is_alive
threading.current_thread = threading.currentThread = current_thread
# Only `threading`'s names: `_thread`'s own serve importlib's locks.
threading.get_ident = get_ident
threading.enumerate = _enumerate
threading.active_count = lambda: len(_enumerate())
threading.Lock = threading._allocate_lock = Lock
threading.RLock = threading._PyRLock
time.sleep = _sleep


_NO_PROCESSES = (
    "a program in the page cannot start another process ({what}): the "
    "browser runs this program only. For several things at once, use "
    "threading or asyncio."
)


def _refuse(what):
    def refuse(*args, **kwargs):
        raise OSError(errno.ENOSYS, _NO_PROCESSES.format(what=what))

    return refuse


class _NoMultiprocessing:
    """Refuses `import multiprocessing` (and the process pool) by name."""

    def find_spec(self, name, path=None, target=None):
        if name == "multiprocessing" or name.startswith("multiprocessing."):
            raise ModuleNotFoundError(_NO_PROCESSES.format(what="multiprocessing"), name=name)
        return None


subprocess.Popen.__init__ = _refuse("subprocess")
os.fork = _refuse("os.fork")
sys.meta_path.insert(0, _NoMultiprocessing())
