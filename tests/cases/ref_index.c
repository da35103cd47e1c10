/* float64 references of the indexing ops: gather_rows, scatter_add_rows,
 * concat. */
#include <math.h>

#include "ref.h"

void ref_gather_rows(const double *table, int64_t v, int64_t d, const double *idx, int64_t n,
                     double *out)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t row = (int64_t)idx[i];
        for (int64_t c = 0; c < d; c++)
            out[i * d + c] = row >= 0 && row < v ? table[row * d + c] : 0.0;
    }
}

/* The op adds in index order into an f32 accumulator (ops.h), so a
 * partial sum past f32's range is ±inf from there on (and meets an
 * opposite inf as NaN), even where the exact total is back in range. The
 * smallest magnitude f32 rounds to inf is FLT_MAX + half its ulp
 * (2^128 - 2^103); below that the float64 partial is kept as is. */
static double f32_partial(double s)
{
    return fabs(s) >= 0x1.ffffffp127 ? copysign(INFINITY, s) : s;
}

void ref_scatter_add_rows(const double *dst, int64_t v, int64_t d, const double *idx,
                          const double *src, int64_t n, double *out, double *mag)
{
    for (int64_t i = 0; i < v * d; i++) {
        out[i] = dst[i];
        if (mag)
            mag[i] = fabs(dst[i]);
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t row = (int64_t)idx[i];
        if (row < 0 || row >= v)
            continue;
        for (int64_t c = 0; c < d; c++) {
            out[row * d + c] = f32_partial(out[row * d + c] + src[i * d + c]);
            if (mag)
                mag[row * d + c] += fabs(src[i * d + c]);
        }
    }
}

void ref_concat(const double *const *inputs, const int64_t (*shapes4)[4], int count, int dim4,
                double *out)
{
    /* out viewed as [outer, total, inner] around dim4. */
    int64_t outer = 1, inner = 1, total = 0;
    for (int d = 0; d < dim4; d++)
        outer *= shapes4[0][d];
    for (int d = dim4 + 1; d < 4; d++)
        inner *= shapes4[0][d];
    for (int i = 0; i < count; i++)
        total += shapes4[i][dim4];
    int64_t base = 0;
    for (int i = 0; i < count; i++) {
        int64_t len = shapes4[i][dim4];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < len; j++)
                for (int64_t q = 0; q < inner; q++)
                    out[(o * total + base + j) * inner + q] = inputs[i][(o * len + j) * inner + q];
        base += len;
    }
}
