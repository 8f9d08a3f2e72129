"""CPU sampling from /proc and the latency tables of ``load.py``."""

import math
import os
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == parent:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def _machine() -> tuple[int, int]:
    """Busy and total ticks of the whole machine (every core), from /proc/stat."""
    with open("/proc/stat") as fh:
        ticks = [int(v) for v in fh.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


class CpuSampler:
    """Samples each second, from ``begin`` on, the CPU ticks of gunicorn (master and workers)
    and of the backends of this database; a process that appears during the window counts from
    zero (workers restarted by --max-requests, new connections), one that ends counts up to its
    last sample."""

    def __init__(self, master: int, begin: float) -> None:
        self.master, self.begin, self.client = master, begin, 0.0
        self.seen: dict[str, dict[int, list[int]]] = {"gunicorn": {}, "postgres": {}}
        self.stop = threading.Event()
        self.first = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _postgres_pids(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            return [row[0] for row in cur.fetchall()]

    def _sample(self) -> None:
        groups = {
            "gunicorn": [self.master, *_children(self.master)],
            "postgres": self._postgres_pids(),
        }
        for group, pids in groups.items():
            for pid in pids:
                ticks = _ticks(pid)
                if ticks is None:
                    continue
                if pid in self.seen[group]:
                    self.seen[group][pid][1] = ticks
                else:
                    self.seen[group][pid] = [ticks if self.first else 0, ticks]
        self.first = False

    def _run(self) -> None:
        from django.db import connection

        try:
            if self.stop.wait(max(0.0, self.begin - time.monotonic())):
                return
            self.client = time.process_time()
            self.machine = _machine()
            while True:
                self._sample()
                if self.stop.wait(1.0):
                    self._sample()
                    self.client = time.process_time() - self.client
                    busy, total = (b - a for a, b in zip(self.machine, _machine(), strict=True))
                    self.machine_busy = busy / total * 100 * (os.cpu_count() or 1)
                    return
        finally:
            connection.close()

    def finish(self) -> dict[str, float]:
        """Per cent of one core from the end of the warm-up to now."""
        self.stop.set()
        self.thread.join()
        wall = time.monotonic() - self.begin
        cpu = {
            group: sum(last - first for first, last in pids.values()) / CLK_TCK / wall * 100
            for group, pids in self.seen.items()
        }
        cpu["client"] = self.client / wall * 100
        cpu["machine"] = getattr(self, "machine_busy", float("nan"))
        return cpu


# --- figures -----------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def failed(status: int) -> bool:
    return status == 0 or status >= 400


def table(title: str, records: list[tuple], key) -> None:
    groups: dict[str, list[tuple]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    print(f"\n{title:32} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'errors':>7}")
    for name in sorted(groups):
        rows = groups[name]
        ms = [r[1] * 1000 for r in rows]
        errors = sum(1 for r in rows if failed(r[2]))
        print(
            f"{name:32} {len(rows):>6} {pct(ms, 50):>6.0f}ms {pct(ms, 95):>6.0f}ms "
            f"{pct(ms, 99):>6.0f}ms {max(ms):>6.0f}ms {errors:>7}"
        )


def summary(label: str, records: list[tuple], window: tuple, cpu: dict) -> dict:
    ms = [r[1] * 1000 for r in records]
    errors = [r for r in records if failed(r[2])]
    figures = {
        "rps": len(records) / (window[1] - window[0]),
        "p50": pct(ms, 50),
        "p95": pct(ms, 95),
        "p99": pct(ms, 99),
        "errors": len(errors),
    }
    per_request = {
        k: cpu[k] / 100 / figures["rps"] * 1000 if figures["rps"] else float("nan")
        for k in ("gunicorn", "postgres")
    }
    print(
        f"{label}: {len(records)} requests, {figures['rps']:.1f} req/s, p50 {figures['p50']:.0f}"
        f" ms, p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms, errors {len(errors)}"
    )
    print(
        f"  CPU (100% = one core): gunicorn {cpu['gunicorn']:.0f}% "
        f"({per_request['gunicorn']:.1f} ms a request), PostgreSQL backends "
        f"{cpu['postgres']:.0f}% ({per_request['postgres']:.1f} ms a request), this client "
        f"{cpu['client']:.0f}%; the whole machine {cpu['machine']:.0f}% of "
        f"{(os.cpu_count() or 1) * 100}%"
    )
    if errors:
        statuses: dict[tuple, int] = {}
        for r in errors:
            statuses[(r[3], r[2])] = statuses.get((r[3], r[2]), 0) + 1
        shown = ", ".join(
            f"{c} → {s or 'no answer'} ×{n}" for (c, s), n in sorted(statuses.items())
        )
        print(f"  errors: {shown}")
    return figures


# --- set-up ------------------------------------------------------------------------------------
