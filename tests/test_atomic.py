"""neurosim.atomic.atomic_path: temporary file in the target's folder, os.replace on success,
the temporary file removed (and an older target untouched) on any exception."""
import os

import pytest

from neurosim.atomic import atomic_path, temp_path_for

OLD = b"old contents\x00\xff"


def _listing(d):
    return sorted(os.listdir(d))


def test_success_replaces_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(OLD)
    with atomic_path(target) as tmp:
        assert not os.path.exists(tmp)
        with open(tmp, "wb") as fh:
            fh.write(b"new")
        assert target.read_bytes() == OLD          # nothing replaced before the block ends
    assert target.read_bytes() == b"new"
    assert _listing(tmp_path) == ["out.bin"]


def test_success_creates_new_file_and_folder(tmp_path):
    target = tmp_path / "a" / "b" / "new.txt"
    with atomic_path(str(target)) as tmp:
        with open(tmp, "w") as fh:
            fh.write("hello")
    assert target.read_text() == "hello"
    assert _listing(target.parent) == ["new.txt"]


def test_temp_file_in_same_directory_and_named_after_target(tmp_path):
    target = tmp_path / "fig.png"
    with atomic_path(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)      # same folder: os.replace is atomic
        assert os.path.basename(tmp) == f".fig.{os.getpid()}.tmp.png"
        open(tmp, "wb").close()
        assert os.stat(tmp).st_dev == os.stat(tmp_path).st_dev
    assert tmp == temp_path_for(target)
    assert os.path.basename(temp_path_for(tmp_path / "noext", ".png")) == f".noext.{os.getpid()}.tmp.png"
    assert os.path.basename(temp_path_for("rel/x.tar.gz")) == f".x.tar.{os.getpid()}.tmp.gz"
    assert os.path.dirname(temp_path_for("x.npz")) == os.getcwd()


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt(), SystemExit(3)])
@pytest.mark.parametrize("written", [True, False])
def test_exception_keeps_old_file_and_removes_temp(tmp_path, exc, written):
    target = tmp_path / "out.bin"
    target.write_bytes(OLD)
    with pytest.raises(type(exc)) as info:
        with atomic_path(target) as tmp:
            if written:
                with open(tmp, "wb") as fh:
                    fh.write(b"partial")
            raise exc
    assert info.value is exc
    assert target.read_bytes() == OLD
    assert _listing(tmp_path) == ["out.bin"]


def test_exception_without_old_file_leaves_nothing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            open(tmp, "wb").close()
            raise KeyboardInterrupt
    assert _listing(tmp_path) == []


def test_before_replace_and_guard(tmp_path):
    """before_replace runs inside guard right before the rename; guard also wraps the clean-up;
    an exception from before_replace abandons the write."""
    events = []

    class Guard:
        def __enter__(self):
            events.append("enter")

        def __exit__(self, *exc):
            events.append("exit")
            return False

    target = tmp_path / "out.bin"
    target.write_bytes(OLD)

    def hook():
        events.append(("hook", target.read_bytes()))

    with atomic_path(target, guard=Guard, before_replace=hook) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(b"new")
    assert events == ["enter", ("hook", OLD), "exit"]
    assert target.read_bytes() == b"new"

    events.clear()

    def stop():
        events.append("stop")
        raise KeyboardInterrupt("SIGINT received")

    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target, guard=Guard, before_replace=stop) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(b"newer")
    assert events == ["enter", "stop", "exit", "enter", "exit"]   # rename abandoned, clean-up guarded
    assert target.read_bytes() == b"new"
    assert _listing(tmp_path) == ["out.bin"]


def test_failed_rename_removes_temp(tmp_path):
    target = tmp_path / "adir"
    target.mkdir()
    (target / "keep").write_bytes(OLD)
    with pytest.raises(OSError):
        with atomic_path(target) as tmp:            # a file cannot replace a non-empty folder
            with open(tmp, "wb") as fh:
                fh.write(b"x")
    assert _listing(tmp_path) == ["adir"]
    assert (target / "keep").read_bytes() == OLD
