#!/usr/bin/env bash
# Sets up, builds and runs heatlua on Debian 12: installs the Debian packages that are
# missing (as root or through sudo), configures and builds in build/, then
#   ./build.sh demo   generates a data file and runs the paper's ML pipeline on it (scripts/pipeline.lua), under mpirun -n 2
#   ./build.sh test   runs every test (C and Lua, at 1, 2, 3 and 4 ranks) through ctest
#   ./build.sh asan-test  builds in build-asan/ with AddressSanitizer and
#                     UndefinedBehaviorSanitizer and runs every suite at 1 and 2 ranks
#   ./build.sh        only builds
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake pkg-config tmux libluajit-5.1-dev luajit libopenmpi-dev openmpi-bin
          libhdf5-openmpi-dev hdf5-tools libopenblas-dev liblapacke-dev check
          librandom123-dev lua-busted libedit-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "build.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Open MPI refuses root without these, and oversubscription lets 4 ranks run on 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

jobs=$(nproc)
if [ "${1:-build}" = asan-test ]; then
  # Open MPI's own leaks are filtered (tests/asan/lsan.supp), heatlua's are not. Open MPI
  # 4.1 unloads its components in MPI_Finalize, leaving their leaks as <unknown module>:
  # tests/asan/keep_modules.c (a no-op dlclose, linked into every executable) keeps them
  # loaded and named (lsan.supp: a stack that stops in libc's vasprintf is Open MPI's;
  # heatlua never calls it). LSan needs use_tls=0 under Open MPI's threads; the profile spec needs an
  # empty quarantine. Release's optimisation (plus -g): at -O2 GCC leaves loops of exp/log
  # scalar where -O3 calls libmvec's vector versions, whose last bits differ, so random
  # data and the exact sums that tests compare bit for bit would differ from Release's.
  # HEATLUA_ASAN=1 tells tests/cli/test_runner.sh to skip its `ulimit -v` case.
  san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  mkdir -p build-asan
  cc -O2 -c tests/asan/keep_modules.c -o build-asan/keep_modules.o
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DHEATLUA_CUDA=OFF \
    -DCMAKE_C_FLAGS="$san -g" ${HEATLUA_CMAKE_ARGS:-} \
    -DCMAKE_EXE_LINKER_FLAGS="$san $PWD/build-asan/keep_modules.o -Wl,--export-dynamic-symbol=dlclose" \
    >/dev/null
  cmake --build build-asan -j "$jobs"
  export ASAN_OPTIONS=quarantine_size_mb=0:detect_leaks=1:abort_on_error=0
  export LSAN_OPTIONS="use_tls=0:suppressions=$PWD/tests/asan/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export HEATLUA_ASAN=1
  cd build-asan && exec ctest --output-on-failure --timeout 900 -R '_np[12]$|^cli_'
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${HEATLUA_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "$jobs"

case "${1:-build}" in
  demo)
    export OMP_NUM_THREADS=1
    mpirun --oversubscribe -n 2 build/heatlua scripts/make_data.lua build/demo.h5 100000 --constituents 12
    mpirun --oversubscribe -n 2 build/heatlua scripts/pipeline.lua build/demo.h5 ;;
  test) cd build && ctest --output-on-failure --timeout 300 ;;
  build) ;;
  *) echo "usage: $0 [demo|test|asan-test]" >&2; exit 2 ;;
esac
