"""CPU seconds spent by chosen processes (and by the whole machine) over a measured stretch.

Linux ``/proc`` only: on a 2-core machine where the load generator, the servers and the database
share the cores, CPU seconds per event say what each of them costs, which a throughput figure
alone cannot. A process that ends during the stretch counts what it had used when last seen.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from dataclasses import dataclass, field

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` (all its threads), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over its cores."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / _TICK, total / _TICK


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMeter:
    """``groups`` maps a name to process ids; ``"self"`` is this process (the load generator)."""

    groups: dict[str, list[int]]
    _start: dict[int, float] = field(default_factory=dict)
    _self: float = 0.0
    _machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> CpuMeter:
        self._start = {pid: cpu for pid in self._pids() if (cpu := process_cpu(pid)) is not None}
        self._self = self_cpu()
        self._machine = machine_busy()
        return self

    def _pids(self) -> Iterable[int]:
        return {pid for pids in self.groups.values() for pid in pids}

    def stop(self) -> dict[str, float]:
        """CPU seconds per group, ``self``, ``machine busy %`` (0-100, of all cores) and ``window``
        (the CPU seconds all cores had over the stretch)."""
        spent: dict[str, float] = {}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                now = process_cpu(pid)
                if now is not None and pid in self._start:
                    total += now - self._start[pid]
            spent[name] = total
        spent["self"] = self_cpu() - self._self
        busy, total = machine_busy()
        window = total - self._machine[1]
        spent["machine busy %"] = 100.0 * (busy - self._machine[0]) / window if window > 0 else 0.0
        spent["window"] = window
        return spent
