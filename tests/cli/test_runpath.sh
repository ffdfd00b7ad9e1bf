#!/usr/bin/env bash
# heatlua never looks for its shared libraries in the folder it is started from: CMake's
# install padding once left an empty RUNPATH entry (= the current folder), and a file named
# like one of its libraries there stopped it from starting (or would have been loaded).
# usage: test_runpath.sh HEATLUA MPIEXEC
set -u
heatlua=$1
. "$(dirname "$0")/harness.sh"

paths=$(readelf -d "$heatlua" | sed -n 's/.*R\(UN\)\{0,1\}PATH.*\[\(.*\)\]/\2/p')
case ":$paths:" in *::*|*:.:*) false ;; *) true ;; esac
check "no empty or '.' entry in RUNPATH [$paths]" $?
for lib in $(ldd "$heatlua" | awk '/=>/ { print $1 }'); do echo garbage >"$tmp/$lib"; done
out=$(cd "$tmp" && "$heatlua" -e 'print(ht.arange(4):sum())' 2>&1)
echo "$out" | grep -q 'DNDarray(6,'; check "starts in a folder of look-alike libraries ($out)" $?
echo "runpath: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
