"""The buffered audit file must write every accepted line once, in order, and refuse lines it
cannot keep. Real files and real writer threads; failures come from /dev/full (ENOSPC)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jurisgate.middleware.audit.file_sink import AuditFile, AuditUnavailable

MakeAudit = Callable[..., AuditFile]


@pytest.fixture
def make_audit() -> Iterator[MakeAudit]:
    """AuditFile instances closed at teardown (a failing one may raise there: ignored)."""
    made: list[AuditFile] = []

    def make(path: str | os.PathLike[str], **options: float | int | bool) -> AuditFile:
        audit = AuditFile(path, **options)  # type: ignore[arg-type]
        made.append(audit)
        return audit

    yield make
    for audit in made:
        with contextlib.suppress(OSError):
            audit.close()


class HealableAudit(AuditFile):
    """Writes to /dev/full (every write fails with ENOSPC) until ``broken`` is cleared.

    The /dev/full descriptor never matches the path, so every batch reopens: the file is
    created at ``path`` on the first batch after healing."""

    broken = True

    def _open(self) -> int:
        if self.broken:
            return os.open("/dev/full", os.O_WRONLY)
        return super()._open()


def lines_of(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n")
    return text.splitlines()


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.005)


def test_lines_in_order_once_each_newline_terminated(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path)
    sent = [f'{{"n":{i},"subject":"sübject-{i}"}}' for i in range(1000)]
    for line in sent:
        audit.write(line)
    audit.flush()
    assert path.read_bytes() == "".join(line + "\n" for line in sent).encode("utf-8")
    assert (audit.written, audit.pending, audit.write_errors) == (1000, 0, 0)


def test_flush_writes_synchronously(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=60)  # the writer thread stays asleep
    audit.write('{"a":1}')
    audit.write('{"a":2}')
    assert audit.pending == 2
    assert lines_of(path) == []
    audit.flush()
    assert lines_of(path) == ['{"a":1}', '{"a":2}']
    assert audit.pending == 0


def test_writer_flushes_on_its_interval(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=0.02)
    audit.write('{"a":1}')
    wait_for(lambda: lines_of(path) == ['{"a":1}'])
    assert audit.written == 1


def test_a_full_queue_wakes_the_writer_before_its_interval(
    tmp_path: Path, make_audit: MakeAudit
) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=60)
    for i in range(5000):
        audit.write(str(i))
    wait_for(lambda: audit.written >= 4097)
    assert lines_of(path)[:4097] == [str(i) for i in range(4097)]


def test_close_flushes_stops_the_writer_and_refuses_more(
    tmp_path: Path, make_audit: MakeAudit
) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=60)
    audit.write("one")
    audit.close()
    assert lines_of(path) == ["one"]
    assert not audit._thread.is_alive()
    audit.close()  # idempotent
    with pytest.raises(AuditUnavailable, match="closed"):
        audit.write("two")
    audit.flush()  # nothing to do, and no error
    assert lines_of(path) == ["one"]
    assert audit.pending == 0


def test_concurrent_writes_lose_nothing(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=0.001, max_pending=1_000_000)
    count = 200_000
    for i in range(count):
        audit.write(str(i))
    audit.close()
    assert lines_of(path) == [str(i) for i in range(count)]
    assert audit.written == count


def test_flush_from_another_thread_does_not_interleave_with_the_writer(
    tmp_path: Path, make_audit: MakeAudit
) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=0.0005, max_pending=1_000_000)
    count = 100_000
    for i in range(count):
        audit.write(str(i))
        if i % 50 == 0:
            audit.flush()  # races the writer thread for the same queue and file
    audit.close()
    assert lines_of(path) == [str(i) for i in range(count)]


def test_follows_the_path_when_the_file_is_rotated(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=60)
    audit.write("before")
    audit.flush()
    # logrotate's `create`: move the file away and put a new empty one in its place
    path.rename(tmp_path / "audit.jsonl.1")
    path.touch()
    audit.write("after")
    audit.flush()
    assert lines_of(tmp_path / "audit.jsonl.1") == ["before"]
    assert lines_of(path) == ["after"]
    # moved (or removed) with nothing in its place: the sink creates it again
    path.rename(tmp_path / "audit.jsonl.2")
    audit.write("again")
    audit.flush()
    assert lines_of(tmp_path / "audit.jsonl.2") == ["after"]
    assert lines_of(path) == ["again"]
    assert path.stat().st_mode & 0o777 == 0o600


def test_failed_writes_keep_the_lines_until_the_file_heals(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "audit.jsonl"
    caplog.set_level(logging.WARNING, logger="jurisgate")
    healable = HealableAudit(path, flush_interval=0.01)
    try:
        for i in range(50):
            healable.write(str(i))
        wait_for(lambda: healable.write_errors >= 3)  # the writer keeps retrying
        assert healable.pending == 50
        assert not path.exists()
        warnings = [r for r in caplog.records if "write failed" in r.getMessage()]
        assert len(warnings) == 1  # rate-limited: one warning, not one per retry
        healable.write("50")
        healable.broken = False
        wait_for(lambda: healable.pending == 0)
        assert lines_of(path) == [str(i) for i in range(51)]
        assert healable.written == 51
    finally:
        healable.close()


def test_persistent_failure_fills_the_queue_then_refuses(make_audit: MakeAudit) -> None:
    audit = make_audit("/dev/full", flush_interval=60, max_pending=10)
    for i in range(3):
        audit.write(str(i))
    with pytest.raises(OSError, match="No space") as caught:
        audit.flush()
    assert caught.value.errno == errno.ENOSPC
    assert (audit.pending, audit.write_errors, audit.written) == (3, 1, 0)
    for i in range(3, 10):
        audit.write(str(i))
    with pytest.raises(AuditUnavailable, match="10 records not yet written"):
        audit.write("10")
    assert audit.pending == 10
    with pytest.raises(OSError, match="No space"):
        audit.close()  # the lines it could not write are reported, not dropped silently
    assert not audit._thread.is_alive()


def test_construction_fails_for_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        AuditFile(tmp_path / "missing" / "audit.jsonl")


def test_construction_fails_for_an_unopenable_path(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        AuditFile(tmp_path)


def test_new_file_is_private(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    make_audit(path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_existing_file_is_appended_to(tmp_path: Path, make_audit: MakeAudit) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("old\n", encoding="utf-8")
    audit = make_audit(path, fsync=True)
    audit.write("new")
    audit.flush()
    assert lines_of(path) == ["old", "new"]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"flush_interval": 0}, ValueError),
        ({"flush_interval": float("nan")}, ValueError),
        ({"max_pending": 0}, ValueError),
        ({"max_pending": 1.5}, TypeError),
    ],
)
def test_options_are_validated(
    tmp_path: Path, options: dict[str, float], error: type[Exception]
) -> None:
    name = next(iter(options))
    with pytest.raises(error, match=name):
        AuditFile(tmp_path / "audit.jsonl", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "audit.jsonl").exists()


def test_lines_queued_at_interpreter_exit_are_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    script = (
        "import sys\n"
        "from jurisgate.middleware.audit.file_sink import AuditFile\n"
        "audit = AuditFile(sys.argv[1], flush_interval=60)\n"
        "for i in range(3):\n"
        "    audit.write(str(i))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=30)
    assert lines_of(path) == ["0", "1", "2"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_writes_its_own_records(tmp_path: Path, make_audit: MakeAudit) -> None:
    """gunicorn --preload builds the app, then forks: the worker needs a writer of its own, and
    must not write the parent's queued lines a second time."""
    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=0.05)
    audit.write("parent-queued")
    child = os.fork()
    if child == 0:  # the worker: no close(), no atexit: only a live writer thread can write
        code = 1
        try:
            audit.write("child")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if "child" in path.read_text().splitlines():
                    code = 0
                    break
                time.sleep(0.01)
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    audit.close()
    assert os.waitstatus_to_exitcode(status) == 0, "the worker's line never reached the file"
    assert sorted(path.read_text().splitlines()) == ["child", "parent-queued"]


def test_deferred_lines_are_formatted_by_the_writer_in_order(
    tmp_path: Path, make_audit: MakeAudit
) -> None:
    def render(fields: tuple[int, str]) -> str:
        return f'{{"n":{fields[0]},"who":"{fields[1]}"}}'

    def broken(fields: object) -> str:
        raise ValueError("cannot format")

    path = tmp_path / "audit.jsonl"
    audit = make_audit(path, flush_interval=60)
    audit.write("first")
    audit.write_deferred(render, (2, "second"))
    audit.write_deferred(broken, (3,))
    audit.write("fourth")
    audit.flush()
    lines = path.read_text().splitlines()
    assert lines[:2] == ["first", '{"n":2,"who":"second"}']
    assert '"audit_format_error"' in lines[2]  # kept, and says why
    assert "(3,)" in lines[2]
    assert lines[3] == "fourth"
    assert audit.written == 4


def test_accepting_turns_false_a_margin_before_writes_are_refused(make_audit: MakeAudit) -> None:
    """The gate reads ``accepting`` before serving; the margin keeps room for the records of
    requests already being served, which are written once their answers start."""
    audit = make_audit("/dev/full", flush_interval=60, max_pending=100)
    for i in range(89):
        audit.write(str(i))
    assert audit.accepting
    audit.check()
    audit.write("89")  # 90 waiting: a tenth of max_pending is kept for requests in flight
    assert not audit.accepting
    with pytest.raises(AuditUnavailable, match="90 records not yet written"):
        audit.check()
    for i in range(90, 100):
        audit.write(str(i))  # the requests already being served still get their records
    with pytest.raises(AuditUnavailable):
        audit.write("100")
    with pytest.raises(OSError, match="No space"):
        audit.close()
    assert not audit.accepting
