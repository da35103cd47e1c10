/* float64 references of the MoE building blocks (include/tessel/ops.h):
 * ts_grouped_matmul, ts_moe_place, ts_moe_combine, as plain loops from
 * their definitions. Integer arrays travel as doubles, as the harness
 * holds every input's logical values. */
#include <math.h>

#include "ref.h"

void ref_grouped_matmul(const double *x, int64_t r, int64_t k, const double *w, int64_t e,
                        int64_t n, const double *offsets, const double *bias, double *out,
                        double *mag)
{
    /* Rows past the last group, and any row no group claims, are zero. */
    for (int64_t i = 0; i < r * n; i++) {
        out[i] = 0.0;
        mag[i] = 0.0;
    }
    int64_t lo = 0; /* offsets[0] counts as 0; each offset clamped to [lo, R] */
    for (int64_t g = 0; g < e; g++) {
        int64_t hi = (int64_t)offsets[g + 1];
        hi = hi < lo ? lo : hi > r ? r : hi;
        for (int64_t row = lo; row < hi; row++)
            for (int64_t c = 0; c < n; c++) {
                double s = bias ? bias[g * n + c] : 0.0, sa = fabs(s);
                for (int64_t j = 0; j < k; j++) {
                    double p = x[row * k + j] * w[(g * k + j) * n + c];
                    s += p;
                    sa += fabs(p);
                }
                out[row * n + c] = s;
                mag[row * n + c] = sa;
            }
        lo = hi;
    }
}

void ref_moe_place(const double *expert, int64_t t, int64_t k, int64_t e, int64_t capacity,
                   int64_t r, double *rows, double *stats, double *row_token)
{
    /* Positions in claim order (choice-major), then offsets, then rows. */
    double *count = stats + e + 1; /* scratch until the offsets are known */
    for (int64_t i = 0; i < 2 * e + 2; i++)
        stats[i] = 0.0;
    for (int64_t c = 0; c < k; c++)
        for (int64_t tok = 0; tok < t; tok++) {
            int64_t ex = (int64_t)expert[tok * k + c];
            double pos = -1.0;
            if (ex >= 0 && ex < e) {
                pos = count[ex];
                count[ex] += 1.0;
                if (capacity >= 0 && pos >= (double)capacity)
                    pos = -1.0;
            }
            rows[tok * k + c] = pos;
        }
    stats[0] = 0.0;
    for (int64_t g = 0; g < e; g++) {
        double kept = capacity >= 0 && count[g] > (double)capacity ? (double)capacity : count[g];
        stats[g + 1] = stats[g] + kept;
    }
    for (int64_t i = 0; i < r; i++)
        row_token[i] = -1.0;
    for (int64_t g = 0; g < e; g++)
        stats[e + 1 + g] = 0.0;
    double dropped = 0.0;
    for (int64_t tok = 0; tok < t; tok++)
        for (int64_t c = 0; c < k; c++) {
            int64_t ex = (int64_t)expert[tok * k + c];
            if (c == 0 && ex >= 0 && ex < e)
                stats[e + 1 + ex] += 1.0;
            double *rw = &rows[tok * k + c];
            if (*rw < 0) {
                dropped += 1.0;
                continue;
            }
            *rw += stats[ex];
            row_token[(int64_t)*rw] = (double)tok;
        }
    stats[2 * e + 1] = dropped;
}

void ref_moe_combine(const double *h, int64_t r, int64_t d, const double *rows,
                     const double *gates, int64_t t, int64_t k, double *out, double *mag)
{
    for (int64_t tok = 0; tok < t; tok++)
        for (int64_t col = 0; col < d; col++) {
            double s = 0.0, sa = 0.0;
            for (int64_t c = 0; c < k; c++) {
                int64_t row = (int64_t)rows[tok * k + c];
                if (row < 0 || row >= r)
                    continue;
                double p = gates[tok * k + c] * h[row * d + col];
                s += p;
                sa += fabs(p);
            }
            out[tok * d + col] = s;
            mag[tok * d + col] = sa;
        }
}
