/* Parallel I/O of distributed arrays: HDF5 (and NetCDF-4, which is HDF5), CSV and NumPy's
 * .npy. Every function is collective; failures are agreed on, so every rank returns the
 * same error together, and saves go through a temporary file renamed at the end. */
#ifndef HT_IO_H
#define HT_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "array.h"
#include "indexing.h"

/* `split` argument meaning "replicated on every rank" (negative splits count from the end,
 * so -1 cannot say it). */
#define HT_IO_NOSPLIT INT32_MIN

/* ---- attributes (runtime/io/hdf5_meta.c) ---- */
typedef enum { HT_ATTR_INT, HT_ATTR_FLOAT, HT_ATTR_BOOL, HT_ATTR_STRING } ht_attr_kind;

/* One attribute: a scalar or a 1-D list of numbers, or one string. */
typedef struct ht_io_attr {
  char *name;
  ht_attr_kind kind;
  bool scalar;        /* a single value (HDF5 scalar dataspace), else a list of n */
  int64_t n;
  double *num;        /* HT_ATTR_INT/FLOAT/BOOL: n values */
  char *str;          /* HT_ATTR_STRING */
} ht_io_attr;

void ht_io_attrs_free(int n, ht_io_attr *attrs);
/* Reads every attribute of `object` ("/" is the root group) in name order. */
int ht_hdf5_read_attrs(const char *path, const char *object, int *n, ht_io_attr **attrs);
/* Creates or replaces attributes of an existing object; atomic as the saves are. */
int ht_hdf5_write_attrs(const char *path, const char *object, int n, const ht_io_attr *attrs,
                        bool atomic);

/* What a file holds (ht.io.hdf5_info): every group and dataset, in name order. */
typedef struct ht_h5_object {
  char *name;                 /* path without the leading '/'; "" is the root group */
  bool is_dataset;
  int ndim;
  int64_t shape[32];          /* HDF5 allows 32 dimensions, we load at most HT_MAXDIM */
  char dtype[24];             /* "float32", ..., or the HDF5 class: "string", "compound" */
  bool chunked;
  int64_t chunks[32];
  int deflate;                /* gzip level, -1 when not compressed */
  int nattrs;
  ht_io_attr *attrs;
} ht_h5_object;

typedef struct ht_h5_info {
  int n;
  ht_h5_object *objects;
} ht_h5_info;

int ht_hdf5_info(const char *path, ht_h5_info *out);
void ht_hdf5_info_free(ht_h5_info *info);

/* ---- HDF5 datasets (runtime/io/hdf5.c) ---- */
typedef struct ht_h5_load_opts {
  ht_dtype dtype;           /* of the result; HDF5 converts while reading */
  int split;                /* of the result (after slicing); HT_IO_NOSPLIT: replicated */
  ht_device device;
  /* the hyperslab, on the leading axes (the rest are whole), built with indexing.h: an
   * integer drops its axis, a slice start:stop:step (step > 0, NumPy's negative bounds) keeps
   * it; bounds past the axis are errors, not clipped; other kinds of item are errors */
  ht_index slices;
  double load_fraction;     /* (0, 1]: keep the first fraction of rows along split */
} ht_h5_load_opts;

void ht_h5_load_opts_init(ht_h5_load_opts *o); /* float32 (Heat's default), replicated */
ht_array *ht_load_hdf5(const char *path, const char *dataset, const ht_h5_load_opts *o);
/* Fused load (runtime/io/hdf5_fused.c): the 1-D or 2-D datasets `names` of every file,
 * side by side as columns (equal rows within a file) and the files one after another as
 * rows (equal columns), read straight into one array; split 0 or replicated. */
ht_array *ht_load_hdf5_fused(int nfiles, const char *const *paths, int nsets,
                             const char *const *names, const ht_h5_load_opts *o);

typedef struct ht_h5_save_opts {
  const char *mode;         /* "w" replace, "w-"/"x" new only, "a" add (create if
                               missing), "r+" add to an existing file */
  int deflate;              /* gzip level 0..9, -1: no compression */
  bool shuffle;             /* the shuffle filter before deflate */
  int nchunks;              /* given chunk sizes, or 0: contiguous (automatic chunks when
                               compressing), or -1: automatic chunks */
  int64_t chunks[HT_MAXDIM];
  bool atomic;              /* write a temporary copy, rename when every rank is done */
  bool sync;                /* fsync before the rename: durable against power loss too */
} ht_h5_save_opts;

void ht_h5_save_opts_init(ht_h5_save_opts *o); /* mode "w", no compression, atomic */

/* One dataset of a save: array NULL only sets attributes on an existing object. */
typedef struct ht_h5_item {
  const ht_array *array;
  const char *name;
  int nattrs;
  const ht_io_attr *attrs;
} ht_h5_item;

int ht_save_hdf5(const ht_array *a, const char *path, const char *dataset,
                 const ht_h5_save_opts *o);
/* Several datasets (and attributes) in one file, committed together. */
int ht_save_hdf5_items(int n, const ht_h5_item *items, const char *path,
                       const ht_h5_save_opts *o);

/* ---- CSV (runtime/io/csv.c) ---- */
typedef struct ht_csv_load_opts {
  char sep;
  int64_t header_lines;     /* lines skipped at the top */
  ht_dtype dtype;
  int split;                /* 0, 1 or HT_IO_NOSPLIT */
  ht_device device;
} ht_csv_load_opts;

void ht_csv_load_opts_init(ht_csv_load_opts *o); /* ",", no header, float32, split 0 */
/* A 2-D array (rows, columns); blank lines are skipped. */
ht_array *ht_load_csv(const char *path, const ht_csv_load_opts *o);

typedef struct ht_csv_save_opts {
  char sep;
  const char *header;       /* written first, a newline added; NULL: none */
  int decimals;             /* -1: shortest text that reads back to the same value */
  const char *mode;         /* "w" replace, "w-"/"x" new only */
  bool sync;                /* fsync the file and its folder before returning */
} ht_csv_save_opts;

void ht_csv_save_opts_init(ht_csv_save_opts *o);
/* 0-d, 1-d (one value per line) or 2-d arrays; rows in order from every rank. */
int ht_save_csv(const ht_array *a, const char *path, const ht_csv_save_opts *o);

/* ---- NumPy .npy (runtime/io/npy.c) ---- */
/* dtype HT_NDTYPES keeps the file's; split HT_IO_NOSPLIT: replicated. */
ht_array *ht_load_npy(const char *path, ht_dtype dtype, int split, ht_device dev);
/* mode "w" replace, "w-"/"x" new only; sync: fsync the file and its folder before
 * returning (as save_hdf5's sync). */
int ht_save_npy(const ht_array *a, const char *path, const char *mode, bool sync);

#endif
