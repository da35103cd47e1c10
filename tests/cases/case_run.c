/* Running one case: the per-case RNG stream, inputs laid out as the spec
 * asks, poisoned outputs, reading back, and the comparison with the float64
 * reference. Everything a case allocates hangs off its tsc_ctx and is freed
 * in one place (ctx_release), so family run functions may return anywhere. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"

typedef struct block {
    struct block *next;
    double data[];
} block;

struct tsc_ctx {
    const tsc_case *c;
    ts_device *dev;
    uint64_t s[4]; /* xoshiro256** state */
    block *blocks;
    ts_tensor *tensors[64];
    int n_tensors;
    tsc_result *res;
    int done; /* a status other than PASS is final */
    int checked;
    int ftz; /* the flushed rerun (family.h, places_subnormals) */
};

/* ---- RNG: splitmix64 seeds xoshiro256** ---------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t tsc_rand_u64(tsc_ctx *x)
{
    uint64_t *s = x->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

double tsc_uniform(tsc_ctx *x, double lo, double hi)
{
    double u = (double)(tsc_rand_u64(x) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

int64_t tsc_rand_int(tsc_ctx *x, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1u;
    return lo + (int64_t)(span ? tsc_rand_u64(x) % span : tsc_rand_u64(x));
}

/* ---- bookkeeping ------------------------------------------------------------ */

const tsc_case *tsc_ctx_case(const tsc_ctx *x)
{
    return x->c;
}
const tsc_op_entry *tsc_ctx_op(const tsc_ctx *x)
{
    return &x->c->fam->ops[x->c->op_index];
}
const tsc_spec *tsc_ctx_spec(const tsc_ctx *x)
{
    return &x->c->fam->specs[x->c->spec_index];
}
ts_device *tsc_ctx_device(const tsc_ctx *x)
{
    return x->dev;
}
int tsc_ctx_ftz(const tsc_ctx *x)
{
    return x->ftz;
}

/* v as a device that flushes f32 subnormals sees it: a zero of v's sign. */
static double flush_subnormal(double v)
{
    return v != 0.0 && fabs(v) < 0x1p-126 ? copysign(0.0, v) : v;
}

int tsc_failed(const tsc_ctx *x)
{
    return x->done;
}

static void finish(tsc_ctx *x, tsc_status st, const char *fmt, va_list ap)
{
    if (x->done)
        return;
    x->done = 1;
    x->res->status = st;
    vsnprintf(x->res->message, sizeof x->res->message, fmt, ap);
}

void tsc_fail(tsc_ctx *x, int fail, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    finish(x, fail ? TSC_FAIL : TSC_ERROR, fmt, ap);
    va_end(ap);
}

static void set_status(tsc_ctx *x, tsc_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    finish(x, st, fmt, ap);
    va_end(ap);
}

double *tsc_alloc(tsc_ctx *x, size_t n)
{
    block *b = calloc(1, sizeof *b + (n ? n : 1) * sizeof(double));
    if (!b) {
        tsc_fail(x, 0, "out of host memory (%zu doubles)", n);
        return NULL;
    }
    b->next = x->blocks;
    x->blocks = b;
    return b->data;
}

static int keep_tensor(tsc_ctx *x, ts_tensor *t)
{
    if (x->n_tensors == (int)(sizeof x->tensors / sizeof x->tensors[0])) {
        ts_tensor_destroy(t);
        tsc_fail(x, 0, "case uses more than %d tensors", x->n_tensors);
        return 1;
    }
    x->tensors[x->n_tensors++] = t;
    return 0;
}

int tsc_op_status(tsc_ctx *x, ts_status st, const char *what)
{
    if (st == TS_OK)
        return 0;
    if (st == TS_ERR_UNSUPPORTED)
        set_status(x, TSC_UNSUPPORTED, "%s: %s", what, ts_last_error(NULL));
    else
        set_status(x, TSC_ERROR, "%s: %s: %s", what, ts_status_str(st), ts_last_error(NULL));
    return 1;
}

/* ---- layouts ------------------------------------------------------------------ */

static void store_shape(tsc_layout lay, int nd, const int64_t *shape, int64_t *st)
{
    for (int i = 0; i < nd; i++)
        st[i] = shape[i];
    if (lay == TSC_TRANSPOSED && nd >= 2) {
        st[nd - 1] = shape[nd - 2];
        st[nd - 2] = shape[nd - 1];
    } else if (lay == TSC_PERMUTED) {
        for (int i = 0; i < nd; i++)
            st[i] = shape[nd - 1 - i];
    } else if (lay == TSC_SLICED) {
        if (nd >= 2)
            st[0] = shape[0] + 1;
        st[nd - 1] = 2 * shape[nd - 1] + 1;
    } else if (lay == TSC_BROADCAST) {
        st[0] = 1;
    }
}

/* Storage index of the logical element idx (what the view must show). */
static int64_t store_index(const tsc_arg *a, const int64_t *idx)
{
    int nd = a->nd;
    int64_t s[4];
    for (int i = 0; i < nd; i++)
        s[i] = idx[i];
    switch (a->layout) {
    case TSC_CONTIG:
        break;
    case TSC_TRANSPOSED:
        if (nd >= 2) {
            s[nd - 1] = idx[nd - 2];
            s[nd - 2] = idx[nd - 1];
        }
        break;
    case TSC_PERMUTED:
        for (int i = 0; i < nd; i++)
            s[i] = idx[nd - 1 - i];
        break;
    case TSC_SLICED:
        if (nd >= 2)
            s[0] = idx[0] + 1;
        s[nd - 1] = 2 * idx[nd - 1] + 1;
        break;
    case TSC_BROADCAST:
        s[0] = 0;
        break;
    }
    int64_t off = 0;
    for (int i = 0; i < nd; i++)
        off = off * a->store_shape[i] + s[i];
    return off;
}

static void unravel(int64_t i, int nd, const int64_t *shape, int64_t *idx)
{
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? i % shape[d] : 0;
        i = shape[d] ? i / shape[d] : 0;
    }
}

static ts_status make_view(tsc_arg *a, ts_tensor **view)
{
    int nd = a->nd;
    *view = NULL;
    switch (a->layout) {
    case TSC_CONTIG:
        return TS_OK;
    case TSC_TRANSPOSED:
        return nd >= 2 ? ts_tensor_transpose(a->store, nd - 2, nd - 1, view) : TS_OK;
    case TSC_PERMUTED: {
        int perm[4];
        for (int i = 0; i < nd; i++)
            perm[i] = nd - 1 - i;
        return ts_tensor_permute(a->store, perm, view);
    }
    case TSC_SLICED: {
        ts_tensor *first = NULL;
        ts_status st = TS_OK;
        const ts_tensor *src = a->store;
        if (nd >= 2) {
            st = ts_tensor_slice(a->store, 0, 1, a->shape[0] + 1, 1, &first);
            src = first;
        }
        if (st == TS_OK)
            st = ts_tensor_slice(src, -1, 1, 2 * a->shape[nd - 1] + 1, 2, view);
        ts_tensor_destroy(first);
        return st;
    }
    case TSC_BROADCAST:
        return ts_tensor_broadcast(a->store, nd, a->shape, view);
    }
    return TS_ERR_INVALID_ARGUMENT;
}

/* ---- storage encoding ---------------------------------------------------------- */

int tsc_parts(ts_dtype dt)
{
    return dt == TS_C64 ? 2 : 1;
}

static void poison(ts_dtype dt, void *p, int64_t i)
{
    switch (dt) {
    case TS_F32:
    case TS_I32: {
        uint32_t v = dt == TS_F32 ? 0x7fc0deadu : 0x80000007u;
        memcpy((char *)p + 4 * i, &v, 4);
        break;
    }
    case TS_F16:
    case TS_BF16: {
        uint16_t v = dt == TS_F16 ? 0x7e5au : 0x7fc1u;
        memcpy((char *)p + 2 * i, &v, 2);
        break;
    }
    case TS_C64: { /* both parts NaN, each its own payload */
        uint32_t v[2] = {0x7fc0deadu, 0x7fc0beefu};
        memcpy((char *)p + 8 * i, v, 8);
        break;
    }
    }
}

static int is_poison(ts_dtype dt, const void *p, int64_t i)
{
    unsigned char want[8];
    poison(dt, want, 0);
    return memcmp((const char *)p + (size_t)i * ts_dtype_size(dt), want, ts_dtype_size(dt)) == 0;
}

/* Element i of storage p from v[0] (c64: v[0] re, v[1] im). */
static void encode(ts_dtype dt, void *p, int64_t i, const double *vp)
{
    double v = vp[0];
    switch (dt) {
    case TS_F32: {
        float f = (float)v;
        memcpy((char *)p + 4 * i, &f, 4);
        break;
    }
    case TS_I32: {
        int32_t n = (int32_t)tsc_round(TS_I32, v);
        memcpy((char *)p + 4 * i, &n, 4);
        break;
    }
    case TS_F16:
    case TS_BF16: {
        uint16_t h = dt == TS_F16 ? tsc_f32_to_f16((float)v) : tsc_f32_to_bf16((float)v);
        memcpy((char *)p + 2 * i, &h, 2);
        break;
    }
    case TS_C64: {
        float f[2] = {(float)v, (float)vp[1]};
        memcpy((char *)p + 8 * i, f, 8);
        break;
    }
    }
}

static double decode_real(ts_dtype dt, const void *p, int64_t i)
{
    switch (dt) {
    case TS_F32: {
        float f;
        memcpy(&f, (const char *)p + 4 * i, 4);
        return f;
    }
    case TS_I32: {
        int32_t n;
        memcpy(&n, (const char *)p + 4 * i, 4);
        return n;
    }
    case TS_F16:
    case TS_BF16: {
        uint16_t h;
        memcpy(&h, (const char *)p + 2 * i, 2);
        return dt == TS_F16 ? tsc_f16_to_f32(h) : tsc_bf16_to_f32(h);
    }
    case TS_C64: /* decode() reads both parts */
        break;
    }
    return NAN;
}

/* Element i of storage p into v[0] (c64: v[0] re, v[1] im). */
static void decode(ts_dtype dt, const void *p, int64_t i, double *v)
{
    if (dt == TS_C64) {
        float f[2];
        memcpy(f, (const char *)p + 8 * i, 8);
        v[0] = f[0];
        v[1] = f[1];
        return;
    }
    v[0] = decode_real(dt, p, i);
}

/* ---- making tensors ------------------------------------------------------------- */

static tsc_arg *new_arg(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay)
{
    if (x->done)
        return NULL;
    if (nd < 1 || nd > 4) {
        tsc_fail(x, 0, "case bug: %d dims", nd);
        return NULL;
    }
    tsc_arg *a = (tsc_arg *)tsc_alloc(x, (sizeof(tsc_arg) + sizeof(double) - 1) / sizeof(double));
    if (!a)
        return NULL;
    a->dtype = dt;
    a->nd = nd;
    memcpy(a->shape, shape, (size_t)nd * sizeof *shape);
    a->numel = tsc_numel(nd, shape);
    a->layout = nd == 1 && (lay == TSC_TRANSPOSED || lay == TSC_PERMUTED) ? TSC_CONTIG : lay;
    store_shape(a->layout, nd, shape, a->store_shape);
    a->store_numel = tsc_numel(nd, a->store_shape);
    a->v = tsc_alloc(x, (size_t)(a->numel * tsc_parts(dt)));
    if (!a->v)
        return NULL;
    ts_status st = ts_tensor_create(x->dev, dt, nd, a->store_shape, &a->store);
    if (tsc_op_status(x, st, "ts_tensor_create") || keep_tensor(x, a->store))
        return NULL;
    return a;
}

static int finish_arg(tsc_ctx *x, tsc_arg *a, void *bytes)
{
    ts_status st =
        ts_tensor_write(a->store, bytes, (size_t)a->store_numel * ts_dtype_size(a->dtype));
    free(bytes);
    if (tsc_op_status(x, st, "ts_tensor_write"))
        return 1;
    ts_tensor *view;
    st = make_view(a, &view);
    if (tsc_op_status(x, st, "making the input/output view"))
        return 1;
    if (view && keep_tensor(x, view))
        return 1;
    a->t = view ? view : a->store;
    return 0;
}

static void *store_bytes(tsc_ctx *x, const tsc_arg *a)
{
    void *p = malloc((size_t)(a->store_numel ? a->store_numel : 1) * ts_dtype_size(a->dtype));
    if (!p) {
        tsc_fail(x, 0, "out of host memory");
        return NULL;
    }
    for (int64_t i = 0; i < a->store_numel; i++)
        poison(a->dtype, p, i);
    return p;
}

tsc_arg *tsc_input_values(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay,
                          const double *values)
{
    tsc_arg *a = new_arg(x, dt, nd, shape, lay);
    if (!a)
        return NULL;
    /* Gaps of a strided input hold NaN poison too: a kernel that reads
     * outside its view then produces NaN and fails. */
    void *bytes = store_bytes(x, a);
    if (!bytes)
        return NULL;
    int64_t idx[4];
    int parts = tsc_parts(dt);
    for (int64_t i = 0; i < a->numel; i++) {
        /* f16 inputs stay out of the subnormal range: whether a GPU flushes
         * f16 subnormals is a driver property (Vulkan's
         * shaderDenormPreserveFloat16), not something an op promises. */
        double val[2] = {values[i * parts], parts == 2 ? values[i * parts + 1] : 0.0};
        if (dt == TS_F16 && val[0] != 0.0 && fabs(val[0]) < 0x1p-14)
            val[0] = copysign(0x1p-14, val[0]);
        unravel(i, nd, shape, idx);
        encode(dt, bytes, store_index(a, idx), val);
    }
    /* Read the logical values back from the storage: rounding, and for a
     * broadcast view the one stored row every broadcast row shows. */
    for (int64_t i = 0; i < a->numel; i++) {
        unravel(i, nd, shape, idx);
        decode(dt, bytes, store_index(a, idx), a->v + i * parts);
    }
    /* The flushed rerun: the device still gets the subnormals, the
     * references see what a flushing device computes with. */
    for (int64_t i = 0; x->ftz && dt != TS_I32 && i < a->numel * parts; i++)
        a->v[i] = flush_subnormal(a->v[i]);
    return finish_arg(x, a, bytes) ? NULL : a;
}

tsc_arg *tsc_input(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay, double lo,
                   double hi)
{
    int64_t n = tsc_numel(nd, shape) * tsc_parts(dt); /* c64: re, im */
    double *v = tsc_alloc(x, (size_t)n);
    if (!v)
        return NULL;
    int nonzero = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = dt == TS_I32 ? (double)tsc_rand_int(x, (int64_t)lo, (int64_t)hi)
                            : tsc_uniform(x, lo, hi);
        nonzero |= tsc_round(dt, v[i]) != 0.0;
    }
    if (n > 0 && !nonzero)
        v[0] = hi != 0.0 ? (dt == TS_I32 ? hi : hi * 0.5) : lo;
    return tsc_input_values(x, dt, nd, shape, lay, v);
}

tsc_arg *tsc_output(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay)
{
    tsc_arg *a = new_arg(x, dt, nd, shape, lay);
    if (!a)
        return NULL;
    a->is_output = 1;
    void *bytes = store_bytes(x, a);
    if (!bytes)
        return NULL;
    return finish_arg(x, a, bytes) ? NULL : a;
}

/* ---- comparing ------------------------------------------------------------------- */

static void fmt_index(char *buf, size_t len, int nd, const int64_t *idx)
{
    int n = snprintf(buf, len, "[");
    for (int d = 0; d < nd && n > 0 && (size_t)n < len; d++)
        n += snprintf(buf + n, len - (size_t)n, d ? ",%lld" : "%lld", (long long)idx[d]);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "]");
}

static void note_error(tsc_result *r, double abs_err, double rel_err)
{
    if (isnan(abs_err) || isnan(r->max_abs_err))
        r->max_abs_err = NAN;
    else if (abs_err > r->max_abs_err)
        r->max_abs_err = abs_err;
    if (isnan(rel_err) || isnan(r->max_rel_err))
        r->max_rel_err = NAN;
    else if (rel_err > r->max_rel_err)
        r->max_rel_err = rel_err;
}

/* The class part of tsc_check_class: 1 when element g (parts values) is
 * judged by its class alone (ref NaN or inf after rounding to dt), with
 * *ok saying whether it matched; 0 to go on with the tolerance. */
static int class_judged(ts_dtype dt, const double *g, const double *ref, int parts, unsigned flags,
                        int *ok)
{
    int special = 0;
    *ok = 1;
    for (int k = 0; k < parts; k++) {
        double r = tsc_round(dt, ref[k]);
        if (isnan(r) || isinf(r)) {
            special = 1;
            *ok = *ok && (isnan(r) ? isnan(g[k]) : g[k] == r);
        } else if (!isfinite(g[k])) {
            special = 1;
            *ok = 0;
        } else if ((flags & TSC_CLASS_SIGNED_ZERO) && r == 0.0 && g[k] == 0.0 &&
                   signbit(r) != signbit(g[k])) {
            special = 1;
            *ok = 0;
        }
    }
    return special || !*ok;
}

static int check_impl(tsc_ctx *x, tsc_arg *out, const double *ref, const double *mag, int classes,
                      unsigned flags);

int tsc_read(tsc_ctx *x, tsc_arg *out)
{
    size_t bytes = (size_t)out->store_numel * ts_dtype_size(out->dtype);
    unsigned char *got = malloc(bytes ? bytes : 1);
    if (!got) {
        tsc_fail(x, 0, "out of host memory");
        return 1;
    }
    if (tsc_op_status(x, ts_tensor_read(out->store, got, bytes), "ts_tensor_read")) {
        free(got);
        return 1;
    }
    int64_t idx[4];
    for (int64_t i = 0; i < out->numel; i++) {
        unravel(i, out->nd, out->shape, idx);
        decode(out->dtype, got, store_index(out, idx), out->v + i * tsc_parts(out->dtype));
    }
    free(got);
    return 0;
}

int tsc_check(tsc_ctx *x, tsc_arg *out, const double *ref, const double *mag)
{
    return check_impl(x, out, ref, mag, 0, 0);
}

int tsc_check_class(tsc_ctx *x, tsc_arg *out, const double *ref, const double *mag, unsigned flags)
{
    if (!x->ftz || out->dtype == TS_I32 || x->done)
        return check_impl(x, out, ref, mag, 1, flags);
    /* The flushed rerun: a subnormal result is a signed zero. */
    size_t n = (size_t)(out->numel * tsc_parts(out->dtype));
    double *flushed = tsc_alloc(x, n);
    if (!flushed)
        return 1;
    for (size_t i = 0; i < n; i++)
        flushed[i] = flush_subnormal(ref[i]);
    return check_impl(x, out, flushed, mag, 1, flags);
}

static int check_impl(tsc_ctx *x, tsc_arg *out, const double *ref, const double *mag, int classes,
                      unsigned flags)
{
    if (x->done)
        return 1;
    size_t bytes = (size_t)out->store_numel * ts_dtype_size(out->dtype);
    unsigned char *got = malloc(bytes ? bytes : 1);
    unsigned char *covered = calloc((size_t)(out->store_numel ? out->store_numel : 1), 1);
    if (!got || !covered) {
        free(got);
        free(covered);
        tsc_fail(x, 0, "out of host memory");
        return 1;
    }
    ts_status st = ts_tensor_read(out->store, got, bytes);
    if (tsc_op_status(x, st, "ts_tensor_read")) {
        free(got);
        free(covered);
        return 1;
    }
    double tol, floor;
    tsc_tolerance(x->c->family, out->dtype, &tol, &floor);
    int exact = tol == 0.0 || out->dtype == TS_I32;
    if (!exact && tol > x->res->tol)
        x->res->tol = tol;
    x->checked = 1;

    x->res->checked += out->numel;
    /* c64: each element is (re, im) in got, ref and out->v; its error is
     * the modulus |got - ref|, its default scale |ref|. */
    int parts = tsc_parts(out->dtype);
    int64_t bad = 0, first = -1, idx[4];
    double first_got[2] = {0, 0}, first_want[2] = {0, 0}, first_err = 0;
    for (int64_t i = 0; i < out->numel; i++) {
        unravel(i, out->nd, out->shape, idx);
        int64_t s = store_index(out, idx);
        covered[s] = 1;
        double *g = out->v + i * parts, want[2] = {0, 0}, d2 = 0, r2 = 0;
        decode(out->dtype, got, s, g);
        int ok = 1, nan = 0;
        if (classes && out->dtype != TS_I32 &&
            class_judged(out->dtype, g, ref + i * parts, parts, flags, &ok)) {
            if (!ok && bad++ == 0) {
                first = i;
                for (int k = 0; k < parts; k++) {
                    first_got[k] = g[k];
                    first_want[k] = tsc_round(out->dtype, ref[i * parts + k]);
                }
                first_err = NAN;
            }
            continue;
        }
        for (int k = 0; k < parts; k++) {
            const double r = ref[i * parts + k];
            want[k] = exact ? tsc_round(out->dtype, r) : r;
            d2 += (g[k] - want[k]) * (g[k] - want[k]);
            r2 += want[k] * want[k];
            ok = ok && (!exact || g[k] == want[k]);
            nan = nan || isnan(g[k]);
        }
        double m = mag ? mag[i] : sqrt(r2);
        double scale = exact ? fmax(sqrt(r2), 1.0) : fmax(m, floor);
        double abs_err = sqrt(d2), rel = abs_err / scale;
        if (!exact)
            ok = rel <= tol;
        if (nan) {
            abs_err = rel = NAN;
            ok = 0;
        }
        note_error(x->res, abs_err, rel);
        if (!ok && bad++ == 0) {
            first = i;
            for (int k = 0; k < parts; k++) {
                first_got[k] = g[k];
                first_want[k] = want[k];
            }
            first_err = rel;
        }
    }
    int64_t outside = -1;
    for (int64_t s = 0; s < out->store_numel && outside < 0; s++)
        if (!covered[s] && !is_poison(out->dtype, got, s))
            outside = s;
    free(got);
    free(covered);
    char where[64], gs[64], ws[64];
    if (bad) {
        unravel(first, out->nd, out->shape, idx);
        fmt_index(where, sizeof where, out->nd, idx);
        if (parts == 2) {
            snprintf(gs, sizeof gs, "(%.9g, %.9g)", first_got[0], first_got[1]);
            snprintf(ws, sizeof ws, "(%.9g, %.9g)", first_want[0], first_want[1]);
        } else {
            snprintf(gs, sizeof gs, "%.9g", first_got[0]);
            snprintf(ws, sizeof ws, "%.9g", first_want[0]);
        }
        tsc_fail(x, 1,
                 "%lld of %lld elements wrong; first at %s: got %s, want %s (err %.3g, tol %.3g%s)",
                 (long long)bad, (long long)out->numel, where, gs, ws, first_err, exact ? 0.0 : tol,
                 exact ? ", exact" : "");
        return 1;
    }
    if (outside >= 0) {
        unravel(outside, out->nd, out->store_shape, idx);
        fmt_index(where, sizeof where, out->nd, idx);
        tsc_fail(x, 1, "wrote outside the output view: storage element %s lost its poison", where);
        return 1;
    }
    return 0;
}

/* ---- one case -------------------------------------------------------------------- */

static void ctx_release(tsc_ctx *x)
{
    for (int i = x->n_tensors - 1; i >= 0; i--)
        ts_tensor_destroy(x->tensors[i]);
    while (x->blocks) {
        block *b = x->blocks;
        x->blocks = b->next;
        free(b);
    }
}

static void run_once(const tsc_case *c, ts_device *dev, uint64_t seed, int ftz, tsc_result *r)
{
    memset(r, 0, sizeof *r);
    tsc_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.dev = dev;
    x.res = r;
    x.ftz = ftz;
    r->status = TSC_PASS;
    uint64_t sm = seed ^ fnv1a(fnv1a(0xcbf29ce484222325ull, c->op), c->name);
    for (int i = 0; i < 4; i++)
        x.s[i] = splitmix64(&sm);
    uint64_t fallbacks_before = 0, fallbacks_after = 0;
    ts_device_fallback_count(dev, &fallbacks_before);
    c->fam->run(&x);
    ts_device_fallback_count(dev, &fallbacks_after);
    ctx_release(&x);
    if (r->status == TSC_PASS && !x.checked) {
        r->status = TSC_ERROR;
        snprintf(r->message, sizeof r->message, "case bug: nothing was checked");
    }
    if (r->status == TSC_PASS && fallbacks_after > fallbacks_before) {
        r->status = TSC_FALLBACK;
        snprintf(r->message, sizeof r->message,
                 "ran as core's composition of simpler ops: the device has no kernel for the "
                 "op (%llu call(s) fell back)",
                 (unsigned long long)(fallbacks_after - fallbacks_before));
    }
}

tsc_result tsc_run_case_denormals(const tsc_case *c, ts_device *dev, uint64_t seed,
                                  ts_denormals denormals)
{
    tsc_result r;
    memset(&r, 0, sizeof r);
    r.status = TSC_ERROR;
    if (!c || !dev) {
        snprintf(r.message, sizeof r.message, "no case or no device");
        return r;
    }
    run_once(c, dev, seed, 0, &r);
    /* Same seed, same inputs: only the references see flushed subnormals. */
    if (r.status == TSC_FAIL && c->fam->places_subnormals &&
        denormals != TS_DENORMALS_PRESERVED) {
        tsc_result flushed;
        run_once(c, dev, seed, 1, &flushed);
        if (flushed.status == TSC_PASS || flushed.status == TSC_FALLBACK) {
            char ieee[sizeof r.message];
            memcpy(ieee, r.message, sizeof ieee);
            flushed.status = TSC_FTZ;
            snprintf(flushed.message, sizeof flushed.message,
                     "matches only with f32 subnormals flushed to zero (the device does not "
                     "promise to keep them); against IEEE: %.380s",
                     ieee);
            r = flushed;
        }
    }
    if (r.status != TSC_PASS && !r.message[0])
        snprintf(r.message, sizeof r.message, "%s", tsc_status_name(r.status));
    return r;
}

tsc_result tsc_run_case(const tsc_case *c, ts_device *dev, uint64_t seed)
{
    /* A device that does not say (or says it cannot) keep f32 subnormals
     * may flush them (docs/numerics.md). */
    ts_device_info info;
    ts_denormals denormals = TS_DENORMALS_UNKNOWN;
    if (dev && ts_device_info_get(dev, &info) == TS_OK)
        denormals = info.denormals;
    return tsc_run_case_denormals(c, dev, seed, denormals);
}
