"""One writer: the second holder is refused at once, and a dead holder leaves no stale lock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bridge.errors import LockHeldError
from bridge.lock import held_lock


def test_second_holder_is_refused_with_the_holders_pid(tmp_path):
    path = tmp_path / "s.lock"
    code = (
        "from pathlib import Path\nfrom bridge.lock import held_lock\n"
        f"with held_lock(Path({str(path)!r})):\n    print('held', flush=True)\n    input()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeldError, match=f"pid {holder.pid}"), held_lock(path):
            pass
    finally:
        holder.kill()
        holder.communicate()
    with held_lock(path):  # the kernel released the dead holder's lock
        pass
