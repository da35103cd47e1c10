/* The shape classes tessel-tune times, and their float64 references.
 * Inputs are deterministic random values in [-1, 1), rounded to the
 * case's dtype before the reference sees them, so the reference computes
 * exactly what the device was given; a candidate passes when every output
 * is within a tolerance scaled by the sum of absolute terms behind it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "tune.h"

enum { OP_MATMUL, OP_GROUPED, OP_ATTENTION, OP_RMSNORM, OP_LAYERNORM, OP_SOFTMAX, OP_FFTCONV };

/* d[] per op:
 *   matmul          M K N          grouped_matmul  R K N E
 *   attention       H L D (variant 1: causal)
 *   norm, softmax   rows width
 *   fftconv         C L K (variant: ts_fftconv_path) */
const tune_case tune_cases[] = {
    {"matmul", "f32.small", "gemm", true, TS_F32, {128, 128, 128}, 0},
    {"matmul", "f32.large", "gemm", true, TS_F32, {512, 512, 512}, 0},
    {"matmul", "f32.skinny", "gemm", true, TS_F32, {8, 1024, 1024}, 0},
    {"matmul", "f32.1024", "gemm", false, TS_F32, {1024, 1024, 1024}, 0},
    /* 16-bit operands: their own tiles (gemm16.*). */
    {"matmul", "f16.small", "gemm16", false, TS_F16, {128, 128, 128}, 0},
    {"matmul", "f16.large", "gemm16", true, TS_F16, {512, 512, 512}, 0},
    {"matmul", "bf16.large", "gemm16", true, TS_BF16, {512, 512, 512}, 0},
    {"matmul", "f16.1024", "gemm16", false, TS_F16, {1024, 1024, 1024}, 0},
    /* CLBlast's GEMM (OpenCL): its own Xgemm parameters. */
    {"matmul", "clblast.f32.512", "clblast", true, TS_F32, {512, 512, 512}, 0},
    {"matmul", "clblast.f32.1024", "clblast", false, TS_F32, {1024, 1024, 1024}, 0},
    {"grouped_matmul", "f32.e4", "gemm", true, TS_F32, {256, 256, 256, 4}, 0},
    {"attention", "f32.d64.causal", "attention", true, TS_F32, {2, 256, 64}, 1},
    {"attention", "f32.d128", "attention", true, TS_F32, {2, 256, 128}, 0},
    {"attention", "f32.d64.l1024", "attention", false, TS_F32, {2, 1024, 64}, 1},
    /* Long full rows: the shape a tile tuned on short causal ones can lose. */
    {"attention", "f32.d64.l1024.full", "attention", true, TS_F32, {2, 1024, 64}, 0},
    {"norm", "rms.1024", "rows", true, TS_F32, {256, 1024}, OP_RMSNORM},
    {"norm", "layer.8192", "rows", true, TS_F32, {32, 8192}, OP_LAYERNORM},
    {"softmax", "rows.1024", "rows", true, TS_F32, {512, 1024}, 0},
    {"softmax", "rows.32768", "rows", false, TS_F32, {16, 32768}, 0},
    /* Crossover pairs: the same shape through both paths. */
    {"fftconv", "k16.direct", "fftconv", true, TS_F32, {8, 8192, 16}, TS_FFTCONV_DIRECT},
    {"fftconv", "k16.fft", "fftconv", true, TS_F32, {8, 8192, 16}, TS_FFTCONV_FFT},
    {"fftconv", "k64.direct", "fftconv", true, TS_F32, {8, 8192, 64}, TS_FFTCONV_DIRECT},
    {"fftconv", "k64.fft", "fftconv", true, TS_F32, {8, 8192, 64}, TS_FFTCONV_FFT},
    {"fftconv", "k256.direct", "fftconv", true, TS_F32, {8, 8192, 256}, TS_FFTCONV_DIRECT},
    {"fftconv", "k256.fft", "fftconv", true, TS_F32, {8, 8192, 256}, TS_FFTCONV_FFT},
    {"fftconv", "k1024.direct", "fftconv", false, TS_F32, {8, 8192, 1024}, TS_FFTCONV_DIRECT},
    {"fftconv", "k1024.fft", "fftconv", false, TS_F32, {8, 8192, 1024}, TS_FFTCONV_FFT},
};
const int tune_case_count = (int)(sizeof tune_cases / sizeof tune_cases[0]);

struct tune_work {
    const tune_case *c;
    int op;
    ts_device *dev;
    ts_tensor *in[4], *out;
    float *host_out;
    double *ref, *bound; /* reference and the sum of |terms| behind it */
    int64_t n_out;
    double tol; /* relative to bound */
};

/* ---- host data ------------------------------------------------------------- */

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void fill(float *v, int64_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((double)(next(&s) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static bool is16(ts_dtype dt)
{
    return dt == TS_F16 || dt == TS_BF16;
}

/* f16 or bf16 bits of f and back (core/half.h: nearest-even, like the library). */
static uint16_t to16(ts_dtype dt, float f)
{
    return dt == TS_F16 ? tsi_f32_to_f16(f) : tsi_f32_to_bf16(f);
}

static float from16(ts_dtype dt, uint16_t h)
{
    return dt == TS_F16 ? tsi_f16_to_f32(h) : tsi_bf16_to_f32(h);
}

/* A tensor of the case's dtype holding v (rounded to that dtype in place). */
static ts_tensor *upload(tune_work *w, ts_dtype dt, int nd, const int64_t *shape, float *v,
                         int64_t n)
{
    ts_tensor *t = NULL;
    if (ts_tensor_create(w->dev, dt, nd, shape, &t) != TS_OK)
        return NULL;
    ts_status st;
    if (is16(dt)) {
        uint16_t *h = malloc((size_t)n * 2);
        if (!h) {
            ts_tensor_destroy(t);
            return NULL;
        }
        for (int64_t i = 0; i < n; i++) {
            h[i] = to16(dt, v[i]);
            v[i] = from16(dt, h[i]);
        }
        st = ts_tensor_write(t, h, (size_t)n * 2);
        free(h);
    } else {
        st = ts_tensor_write(t, v, (size_t)n * ts_dtype_size(dt));
    }
    if (st != TS_OK) {
        ts_tensor_destroy(t);
        return NULL;
    }
    return t;
}

/* ---- references ------------------------------------------------------------ */

static void ref_matmul(tune_work *w, const float *a, const float *b, int64_t m, int64_t k,
                       int64_t n, int64_t row0, double *ref, double *bound)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0, abs_s = 0;
            for (int64_t p = 0; p < k; p++) {
                double t = (double)a[(row0 + i) * k + p] * (double)b[p * n + j];
                s += t;
                abs_s += fabs(t);
            }
            ref[(row0 + i) * n + j] = s;
            bound[(row0 + i) * n + j] = abs_s;
        }
    (void)w;
}

static void ref_attention(const float *q, const float *k, const float *v, int64_t h, int64_t l,
                          int64_t d, int causal, double *ref, double *bound)
{
    double scale = 1.0 / sqrt((double)d);
    double *p = malloc((size_t)l * sizeof *p);
    if (!p)
        return;
    for (int64_t hh = 0; hh < h; hh++)
        for (int64_t i = 0; i < l; i++) {
            const float *qi = q + (hh * l + i) * d;
            double mx = -INFINITY;
            int64_t last = causal ? i : l - 1;
            for (int64_t j = 0; j <= last; j++) {
                double s = 0;
                for (int64_t c = 0; c < d; c++)
                    s += (double)qi[c] * (double)k[(hh * l + j) * d + c];
                p[j] = s * scale;
                mx = p[j] > mx ? p[j] : mx;
            }
            double sum = 0;
            for (int64_t j = 0; j <= last; j++)
                sum += p[j] = exp(p[j] - mx);
            for (int64_t c = 0; c < d; c++) {
                double o = 0, abs_o = 0;
                for (int64_t j = 0; j <= last; j++) {
                    o += p[j] * (double)v[(hh * l + j) * d + c];
                    abs_o += p[j] * fabs((double)v[(hh * l + j) * d + c]);
                }
                ref[(hh * l + i) * d + c] = o / sum;
                bound[(hh * l + i) * d + c] = abs_o / sum + 1.0; /* + softmax's own error */
            }
        }
    free(p);
}

static void ref_rows(int op, const float *x, int64_t rows, int64_t n, double *ref, double *bound)
{
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        double mean = 0, sq = 0, mx = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            mean += xr[i];
            sq += (double)xr[i] * xr[i];
            mx = xr[i] > mx ? xr[i] : mx;
        }
        mean /= (double)n;
        double var = sq / (double)n - mean * mean, sum = 0;
        if (op == OP_SOFTMAX)
            for (int64_t i = 0; i < n; i++)
                sum += exp(xr[i] - mx);
        for (int64_t i = 0; i < n; i++) {
            double y;
            if (op == OP_RMSNORM)
                y = xr[i] / sqrt(sq / (double)n + 1e-5);
            else if (op == OP_LAYERNORM)
                y = (xr[i] - mean) / sqrt(var + 1e-5);
            else
                y = exp(xr[i] - mx) / sum;
            ref[r * n + i] = y;
            bound[r * n + i] = fabs(y) + (op == OP_SOFTMAX ? 1.0 / (double)n : 1.0);
        }
    }
}

/* The error scale of cases_fftconv.c: FFT rounding grows like log2(n)
 * and spreads over the row, so each output's scale is log2(n) times the
 * local sum |k||u| plus the row norms |k|_2 |u|_2 / sqrt(L). */
static void ref_fftconv(const float *u, const float *k, int64_t c, int64_t l, int64_t taps,
                        double *ref, double *bound)
{
    double log2n = log2(2.0 * (double)l);
    for (int64_t ch = 0; ch < c; ch++) {
        double ku = 0, uu = 0;
        for (int64_t j = 0; j < taps; j++)
            ku += (double)k[ch * taps + j] * k[ch * taps + j];
        for (int64_t t = 0; t < l; t++)
            uu += (double)u[ch * l + t] * u[ch * l + t];
        double spread = sqrt(ku * uu / (double)l);
        for (int64_t t = 0; t < l; t++) {
            double s = 0, a = 0;
            for (int64_t j = 0; j < taps && j <= t; j++) {
                double term = (double)k[ch * taps + j] * (double)u[ch * l + t - j];
                s += term;
                a += fabs(term);
            }
            ref[ch * l + t] = s;
            bound[ch * l + t] = log2n * a + spread;
        }
    }
}

/* ---- cases ------------------------------------------------------------------ */

static int op_of(const tune_case *c)
{
    if (strcmp(c->op, "matmul") == 0)
        return OP_MATMUL;
    if (strcmp(c->op, "grouped_matmul") == 0)
        return OP_GROUPED;
    if (strcmp(c->op, "attention") == 0)
        return OP_ATTENTION;
    if (strcmp(c->op, "norm") == 0)
        return c->variant;
    if (strcmp(c->op, "softmax") == 0)
        return OP_SOFTMAX;
    return OP_FFTCONV;
}

/* Host inputs of up to 3 operands; the reference arrays; the output. */
static bool setup(tune_work *w, float **h, const int64_t *sizes, int count)
{
    for (int i = 0; i < count; i++) {
        h[i] = malloc((size_t)sizes[i] * sizeof(float));
        if (!h[i])
            return false;
        fill(h[i], sizes[i], (uint64_t)(i + 1) * 7919u + (uint64_t)w->c->d[0]);
    }
    w->ref = malloc((size_t)w->n_out * sizeof(double));
    w->bound = malloc((size_t)w->n_out * sizeof(double));
    w->host_out = malloc((size_t)w->n_out * sizeof(float));
    return w->ref && w->bound && w->host_out;
}

static bool build(tune_work *w, float **h)
{
    const tune_case *c = w->c;
    const int64_t *d = c->d;
    ts_dtype dt = c->dtype;
    /* 16-bit: inputs are exact, the output is rounded once (bf16 keeps 8
     * significant bits, f16 11), and the kernels accumulate in f32. */
    w->tol = dt == TS_BF16 ? 8e-3 : dt == TS_F16 ? 2e-3 : 1e-4;
    switch (w->op) {
    case OP_MATMUL: {
        int64_t sa[2] = {d[0], d[1]}, sb[2] = {d[1], d[2]}, so[2] = {d[0], d[2]};
        int64_t sizes[2] = {d[0] * d[1], d[1] * d[2]};
        w->n_out = d[0] * d[2];
        if (!setup(w, h, sizes, 2) || !(w->in[0] = upload(w, dt, 2, sa, h[0], sizes[0])) ||
            !(w->in[1] = upload(w, dt, 2, sb, h[1], sizes[1])) ||
            ts_tensor_create(w->dev, dt, 2, so, &w->out) != TS_OK)
            return false;
        ref_matmul(w, h[0], h[1], d[0], d[1], d[2], 0, w->ref, w->bound);
        return true;
    }
    case OP_GROUPED: {
        int64_t r = d[0], k = d[1], n = d[2], e = d[3];
        int64_t sx[2] = {r, k}, sw[3] = {e, k, n}, so[2] = {r, n}, soff[1] = {e + 1};
        int64_t sizes[2] = {r * k, e * k * n};
        w->n_out = r * n;
        if (!setup(w, h, sizes, 2) || !(w->in[0] = upload(w, dt, 2, sx, h[0], sizes[0])) ||
            !(w->in[1] = upload(w, dt, 3, sw, h[1], sizes[1])) ||
            ts_tensor_create(w->dev, TS_I32, 1, soff, &w->in[2]) != TS_OK ||
            ts_tensor_create(w->dev, dt, 2, so, &w->out) != TS_OK)
            return false;
        int32_t off[17];
        for (int64_t g = 0; g <= e && g < 17; g++)
            off[g] = (int32_t)(r * g / e);
        if (ts_tensor_write(w->in[2], off, (size_t)(e + 1) * sizeof(int32_t)) != TS_OK)
            return false;
        for (int64_t g = 0; g < e; g++)
            ref_matmul(w, h[0], h[1] + g * k * n, off[g + 1] - off[g], k, n, off[g], w->ref,
                       w->bound);
        return true;
    }
    case OP_ATTENTION: {
        int64_t shape[4] = {1, d[0], d[1], d[2]}, n = d[0] * d[1] * d[2];
        int64_t sizes[3] = {n, n, n};
        w->n_out = n;
        if (!setup(w, h, sizes, 3))
            return false;
        for (int i = 0; i < 3; i++)
            if (!(w->in[i] = upload(w, dt, 4, shape, h[i], n)))
                return false;
        if (ts_tensor_create(w->dev, dt, 4, shape, &w->out) != TS_OK)
            return false;
        ref_attention(h[0], h[1], h[2], d[0], d[1], d[2], c->variant, w->ref, w->bound);
        return true;
    }
    case OP_FFTCONV: {
        int64_t su[2] = {d[0], d[1]}, sk[2] = {d[0], d[2]};
        int64_t sizes[2] = {d[0] * d[1], d[0] * d[2]};
        w->n_out = sizes[0];
        w->tol = 1e-5; /* of the log2(n)-scaled bound */
        if (!setup(w, h, sizes, 2) || !(w->in[0] = upload(w, dt, 2, su, h[0], sizes[0])) ||
            !(w->in[1] = upload(w, dt, 2, sk, h[1], sizes[1])) ||
            ts_tensor_create(w->dev, dt, 2, su, &w->out) != TS_OK)
            return false;
        ref_fftconv(h[0], h[1], d[0], d[1], d[2], w->ref, w->bound);
        return true;
    }
    default: { /* rows */
        int64_t shape[2] = {d[0], d[1]}, sizes[1] = {d[0] * d[1]};
        w->n_out = sizes[0];
        w->tol = 1e-4;
        if (!setup(w, h, sizes, 1) || !(w->in[0] = upload(w, dt, 2, shape, h[0], sizes[0])) ||
            ts_tensor_create(w->dev, dt, 2, shape, &w->out) != TS_OK)
            return false;
        ref_rows(w->op, h[0], d[0], d[1], w->ref, w->bound);
        return true;
    }
    }
}

tune_work *tune_work_create(const tune_case *c, ts_device *dev)
{
    tune_work *w = calloc(1, sizeof *w);
    float *h[3] = {NULL, NULL, NULL};
    if (!w)
        return NULL;
    w->c = c;
    w->dev = dev;
    w->op = op_of(c);
    bool ok = build(w, h);
    for (int i = 0; i < 3; i++)
        free(h[i]);
    if (!ok) {
        fprintf(stderr, "tessel-tune: %s %s: setup failed: %s\n", c->op, c->name,
                ts_last_error(NULL));
        tune_work_destroy(w);
        return NULL;
    }
    return w;
}

ts_status tune_work_run(tune_work *w)
{
    ts_status st;
    switch (w->op) {
    case OP_MATMUL:
        st = ts_matmul(w->in[0], w->in[1], w->out);
        break;
    case OP_GROUPED:
        st = ts_grouped_matmul(w->in[0], w->in[1], w->in[2], NULL, w->out);
        break;
    case OP_ATTENTION: {
        ts_attention_params p;
        ts_attention_params_init(&p);
        p.causal = w->c->variant;
        st = ts_attention(w->in[0], w->in[1], w->in[2], &p, w->out);
        break;
    }
    case OP_RMSNORM:
        st = ts_rms_norm(w->in[0], NULL, 1e-5f, w->out);
        break;
    case OP_LAYERNORM:
        st = ts_layer_norm(w->in[0], NULL, NULL, 1e-5f, w->out);
        break;
    case OP_SOFTMAX:
        st = ts_softmax(w->in[0], 1.0f, 0, w->out);
        break;
    default: {
        ts_fftconv_params p;
        ts_fftconv_params_init(&p);
        p.path = (ts_fftconv_path)w->c->variant;
        st = ts_fftconv(w->in[0], w->in[1], &p, w->out);
        break;
    }
    }
    return st == TS_OK ? ts_device_sync(w->dev) : st;
}

bool tune_work_check(tune_work *w, double *err)
{
    *err = INFINITY;
    size_t n = (size_t)w->n_out;
    if (is16(w->c->dtype)) {
        uint16_t *h = malloc(n * 2);
        if (!h || ts_tensor_read(w->out, h, n * 2) != TS_OK) {
            free(h);
            return false;
        }
        for (size_t i = 0; i < n; i++)
            w->host_out[i] = from16(w->c->dtype, h[i]);
        free(h);
    } else if (ts_tensor_read(w->out, w->host_out, n * sizeof(float)) != TS_OK) {
        return false;
    }
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)w->host_out[i] - w->ref[i]) / (w->tol * w->bound[i]);
        if (!(e <= worst)) /* NaN counts as a failure */
            worst = isnan(e) ? INFINITY : e;
    }
    *err = worst;
    return worst <= 1.0;
}

void tune_work_destroy(tune_work *w)
{
    if (!w)
        return;
    for (int i = 0; i < 4; i++)
        ts_tensor_destroy(w->in[i]);
    ts_tensor_destroy(w->out);
    free(w->host_out);
    free(w->ref);
    free(w->bound);
    free(w);
}
