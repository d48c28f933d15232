"""Reading other processes from /proc: the tree under a server, its memory and CPU time.

Shared by the server-driving tests and the benchmarks. Every reader returns an empty or zero
value once the process has gone, since servers' workers come and go while they are watched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _live_processes() -> Iterator[tuple[int, list[str]]]:
    """Each live (non-zombie) process with the stat(5) fields after its command name."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            yield int(entry.name), fields


def children(pid: int) -> list[int]:
    """Live direct children of ``pid``."""
    return sorted(child for child, fields in _live_processes() if int(fields[1]) == pid)


def group_members(group: int) -> list[int]:
    """Live processes in process group ``group``."""
    return sorted(member for member, fields in _live_processes() if int(fields[2]) == group)


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def status_kib(pid: int, name: str) -> int | None:
    """A ``Vm...`` figure from /proc/<pid>/status in KiB, or None once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{name}:\s+(\d+) kB$", status, re.MULTILINE)
    return int(match[1]) if match else None


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` now, from /proc/<pid>/statm."""
    try:
        resident = Path(f"/proc/{pid}/statm").read_text().split()[1]
    except (OSError, IndexError):
        return 0
    return int(resident) * PAGE_SIZE


def peak_rss_bytes(pid: int) -> int:
    """The kernel's high-water mark of ``pid``'s resident set (VmHWM)."""
    return (status_kib(pid, "VmHWM") or 0) * 1024


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3 of stat(5), utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
