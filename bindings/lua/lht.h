/* The binding layer's shared helpers: array userdata, argument checking, options tables.
 * Every binding file registers its functions through lht_open_* (see module.c). */
#ifndef LHT_H
#define LHT_H

#include <lauxlib.h>
#include <lua.h>

#include "../../runtime/array.h"
#include "../../runtime/ops.h"

#define LHT_ARRAY "heat.Array"

/* ---- array userdata (array.c) ---- */
/* pend: a deferred elementwise result whose buffer is not computed yet (fuse.c). */
typedef struct lht_udata {
  ht_array *a;
  struct lht_pending *pend;
} lht_udata;
/* Pushes a new userdata owning a; if a is NULL raises the runtime's error (lht_raise). */
void lht_pusharray(lua_State *L, ht_array *a);
ht_array *lht_toarray(lua_State *L, int idx);     /* NULL if not an array */
ht_array *lht_checkarray(lua_State *L, int idx);  /* argument error if not */
/* The array at idx without computing a deferred one (its header: metadata only, buf NULL
 * while pending); *u gets the userdata when u is not NULL. NULL if not an array. */
ht_array *lht_peekarray(lua_State *L, int idx, lht_udata **u);
/* Raises ht_errmsg() as a Lua error, prefixed "ht." (runtime messages start with the
 * function name: "add: shapes (3,) and (4,) cannot be broadcast"). */
int lht_raise(lua_State *L);
/* Pushes the methods table (what x:name(...) finds); add Lua-visible methods to it. */
void lht_push_methods(lua_State *L);
void lht_register_methods(lua_State *L, const luaL_Reg *fns);
/* A binding entry that says where it goes: LHT_FN as a field of the heat.core table on
 * top of the stack (ht.name(x, ...)), LHT_METHOD in the methods table (x:name(...)). */
enum { LHT_FN = 1, LHT_METHOD = 2 };
typedef struct lht_reg {
  const char *name;
  lua_CFunction func;
  int where;
} lht_reg;
void lht_register(lua_State *L, const lht_reg *regs);
/* Pushes the array metatable (operators live here). */
void lht_push_metatable(lua_State *L);

/* Converts the value at idx into an array operand: an array is returned as is (*owned =
 * 0); a number or boolean becomes a 0-d array whose dtype follows NEP 50 next to `other`
 * (pass HT_NDTYPES when there is no other operand); a nested table becomes an array like
 * ht.array. New arrays set *owned = 1 and must be freed with ht_array_free. `fn` names the
 * function in error messages. */
ht_array *lht_operand(lua_State *L, int idx, ht_dtype other, const char *fn, int *owned);
/* ht.array's conversion of a nested Lua table (or number) at idx. dtype HT_NDTYPES: infer
 * (all integral -> int64, else float32 as Heat; booleans -> bool). */
ht_array *lht_from_table(lua_State *L, int idx, ht_dtype dtype, int split, ht_device dev,
                         const char *fn);

/* The index expression of the Lua key at k (indexing.c), for array a (NULL: no array,
 * as for load_hdf5's slices). */
struct ht_index;
void lht_read_index(lua_State *L, int k, const ht_array *a, struct ht_index *ix, const char *fn);

/* ---- arguments and options tables (args.c) ---- */
/* The trailing options table: returns its index, or 0 if the argument at idx is not a
 * plain table (an options table is a table whose keys are all strings). */
int lht_opts(lua_State *L, int idx);
int lht_is_opts(lua_State *L, int idx);
/* Unknown option names are errors: a typo must not silently change a result. `known` is a
 * NULL-terminated list; the message names fn, the bad key and the valid ones. */
void lht_check_keys(lua_State *L, int opts, const char *fn, const char *const *known);
/* The last argument, at idx: an options table whose keys are checked, or a dtype string
 * (NumPy's positional dtype; becomes {dtype = s} when `known` has dtype), or nothing.
 * Arguments past idx are errors, never ignored. Returns the table's index or 0. */
int lht_check_opts(lua_State *L, int idx, const char *fn, const char *const *known);
/* Field readers; opts may be 0 (no table). They raise errors naming fn. */
ht_dtype lht_opt_dtype(lua_State *L, int opts, const char *fn, ht_dtype def);
/* split field: nil -> -1, negative counts from the end, out of range -> error. */
int lht_opt_split(lua_State *L, int opts, const char *fn, int ndim, int def);
ht_device lht_opt_device(lua_State *L, int opts, const char *fn);
int lht_opt_bool(lua_State *L, int opts, const char *field, int def);
double lht_opt_number(lua_State *L, int opts, const char *field, double def);
int64_t lht_opt_int(lua_State *L, int opts, const char *field, const char *fn, int64_t def);
/* The string stays alive in the options table. */
const char *lht_opt_string(lua_State *L, int opts, const char *field, const char *fn,
                           const char *def);
/* Pushes opts[field] and returns 1, or pushes nothing and returns 0 when it is nil. */
int lht_opt_field(lua_State *L, int opts, const char *field);
/* NumPy's out= option: pushes opts.out and returns its index (an error if it is not an
 * array), or pushes nothing and returns 0. */
int lht_opt_out(lua_State *L, int opts, const char *fn);
/* Reads a dtype given as a string ("float32") at idx. */
ht_dtype lht_check_dtype(lua_State *L, int idx, const char *fn);
/* A shape: a number, or a table of numbers; each a non-negative integer. Returns ndim. */
int lht_check_shape(lua_State *L, int idx, const char *fn, int64_t *shape);
/* An integer argument (integral, |i| <= 2^53), else an error naming fn and what. */
int64_t lht_check_int(lua_State *L, int idx, const char *fn, const char *what);
int64_t lht_to_int(lua_State *L, double v, const char *fn, const char *what);
/* lht_operand for argument idx: a converted value replaces its stack slot with the new
 * array's userdata, so the GC owns it even if a later argument raises. */
ht_array *lht_arg_operand(lua_State *L, int idx, ht_dtype other, const char *fn);
/* An axis for an array of ndim dims: negative counts from the end. */
int lht_check_axis(lua_State *L, int idx, const char *fn, int ndim);
int lht_norm_axis(lua_State *L, int64_t axis, const char *fn, int ndim);

/* ---- the module's parts, each in its own file, called by luaopen_heat_core ---- */
void lht_open_array(lua_State *L);        /* array.c: properties, totable, item, resplit... */
void lht_open_elementwise(lua_State *L);  /* elementwise.c */
void lht_open_reduce(lua_State *L);       /* reduce.c */
void lht_open_factories(lua_State *L);    /* factories.c: also the `random` subtable */
void lht_open_io(lua_State *L);           /* io.c: load_*, save_*, the `io` subtable */
void lht_open_indexing(lua_State *L);     /* indexing.c: methods __getitem, __setitem */
void lht_open_manipulation(lua_State *L); /* manipulation.c: reshape, concatenate, sort... */
void lht_open_linalg(lua_State *L);       /* linalg.c: matmul, dot, norms... */
void lht_open_decomp(lua_State *L);       /* decomp.c: _qr, _svd, _eigh, _hsvd, solvers */
void lht_open_spatial(lua_State *L);      /* spatial.c: distances and k-means kernels */
void lht_open_ml(lua_State *L);           /* ml.c: the estimators' column statistics */
void lht_open_check(lua_State *L);        /* check.c: call sites for collective checking */
void lht_open_fuse(lua_State *L);         /* fuse.c: deferred elementwise producers */
/* fuse.c: the elementwise calls defer or fuse (1: result pushed, 0: go eager); every other
 * entry settles first (the trampolines lht_fuse_wrap puts around the module's C functions,
 * except the exempt ones, which call lht_fuse_settle themselves); lht_toarray reads. */
int lht_fuse_binary(lua_State *L, ht_binop op);
int lht_fuse_unary(lua_State *L, ht_unop op);
void lht_fuse_settle(lua_State *L, int writes);
void lht_fuse_read(lua_State *L, lht_udata *u);
void lht_fuse_gc(lua_State *L, lht_udata *u);
void lht_fuse_exempt(lua_CFunction f);
void lht_fuse_wrap(lua_State *L, int core);
/* A lua_CFunction: runs the functions registered with core.atexit, in order (module.c). */
int lht_run_atexit(lua_State *L);
/* Each lht_open_* is called with the heat.core module table on top of the stack and
 * sets its functions as fields there; methods go in through lht_register_methods. */

#endif
