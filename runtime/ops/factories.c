/* Array factories (full, arange, linspace, logspace, eye, from_buffer): each rank computes
 * only its own block from global indices, so none of them communicates. */
#include <math.h>
#include <string.h>

#include "blockfill.h"
#include "ops.h"

/* Values are computed in double in tiles of this many, then cast to the dtype
 * (ht_cast's contiguous loops), as NumPy computes these sequences in float64. */
#define TILE 256

/* ---- full: a bit pattern repeated, so one loop per element size serves every dtype ---- */

typedef struct { unsigned char bits[8]; } full_ctx;

static void full_run_1(char *out, int64_t g, int64_t n, const void *ctx) {
  (void)g;
  memset(out, ((const full_ctx *)ctx)->bits[0], (size_t)n);
}

static void full_run_2(char *out, int64_t g, int64_t n, const void *ctx) {
  uint16_t v, *p = (uint16_t *)out;
  (void)g;
  memcpy(&v, ((const full_ctx *)ctx)->bits, sizeof v);
  for (int64_t i = 0; i < n; i++) p[i] = v;
}

static void full_run_4(char *out, int64_t g, int64_t n, const void *ctx) {
  uint32_t v, *p = (uint32_t *)out;
  (void)g;
  memcpy(&v, ((const full_ctx *)ctx)->bits, sizeof v);
  for (int64_t i = 0; i < n; i++) p[i] = v;
}

static void full_run_8(char *out, int64_t g, int64_t n, const void *ctx) {
  uint64_t v, *p = (uint64_t *)out;
  (void)g;
  memcpy(&v, ((const full_ctx *)ctx)->bits, sizeof v);
  for (int64_t i = 0; i < n; i++) p[i] = v;
}

static void fill_value(ht_array *a, double value) {
  full_ctx c = {{0}};
  ht_set_f64(a->dtype, c.bits, value);
  switch (ht_dtype_size(a->dtype)) {
  case 1: op_fill_by_index(a, full_run_1, &c); break;
  case 2: op_fill_by_index(a, full_run_2, &c); break;
  case 4: op_fill_by_index(a, full_run_4, &c); break;
  default: op_fill_by_index(a, full_run_8, &c); break;
  }
}

ht_array *ht_full(ht_dtype t, int ndim, const int64_t *gshape, int split, ht_device dev,
                  double value) {
  return ht_full_named("full", t, ndim, gshape, split, dev, value);
}

ht_array *ht_empty_named(const char *fn, ht_dtype t, int ndim, const int64_t *gshape, int split,
                         ht_device dev) {
  if (op_check_factory(fn, t, ndim, gshape, split, dev)) return NULL;
  return op_factory_empty(fn, t, ndim, gshape, split, dev);
}

ht_array *ht_full_named(const char *fn, ht_dtype t, int ndim, const int64_t *gshape, int split,
                        ht_device dev, double value) {
  if (op_check_factory(fn, t, ndim, gshape, split, dev)) return NULL;
  if (ht_dtype_is_int(t)) { /* a C cast out of range is undefined; NumPy raises too */
    int64_t lo, hi;
    op_int_limits(t, &lo, &hi);
    if (!(value >= (double)lo && value < (double)hi + 1.0))
      return ht_error("%s: fill value %g is out of bounds for %s", fn, value, ht_dtype_name(t)),
             NULL;
  }
  ht_array *a = op_factory_empty(fn, t, ndim, gshape, split, dev);
  if (a) fill_value(a, value);
  return a;
}

/* ---- arithmetic sequences ---- */

typedef struct {
  ht_dtype t;
  double start, step;   /* value(g) = start + g * step, unless by_div */
  double delta, div;    /* linspace when step underflows to 0: (g / div) * delta + start */
  bool by_div;
  int64_t last;         /* index replaced by `stop` (linspace's endpoint), or -1 */
  double stop;
  bool floor_ints;      /* NumPy's linspace floors for integer dtypes */
  bool power;           /* logspace: base ** value */
  double base;
} seq_ctx;

static void seq_run(char *out, int64_t g, int64_t n, const void *ctx) {
  const seq_ctx *c = ctx;
  double v[TILE];
  int64_t isz = (int64_t)ht_dtype_size(c->t);
  for (int64_t i0 = 0; i0 < n; i0 += TILE) {
    int64_t m = n - i0 < TILE ? n - i0 : TILE;
    if (c->by_div)
      for (int64_t i = 0; i < m; i++) v[i] = (double)(g + i0 + i) / c->div * c->delta + c->start;
    else
      for (int64_t i = 0; i < m; i++) v[i] = c->start + (double)(g + i0 + i) * c->step;
    if (c->last >= g + i0 && c->last < g + i0 + m) v[c->last - g - i0] = c->stop;
    if (c->floor_ints)
      for (int64_t i = 0; i < m; i++) v[i] = floor(v[i]);
    if (c->power)
      for (int64_t i = 0; i < m; i++) v[i] = pow(c->base, v[i]);
    ht_cast(HT_FLOAT64, v, sizeof(double), c->t, out + i0 * isz, isz, m);
  }
}

static ht_array *sequence(const char *fn, ht_dtype t, int64_t n, int split, ht_device dev,
                          const seq_ctx *c) {
  if (op_check_factory(fn, t, 1, &n, split, dev)) return NULL;
  ht_array *a = op_factory_empty(fn, t, 1, &n, split, dev);
  if (a) op_fill_by_index(a, seq_run, c);
  return a;
}

ht_array *ht_full_like(const char *fn, const ht_array *x, ht_dtype t, int split, ht_device dev,
                       bool fill, double value) {
  if (split < 0 || split != x->split || ht_array_is_balanced(x))
    return fill ? ht_full_named(fn, t, x->ndim, x->gshape, split, dev, value)
                : ht_empty_named(fn, t, x->ndim, x->gshape, split, dev);
  ht_array *a = ht_array_new_agreed(fn, t, x->ndim, x->gshape, split, x->counts, dev);
  if (!a || !fill) return a;
  int64_t none = 0;
  ht_array *s = ht_full(t, 0, &none, -1, dev, value); /* a 0-d array broadcasts */
  if (!s || ht_copy_into(a, s)) ht_array_free(a), a = NULL;
  ht_array_free(s);
  return a;
}

ht_array *ht_arange(ht_dtype t, double start, double stop, double step, int split,
                    ht_device dev) {
  if (!isfinite(start) || !isfinite(stop) || !isfinite(step))
    return ht_error("arange: cannot compute length from start %g, stop %g, step %g", start,
                    stop, step), NULL;
  if (step == 0) return ht_error("arange: step must not be zero"), NULL;
  const double len = ceil((stop - start) / step);
  if (len > 4611686018427387904.0) return ht_error("arange: maximum allowed size exceeded"), NULL;
  const int64_t n = len > 0 ? (int64_t)len : 0;
  if (t == HT_NDTYPES) {
    bool integral = ht_is_exact_int(start) && ht_is_exact_int(stop) && ht_is_exact_int(step);
    bool fits32 = fabs(start) <= INT32_MAX && fabs(stop) <= (double)INT32_MAX + 1;
    t = integral ? (fits32 ? HT_INT32 : HT_INT64) : HT_FLOAT32;
  }
  seq_ctx c = {.t = t, .start = start, .step = step, .last = -1};
  return sequence("arange", t, n, split, dev, &c);
}

/* NumPy's linspace, step for step: values in float64, the endpoint set exactly, then
 * floored for integer dtypes and cast. */
static seq_ctx linspace_ctx(ht_dtype t, double start, double stop, int64_t num, bool endpoint) {
  double div = endpoint ? (double)(num - 1) : (double)num, delta = stop - start;
  seq_ctx c = {.t = t, .start = start, .stop = stop, .last = -1, .delta = delta, .div = div};
  if (div > 0) {
    c.step = delta / div;
    c.by_div = c.step == 0;
  } else {
    c.step = delta; /* num <= 1: only index 0, whose value is start */
  }
  if (endpoint && num > 1) c.last = num - 1;
  return c;
}

ht_array *ht_linspace(ht_dtype t, double start, double stop, int64_t num, bool endpoint,
                      int split, ht_device dev) {
  if (num < 0)
    return ht_error("linspace: number of samples, %lld, must be non-negative", (long long)num),
           NULL;
  seq_ctx c = linspace_ctx(t, start, stop, num, endpoint);
  c.floor_ints = !ht_dtype_is_float(t) && t != HT_BOOL;
  return sequence("linspace", t, num, split, dev, &c);
}

ht_array *ht_logspace(ht_dtype t, double start, double stop, int64_t num, bool endpoint,
                      double base, int split, ht_device dev) {
  if (num < 0)
    return ht_error("logspace: number of samples, %lld, must be non-negative", (long long)num),
           NULL;
  seq_ctx c = linspace_ctx(t, start, stop, num, endpoint);
  c.power = true; /* NumPy: power(base, linspace(...)).astype(dtype), no floor */
  c.base = base;
  return sequence("logspace", t, num, split, dev, &c);
}

/* ---- eye ---- */

ht_array *ht_eye(ht_dtype t, int64_t n, int64_t m, int64_t k, int split, ht_device dev) {
  int64_t shape[2] = {n, m};
  if (op_check_factory("eye", t, 2, shape, split, dev)) return NULL;
  ht_array *a = op_factory_empty("eye", t, 2, shape, split, dev);
  if (!a) return NULL;
  fill_value(a, 0.0);
  unsigned char one[8];
  size_t isz = ht_dtype_size(t);
  ht_set_f64(t, one, 1.0);
  /* local row il is global row il + r0; its one sits in global column i + k */
  int64_t r0 = split == 0 ? ht_array_lstart(a) : 0, c0 = split == 1 ? ht_array_lstart(a) : 0;
  char *data = ht_array_data(a);
  for (int64_t il = 0; il < a->lshape[0]; il++) {
    int64_t jl = il + r0 + k - c0;
    if (jl >= 0 && jl < a->lshape[1]) memcpy(data + (il * a->lshape[1] + jl) * isz, one, isz);
  }
  return a;
}

/* ---- from a host buffer every rank holds ---- */

typedef struct {
  ht_dtype from, to;
  const char *src;
} buffer_ctx;

static void buffer_run(char *out, int64_t g, int64_t n, const void *ctx) {
  const buffer_ctx *c = ctx;
  int64_t ssz = (int64_t)ht_dtype_size(c->from), dsz = (int64_t)ht_dtype_size(c->to);
  ht_cast(c->from, c->src + g * ssz, ssz, c->to, out, dsz, n);
}

ht_array *ht_from_buffer(ht_dtype t, int ndim, const int64_t *gshape, int split,
                         ht_device dev, ht_dtype src_t, const void *src) {
  if (op_check_factory("array", t, ndim, gshape, split, dev)) return NULL;
  ht_array *a = op_factory_empty("array", t, ndim, gshape, split, dev);
  if (!a) return NULL;
  buffer_ctx c = {src_t, t, src};
  op_fill_by_index(a, buffer_run, &c);
  return a;
}
