# Shared by the tests/cli scripts (sourced, after they set heatlua and mpiexec): a scratch
# folder $tmp removed at exit (unless the script made its own), counting checks, running
# heatlua under mpirun with a time limit, and the REPL in the background.
if [ -z "${tmp:-}" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
failures=0 passes=0
check() { # name, condition result
  if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else failures=$((failures + 1)); echo "FAIL: $1"; fi
}
run() { # ranks, args... -> $tmp/out, $tmp/err, $rc
  local n=$1; shift
  timeout 60 "$mpiexec" --oversubscribe -n "$n" "$heatlua" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
background() { # ranks: heatlua -i reading the fifo $tmp/in (write to fd 3), under timeout;
  # $guard is the timeout, $job mpirun itself (timeout would not forward SIGUSR1)
  timeout 90 "$mpiexec" --oversubscribe -n "$1" "$heatlua" -i <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
  guard=$! job=
  exec 3>"$tmp/in"
  while [ -z "$job" ] && kill -0 "$guard" 2>/dev/null; do
    job=$(pgrep -P "$guard")
    sleep 0.1
  done
}
