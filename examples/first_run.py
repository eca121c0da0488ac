"""Record a new user's first ten minutes with task-bridge, by running them: docs/first-run.md.

Why: a transcript written by hand drifts from what the program prints. This one is produced by
running each command, in a fresh home folder with a copy of the example vault, against the
Todoist emulator on 127.0.0.1 standing in for a Todoist account. Paths of the machine it ran on
are replaced by `~`, so the page reads as the user would see it.

Run:  python examples/first_run.py [--out docs/first-run.md] [--no-install]

With --no-install the `task-bridge` next to this Python is used instead of a new virtualenv.
Exits 1 if a command's exit status is not the one the page expects.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours and cursor moves of a terminal
TOKEN = "0123456789abcdef0123456789abcdef01234567"  # noqa: S105 - the emulator's, not a secret
SHOWN_PORT = 8765


@dataclass
class Step:
    title: str
    text: str  # what the user does and why, in a sentence or two
    command: str
    expect: int = 0
    keep: int | None = None  # lines of output shown (the rest is elided); None: all
    tty: bool = True  # run at a terminal, as a person does (tables, no timestamps)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def steps(port: int) -> list[Step]:
    todoist = f"http://127.0.0.1:{port}"
    return [
        Step(
            "Check the install",
            "The program is installed as `task-bridge` (and `bridge`, which iproute2 also uses).",
            "task-bridge --version",
        ),
        Step(
            "Say where the notes and the tracker are",
            "Settings live in a `.env` next to the notes. A typo is easy to make:",
            f"printf 'BRIDGE_VAULT=~/Notes\\nTODOIST_API_TOKEN={TOKEN}\\nTODOIST_BASE_URL={todoist}\\n"
            "TODOIST_PROJCT=Meetings\\n' > .env",
        ),
        Step(
            "Ask the doctor",
            "`doctor` checks each setting, the vault, the state and the tracker.",
            "task-bridge doctor",
        ),
        Step(
            "Fix what it said",
            "The misspelt name is corrected, and the tracker to sync with is named.",
            "sed -i 's/^TODOIST_PROJCT=/TODOIST_PROJECT=/' .env && echo BRIDGE_CONNECTOR=todoist >> .env"
            " && task-bridge doctor",
        ),
        Step(
            "See the tasks it found",
            "Nothing is sent yet: this only reads the notes.",
            "task-bridge tasks",
            keep=24,
        ),
        Step(
            "Preview the first sync",
            "A dry run prints the plan and changes nothing.",
            "task-bridge sync --dry-run",
        ),
        Step("Sync", "The open action items are created in the project.", "task-bridge sync"),
        Step("Look at the state", "What is linked, and when it last synced.", "task-bridge status"),
        Step(
            "Complete a task in the tracker",
            "Here with Todoist's API (as the app would); the next sync ticks the note line.",
            f"ID=$(curl -s -H 'Authorization: Bearer {TOKEN}' {todoist}/api/v1/tasks"
            ' | python3 -c \'import json,sys; print(json.load(sys.stdin)["results"][0]["id"])\')'
            f" && curl -s -X POST -H 'Authorization: Bearer {TOKEN}' {todoist}/api/v1/tasks/$ID/close"
            " && task-bridge sync && grep -c -- '- \\[x\\]' ~/Notes/*.md",
        ),
        Step(
            "Run it from cron",
            "Under cron, `--quiet` prints nothing when nothing changed, so cron sends no mail:",
            'task-bridge sync --quiet; echo "exit status $?"',
            tty=False,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "first-run.md")
    parser.add_argument("--no-install", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="first-run-") as tmp:
        home = Path(tmp)
        notes = home / "Notes"
        shutil.copytree(ROOT / "examples" / "vault", notes)
        env = {
            "HOME": str(home),
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "COLUMNS": "100",
            "NO_COLOR": "1",
            "TERM": "xterm",
        }
        transcript: list[str] = []
        if args.no_install:
            bin_dir = Path(sys.executable).parent
        else:
            venv = home / ".local" / "share" / "task-bridge"
            install = f"python3 -m venv {venv} && {venv}/bin/pip install -q ./task-bridge"
            started = time.monotonic()
            subprocess.run(["python3", "-m", "venv", str(venv)], check=True)  # noqa: S603, S607
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)  # noqa: S603
            took = time.monotonic() - started
            transcript.append(
                f"## Install\n\nIn a virtualenv of its own ({took:.0f} s here):\n\n    $ {install}\n"
            )
            bin_dir = venv / "bin"
        env["PATH"] = f"{bin_dir}:{env['PATH']}"
        port = free_port()
        emulator = subprocess.Popen(  # noqa: S603
            [str(bin_dir / "task-bridge"), "emulator", "todoist", "--port", str(port), "--token", TOKEN],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        failed = []
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/projects", timeout=1)
                except OSError as exc:
                    if "401" in str(exc):
                        break
                    time.sleep(0.1)
                else:
                    break
            for step in steps(port):
                command = step.command
                if step.tty:  # util-linux `script` gives the command a terminal, as a person has
                    command = f"script -qec {shlex.quote(step.command)} /dev/null"
                done = subprocess.run(  # noqa: S602 - the page shows shell commands, run as written
                    command, shell=True, cwd=notes, env=env, capture_output=True, text=True, check=False
                )
                output = ANSI.sub("", (done.stdout + done.stderr).replace("\r\n", "\n")).rstrip("\n")
                output = "\n".join(line.rsplit("\r", 1)[-1] for line in output.split("\n"))
                lines = output.splitlines()
                if step.keep is not None and len(lines) > step.keep:
                    lines = [*lines[: step.keep], "…"]
                shown = step.command.replace(str(port), str(SHOWN_PORT))
                block = "\n".join(f"    {line}" for line in [f"$ {shown}", *lines])
                status = "" if done.returncode == 0 else f"\n\n(exit status {done.returncode})"
                section = f"## {step.title}\n\n{step.text}\n\n{block}{status}\n"
                transcript.append(section)
                if done.returncode != step.expect:
                    failed.append(f"{step.command!r}: exit {done.returncode}, expected {step.expect}")
        finally:
            emulator.terminate()
            emulator.wait(10)
        page = "\n".join(transcript)
        for real, shown in ((str(home), "~"), (str(ROOT), "task-bridge"), (str(port), str(SHOWN_PORT))):
            page = page.replace(real, shown)
    header = (
        "# A first run\n\n"
        "What a new user sees in their first minutes, produced by running the commands with\n"
        "`python examples/first_run.py` (not written by hand): a fresh home folder, the example note\n"
        "in `~/Notes`, and the Todoist emulator (`task-bridge emulator todoist`) standing in for a\n"
        f"Todoist account at 127.0.0.1:{SHOWN_PORT}.\n\n"
    )
    args.out.write_text(header + page, encoding="utf-8")
    for problem in failed:
        print(problem, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
