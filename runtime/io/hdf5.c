/* Parallel HDF5 datasets: each rank reads or writes the hyperslab of its own block along
 * the split axis, straight from or into its chunk, in one independent MPI-IO transfer;
 * HDF5 converts between the file's type and the array's dtype on the way. */
#include <inttypes.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "device.h"
#include "error.h"
#include "h5internal.h"
#include "iofile.h"

void ht_h5_load_opts_init(ht_h5_load_opts *o) {
  memset(o, 0, sizeof *o);
  o->dtype = HT_FLOAT32;
  o->split = HT_IO_NOSPLIT;
  o->device = HT_CPU;
  o->load_fraction = 1.0;
}

void ht_h5_save_opts_init(ht_h5_save_opts *o) {
  memset(o, 0, sizeof *o);
  o->mode = "w";
  o->deflate = -1;
  o->atomic = true;
}

/* ---- loading ---- */

/* What a load reads: the global selection in the file and the result it becomes. */
typedef struct selection {
  int fdim;
  hsize_t fshape[32];
  hsize_t start[32], stride[32], count[32];
  int ndim;                 /* of the result: index entries drop their axis */
  int64_t gshape[HT_MAXDIM];
  int faxis[HT_MAXDIM];     /* the file axis of each result axis */
} selection;

static int resolve(selection *s, const ht_h5_load_opts *o, const char *path, const char *name) {
  char sh[400];
  int64_t fshape[32];
  for (int d = 0; d < s->fdim; d++) fshape[d] = (int64_t)s->fshape[d];
  ht_fmt_shape(sh, sizeof sh, s->fdim, fshape);
  if (o->slices.n > s->fdim)
    return ht_error("load_hdf5: slices has %d entries but dataset '%s' in '%s' has shape %s",
                    o->slices.n, name, path, sh);
  s->ndim = 0;
  for (int d = 0; d < s->fdim; d++) {
    int64_t n = fshape[d], start = 0, stop = n, step = 1;
    if (d < o->slices.n) {
      const ht_index_item *sl = &o->slices.item[d];
      if (sl->kind != HT_INDEX_INT && sl->kind != HT_INDEX_SLICE)
        return ht_error("load_hdf5: slices takes integers and start:stop:step slices only; "
                        "entry %d is not one", d);
      if (sl->kind == HT_INDEX_INT) {
        int64_t i = sl->start < 0 ? sl->start + n : sl->start;
        if (i < 0 || i >= n)
          return ht_error("load_hdf5: index %" PRId64 " is out of range for axis %d of dataset "
                          "'%s' with shape %s", sl->start, d, name, sh);
        s->start[d] = (hsize_t)i, s->stride[d] = 1, s->count[d] = 1;
        continue; /* the axis is dropped */
      }
      step = sl->step;
      start = !sl->has_start ? 0 : sl->start < 0 ? sl->start + n : sl->start;
      stop = !sl->has_stop ? n : sl->stop < 0 ? sl->stop + n : sl->stop;
      if (step <= 0)
        return ht_error("load_hdf5: slice step must be positive, got %" PRId64 " on axis %d",
                        step, d);
      if (start < 0 || start > n || stop < 0 || stop > n)
        return ht_error("load_hdf5: slice %" PRId64 ":%" PRId64 " is out of range for axis %d "
                        "of dataset '%s' with shape %s",
                        sl->has_start ? sl->start : 0, sl->has_stop ? sl->stop : n, d, name,
                        sh);
    }
    int64_t count = stop > start ? (stop - start + step - 1) / step : 0;
    if (s->ndim == HT_MAXDIM)
      return ht_error("load_hdf5: dataset '%s' has shape %s; arrays have at most %d dimensions "
                      "(select fewer with slices)", name, sh, HT_MAXDIM);
    s->start[d] = (hsize_t)(count ? start : 0), s->stride[d] = (hsize_t)step;
    s->count[d] = (hsize_t)count;
    s->faxis[s->ndim] = d;
    s->gshape[s->ndim++] = count;
  }
  return 0;
}

/* The type HDF5 writes into memory, and the dtype of that memory. HDF5 converts numbers
 * among themselves, but not into our bool (any nonzero is true) nor out of enums. */
static int read_type(hid_t ftype, ht_dtype want, const char *path, const char *name,
                     hid_t *mem, ht_dtype *got) {
  char tname[24];
  ht_dtype fdt = HT_NDTYPES;
  if (ht_h5_describe_type(ftype, tname, sizeof tname, &fdt) < 0)
    return ht_error("load_hdf5: dataset '%s' in '%s' holds %s values, which cannot be "
                    "converted to %s", name, path, tname, ht_dtype_name(want));
  if (H5Tget_class(ftype) == H5T_ENUM) {
    *mem = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
    *got = fdt;
  } else if (want == HT_BOOL) {
    *got = H5Tget_class(ftype) == H5T_FLOAT ? HT_FLOAT64 : HT_INT64;
    *mem = ht_h5_mem_type(*got);
  } else {
    *got = want;
    *mem = ht_h5_mem_type(want);
  }
  return 0;
}

/* This rank's hyperslab: its block of the split axis, or all of it. */
static int select_block(hid_t fspace, const selection *s, const ht_array *a) {
  hsize_t start[32], count[32];
  memcpy(start, s->start, sizeof start);
  memcpy(count, s->count, sizeof count);
  if (ht_array_lsize(a) == 0) return H5Sselect_none(fspace) < 0 ? -1 : 0;
  if (s->fdim == 0) return H5Sselect_all(fspace) < 0 ? -1 : 0;
  if (a->split >= 0) {
    int fd = s->faxis[a->split];
    start[fd] += (hsize_t)ht_array_lstart(a) * s->stride[fd];
    count[fd] = (hsize_t)a->lshape[a->split];
  }
  return H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, s->stride, count, NULL) < 0 ? -1 : 0;
}

/* The memory space of a selection: the same block shape as the file's (so HDF5 sees two
 * contiguous blocks and moves them without its gather/scatter buffers), or an empty
 * selection when the rank has nothing. */
static hid_t mem_space(int ndim, const hsize_t *count, int64_t n) {
  if (n == 0) {
    hsize_t one = 1;
    hid_t m = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(m);
    return m;
  }
  return ndim ? H5Screate_simple(ndim, count, NULL) : H5Screate(H5S_SCALAR);
}

/* Independent MPI-IO: each rank's block is one contiguous range of the file, so the
 * two-phase buffering of collective I/O only adds copies. Measured on one node with the
 * file in the page cache (262144 x 64 float32, bench/micro.lua's case), 2 ranks:
 * load 57 -> 15 ms, save 97 -> 84 ms; 1 rank unchanged. Writes through filters (deflate)
 * must be collective in parallel HDF5. */
static hid_t transfer_dxpl(bool collective) {
  hid_t x = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(x, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT);
  return x;
}

static ht_array *read_dataset(hid_t f, hid_t dset, const ht_h5_load_opts *o, const char *path,
                              const char *name) {
  char sh[400];
  selection s = {0};
  hid_t fspace = H5Dget_space(dset), ftype = H5Dget_type(dset), mem = -1, mspace = -1, dxpl = -1;
  ht_array *a = NULL, *tmp = NULL;
  ht_dtype got = o->dtype;
  int status = 0;
  if (H5Sget_simple_extent_type(fspace) == H5S_NULL) {
    status = ht_error("load_hdf5: dataset '%s' in '%s' has no data (a null dataspace)", name, path);
    goto done;
  }
  s.fdim = H5Sget_simple_extent_dims(fspace, s.fshape, NULL);
  if ((status = resolve(&s, o, path, name)) || (status = read_type(ftype, o->dtype, path, name, &mem, &got)))
    goto done;
  int split = o->split;
  if (split != HT_IO_NOSPLIT) {
    if (split < -s.ndim || split >= s.ndim) {
      status = ht_error("load_hdf5: split %d is out of range for dataset '%s' of shape %s%s",
                        split, name, ht_fmt_shape(sh, sizeof sh, s.ndim, s.gshape),
                        o->slices.n ? " (after slicing)" : "");
      goto done;
    }
    if (split < 0) split += s.ndim;
    if (!(o->load_fraction > 0.0 && o->load_fraction <= 1.0)) {
      status = ht_error("load_hdf5: load_fraction must be in (0, 1], got %g",
                        isnan(o->load_fraction) ? fabs(o->load_fraction) : o->load_fraction);
      goto done;
    }
    /* Heat: int(n * load_fraction) leading rows of the split axis */
    s.gshape[split] = (int64_t)((double)s.gshape[split] * o->load_fraction);
  } else {
    split = -1;
  }
  a = ht_array_empty(o->dtype, s.ndim, s.gshape, split, o->device);
  if (a && got != o->dtype)
    tmp = ht_array_empty_counts(got, s.ndim, s.gshape, split, a->counts, o->device);
  if (ht_comm_agree(!a || (got != o->dtype && !tmp) ? -1 : 0)) {
    status = -1;
    goto done;
  }
  /* the common case, a whole dataset stored as the dtype's bytes: one pread per ~1 MiB
   * piece of the rank's rows, in parallel, no MPI-IO (the fused load's path) */
  if (!tmp && !o->slices.n && ht_array_gsize(a) > 0) {
    int r = ht_h5_pread_rows(f, dset, path, name, a->ndim ? a->gshape[0] : 0, 0, 0, a, "load_hdf5");
    if (r <= 0) {
      status = r;
      goto done;
    }
  }
  ht_array *into = tmp ? tmp : a;
  status = select_block(fspace, &s, into) ? ht_h5_error("load_hdf5: cannot select in '%s'", name) : 0;
  if (ht_comm_agree(status)) goto done;
  hsize_t lcount[32];
  memcpy(lcount, s.count, sizeof lcount);
  if (into->split >= 0) lcount[s.faxis[into->split]] = (hsize_t)into->lshape[into->split];
  mspace = mem_space(s.fdim, lcount, ht_array_lsize(into));
  dxpl = transfer_dxpl(false);
  /* an empty dataset may have no storage at all: nothing to read */
  if (ht_array_gsize(into) > 0 && H5Dread(dset, mem, mspace, fspace, dxpl, ht_array_data(into)) < 0)
    status = ht_h5_error("load_hdf5: cannot read dataset '%s' from '%s'", name, path);
  if (!ht_comm_agree(status) && tmp) status = ht_copy_into(a, tmp);
  status = ht_comm_agree(status);
done:
  ht_array_free(tmp);
  if (status) ht_array_free(a), a = NULL;
  if (mem >= 0) H5Tclose(mem);
  if (mspace >= 0) H5Sclose(mspace);
  if (dxpl >= 0) H5Pclose(dxpl);
  H5Sclose(fspace), H5Tclose(ftype);
  return a;
}

ht_array *ht_load_hdf5(const char *path, const char *dataset, const ht_h5_load_opts *o) {
  if (ht_device_unsupported(o->device, "load_hdf5")) return NULL;
  hid_t f = ht_h5_open(path, H5F_ACC_RDONLY, "load_hdf5");
  if (f < 0) return NULL;
  hid_t dset = ht_h5_open_object(f, dataset, H5I_DATASET, path, "load_hdf5");
  ht_array *a = NULL;
  if (!ht_comm_agree(dset < 0 ? -1 : 0)) {
    a = read_dataset(f, dset, o, path, dataset);
    H5Dclose(dset);
  }
  if (ht_h5_close(f, path, "load_hdf5")) ht_array_free(a), a = NULL;
  return a;
}

/* ---- saving ---- */

/* About 1 MiB chunks: whole trailing axes, as many leading rows as fit. */
static void auto_chunks(const ht_array *a, hsize_t *chunk) {
  const int64_t target = (int64_t)1 << 20;
  int64_t bytes = (int64_t)ht_dtype_size(a->dtype);
  for (int d = 0; d < a->ndim; d++) chunk[d] = (hsize_t)a->gshape[d], bytes *= a->gshape[d];
  for (int d = 0; d < a->ndim && bytes > target; d++) {
    int64_t slice = bytes / (int64_t)chunk[d];
    int64_t keep = slice >= target ? 1 : target / slice;
    if (keep < (int64_t)chunk[d]) chunk[d] = (hsize_t)keep;
    bytes = slice * (int64_t)chunk[d];
  }
}

static hid_t create_plist(const ht_array *a, const ht_h5_save_opts *o, const char *name,
                          const char *fn) {
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  /* every element is written, so HDF5 need not write fill values first */
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  bool empty = ht_array_gsize(a) == 0;
  if ((o->nchunks == 0 && o->deflate < 0) || a->ndim == 0 || empty) return dcpl;
  hsize_t chunk[HT_MAXDIM];
  if (o->nchunks > 0) {
    char csh[160], ash[160];
    for (int d = 0; d < a->ndim; d++) {
      if (o->nchunks != a->ndim || o->chunks[d] < 1 || o->chunks[d] > a->gshape[d]) {
        H5Pclose(dcpl);
        return ht_error("%s: chunks %s do not fit dataset '%s' of shape %s (one positive "
                        "size per axis, at most the axis)", fn,
                        ht_fmt_shape(csh, sizeof csh, o->nchunks, o->chunks), name,
                        ht_fmt_shape(ash, sizeof ash, a->ndim, a->gshape)), -1;
      }
      chunk[d] = (hsize_t)o->chunks[d];
    }
  } else {
    auto_chunks(a, chunk);
  }
  H5Pset_chunk(dcpl, a->ndim, chunk);
  if (o->deflate >= 0) {
    if (o->shuffle) H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, (unsigned)o->deflate);
  }
  return dcpl;
}

/* Whether name (with any parent groups) exists. */
static int exists(hid_t f, const char *name) {
  char prefix[1024];
  size_t n = strlen(name);
  for (size_t i = 1; i <= n && i < sizeof prefix; i++) {
    if (name[i] != '/' && name[i] != 0) continue;
    snprintf(prefix, sizeof prefix, "%.*s", (int)i, name);
    if (H5Lexists(f, prefix, H5P_DEFAULT) <= 0) return H5Eclear2(H5E_DEFAULT), 0;
  }
  return 1;
}

static int write_dataset(hid_t f, const ht_h5_item *it, const ht_h5_save_opts *o,
                         const char *path, const char *fn) {
  const char *name = it->name;
  while (*name == '/') name++;
  if (exists(f, name))
    return ht_error("%s: '%s' already holds '%s' (mode \"w\" replaces the whole file)", fn,
                    path, name);
  ht_array *a = ht_contiguous(it->array);
  if (!a) return -1;
  int p = ht_comm_size(), me = ht_comm_rank(), status = 0;
  hsize_t gdims[HT_MAXDIM], start[HT_MAXDIM] = {0}, count[HT_MAXDIM];
  for (int d = 0; d < a->ndim; d++) gdims[d] = (hsize_t)a->gshape[d], count[d] = (hsize_t)a->lshape[d];
  const char *data = ht_array_data(a);
  int64_t n = ht_array_lsize(a);
  if (a->split >= 0) {
    start[a->split] = (hsize_t)ht_array_lstart(a);
  } else if (a->ndim > 0) { /* replicated: each rank writes its balanced share of axis 0 */
    int64_t cnt[p], displs[p], row = n / (a->gshape[0] ? a->gshape[0] : 1);
    ht_block_counts(a->gshape[0], p, cnt);
    ht_counts_to_displs(cnt, p, displs);
    start[0] = (hsize_t)displs[me], count[0] = (hsize_t)cnt[me];
    data += displs[me] * row * (int64_t)ht_dtype_size(a->dtype);
    n = cnt[me] * row;
  } else if (me != 0) {
    n = 0;
  }
  hid_t space = a->ndim ? H5Screate_simple(a->ndim, gdims, NULL) : H5Screate(H5S_SCALAR);
  hid_t dcpl = create_plist(a, o, name, fn), lcpl = H5Pcreate(H5P_LINK_CREATE);
  hid_t ftype = ht_h5_file_type(a->dtype), mtype = ht_h5_mem_type(a->dtype), dset = -1;
  H5Pset_create_intermediate_group(lcpl, 1);
  if (dcpl < 0) status = -1;
  else if ((dset = H5Dcreate2(f, name, ftype, space, lcpl, dcpl, H5P_DEFAULT)) < 0)
    status = ht_h5_error("%s: cannot create dataset '%s' in '%s'", fn, name, path);
  if (ht_comm_agree(status)) goto done;
  if (n == 0) H5Sselect_none(space);
  else if (a->ndim) H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t mspace = mem_space(a->ndim, count, n), dxpl = transfer_dxpl(o->deflate >= 0);
  /* an empty dataset has no storage to write to (every rank knows the global size) */
  if (ht_array_gsize(a) > 0 && H5Dwrite(dset, mtype, mspace, space, dxpl, data) < 0)
    status = ht_h5_error("%s: cannot write dataset '%s' to '%s'", fn, name, path);
  H5Sclose(mspace), H5Pclose(dxpl);
  if (ht_comm_agree(status)) goto done;
  status = ht_comm_agree(ht_h5_write_attrs_on(dset, it->nattrs, it->attrs, fn));
done:
  if (dset >= 0) H5Dclose(dset);
  if (dcpl >= 0) H5Pclose(dcpl);
  H5Pclose(lcpl), H5Sclose(space), H5Tclose(ftype), H5Tclose(mtype);
  ht_array_free(a);
  return status;
}

static int write_item(hid_t f, const ht_h5_item *it, const ht_h5_save_opts *o,
                      const char *path, const char *fn) {
  if (it->array) return write_dataset(f, it, o, path, fn);
  hid_t obj = ht_h5_open_object(f, it->name, H5I_BADID, path, fn);
  if (ht_comm_agree(obj < 0 ? -1 : 0)) return -1;
  int status = ht_comm_agree(ht_h5_write_attrs_on(obj, it->nattrs, it->attrs, fn));
  H5Oclose(obj);
  return status;
}

/* Checks that depend only on the arguments, before anything touches the disk. */
static int check_items(int n, const ht_h5_item *items, const ht_h5_save_opts *o,
                       const char *fn) {
  if (o->deflate < -1 || o->deflate > 9)
    return ht_error("%s: compression level must be 0..9, got %d", fn, o->deflate);
  if (o->deflate >= 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
    return ht_error("%s: this HDF5 library has no deflate (gzip) filter", fn);
  for (int i = 0; i < n; i++) {
    const char *a = items[i].name;
    while (*a == '/') a++;
    if (items[i].array && !*a) return ht_error("%s: a dataset needs a name", fn);
    if (items[i].array && ht_require_host(items[i].array, fn)) return -1;
    for (int j = 0; j < i; j++) {
      const char *b = items[j].name;
      while (*b == '/') b++;
      if (items[i].array && items[j].array && !strcmp(a, b))
        return ht_error("%s: dataset '%s' is given twice", fn, a);
    }
  }
  return 0;
}

int ht_h5_save(int n, const ht_h5_item *items, const char *path, const ht_h5_save_opts *o,
               const char *fn) {
  ht_save_mode m;
  ht_h5_quiet();
  if (ht_io_parse_mode(o->mode, true, fn, &m) || check_items(n, items, o, fn)) return -1;
  ht_io_target t;
  if (ht_io_begin(&t, path, m, o->atomic, fn)) return -1;
  t.sync = o->sync;
  hid_t f = -1;
  if (t.create) {
    hid_t fapl = ht_h5_fapl();
    f = H5Fcreate(t.work, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (ht_comm_agree(f < 0 ? ht_h5_error("%s: cannot create '%s'", fn, path) : 0))
      return ht_io_finish(&t, -1, fn);
  } else if ((f = ht_h5_open(t.work, H5F_ACC_RDWR, fn)) < 0) {
    /* name the user's file in the message, not our temporary copy */
    if (t.atomic) ht_error("%s: '%s' is not an HDF5 file that can be modified", fn, path);
    return ht_io_finish(&t, -1, fn);
  }
  int status = 0;
  for (int i = 0; i < n && !status; i++) status = write_item(f, &items[i], o, t.path, fn);
  if (ht_h5_close(f, t.path, fn)) status = -1;
  return ht_io_finish(&t, status, fn);
}

int ht_save_hdf5_items(int n, const ht_h5_item *items, const char *path,
                       const ht_h5_save_opts *o) {
  return ht_h5_save(n, items, path, o, "save_hdf5");
}

int ht_save_hdf5(const ht_array *a, const char *path, const char *dataset,
                 const ht_h5_save_opts *o) {
  ht_h5_item item = {a, dataset, 0, NULL};
  return ht_h5_save(1, &item, path, o, "save_hdf5");
}
