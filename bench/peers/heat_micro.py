"""The Heat peer of bench/micro.lua: the same kernels on the same shapes, float32 split along
rows, under mpirun (each rank BENCH_THREADS torch threads); each call's time includes what
heatlua's includes (the result materialised on every rank, no lazy work left).
usage: mpirun -n P python3 heat_micro.py SIZE REPS OUT.jsonl [ops]"""
import os
import sys
import tempfile

import heat as ht
import torch

from common import COLS, F32, GEMM, Bench

size, reps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
comm = ht.MPI_WORLD
torch.set_num_threads(int(os.environ.get("BENCH_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))))
threads = "torch %d intra-op, %d inter-op threads; OMP_NUM_THREADS=%s, MKL_NUM_THREADS=%s" % (
    torch.get_num_threads(), torch.get_num_interop_threads(), os.environ.get("OMP_NUM_THREADS", "unset"),
    os.environ.get("MKL_NUM_THREADS", "unset"))


def allgather(values):
    return comm.handle.allgather(values)


b = Bench("heat", size, reps, out, only=sys.argv[4] if len(sys.argv) > 4 else None,
          rank=comm.rank, nprocs=comm.size, barrier=comm.Barrier, allgather=allgather,
          extra={"peer_version": "heat %s, torch %s" % (ht.__version__, torch.__version__),
                 "peer_threads": threads})
R, C, N = b.rows, COLS, b.n
ht.random.seed(1)
x = ht.random.rand(R, C, split=0, dtype=ht.float32)
y = ht.random.rand(R, C, split=0, dtype=ht.float32)

b.measure("add", lambda: x + y, bytes=3 * N * F32, probe="triad")
b.measure("triad", lambda: y + x * 3.0, bytes=3 * N * F32, probe="triad")
b.measure("exp", lambda: ht.exp(x), bytes=2 * N * F32, probe="triad")
b.measure("sqrt", lambda: ht.sqrt(x), bytes=2 * N * F32, probe="triad")
b.measure("astype_f64", lambda: x.astype(ht.float64), bytes=N * (F32 + 8), probe="triad")
for red in ("sum", "mean", "var"):
    fn = getattr(ht, red)
    b.measure(red + "_axis0", lambda fn=fn: fn(x, axis=0), bytes=N * F32, probe="read")
    b.measure(red + "_axis1", lambda fn=fn: fn(x, axis=1), bytes=N * F32, probe="read")
b.measure("sum_all", lambda: ht.sum(x), bytes=N * F32, probe="read")
b.measure("max_axis0", lambda: ht.max(x, axis=0), bytes=N * F32, probe="read")
b.measure("argmin_axis1", lambda: ht.argmin(x, axis=1), bytes=N * F32, probe="read")
b.measure("cumsum_axis0", lambda: ht.cumsum(x, axis=0), bytes=2 * N * F32, probe="copy")
near1 = x * 1e-3 + 1
b.measure("prod_axis0", lambda: ht.prod(near1, axis=0), bytes=N * F32, probe="read")
b.measure("random_rand", lambda: ht.random.rand(R, C, split=0, dtype=ht.float32),
          bytes=N * F32, probe="triad")
b.measure("random_randn", lambda: ht.random.randn(R, C, split=0, dtype=ht.float32),
          bytes=N * F32, probe="triad")
b.measure("zeros", lambda: ht.zeros((R, C), split=0, dtype=ht.float32), bytes=N * F32,
          probe="triad")
b.measure("resplit_0_1", lambda: ht.resplit(x, 1), bytes=2 * N * F32, probe="copy")
G = GEMM[size]
ga = ht.random.rand(G, G, split=0, dtype=ht.float32)
gb = ht.random.rand(G, G, split=None, dtype=ht.float32)
b.measure("matmul", lambda: ht.matmul(ga, gb), flops=2 * G ** 3, probe="sgemm")
# the matrix products of micro.lua: a replicated square product, the split inner dimension
# (split 1 @ split 0), float64, and the Gram matrix x.T @ x of the rows x 64 array
M = {"tiny": 256, "small": 2048, "medium": 4096}[size]
sa = ht.random.rand(M, M, dtype=ht.float32)
sb = ht.random.rand(M, M, dtype=ht.float32)
b.measure("matmul_local", lambda: ht.matmul(sa, sb), flops=2 * M ** 3, probe="sgemm")
da, db = sa.astype(ht.float64), sb.astype(ht.float64)
b.measure("matmul_local_f64", lambda: ht.matmul(da, db), flops=2 * M ** 3, probe="dgemm")
del da, db, sa, sb
ia = ht.random.rand(M, M, split=1, dtype=ht.float32)
ib = ht.random.rand(M, M, split=0, dtype=ht.float32)
b.measure("matmul_inner", lambda: ht.matmul(ia, ib), flops=2 * M ** 3, probe="sgemm")
del ia, ib
b.measure("gram", lambda: ht.matmul(x.T, x), flops=R * C * C, probe="ssyrk")
b.measure("getitem_rows", lambda: x[1:R - 1].copy(), bytes=2 * (R - 2) * C * F32, probe="copy")
b.measure("getitem_mask", lambda: x[x > 0.5], bytes=(2 * N + N // 2) * F32, probe="copy")
b.measure("hstack", lambda: ht.hstack([x, y]), bytes=4 * N * F32, probe="copy")
b.measure("concatenate_0", lambda: ht.concatenate([x, y], axis=0), bytes=4 * N * F32,
          probe="copy")
b.measure("reshape_flat", lambda: ht.reshape(x, (N,)), bytes=2 * N * F32, probe="copy")
b.measure("sort_axis1", lambda: ht.sort(x, axis=1), bytes=2 * N * F32, probe="copy")
# each run its own file (rank 0 makes it, all ranks use its name): two runs sharing one
# default name at once hung in MPI_File_open
h5 = None
if comm.rank == 0:
    fd, h5 = tempfile.mkstemp(prefix="heatlua-bench-heat-", suffix=".h5")
    os.close(fd)
h5 = comm.handle.bcast(h5, root=0)
b.measure("save_hdf5", lambda: ht.save_hdf5(x, h5, "x"), bytes=N * F32, probe="copy")
b.measure("load_hdf5", lambda: ht.load_hdf5(h5, "x", split=0), bytes=N * F32, probe="copy")
if comm.rank == 0 and os.path.exists(h5):
    os.remove(h5)
ca = ht.random.rand(G * 4, C, split=0, dtype=ht.float32)
cb = ht.random.rand(G // 4, C, split=None, dtype=ht.float32)
b.measure("cdist", lambda: ht.spatial.cdist(ca, cb), flops=3 * (G * 4) * (G // 4) * C,
          probe="sgemm")
