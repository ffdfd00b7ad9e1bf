/* stub */
#include "../decomp.h"
int ht_hsvd(const ht_array *a, const ht_hsvd_opts *o, ht_array **u, ht_array **s,
            ht_array **v, double *err) {
  (void)a, (void)o, (void)u, (void)s, (void)v, (void)err;
  return ht_error("hsvd: not yet");
}
