/* The reuse of large freed host data buffers (runtime/bufcache.c): what array.c's buffer
 * allocation asks before the CPU backend's alloc, and after its free. */
#ifndef HT_BUFCACHE_H
#define HT_BUFCACHE_H

#include <stdbool.h>
#include <stdint.h>

/* Buffers of this many bytes or more are kept when freed (smaller ones come cheaply from
 * the malloc heap); at most HT_CACHE_SLOTS of them. */
#define HT_CACHE_MIN ((int64_t)1 << 20)
#define HT_CACHE_SLOTS 8

/* Host memory for nbytes of array data: a kept buffer of the same rounded size, else the
 * CPU backend's (after releasing kept buffers, see bufcache.c). NULL with the error set. */
void *ht_cache_alloc(int64_t nbytes);
/* Gives back what ht_cache_alloc returned for nbytes: kept for reuse or freed. */
void ht_cache_free(void *p, int64_t nbytes);
/* Frees every kept buffer; the bytes released. */
int64_t ht_cache_release(void);
/* Bytes held by kept buffers (not counted in ht_bytes_live). */
int64_t ht_cache_bytes(void);
/* Whether freed buffers are kept: not under AddressSanitizer (HEATLUA_ASAN) or with
 * HEATLUA_NO_REUSE=1 in the environment, so use-after-free stays visible. */
bool ht_cache_enabled(void);

#endif
