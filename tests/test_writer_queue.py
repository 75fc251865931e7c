"""SQLite writers take turns on a file lock that the kernel hands over (surveyapp.database)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path

import sqlalchemy as sa

from surveyapp.database import writer_turn

FORK = multiprocessing.get_context("fork")


def _hold_turn(url: str, held: multiprocessing.synchronize.Event,
               release: multiprocessing.synchronize.Event) -> None:
    with writer_turn(sa.create_engine(url)):
        held.set()
        release.wait(10)


def _wait_for_turn(engine: sa.Engine) -> threading.Event:
    """Start waiting for a turn in a thread; the event is set once the turn came."""
    got = threading.Event()

    def wait() -> None:
        with writer_turn(engine):
            got.set()

    threading.Thread(target=wait, daemon=True).start()
    return got


def _holder(url: str) -> tuple[multiprocessing.Process, multiprocessing.synchronize.Event]:
    held, release = FORK.Event(), FORK.Event()
    process = FORK.Process(target=_hold_turn, args=(url, held, release))
    process.start()
    assert held.wait(10)
    return process, release


def test_a_writer_waits_while_another_process_holds_the_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/county.db"
    process, release = _holder(url)
    got = _wait_for_turn(sa.create_engine(url))
    assert not got.wait(0.3)
    release.set()
    assert got.wait(5)
    process.join(5)


def test_a_killed_holder_gives_up_its_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/county.db"
    process, _ = _holder(url)
    got = _wait_for_turn(sa.create_engine(url))
    assert not got.wait(0.3)
    os.kill(process.pid, signal.SIGKILL)
    assert got.wait(5)
    process.join(5)


def test_each_database_file_has_its_own_queue(tmp_path: Path) -> None:
    process, release = _holder(f"sqlite:///{tmp_path}/one.db")
    got = _wait_for_turn(sa.create_engine(f"sqlite:///{tmp_path}/two.db"))
    assert got.wait(5)
    release.set()
    process.join(5)


def test_memory_databases_and_postgresql_need_no_queue() -> None:
    for url in ("sqlite://", "postgresql+psycopg://nobody@127.0.0.1/none"):
        with writer_turn(sa.create_engine(url)):
            with writer_turn(sa.create_engine(url)):  # would deadlock if it queued
                pass


def test_threads_of_one_process_take_turns_too(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/county.db")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_turn(engine):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5)
    got = _wait_for_turn(engine)
    assert not got.wait(0.3)
    release.set()
    assert got.wait(5)
    holder.join(5)
