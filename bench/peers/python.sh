# The Python that runs the peers (sourced by bench/run and other bench scripts): the one
# in $BENCH_PYTHON, else bench/.venv, else python3 when it has NumPy, else a new
# bench/.venv with NumPy and scikit-learn from PyPI (first use, when PyPI is reachable).
# Heat is never installed here (torch is large): `pip install heat` into bench/.venv.
# BENCH_NO_INSTALL=1 never installs (the smoke test).
# bench_python REPO: prints the interpreter's path, or nothing (the reason on stderr).
bench_python() {
  local repo=$1 venv=$1/bench/.venv py
  for py in "${BENCH_PYTHON:-}" "$venv/bin/python" "$(command -v python3 || true)"; do
    if [ -n "$py" ] && [ -x "$py" ] && "$py" -c 'import numpy' 2>/dev/null; then
      echo "$py"
      return
    fi
  done
  py=$(command -v python3 || true)
  if [ -z "$py" ] || [ -n "${BENCH_NO_INSTALL:-}" ]; then
    echo "bench/run: no Python with numpy${py:+ and BENCH_NO_INSTALL is set}" >&2
    return
  fi
  echo "bench/run: installing NumPy and scikit-learn into $venv (first use; BENCH_PYTHON picks another)" >&2
  if { [ -x "$venv/bin/python" ] || "$py" -m venv "$venv" >/dev/null 2>&1; } &&
    timeout "${BENCH_PIP_TIMEOUT:-600}" "$venv/bin/python" -m pip install -q --disable-pip-version-check \
      numpy scikit-learn >"$venv/pip.log" 2>&1; then
    echo "$venv/bin/python"
  else
    echo "bench/run: installing into $venv failed (PyPI unreachable? see $venv/pip.log)" >&2
  fi
}

# One line on the peers: versions and the BLAS threads they will use.
bench_python_versions() {
  "$1" - <<'PY' 2>/dev/null
import os
parts = []
try:
    import numpy
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join("%s %s threads" % (i.get("internal_api"), i.get("num_threads")) for i in threadpool_info())
    except Exception:
        blas = "OMP_NUM_THREADS=%s" % os.environ.get("OMP_NUM_THREADS", "unset")
    parts.append("NumPy %s (%s)" % (numpy.__version__, blas))
except Exception:
    pass
for mod, name in (("sklearn", "scikit-learn"), ("scipy", "SciPy"), ("heat", "Heat"), ("torch", "torch")):
    try:
        m = __import__(mod)
        parts.append("%s %s" % (name, m.__version__))
    except Exception:
        pass
print("peers: " + "; ".join(parts))
PY
}
