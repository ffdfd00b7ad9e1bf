#!/usr/bin/env bash
# The SPMD REPL: lines piped into `mpirun -n N heatlua -i` (values printed once, errors
# naming their ranks, the loop going on, interrupts by SIGUSR1, os.exit), `heatlua -`,
# `heatlua < file`, x:info's layout, and a real terminal driven through tmux at 2 ranks
# (`heatlua -n 2`: multi-line input, an error, Up to recall a line, Ctrl-C, Ctrl-D).
# usage: test_repl.sh HEATLUA MPIEXEC
set -u
heatlua=$1 mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d)
tmux_sock=$tmp/tmux.sock
cleanup() {
  [ -S "$tmux_sock" ] && tmux -S "$tmux_sock" kill-server 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
export HOME=$tmp # the history file goes here
unset HEATLUA_HISTORY
. "$(dirname "$0")/harness.sh"
# the REPL's output without its prompts ("> ", ">> " at the start of lines)
values() { sed -e 's/^\(>>* \)*//' "$tmp/out"; }
repl() { # ranks, input text -> $tmp/out, $tmp/err, $rc
  printf '%s' "$2" | timeout 60 "$mpiexec" --oversubscribe -n "$1" "$heatlua" -i >"$tmp/out" 2>"$tmp/err"
  rc=$?
}
wait_for() { # file, fixed string, seconds: 0 once the file contains the string
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -qF -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

# ---- piped lines, -i ----
repl 2 $'x = 1\nx + 1\n'
[ "$rc" -eq 0 ] && [ "$(values | grep -cx 2)" -eq 1 ]; check "x + 1 prints 2 once at 2 ranks (rc=$rc)" $?
grep -q "on 2 ranks" "$tmp/out"; check "the banner names the ranks" $?

for n in 1 3 4; do
  repl "$n" $'local t = ht.zeros({2, 3}, {split = 0})\nt = ht.zeros({2, 3}, {split = 0})\nt:sum()\n'
  [ "$rc" -eq 0 ] && [ "$(values | grep -c 'DNDarray(0\.')" -eq 1 ]
  check "a collective value (2 rows on $n ranks) prints once" $?
done

# an error on every rank, on one rank, a syntax error: reported once each, the loop goes on
repl 3 $'error("everywhere")\nif ht.rank() == 1 then error("on one") end\nht.barrier()\nx = = 1\nprint("still" .. "going")\n'
[ "$rc" -eq 0 ]; check "errors leave the REPL running, status 0 at the end (rc=$rc)" $?
[ "$(grep -c 'everywhere' "$tmp/out")" -eq 1 ] && grep -q "^\(> \)*ranks 0-2 of 3: stdin:1: everywhere" "$tmp/out"
check "an error on every rank prints once, naming the ranks" $?
grep -q "rank 1 of 3: stdin:1: on one" "$tmp/out"; check "an error on one rank names it" $?
grep -q "stack traceback:" "$tmp/out" && grep -q "in main chunk" "$tmp/out"; check "errors carry a traceback" $?
grep -q "ranks 0-2 of 3: stdin:1: unexpected symbol near '='" "$tmp/out"; check "a syntax error is reported once" $?
values | grep -qx "stillgoing"; check "a collective after a one-rank error still works" $?

# multi-line chunks, =expr, several values, statements that print nothing
repl 2 $'function f(a)\n  return a * 2,\n    a + 1\nend\nf(3)\n=f(4)\nfor i = 1,\n  2 do print(i) end\n1 +\n2\nlocal y = 5\n'
[ "$(values | tr '\t' ' ' | tr '\n' '|')" = "$(grep '^heatlua' "$tmp/out")|6 4|8 5|1|2|3||" ]
check "multi-line function, =expr, values, continued expression" $?
grep -q '^> >> >> >> > ' "$tmp/out"; check "continuation lines get the >> prompt" $?

# os.exit() ends every rank cleanly; nothing after it runs
repl 3 $'print("before")\nos.exit()\nprint("after")\n'
[ "$rc" -eq 0 ] && values | grep -qx before && ! grep -q after "$tmp/out"
check "os.exit() ends every rank with status 0 (rc=$rc)" $?
repl 2 $'os.exit(3)\n'
[ "$rc" -eq 3 ]; check "os.exit(3) gives status 3 (rc=$rc)" $?

# SIGUSR1 (mpirun forwards it) interrupts a long statement on every rank; the REPL goes on
mkfifo "$tmp/in"
background 3
wait_for "$tmp/out" "on 3 ranks" 30
printf 'local n = 0 while true do n = n + 1 local y = ht.zeros(4) + 1 end\n' >&3
sleep 2
kill -USR1 "$job"
wait_for "$tmp/out" "interrupted" 20; check "SIGUSR1 interrupts a long statement" $?
printf 'print("after the interrupt")\n' >&3
exec 3>&-
wait "$guard"
rc=$?
[ "$rc" -eq 0 ] && values | grep -qx "after the interrupt"; check "the REPL goes on after an interrupt (rc=$rc)" $?
grep -q "ranks\? [0-9,-]* of 3: .*interrupted" "$tmp/out"; check "the interrupt is reported with its ranks" $?

# a pure Lua loop, which LuaJIT would compile into code that never looks at hooks: the
# REPL runs its chunks in the interpreter, so the interrupt stops it on every rank
background 2
wait_for "$tmp/out" "on 2 ranks" 30
printf 'while true do end\n' >&3
sleep 2
kill -USR1 "$job"
wait_for "$tmp/out" "interrupted" 20; check "SIGUSR1 interrupts while true do end" $?
printf 'print("after " .. "the loop")\n' >&3
exec 3>&-
wait "$guard"
rc=$?
[ "$rc" -eq 0 ] && values | grep -qx "after the loop" && grep -q "ranks 0-1 of 2: .*interrupted" "$tmp/out"
check "while true do end stops on both ranks, the REPL goes on (rc=$rc)" $?

# a chunk that fails on rank 1 before a collective that the others wait in, with
# collective checking off (on, the others stop waiting at once: test_check.sh): rank 1
# says so, and interrupting twice ends the job instead of leaving it hanging
HEATLUA_CHECK=0 background 3
wait_for "$tmp/out" "on 3 ranks" 30
printf 'if ht.rank() == 1 then error("left early") end ht.barrier()\n' >&3
wait_for "$tmp/err" "rank 1: stopped with an error and waits" 30
check "a rank stuck after a one-rank error says what to do" $?
kill -USR1 "$job"
sleep 1
kill -USR1 "$job"
wait "$guard"
rc=$?
exec 3>&-
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "interrupted twice .*ending the job" "$tmp/err"
check "interrupting twice ends a desynchronised job (rc=$rc)" $?

# ---- heatlua -: a script from stdin, read by rank 0 and broadcast ----
echo 'print(1)' | timeout 60 "$mpiexec" --oversubscribe -n 2 "$heatlua" - >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "1" ]; check "echo 'print(1)' | mpirun -n 2 heatlua - prints 1 (rc=$rc)" $?
printf '#!/usr/bin/env heatlua\nlocal a = ht.nprocs()\nprint(a, arg[0], ...)\n' |
  timeout 60 "$mpiexec" --oversubscribe -n 3 "$heatlua" - x y >"$tmp/out" 2>"$tmp/err"
[ "$(cat "$tmp/out")" = "$(printf '3\t-\tx\ty')" ]; check "heatlua - skips #!, keeps locals, passes arguments" $?
printf 'print("a")\nerror("from stdin")\n' | timeout 60 "$mpiexec" --oversubscribe -n 2 "$heatlua" - >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "heatlua: rank 0: stdin:2: from stdin" "$tmp/err"
check "an error in a stdin script ends the job like a script's (rc=$rc)" $?

# ---- heatlua < file without mpirun: a script, as lua.c does ----
printf 'local a = 20\nprint(a + 1)\n' | timeout 60 "$heatlua" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "21" ]; check "heatlua < file runs the file as a script (rc=$rc)" $?

# ---- heatlua -n N without a terminal: mpirun itself ----
HEATLUA_MPIRUN="$mpiexec --oversubscribe" timeout 60 "$heatlua" -n 3 -e 'print(ht.nprocs())' </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "3" ]; check "heatlua -n 3 -e runs on 3 ranks (rc=$rc)" $?
printf 'ht.nprocs() * 10\n' | HEATLUA_MPIRUN="$mpiexec --oversubscribe" timeout 60 "$heatlua" -n 2 >"$tmp/out" 2>"$tmp/err"
values | grep -qx 20; check "heatlua -n 2 with piped lines is the REPL on 2 ranks" $?

# ---- x:info (lib/heat/debug.lua): the layout, ranks with no rows included ----
timeout 60 "$mpiexec" --oversubscribe -n 3 "$heatlua" -e \
  'local info = require("heat.debug").info; info(ht.zeros({2, 3}, {split = 0})); info(ht.zeros({4}))' \
  >"$tmp/out" 2>"$tmp/err"
# 2 rows on 3 ranks: balanced blocks 1, 1, 0 (DESIGN.md); float32 rows of 3 are 12 bytes
expected='DNDarray (2, 3) float32 on 3 ranks, split=0, balanced, device=cpu, 24 bytes
  rank 0: lshape (1, 3)  [0, 1) along axis 0  12 bytes
  rank 1: lshape (1, 3)  [1, 2) along axis 0  12 bytes
  rank 2: lshape (0, 3)  [2, 2) along axis 0  0 bytes
DNDarray (4,) float32 on 3 ranks, split=None (a full copy on every rank), device=cpu, 16 bytes
  rank 0: lshape (4,)  16 bytes
  rank 1: lshape (4,)  16 bytes
  rank 2: lshape (4,)  16 bytes'
[ "$(cat "$tmp/out")" = "$expected" ]; check "info shows every rank's local shape and range" $?

# ---- a real terminal through tmux: heatlua -n 2 edits lines in the front process ----
if ! command -v tmux >/dev/null; then
  echo "FAIL: tmux is not installed (build.sh installs it)"
  failures=$((failures + 1))
else
  T() { tmux -S "$tmux_sock" "$@"; }
  screen() { T capture-pane -p -J -S - -t repl >"$tmp/screen"; }
  see() { # fixed string, seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do
      screen
      grep -qF -- "$1" "$tmp/screen" && return 0
      sleep 0.1
    done
    echo "--- screen, waiting for: $1"; cat "$tmp/screen"
    return 1
  }
  type_line() { T send-keys -t repl -l "$1"; T send-keys -t repl Enter; }
  T -f /dev/null new-session -d -s repl -x 150 -y 50 "HISTFILE=/dev/null bash --norc --noprofile"
  T set-option -t repl history-limit 5000 >/dev/null
  T send-keys -t repl -l "PS1='$ '; HEATLUA_MPIRUN='$mpiexec --oversubscribe' '$heatlua' -n 2; echo \"status=\$?\""
  T send-keys -t repl Enter
  see "on 2 ranks" 60; check "tmux: the REPL starts at 2 ranks" $?
  see "> " 10
  type_line 'function f(a)'
  see ">> " 10
  type_line '  return 2 * a'
  type_line 'end'
  type_line 'f(21)'
  see "42" 20; check "tmux: a multi-line function, then its call prints 42" $?
  grep -q "^>>   return 2 \* a$" "$tmp/screen" && grep -q "^>> end$" "$tmp/screen"
  check "tmux: continuation lines show the >> prompt" $?
  type_line 'error("bad")'
  see "ranks 0-1 of 2: stdin:1: bad" 20; check "tmux: an error names the ranks" $?
  grep -q "stack traceback:" "$tmp/screen"; check "tmux: the error shows a traceback" $?
  type_line 'if ht.rank() == 1 then error("only one") end'
  see "rank 1 of 2: stdin:1: only one" 20; check "tmux: an error on rank 1 only" $?
  type_line 'ht.printall("alive")'
  see "[1] alive" 20; check "tmux: the session goes on with collectives" $?
  # Up three times: printall, the rank-1 error, error("bad"), then f(21); edit it to f(5)
  for k in Up Up Up Up; do T send-keys -t repl "$k"; sleep 0.2; done
  see "> f(21)" 5
  T send-keys -t repl BSpace BSpace BSpace
  T send-keys -t repl -l '5)'
  T send-keys -t repl Enter
  see "> f(5)" 10 && see "10" 20; check "tmux: Up recalls f(21), edited to f(5) prints 10" $?
  grep -qx "10" "$tmp/screen"; check "tmux: f(5) printed 10 on a line of its own" $?
  # Ctrl-C: the front sends SIGUSR1 to mpirun, every rank stops the statement
  type_line 'local n = 0 while true do n = n + 1 local y = ht.zeros(4) + 1 end'
  sleep 2
  T send-keys -t repl C-c
  see "interrupted" 20; check "tmux: Ctrl-C interrupts a long statement" $?
  type_line 'print("still " .. "here")'
  see "still here" 20; check "tmux: the session survives the interrupt" $?
  # Ctrl-C while typing drops the unfinished chunk
  screen
  before=$(grep -c '^>>' "$tmp/screen")
  type_line 'for i = 1, 3 do'
  for ((i = 0; i < 100; i++)); do
    screen
    [ "$(grep -c '^>>' "$tmp/screen")" -gt "$before" ] && break
    sleep 0.1
  done
  T send-keys -t repl -l 'print(i'
  sleep 0.3
  T send-keys -t repl C-c
  sleep 0.5
  type_line '=7 * 6 + 1'
  see "43" 20; check "tmux: Ctrl-C while typing drops the unfinished chunk" $?
  T send-keys -t repl C-d
  see "status=0" 30; check "tmux: Ctrl-D ends every rank with status 0" $?
  grep -qF 'f(21)' "$HOME/.heatlua_history" && grep -qF 'f(5)' "$HOME/.heatlua_history"
  check "tmux: lines are saved in ~/.heatlua_history" $?

  # the front process killed (SIGKILL: no handler runs) while the ranks spin in a loop:
  # mpirun and every rank end with it, nothing is left running
  T send-keys -t repl -l "HEATLUA_MPIRUN='$mpiexec --oversubscribe' '$heatlua' -n 2"
  T send-keys -t repl Enter
  see "on 2 ranks" 60
  type_line 'while true do end'
  sleep 1
  shell=$(T display-message -p -t repl '#{pane_pid}')
  front=$(pgrep -P "$shell" | head -1)
  mpirun_pid=$(pgrep -P "$front" | head -1)
  ranks=$(pgrep -P "$mpirun_pid" | tr '\n' ' ')
  [ -n "$front" ] && [ -n "$mpirun_pid" ] && [ -n "$ranks" ]; check "tmux: the front, mpirun and ranks run" $?
  kill -KILL "$front"
  for ((i = 0; i < 150; i++)); do
    alive=0
    for pid in $mpirun_pid $ranks; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  [ "$alive" -eq 0 ]; check "tmux: killing the front ends mpirun and both ranks" $?
  for pid in $mpirun_pid $ranks; do kill -KILL "$pid" 2>/dev/null; done
  T send-keys -t repl -l "stty sane"
  T send-keys -t repl Enter
fi

echo "repl: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
