"""Shared timing for the Python peers: the same protocol as bench/micro.lua (one warm-up
call, then up to REPS calls within a time budget, fenced by barriers, best and median time, peak RSS per rank of the
timed calls measured by restarting VmHWM), the same JSON line schema."""
import gc
import json
import os
import time

ROWS = {"tiny": 2 ** 12, "small": 2 ** 18, "medium": 2 ** 20}
GEMM = {"tiny": 128, "small": 1024, "medium": 2048}
COLS = 64
F32 = 4
# seconds of timed calls per kernel at most, as in bench/micro.lua
BUDGET = {"tiny": 0.2, "small": 1.0, "medium": 3.0}


def _status_mib(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def reset_peak_rss():
    """Hands free heap memory back (glibc's malloc_trim) and restarts VmHWM there."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class Bench:
    def __init__(self, name, size, reps, out, only=None, rank=0, nprocs=1,
                 barrier=lambda: None, allgather=lambda v: [v], extra=None):
        self.name, self.size, self.reps, self.out = name, size, reps, out
        self.only = set(only.split(",")) if only else None
        self.rank, self.nprocs = rank, nprocs
        self.barrier, self.allgather = barrier, allgather
        self.extra = extra or {}
        self.rows = ROWS[size]
        self.budget = float(os.environ.get("BENCH_BUDGET") or BUDGET[size])
        self.n = self.rows * COLS

    def emit(self, rec):
        if self.rank == 0:
            rec.update(self.extra)
            with open(self.out, "a") as f:
                f.write(json.dumps(rec, sort_keys=True) + "\n")

    def measure(self, op, f, bytes=None, flops=None, probe=None):
        if self.only is not None and op not in self.only:
            return
        gc.collect()
        self.barrier()
        w0 = time.perf_counter()
        try:
            f()  # warm-up; tells whether the peer has the operation
        except Exception as e:  # a missing function or module: recorded, not fatal
            self.emit({"bench": self.name, "op": op, "ranks": self.nprocs,
                       "skipped": "%s: %s" % (type(e).__name__, e)})
            return
        # within the budget, at least 2; the slowest rank decides, as in micro.lua
        slowest = max(r[0] for r in self.allgather([time.perf_counter() - w0]))
        n = max(2, min(self.reps, int(self.budget / max(slowest, 1e-9))))
        gc.collect()
        times = []
        for _ in range(n):
            self.barrier()
            t0 = time.perf_counter()
            r = f()
            self.barrier()
            times.append(time.perf_counter() - t0)
            del r
            gc.collect()
        times.sort()
        # memory: one more call, as in micro.lua
        gc.collect()
        reset_peak_rss()
        base = _status_mib("VmRSS")
        r = f()
        peak = _status_mib("VmHWM")
        del r
        gc.collect()
        rows = self.allgather([peak, base])
        peaks = [r[0] for r in rows]
        threads = int(os.environ.get("BENCH_THREADS", os.environ.get("OMP_NUM_THREADS", "1")))
        rec = {"bench": self.name, "op": op, "ranks": self.nprocs, "threads": threads,
               "size": self.size,
               "rows": self.rows, "cols": COLS, "dtype": "float32", "reps": n,
               "time": times[0], "time_median": times[(len(times) - 1) // 2],
               "peak_rss_mib": max(peaks), "peak_rss_mib_ranks": peaks,
               "inputs_rss_mib": max(r[1] for r in rows), "probe": probe}
        if bytes:
            rec["bytes"], rec["gbs"] = bytes, bytes / times[0] / 1e9
        if flops:
            rec["flops"], rec["gflops"] = flops, flops / times[0] / 1e9
        self.emit(rec)
