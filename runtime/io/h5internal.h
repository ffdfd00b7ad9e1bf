/* HDF5 helpers shared by runtime/io/hdf5.c (datasets) and runtime/io/hdf5_meta.c (types,
 * lookups, attributes, listings). Internal to runtime/io/. */
#ifndef HT_H5INTERNAL_H
#define HT_H5INTERNAL_H

#include <hdf5.h>

#include "io.h"

/* Silences HDF5's own error printing (we report through ht_error); idempotent. */
void ht_h5_quiet(void);
/* ht_error(fmt...) with HDF5's most specific message appended; returns -1. */
int ht_h5_error(const char *fmt, ...) HT_PRINTF(1, 2);

/* File access on ht_comm() through MPI-IO, metadata read once and broadcast. */
hid_t ht_h5_fapl(void);
/* Collective open of an existing HDF5 file (checks: readable, HDF5); agreed. */
hid_t ht_h5_open(const char *path, unsigned flags, const char *fn);
/* Collective close; agreed. */
int ht_h5_close(hid_t file, const char *path, const char *fn);

/* h5py stores bool as an int8 enum {FALSE = 0, TRUE = 1}; we read and write the same. */
hid_t ht_h5_bool_type(void);
/* Memory and file types of a dtype (caller closes both). File types are little-endian. */
hid_t ht_h5_mem_type(ht_dtype t);
hid_t ht_h5_file_type(ht_dtype t);
/* The name of an HDF5 type as we list it ("float32", "uint32", "string", "compound"...);
 * returns 0 and sets *t when it is one of our dtypes, 1 when it is another number HDF5
 * can convert, -1 when it is no number at all. */
int ht_h5_describe_type(hid_t type, char *name, size_t size, ht_dtype *t);

/* Opens the object at name ("" or "/": the root group); errors name what is missing and
 * what the parent holds. expect: H5I_DATASET, H5I_GROUP or H5I_BADID (either). */
hid_t ht_h5_open_object(hid_t file, const char *name, H5I_type_t expect, const char *path,
                        const char *fn);

/* Reads dataset d straight with pread (runtime/io/hdf5_fused.c) when its layout allows:
 * contiguous, unfiltered, stored in full, file type == a's memory type, no user block; a
 * not 0-D. Dataset rows [0, used) become a's global rows [off, off + used), their items
 * columns [c0, ...) of a's rows; a split along axis k > 0 (off = c0 = 0, d of a's rank)
 * takes each rank's block of axis k from every row. Collective. Returns 1 on
 * every rank when HDF5 must read it instead (a decision made from metadata only), else the
 * agreed status of the read. */
int ht_h5_pread_rows(hid_t f, hid_t d, const char *path, const char *name, int64_t used,
                     int64_t off, int64_t c0, ht_array *a, const char *fn);

/* ht_save_hdf5_items with the function name its messages start with. */
int ht_h5_save(int n, const ht_h5_item *items, const char *path, const ht_h5_save_opts *o,
               const char *fn);

/* Writes (replacing) attributes on an open object; collective with identical arguments. */
int ht_h5_write_attrs_on(hid_t obj, int n, const ht_io_attr *attrs, const char *fn);

#endif
