/* Test data for the exact row folds (test_binned_rows.c, test_var_fused.c): a 64-bit LCG
 * and rows of eight kinds that stress the folds' guesses and fallbacks. */
#ifndef HT_TEST_ROW_VALUES_H
#define HT_TEST_ROW_VALUES_H

#include <math.h>
#include <stdint.h>

static uint64_t next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 11;
}

/* Row r of O rows of n terms, kind by r % 8: randn-like values, a wide exponent spread,
 * cancellation (x, -x pairs with a small rest), a row with specials, all-equal rows (squared
 * deviations of 0: zeros), 1e300 beside 1e-300, subnormals, values tied near the mean. */
static double value(uint64_t *s, int64_t r, int64_t k, int64_t n) {
  const double u = (double)next(s) / 9007199254740992.0 - 0.5; /* [-0.5, 0.5) */
  switch (r % 8) {
  case 0: return 3 * u;
  case 1: return ldexp(u, (int)(next(s) % 80) - 40);
  case 2: return k % 2 ? -ldexp(1.0 + 1e-3 * (double)(k / 2), 30) : ldexp(1.0 + 1e-3 * (double)(k / 2), 30) + u;
  case 3: {
    static const double sp[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 4.9e-324, 1.0, -2.5};
    return k == n / 2 ? sp[(r / 8) % 8] : u;
  }
  case 4: return 1.25;
  case 5: return k % 3 == 0 ? 1e300 : k % 3 == 1 ? 1e-300 : -1e300 * (1 + u * 1e-10);
  case 6: return ldexp(u, -1040); /* subnormals */
  default: return 1.0 + ldexp(u, -40);
  }
}

#endif
