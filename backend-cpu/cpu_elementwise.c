/* Elementwise ops on strided 4-d views: unary (incl. scale_shift), binary,
 * copy and cast. Dims are first coalesced (size-1 dims dropped, adjacent
 * dims merged where every view steps uniformly across them), so a
 * contiguous tensor is one long row however it was shaped. The rows are
 * cut into chunks of EW_CHUNK elements and the chunks spread over the
 * pool; a chunk goes through f32 buffers on the stack unless it already is
 * contiguous f32, which the SIMD kernels then read and write in place.
 * Two layouts that rows would serve badly have their own paths below:
 * short rows against a broadcast row (bias adds) and transposing copies.
 * c64 is copied as 8-byte words, cast through its real part
 * (cpu_convert.c) and added / multiplied in chunk_c64. */
#include <string.h>

#include "backend-cpu/cpu_internal.h"

#define EW_CHUNK 1024
#define EW_MAX_VIEWS 3 /* y, a, b */

typedef struct ew_plan {
    const tsi_op *op;
    const tsi_cpu_kernels *k;
    int nv; /* views: [0] = out, [1] = in[0], [2] = in[1] */
    int nd; /* coalesced dims, innermost last */
    int64_t shape[4];
    int64_t st[EW_MAX_VIEWS][4];
    char *base[EW_MAX_VIEWS];
    ts_dtype dt[EW_MAX_VIEWS];
    size_t esize[EW_MAX_VIEWS];
    int64_t chunks; /* per row */
    /* Grouped mode (short rows, see plan_grouped): rows per work item. */
    int64_t group;
} ew_plan;

static void plan_views(ew_plan *p, const tsi_op *op)
{
    const tsi_view *v[EW_MAX_VIEWS] = {&op->out[0], &op->in[0], &op->in[1]};
    p->nv = op->code == TSI_OP_BINARY ? 3 : 2;
    for (int i = 0; i < p->nv; i++) {
        p->base[i] = tsi_cpu_view_ptr(v[i]);
        p->dt[i] = v[i]->dtype;
        p->esize[i] = ts_dtype_size(v[i]->dtype);
    }
    /* Keep the dims that count, outermost first. */
    p->nd = 0;
    for (int d = 0; d < 4; d++) {
        if (op->out[0].shape[d] == 1)
            continue;
        p->shape[p->nd] = op->out[0].shape[d];
        for (int i = 0; i < p->nv; i++)
            p->st[i][p->nd] = v[i]->stride[d];
        p->nd++;
    }
    if (p->nd == 0) {
        p->nd = 1;
        p->shape[0] = 1;
        for (int i = 0; i < p->nv; i++)
            p->st[i][0] = 1;
        return;
    }
    /* Merge dim j into its inner neighbour when all views allow it. */
    int nd = 1;
    for (int j = 1; j < p->nd; j++) {
        bool merge = true;
        for (int i = 0; i < p->nv && merge; i++)
            merge = p->st[i][nd - 1] == p->st[i][j] * p->shape[j];
        if (merge) {
            p->shape[nd - 1] *= p->shape[j];
            for (int i = 0; i < p->nv; i++)
                p->st[i][nd - 1] = p->st[i][j];
        } else {
            p->shape[nd] = p->shape[j];
            for (int i = 0; i < p->nv; i++)
                p->st[i][nd] = p->st[i][j];
            nd++;
        }
    }
    p->nd = nd;
}

/* ---- i32 arithmetic: wraps like two's complement, never C's UB --------- */

static int32_t i32_wrap(uint32_t u)
{
    int32_t r;
    memcpy(&r, &u, sizeof r);
    return r;
}

static int32_t i32_binary(int kind, int32_t a, int32_t b)
{
    switch (kind) {
    case TS_ADD:
        return i32_wrap((uint32_t)a + (uint32_t)b);
    case TS_SUB:
        return i32_wrap((uint32_t)a - (uint32_t)b);
    case TS_MUL:
        return i32_wrap((uint32_t)a * (uint32_t)b);
    case TS_DIV:
        if (b == 0)
            return 0;
        if (a == INT32_MIN && b == -1)
            return INT32_MIN;
        return a / b;
    case TS_MAX:
        return a > b ? a : b;
    default:
        return a < b ? a : b;
    }
}

static int32_t i32_unary(int kind, int32_t x)
{
    switch (kind) {
    case TS_NEG:
        return i32_wrap(0u - (uint32_t)x);
    case TS_ABS:
        return x < 0 ? i32_wrap(0u - (uint32_t)x) : x;
    case TS_RELU:
        return x > 0 ? x : 0;
    case TS_RELU2:
        return x > 0 ? i32_wrap((uint32_t)x * (uint32_t)x) : 0;
    default:
        return x;
    }
}

static void chunk_i32(const ew_plan *p, char *const ptr[], int64_t n)
{
    int32_t *y = (int32_t *)ptr[0];
    const int32_t *a = (const int32_t *)ptr[1];
    int64_t sy = p->st[0][p->nd - 1], sa = p->st[1][p->nd - 1];
    if (p->op->code == TSI_OP_BINARY) {
        const int32_t *b = (const int32_t *)ptr[2];
        int64_t sb = p->st[2][p->nd - 1];
        int kind = p->op->p.binary.kind;
        for (int64_t i = 0; i < n; i++)
            y[i * sy] = i32_binary(kind, a[i * sa], b[i * sb]);
        return;
    }
    int kind = p->op->p.unary.kind;
    for (int64_t i = 0; i < n; i++)
        y[i * sy] = i32_unary(kind, a[i * sa]);
}

/* Same-dtype copy: bytes move untouched (NaN payloads included). */
static void chunk_raw_copy(const ew_plan *p, char *const ptr[], int64_t n)
{
    int64_t sy = p->st[0][p->nd - 1], sx = p->st[1][p->nd - 1];
    size_t es = p->esize[0];
    if (sy == 1 && sx == 1) {
        memcpy(ptr[0], ptr[1], (size_t)n * es);
    } else if (es == 8) {
        uint64_t *y = (uint64_t *)ptr[0];
        const uint64_t *x = (const uint64_t *)ptr[1];
        for (int64_t i = 0; i < n; i++)
            y[i * sy] = x[i * sx];
    } else if (es == 4) {
        uint32_t *y = (uint32_t *)ptr[0];
        const uint32_t *x = (const uint32_t *)ptr[1];
        for (int64_t i = 0; i < n; i++)
            y[i * sy] = x[i * sx];
    } else {
        uint16_t *y = (uint16_t *)ptr[0];
        const uint16_t *x = (const uint16_t *)ptr[1];
        for (int64_t i = 0; i < n; i++)
            y[i * sy] = x[i * sx];
    }
}

/* c64 add, sub, mul (core admits no other c64 binary op): f32 parts, the
 * product as (ar br - ai bi, ar bi + ai br), as numpy's complex64 does. */
static void chunk_c64(const ew_plan *p, char *const ptr[], int64_t n)
{
    float *y = (float *)ptr[0];
    const float *a = (const float *)ptr[1], *b = (const float *)ptr[2];
    int64_t sy = 2 * p->st[0][p->nd - 1], sa = 2 * p->st[1][p->nd - 1];
    int64_t sb = 2 * p->st[2][p->nd - 1];
    int kind = p->op->p.binary.kind;
    if (kind == TS_MUL && sy == 2 && sa == 2 && sb == 2) {
        /* Contiguous product (fftconv's spectra): a branch-free loop the
         * compiler vectorizes; the same expressions, so the same values. */
        for (int64_t i = 0; i < 2 * n; i += 2) {
            float ar = a[i], ai = a[i + 1], br = b[i], bi = b[i + 1];
            y[i] = ar * br - ai * bi;
            y[i + 1] = ar * bi + ai * br;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        float ar = a[i * sa], ai = a[i * sa + 1], br = b[i * sb], bi = b[i * sb + 1];
        float re, im;
        if (kind == TS_ADD) {
            re = ar + br;
            im = ai + bi;
        } else if (kind == TS_SUB) {
            re = ar - br;
            im = ai - bi;
        } else {
            re = ar * br - ai * bi;
            im = ar * bi + ai * br;
        }
        y[i * sy] = re;
        y[i * sy + 1] = im;
    }
}

/* An f32 input row: in place when contiguous f32, else converted into buf. */
static const float *input_f32(const ew_plan *p, int v, char *ptr, float *buf, int64_t n)
{
    int64_t s = p->st[v][p->nd - 1];
    if (p->dt[v] == TS_F32 && s == 1)
        return (const float *)ptr;
    tsi_cpu_load_f32(p->k, p->dt[v], ptr, s, buf, (size_t)n);
    return buf;
}

static void chunk_f32(const ew_plan *p, char *const ptr[], int64_t n)
{
    float ba[EW_CHUNK], bb[EW_CHUNK], by[EW_CHUNK];
    int64_t sy = p->st[0][p->nd - 1];
    bool direct = p->dt[0] == TS_F32 && sy == 1;
    float *y = direct ? (float *)ptr[0] : by;
    const float *a = input_f32(p, 1, ptr[1], ba, n);
    const tsi_op *op = p->op;
    if (op->code == TSI_OP_BINARY) {
        const float *b = input_f32(p, 2, ptr[2], bb, n);
        p->k->binary(op->p.binary.kind, a, b, y, (size_t)n);
    } else if (op->p.unary.kind == TSI_UNARY_COPY) {
        if (direct) {
            memcpy(y, a, (size_t)n * sizeof *y);
            return;
        }
        y = (float *)a;
    } else {
        p->k->unary(op->p.unary.kind, a, y, (size_t)n, op->p.unary.alpha, op->p.unary.beta);
    }
    if (!direct)
        tsi_cpu_store_f32(p->k, p->dt[0], y, ptr[0], sy, (size_t)n);
}

static void ew_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const ew_plan *p = ctx;
    int inner = p->nd - 1;
    int64_t len = p->shape[inner];
    bool raw = p->op->code == TSI_OP_UNARY && p->op->p.unary.kind == TSI_UNARY_COPY &&
               p->dt[0] == p->dt[1];
    bool integer = !raw && p->dt[0] == TS_I32 && p->dt[1] == TS_I32;
    bool complex = !raw && p->op->code == TSI_OP_BINARY && p->dt[0] == TS_C64;
    for (int64_t w = begin; w < end; w++) {
        int64_t row = w / p->chunks, c = w % p->chunks;
        int64_t start = c * EW_CHUNK, n = len - start < EW_CHUNK ? len - start : EW_CHUNK;
        char *ptr[EW_MAX_VIEWS];
        for (int i = 0; i < p->nv; i++) {
            int64_t off = start * p->st[i][inner], r = row;
            for (int d = inner - 1; d >= 0; d--) {
                off += (r % p->shape[d]) * p->st[i][d];
                r /= p->shape[d];
            }
            ptr[i] = p->base[i] + off * (int64_t)p->esize[i];
        }
        if (raw)
            chunk_raw_copy(p, ptr, n);
        else if (integer)
            chunk_i32(p, ptr, n);
        else if (complex)
            chunk_c64(p, ptr, n);
        else
            chunk_f32(p, ptr, n);
    }
}

/* ---- short rows against a broadcast row: [.., R, n] (op) [n] ------------
 * A bias add over rows of a few elements would otherwise cost one kernel
 * call per row. When every view steps its rows either contiguously or not
 * at all (stride 0: the same row again), a work item takes a group of rows
 * as one contiguous span, with each broadcast row repeated to match. */

static bool plan_grouped(const ew_plan *p)
{
    if (p->op->code != TSI_OP_BINARY || p->nd < 2 || p->dt[0] == TS_I32 || p->dt[0] == TS_C64)
        return false;
    int in = p->nd - 1, row = p->nd - 2;
    int64_t len = p->shape[in];
    if (len > EW_CHUNK / 4)
        return false;
    bool periodic = false;
    for (int v = 0; v < p->nv; v++) {
        if (p->st[v][in] != 1 || (p->st[v][row] != len && p->st[v][row] != 0))
            return false;
        periodic = periodic || p->st[v][row] == 0;
    }
    return periodic && p->st[0][row] == len;
}

static void grouped_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const ew_plan *p = ctx;
    int in = p->nd - 1, rowd = p->nd - 2;
    int64_t len = p->shape[in], rows = p->shape[rowd];
    int64_t groups = (rows + p->group - 1) / p->group;
    float buf[EW_MAX_VIEWS][EW_CHUNK];
    for (int64_t w = begin; w < end; w++) {
        int64_t outer = w / groups, r0 = (w % groups) * p->group;
        int64_t g = rows - r0 < p->group ? rows - r0 : p->group, n = g * len;
        const float *in_f32[EW_MAX_VIEWS] = {NULL};
        char *ptr[EW_MAX_VIEWS];
        for (int v = 0; v < p->nv; v++) {
            int64_t off = r0 * p->st[v][rowd], o = outer;
            for (int d = rowd - 1; d >= 0; d--) {
                off += (o % p->shape[d]) * p->st[v][d];
                o /= p->shape[d];
            }
            ptr[v] = p->base[v] + off * (int64_t)p->esize[v];
            if (v == 0)
                continue;
            if (p->st[v][rowd] == 0) {
                tsi_cpu_load_f32(p->k, p->dt[v], ptr[v], 1, buf[v], (size_t)len);
                for (int64_t r = 1; r < g; r++)
                    memcpy(buf[v] + r * len, buf[v], (size_t)len * sizeof(float));
                in_f32[v] = buf[v];
            } else if (p->dt[v] == TS_F32) {
                in_f32[v] = (const float *)ptr[v];
            } else {
                tsi_cpu_load_f32(p->k, p->dt[v], ptr[v], 1, buf[v], (size_t)n);
                in_f32[v] = buf[v];
            }
        }
        float *y = p->dt[0] == TS_F32 ? (float *)ptr[0] : buf[0];
        p->k->binary(p->op->p.binary.kind, in_f32[1], in_f32[2], y, (size_t)n);
        if (y == buf[0])
            tsi_cpu_store_f32(p->k, p->dt[0], y, ptr[0], 1, (size_t)n);
    }
}

/* ---- transposing copies ------------------------------------------------------
 * A copy whose source walks its innermost dim with a large stride (a
 * transpose view made contiguous, also core's temporaries for row ops)
 * misses the cache on every element when done row by row. Square tiles
 * read and write whole cache lines instead. */

#define EW_TILE 32

static bool plan_transpose(const ew_plan *p)
{
    const tsi_op *op = p->op;
    if (op->code != TSI_OP_UNARY || op->p.unary.kind != TSI_UNARY_COPY || p->dt[0] != p->dt[1] ||
        p->nd < 2)
        return false;
    int in = p->nd - 1, row = p->nd - 2;
    return p->st[0][in] == 1 && p->st[1][in] != 1 && p->st[1][row] == 1 &&
           p->shape[in] >= EW_TILE && p->shape[row] >= EW_TILE;
}

static void transpose_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const ew_plan *p = ctx;
    int in = p->nd - 1, rowd = p->nd - 2;
    int64_t rows = p->shape[rowd], cols = p->shape[in];
    int64_t bands = (rows + EW_TILE - 1) / EW_TILE;
    int64_t sy = p->st[0][rowd], sx = p->st[1][in];
    for (int64_t w = begin; w < end; w++) {
        int64_t outer = w / bands, r0 = (w % bands) * EW_TILE;
        int64_t r1 = rows - r0 < EW_TILE ? rows : r0 + EW_TILE;
        int64_t offy = 0, offx = 0, o = outer;
        for (int d = rowd - 1; d >= 0; d--) {
            offy += (o % p->shape[d]) * p->st[0][d];
            offx += (o % p->shape[d]) * p->st[1][d];
            o /= p->shape[d];
        }
        for (int64_t c0 = 0; c0 < cols; c0 += EW_TILE) {
            int64_t c1 = cols - c0 < EW_TILE ? cols : c0 + EW_TILE;
            if (p->esize[0] == 8) {
                uint64_t *y = (uint64_t *)p->base[0] + offy;
                const uint64_t *x = (const uint64_t *)p->base[1] + offx;
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t r = r0; r < r1; r++)
                        y[r * sy + c] = x[r + c * sx];
            } else if (p->esize[0] == 4) {
                uint32_t *y = (uint32_t *)p->base[0] + offy;
                const uint32_t *x = (const uint32_t *)p->base[1] + offx;
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t r = r0; r < r1; r++)
                        y[r * sy + c] = x[r + c * sx];
            } else {
                uint16_t *y = (uint16_t *)p->base[0] + offy;
                const uint16_t *x = (const uint16_t *)p->base[1] + offx;
                for (int64_t c = c0; c < c1; c++)
                    for (int64_t r = r0; r < r1; r++)
                        y[r * sy + c] = x[r + c * sx];
            }
        }
    }
}

ts_status tsi_cpu_elementwise_record(tsi_device *dev, const tsi_op *op)
{
    ew_plan p = {.op = op, .k = dev->k};
    plan_views(&p, op);
    int64_t len = p.shape[p.nd - 1], rows = 1;
    for (int d = 0; d < p.nd - 1; d++)
        rows *= p.shape[d];
    if (plan_grouped(&p) || plan_transpose(&p)) {
        bool grouped = op->code == TSI_OP_BINARY;
        int64_t inner_rows = p.shape[p.nd - 2], outer = rows / inner_rows;
        p.group = grouped ? EW_CHUNK / len : EW_TILE;
        int64_t items = outer * ((inner_rows + p.group - 1) / p.group);
        tsi_cpu_pool_for(dev->pool, items, p.group * len * 2,
                         grouped ? grouped_task : transpose_task, &p);
        return TS_OK;
    }
    p.chunks = (len + EW_CHUNK - 1) / EW_CHUNK;
    int64_t per = len < EW_CHUNK ? len : EW_CHUNK;
    /* Transcendentals cost tens of operations per element, copies one. */
    int64_t weight = op->code == TSI_OP_UNARY && op->p.unary.kind < TSI_UNARY_COPY ? 16 : 2;
    tsi_cpu_pool_for(dev->pool, rows * p.chunks, per * weight, ew_task, &p);
    return TS_OK;
}
