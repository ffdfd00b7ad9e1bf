/* Device memory: CUDA allocations when built with CUDA, a clear error otherwise. */
#ifndef HT_DEVICE_H
#define HT_DEVICE_H

#include <stdint.h>

/* NULL with ht_errmsg() set when there is no usable GPU. */
void *ht_device_alloc(int64_t nbytes);
void ht_device_free(void *p);
/* Number of CUDA devices visible to this process (0 without CUDA). */
int ht_device_count(void);

#endif
