/* A small, bounded reuse of large freed host data buffers, so that a loop making results of
 * one size gets memory that is already mapped instead of page-faulting a fresh block.
 *
 * Peak memory never grows because of it. Write L for the bytes of live host buffers, K for
 * the kept ones and H for the highest L seen so far (a program without the cache peaks at
 * H or more). Keeping a freed buffer moves bytes from L to K; a hit moves them back; so
 * L + K <= H holds if every other allocation first makes room: a large one (a miss) frees
 * every kept buffer before asking malloc, which may then serve it from that very memory; a
 * small one frees the oldest kept buffers until L + K + n fits under max(H, L + n). A large
 * scratch allocation (ht_scratch_alloc) frees them all too, and so does a failed malloc
 * before it is retried. */
#include "bufcache.h"

#include <stdlib.h>

#include "device.h"
#include "error.h"

/* Large sizes are rounded up to this grain, so arrays of nearly equal size share buffers. */
#define GRAIN ((int64_t)1 << 16)

static struct { void *p; int64_t size; } slot[HT_CACHE_SLOTS]; /* oldest first */
static int nkept;
static int64_t kept, live, high;

bool ht_cache_enabled(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(HEATLUA_ASAN)
  return false;
#else
  static int on = -1;
  if (on < 0) {
    const char *env = getenv("HEATLUA_NO_REUSE");
    on = !(env && *env && *env != '0');
  }
  return on;
#endif
}

static int64_t rounded(int64_t n) { return n >= HT_CACHE_MIN ? (n + GRAIN - 1) & ~(GRAIN - 1) : n; }

static void drop(int i) {
  ht_backend_of(HT_CPU)->free(slot[i].p);
  kept -= slot[i].size;
  for (nkept--; i < nkept; i++) slot[i] = slot[i + 1];
}

int64_t ht_cache_release(void) {
  int64_t n = kept;
  while (nkept) drop(nkept - 1);
  return n;
}

int64_t ht_cache_bytes(void) { return kept; }

void *ht_cache_alloc(int64_t nbytes) {
  int64_t r = rounded(nbytes);
  void *p = NULL;
  if (r >= HT_CACHE_MIN) {
    for (int i = nkept - 1; i >= 0 && !p; i--) /* the newest first: its pages are warmest */
      if (slot[i].size == r) {
        p = slot[i].p;
        kept -= r;
        for (nkept--; i < nkept; i++) slot[i] = slot[i + 1];
      }
    if (p) return live += r, p;
    ht_cache_release();
  } else {
    int64_t cap = high > live + r ? high : live + r;
    while (nkept && live + r + kept > cap) drop(0);
  }
  const ht_backend *cpu = ht_backend_of(HT_CPU);
  p = cpu->alloc(r);
  if (!p && ht_cache_release() > 0) p = cpu->alloc(r);
  if (!p) return ht_error("out of memory allocating %lld bytes", (long long)nbytes), NULL;
  live += r;
  if (live > high) high = live;
  return p;
}

static void release_at_exit(void) { ht_cache_release(); }

void ht_cache_free(void *p, int64_t nbytes) {
  int64_t r = rounded(nbytes);
  live -= r;
  if (r < HT_CACHE_MIN || !ht_cache_enabled()) {
    ht_backend_of(HT_CPU)->free(p);
    return;
  }
  static bool registered;
  if (!registered) registered = atexit(release_at_exit) == 0;
  if (nkept == HT_CACHE_SLOTS) drop(0);
  slot[nkept].p = p, slot[nkept].size = r;
  nkept++, kept += r;
}
