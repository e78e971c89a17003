"""The page's memory (issue 12, item 13): a session's worlds are freed when its kernel closes, and
the server keeps the worlds of at most ``SIM_APP_MAX_SESSIONS`` sessions.

Each browser session of ``solara run`` is a kernel context (``solara.server.kernel_context``).
These tests make one per simulated visitor as the server does (a ``VirtualKernelContext`` with
its own kernel, the page rendered inside it and kept as its ``app_object``), at the tiny scale,
and close it as the server does when the tab is closed, or when the page has been gone for the
disconnect timeout (``context.close()``). Every world the page builds is recorded by a weak
reference (``sim.app.page.TrustModel`` is wrapped), so the tests check that the worlds are
collected, that no more than the bound are alive at any time, and that the process's RSS over
several sessions stays within a bound derived from one session's measured footprint.

Each test failed on the page before the fix (12367b0): a page closed while playing kept its
worlds alive and stepping, and every session kept its worlds until its kernel closed (24 hours
after a disconnect by solara's default), with no bound on the number of sessions.
"""

from __future__ import annotations

import ctypes
import gc
import time
import uuid
import weakref

import ipyvuetify as v
import psutil
import pytest
import solara

# as under `solara run`: the server's per-kernel widgets and comms (solara.server.app), and reactive
# state kept per kernel (solara does so once its starlette server is loaded)
import solara.server.app
import solara.server.starlette
from solara.server import kernel, kernel_context

from sim.app import page as app

#: Residents of each world (the tiny scale has 3,000: its worlds weigh little beside a page's widgets).
RESIDENTS = 15_000
#: Worlds built by the page: (session name, weak reference), in order.
BUILT: list[tuple[str, weakref.ref]] = []
CURRENT = ["-"]  # the session whose page is being drawn or clicked (the tests run in one thread)


@pytest.fixture(autouse=True)
def tiny_recorded_pages(monkeypatch):
    """Every page starts at the tiny scale with more residents (RESIDENTS: a session's worlds then
    outweigh the rest of a page), and every world it builds is recorded."""
    defaults, build, overrides = app.default_settings, app.TrustModel, app.overrides

    def recorded(config):
        world = build(config)
        BUILT.append((CURRENT[0], weakref.ref(world)))
        return world

    monkeypatch.setattr(app, "default_settings", lambda: {**defaults(), "scale": "tiny"})
    monkeypatch.setattr(app, "TrustModel", recorded)
    monkeypatch.setattr(app, "overrides", lambda settings: [*overrides(settings), f"scale.n_patients={RESIDENTS}"])
    BUILT.clear()
    yield
    BUILT.clear()


class Session:
    """One simulated visitor: a kernel context of its own with the page rendered in it."""

    def __init__(self):
        self.name = uuid.uuid4().hex[:8]
        self.context = kernel_context.VirtualKernelContext(
            id=f"memtest-{self.name}", session_id=f"memtest-session-{self.name}", kernel=kernel.Kernel()
        )
        kernel_context.contexts[self.context.id] = self.context
        CURRENT[0] = self.name
        with self.context:
            _box, self.rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
            self.context.app_object = self.rc

    def click(self, label: str) -> None:
        CURRENT[0] = self.name
        with self.context:
            self.rc.find(v.Btn, children=[label]).widget.click()

    def two_worlds(self) -> None:
        CURRENT[0] = self.name
        with self.context:
            self.rc.find(v.Switch, label=app.TWO_WORLDS_LABEL).widget.v_model = True

    def worlds_alive(self) -> int:
        return sum(ref() is not None for name, ref in BUILT if name == self.name)

    def messages(self) -> str:
        with self.context:
            return " ".join(str(w.children) for w in self.rc.find(v.Alert).widgets)

    def close(self) -> None:
        """What the server does when the tab is closed, or the page has been gone for the timeout."""
        self.context.close(reason="page-close")


def collected() -> None:
    gc.collect()
    gc.collect()


def sessions_alive(sessions: list[Session]) -> int:
    collected()
    return sum(s.worlds_alive() > 0 for s in sessions)


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
        collected()
    return True


def settled_rss_mb() -> float:
    """The process's RSS once garbage is collected and the C heap's free memory is given back to
    the system (glibc's malloc_trim, where available), so that RSS follows live memory."""
    collected()
    if LIBC is not None:
        LIBC.malloc_trim(0)
    return psutil.Process().memory_info().rss / 2**20


try:
    LIBC = ctypes.CDLL("libc.so.6")
    LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
except (OSError, AttributeError):  # not glibc: RSS then also counts freed memory kept by the allocator
    LIBC = None


# ------------------------------------------------------------------------------------------------
def test_a_closed_session_frees_its_worlds_even_while_playing():
    """Two worlds, ▶ pressed, the tab closed: both worlds (and the page's app) are collected and
    the run stops. (Before: the play thread kept stepping the worlds after the kernel closed.)"""
    others = {id(o) for o in gc.get_objects() if isinstance(o, app.TrustApp)}  # (e.g. pages of other tests)
    session = Session()
    session.two_worlds()
    # Found before ▶: gc.get_objects() while the play thread runs can hold a tuple the renderer is
    # still building, and CPython then refuses to resize it (SystemError in the page; seen in CI).
    apps = [weakref.ref(o) for o in gc.get_objects() if isinstance(o, app.TrustApp) and id(o) not in others]
    assert apps
    session.click("▶")
    time.sleep(1.0)  # a few days played
    assert session.worlds_alive() == 2
    session.close()
    assert wait_for(lambda: session.worlds_alive() == 0), "a closed session's worlds are still alive"
    assert wait_for(lambda: all(ref() is None for ref in apps)), "a closed session's page model is still alive"
    assert session.context.id not in kernel_context.contexts


def test_sessions_kept_and_memory_are_bounded_over_several_sessions(monkeypatch):
    """Four visitors arrive with SIM_APP_MAX_SESSIONS=1 and none closes the tab (their pages lost
    the connection: their kernels wait for the disconnect timeout). At no time are more than one
    session's worlds alive, and the process's RSS grows by at most three sessions' footprint (the
    one kept, one for what evicted pages still hold, one for slack) and stops growing once the
    bound is reached (at most half a session's footprint over the last sessions). One
    session's footprint is measured, not assumed: what a first session gives back when it closes
    (the libraries and caches it loaded stay). The evicted pages say why, and
    Reset there starts again. Closing every tab frees all."""
    limit = 1
    monkeypatch.setenv("SIM_APP_MAX_SESSIONS", str(limit))
    before = settled_rss_mb()
    warm_up = Session()  # also loads the libraries and fills the caches (they stay)
    opened = settled_rss_mb()
    warm_up.close()
    start = settled_rss_mb()
    footprint = opened - start
    assert footprint > 10, f"one session should take some memory: {before:.0f}, {opened:.0f}, {start:.0f} MB"
    sessions: list[Session] = []
    try:
        growth = []
        for _ in range(4):
            sessions.append(Session())
            assert sessions_alive(sessions) <= limit
            growth.append(settled_rss_mb() - start)
        report = (
            f"RSS growth after each session (MB): {', '.join(f'{g:.0f}' for g in growth)}; one session {footprint:.0f}"
        )
        # bounded: at most the sessions kept, one more for what evicted pages still hold (their
        # widgets, and freed memory the allocator cannot give back), and one for slack ...
        assert max(growth) <= (limit + 2) * footprint, report
        # ... and flat once the bound is reached: the sessions beyond it add next to nothing
        assert growth[-1] - growth[limit] <= footprint / 2, report
        assert [s.worlds_alive() > 0 for s in sessions] == [False, False, False, True]  # the newest kept
        assert len(app.SESSIONS) == limit
        first = sessions[0]
        assert wait_for(lambda: "closed to free memory" in first.messages()), first.messages()
        assert f"at most {limit} session(s)" in first.messages()
        first.click("Reset")  # the visitor comes back: a new run; the least recently used other session goes
        assert first.worlds_alive() == 1 and "closed to free memory" not in first.messages()
        assert sessions_alive(sessions) == limit and sessions[3].worlds_alive() == 0
    finally:
        for session in sessions:
            session.close()
    assert sessions_alive(sessions) == 0
    assert len(app.SESSIONS) == 0
    print(f"RSS {before:.0f} -> {opened:.0f} (first session open) -> {start:.0f} MB (closed); {report}")
