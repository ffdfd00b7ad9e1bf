# The Python that runs the peers (sourced by bench/run and bench/pipeline): $BENCH_PYTHON as
# given, else bench/.venv, else -- first use, PyPI reachable, BENCH_NO_INSTALL unset -- a new
# bench/.venv with NumPy, SciPy, scikit-learn and h5py, plus Heat (torch, mpi4py) when the
# caller wants Heat; else python3 when it has NumPy. Messages go to stderr and, when
# $BENCH_NOTE_FILE is set, into that file as note lines.
#   bench_python REPO [heat]       prints the interpreter's path, or nothing
#   bench_python_versions PY [T]   one line: each peer's version and threads (T: threads asked)

bench_note() {
  echo "bench: $*" >&2
  [ -z "${BENCH_NOTE_FILE:-}" ] || echo "$*" >>"$BENCH_NOTE_FILE"
}

# pip's index answers within 5 s (PIP_INDEX_URL, as pip itself reads it, else PyPI)
bench_pypi_reachable() {
  "$1" - <<'PY' 2>/dev/null
import os, sys, urllib.request
url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/") + "/pip/"
try:
    urllib.request.urlopen(url, timeout=5).close()
except Exception:
    sys.exit(1)
PY
}

bench_pip() { # PY LOG ARGS...: pip install, quiet, bounded by BENCH_PIP_TIMEOUT seconds
  local py=$1 log=$2
  shift 2
  timeout "${BENCH_PIP_TIMEOUT:-1200}" "$py" -m pip install --disable-pip-version-check "$@" >>"$log" 2>&1
}

# mpi4py must use the system's MPI: two ranks under mpirun, not two singletons
bench_mpi4py_ok() {
  local n
  n=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 ${MPIEXEC:-mpirun} \
    --oversubscribe -n 2 "$1" -c 'from mpi4py import MPI; print(MPI.COMM_WORLD.size)' 2>/dev/null |
    grep -c '^2$' || true)
  [ "$n" = 2 ]
}

# Heat into the venv: CPU-only torch from PyTorch's index first (about 200 MB to download,
# under 1 GB on disk), PyPI's torch (with CUDA, about 5 GB on disk) when that index is unreachable.
# A failure leaves a marker so later runs do not download again (remove it to retry).
bench_install_heat() {
  local venv=$1 py=$1/bin/python log=$1/pip.log
  bench_note "installing Heat into $venv (torch, mpi4py, h5py: CPU-only torch is about 200 MB to download and 1 GB on disk, PyPI's torch with CUDA about 5 GB; skip with BENCH_NO_INSTALL=1 or --peers numpy)"
  local cpu=https://download.pytorch.org/whl/cpu ok=1
  # pip only warns about an index it cannot reach, so ask first which torch it will get
  if BENCH_URL=$cpu/torch/ "$py" -c 'import os, urllib.request as u; u.urlopen(os.environ["BENCH_URL"], timeout=10).close()' 2>/dev/null; then
    bench_pip "$py" "$log" "heat[hdf5]" mpi4py --index-url "$cpu" \
      --extra-index-url "${PIP_INDEX_URL:-https://pypi.org/simple}" || ok=0
  else
    bench_note "$cpu is not reachable: PyPI's torch (with CUDA, about 5 GB on disk) instead"
    bench_pip "$py" "$log" "heat[hdf5]" mpi4py || ok=0
  fi
  if [ "$ok" = 1 ]; then
    bench_note "Heat installed: $("$py" -c 'import heat, torch; print("heat", heat.__version__, "torch", torch.__version__)' 2>&1 | tail -1)"
  else
    bench_note "installing Heat failed (see $log; rm $venv/heat-install-failed to retry)"
    : >"$venv/heat-install-failed"
    return 1
  fi
  if ! bench_mpi4py_ok "$py"; then # a wheel that missed the system MPI: build it against mpicc
    bench_note "mpi4py ran 2 singletons under mpirun: rebuilding it against the system MPI (mpicc)"
    bench_pip "$py" "$log" --force-reinstall --no-deps --no-binary mpi4py mpi4py ||
      bench_note "rebuilding mpi4py failed (see $log): the Heat peer's ranks will not talk"
  fi
}

bench_python() {
  local repo=$1 want=${2:-} venv=$1/bench/.venv sys_py py
  if [ -n "${BENCH_PYTHON:-}" ]; then # given: used as is, never installed into
    [ -x "$BENCH_PYTHON" ] && echo "$BENCH_PYTHON" || bench_note "BENCH_PYTHON=$BENCH_PYTHON is not executable"
    return
  fi
  sys_py=$(command -v python3 || true)
  local may=1
  { [ -n "${BENCH_NO_INSTALL:-}" ] || [ -z "$sys_py" ]; } && may=0
  if [ "$may" = 1 ] && { [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy' 2>/dev/null ||
    { [ "$want" = heat ] && [ ! -e "$venv/heat-install-failed" ] &&
      ! "$venv/bin/python" -c 'import heat' 2>/dev/null; }; }; then
    if ! bench_pypi_reachable "$sys_py"; then
      bench_note "PyPI is not reachable: nothing installed into $venv"
    else
      if [ ! -x "$venv/bin/python" ] && ! "$sys_py" -m venv "$venv" >/dev/null 2>&1; then
        bench_note "python3 -m venv $venv failed (Debian: apt-get install python3-venv)"
      elif ! "$venv/bin/python" -c 'import numpy, sklearn, h5py' 2>/dev/null; then
        bench_note "installing NumPy, SciPy, scikit-learn and h5py into $venv (first use; BENCH_PYTHON picks another Python)"
        bench_pip "$venv/bin/python" "$venv/pip.log" -q numpy scipy scikit-learn h5py threadpoolctl ||
          bench_note "installing into $venv failed (see $venv/pip.log)"
      fi
      if [ "$want" = heat ] && [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import numpy' 2>/dev/null &&
        ! "$venv/bin/python" -c 'import heat' 2>/dev/null; then
        bench_install_heat "$venv" || true
      fi
    fi
  fi
  for py in "$venv/bin/python" "$sys_py"; do
    if [ -n "$py" ] && [ -x "$py" ] && "$py" -c 'import numpy' 2>/dev/null; then
      echo "$py"
      return
    fi
  done
  bench_note "no Python with NumPy for the peers${BENCH_NO_INSTALL:+ (BENCH_NO_INSTALL is set)}"
}

# One line: every peer's version and the threads it will use (BLAS pools by threadpoolctl,
# torch's intra- and inter-op threads after torch.set_num_threads(T), the environment's).
bench_python_versions() {
  BENCH_T=${2:-} "$1" - <<'PY' 2>/dev/null
import os
env = ", ".join("%s=%s" % (k, os.environ.get(k, "unset"))
                for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"))
parts = []
try:
    import numpy
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join("%s %s threads" % (i.get("internal_api"), i.get("num_threads"))
                         for i in threadpool_info())
    except Exception:
        blas = "threadpoolctl missing"
    parts.append("NumPy %s (%s)" % (numpy.__version__, blas))
except Exception:
    pass
for mod, name in (("scipy", "SciPy"), ("sklearn", "scikit-learn"), ("h5py", "h5py"),
                  ("mpi4py", "mpi4py")):
    try:
        parts.append("%s %s" % (name, __import__(mod).__version__))
    except Exception:
        pass
try:
    import heat, torch
    if os.environ.get("BENCH_T"):
        torch.set_num_threads(int(os.environ["BENCH_T"]))
    parts.append("Heat %s on torch %s (%d intra-op, %d inter-op threads per rank)" % (
        heat.__version__, torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads()))
except Exception:
    pass
print("peers: " + "; ".join(parts) + "; " + env)
PY
}
