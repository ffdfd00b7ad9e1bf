# Shared by the tests/cli scripts (sourced, after they set heatlua, mpiexec and tmp):
# counting checks, and running heatlua under mpirun with a time limit.
failures=0 passes=0
check() { # name, condition result
  if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else failures=$((failures + 1)); echo "FAIL: $1"; fi
}
run() { # ranks, args... -> $tmp/out, $tmp/err, $rc
  local n=$1; shift
  timeout 60 "$mpiexec" --oversubscribe -n "$n" "$heatlua" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
