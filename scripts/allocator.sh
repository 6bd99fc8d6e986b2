# Sourced, not run: preload a malloc that keeps freed memory before Python starts.
#   . scripts/allocator.sh    (scripts/long_run.sh, .ci/run and the Makefile do this)
# glibc's malloc hands TensorFlow's large freed tensors back to the kernel and faults them in again:
# 45 % of a fold's CPU time went to the kernel on this project's AVX2 machine, and tcmalloc or
# jemalloc (never purging) made an epoch 2.4 times faster with bit-identical losses and predictions
# (scripts/bench_allocator.py, results/bench/allocator_avx2.csv). Nothing changes where neither
# library is installed; MEDLIB_ALLOCATOR=tcmalloc|jemalloc picks one, =glibc turns a preload of
# either off; MEDLIB_ALLOCATOR_INSTALL=1 first installs tcmalloc where this user may (root, apt-get).
# Each fold file records the allocator it trained under ("allocator").
_medlib_lib() {
  for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
    if [ -f "$d/$1" ]; then echo "$d/$1"; return 0; fi
  done
  return 1
}
_medlib_want="${MEDLIB_ALLOCATOR:-auto}"
if [ "${MEDLIB_ALLOCATOR_INSTALL:-}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
   && ! _medlib_lib libtcmalloc_minimal.so.4 >/dev/null; then
  { timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq libtcmalloc-minimal4; } >/dev/null 2>&1 \
    || echo "[allocator] could not install libtcmalloc-minimal4" >&2
fi
if [ "$_medlib_want" = glibc ]; then
  case "${LD_PRELOAD:-}" in *tcmalloc*|*jemalloc*) unset LD_PRELOAD MALLOC_CONF ;; esac
elif [ -z "${LD_PRELOAD:-}" ]; then
  if [ "$_medlib_want" != jemalloc ] && _medlib_path=$(_medlib_lib libtcmalloc_minimal.so.4); then
    # tcmalloc reports allocations above 1 GiB on stderr: raise the threshold so logs stay readable
    export LD_PRELOAD="$_medlib_path" TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD=${TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD:-68719476736}
  elif [ "$_medlib_want" != tcmalloc ] && _medlib_path=$(_medlib_lib libjemalloc.so.2); then
    export LD_PRELOAD="$_medlib_path" MALLOC_CONF=${MALLOC_CONF:-dirty_decay_ms:-1,muzzy_decay_ms:-1}
  else
    echo "[allocator] glibc malloc (training about 2x slower on CPU: apt-get install libtcmalloc-minimal4)" >&2
  fi
fi
if [ -n "${LD_PRELOAD:-}" ]; then echo "[allocator] LD_PRELOAD=$LD_PRELOAD" >&2; fi
unset _medlib_want _medlib_path
unset -f _medlib_lib
