/* float64 references of the ops over the last dim: softmax, reductions,
 * argmax, top-k, LayerNorm and RMSNorm. */
#include <math.h>

#include "ref.h"

/* IEEE 754-2019 maximum: NaN wins (docs/numerics.md); fmax would drop it. */
static double max_nan(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

/* Ranking of argmax and top-k: NaN above every number, then by value;
 * 1 when x[c] ranks strictly before x[best] at a higher index c. */
static int later_better(double v, double best)
{
    return !isnan(best) && (isnan(v) || v > best);
}

void ref_softmax(const double *x, int64_t rows, int64_t m_rows, int64_t n, double scale, int causal,
                 double *out, double *mag)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        double *o = out + r * n;
        /* Bottom-right aligned mask: column c is visible from row i when
         * c <= i + (N - M). */
        int64_t visible = causal ? (r % m_rows) + (n - m_rows) + 1 : n;
        if (visible > n)
            visible = n;
        if (visible < 0)
            visible = 0;
        double mx = -INFINITY, sum = 0.0;
        for (int64_t c = 0; c < visible; c++)
            mx = max_nan(mx, scale * xr[c]);
        /* No finite logit and no NaN (every kept logit -inf): zeros. */
        if (mx == -INFINITY)
            visible = 0;
        for (int64_t c = 0; c < visible; c++)
            sum += exp(scale * xr[c] - mx);
        for (int64_t c = 0; c < n; c++) {
            o[c] = c < visible ? exp(scale * xr[c] - mx) / sum : 0.0;
            if (mag)
                mag[r * n + c] = o[c];
        }
    }
}

void ref_reduce(ts_reduce_op op, const double *x, int64_t rows, int64_t n, double *out, double *mag)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        double s = 0.0, sa = 0.0, mx = -INFINITY;
        for (int64_t c = 0; c < n; c++) {
            s += xr[c];
            sa += fabs(xr[c]);
            mx = max_nan(mx, xr[c]);
        }
        switch (op) {
        case TS_REDUCE_SUM:
            out[r] = s;
            break;
        case TS_REDUCE_MEAN:
            out[r] = s / (double)n;
            sa /= (double)n;
            break;
        case TS_REDUCE_MAX:
            out[r] = mx;
            sa = fabs(mx);
            break;
        }
        if (mag)
            mag[r] = sa;
    }
}

void ref_argmax(const double *x, int64_t rows, int64_t n, double *out)
{
    for (int64_t r = 0; r < rows; r++) {
        int64_t best = 0;
        for (int64_t c = 1; c < n; c++)
            if (later_better(x[r * n + c], x[r * n + best]))
                best = c;
        out[r] = (double)best;
    }
}

/* Selection by repeated scans: O(n k), obviously right; a strict > keeps
 * the lower index among equal values (NaNs too). */
void ref_topk(const double *x, int64_t rows, int64_t n, int64_t k, double *values, double *indices)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        for (int64_t j = 0; j < k; j++) {
            int64_t best = -1;
            for (int64_t c = 0; c < n; c++) {
                int taken = 0;
                for (int64_t q = 0; q < j && !taken; q++)
                    taken = (int64_t)indices[r * k + q] == c;
                if (!taken && (best < 0 || later_better(xr[c], xr[best])))
                    best = c;
            }
            values[r * k + j] = xr[best];
            indices[r * k + j] = (double)best;
        }
    }
}

void ref_layer_norm(const double *x, int64_t rows, int64_t n, const double *w, const double *b,
                    double eps, double stat_k, double *out, double *mag)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        double mean = 0.0, var = 0.0;
        for (int64_t c = 0; c < n; c++)
            mean += xr[c];
        mean /= (double)n;
        for (int64_t c = 0; c < n; c++)
            var += (xr[c] - mean) * (xr[c] - mean);
        var /= (double)n;
        double rstd = 1.0 / sqrt(var + eps);
        for (int64_t c = 0; c < n; c++) {
            double wc = w ? w[c] : 1.0, bc = b ? b[c] : 0.0;
            out[r * n + c] = (xr[c] - mean) * rstd * wc + bc;
            /* f32 statistics: the mean of a row far from zero (mean 1e4)
             * carries f32 roundings of |mean|, so x - mean is judged partly
             * on the scale of |x| + |mean|. */
            if (mag)
                mag[r * n + c] =
                    (fabs(xr[c] - mean) + stat_k * (fabs(xr[c]) + fabs(mean))) * rstd * fabs(wc) +
                    fabs(bc);
        }
    }
}

void ref_rms_norm(const double *x, int64_t rows, int64_t n, const double *w, double eps,
                  double *out, double *mag)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *xr = x + r * n;
        double ss = 0.0;
        for (int64_t c = 0; c < n; c++)
            ss += xr[c] * xr[c];
        double rstd = 1.0 / sqrt(ss / (double)n + eps);
        for (int64_t c = 0; c < n; c++) {
            double wc = w ? w[c] : 1.0;
            out[r * n + c] = xr[c] * rstd * wc;
            if (mag)
                mag[r * n + c] = fabs(xr[c]) * rstd * fabs(wc);
        }
    }
}
