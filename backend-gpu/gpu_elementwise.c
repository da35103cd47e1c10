/* TSI_OP_UNARY (incl. copy, cast, scale_shift) and TSI_OP_BINARY on the
 * GPU backends: shaders/elementwise.kern. The host merges the dims every
 * view steps through uniformly, as the CPU backend does, so a contiguous
 * op (the common copy, cast and pointwise case) reaches the kernel as one
 * flat run, and picks the kernel's layout constants (EW_PAIR, EW_FLAT,
 * EW_ROWS, EW_CAST in shaders/elementwise.h) and its grid. c64 views
 * keep their element strides; the kernel reads two words per element. */
#include "backend-gpu/gpu.h"
#include "shaders/elementwise.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "elementwise"

TSG_PARAMS(ew_unary_params, EW_UNARY_PARAMS);
TSG_PARAMS(ew_binary_params, EW_BINARY_PARAMS);

_Static_assert(EW_NEG == TS_NEG && EW_SILU == TS_SILU && EW_RELU2 == TS_RELU2 &&
                   EW_GELU_TANH == TS_GELU_TANH && EW_SIN == TS_SIN && EW_COS == TS_COS &&
                   EW_COPY == TSI_UNARY_COPY && EW_SCALE_SHIFT == TSI_UNARY_SCALE_SHIFT,
               "shaders/elementwise.h: unary kinds differ from ts_unary_op");
_Static_assert(EW_ADD == TS_ADD && EW_DIV == TS_DIV && EW_MIN == TS_MIN && TS_BINARY_COUNT == 6,
               "shaders/elementwise.h: binary kinds differ from ts_binary_op");

enum { MAX_VIEWS = 3 }; /* y, then the inputs */

/* One launch: nd merged dims in n[4 - nd .. 3] (1s before), each view's
 * strides over them (0 before), the LAYOUT bits, the kernel's count and
 * the workgroup grid. */
typedef struct ew_launch {
    uint32_t nd, n[4];
    int32_t st[MAX_VIEWS][4];
    uint64_t total, count;
    uint32_t layout, wg, groups[3];
} ew_launch;

/* Drop size-1 dims and merge a dim into its outer neighbour where every
 * view steps across both as across one (backend-cpu/cpu_elementwise.c
 * does the same). */
static void merge_dims(const tsi_view *const v[], int nv, ew_launch *s)
{
    int64_t n[4], st[MAX_VIEWS][4];
    int nd = 0;
    for (int d = 0; d < 4; d++) {
        if (v[0]->shape[d] == 1)
            continue;
        bool merge = nd > 0;
        for (int i = 0; i < nv && merge; i++)
            merge = st[i][nd - 1] == v[i]->stride[d] * v[0]->shape[d];
        if (merge) {
            n[nd - 1] *= v[0]->shape[d];
            for (int i = 0; i < nv; i++)
                st[i][nd - 1] = v[i]->stride[d];
            continue;
        }
        n[nd] = v[0]->shape[d];
        for (int i = 0; i < nv; i++)
            st[i][nd] = v[i]->stride[d];
        nd++;
    }
    s->nd = nd ? (uint32_t)nd : 1u;
    for (int d = 0; d < 4; d++) {
        s->n[d] = 1;
        for (int i = 0; i < MAX_VIEWS; i++)
            s->st[i][d] = 0;
    }
    for (int d = 0; d < nd; d++) {
        s->n[4 - nd + d] = (uint32_t)n[d];
        for (int i = 0; i < nv; i++)
            s->st[i][4 - nd + d] = (int32_t)st[i][d];
    }
    s->total = (uint64_t)s->n[0] * s->n[1] * s->n[2] * s->n[3];
}

/* A 16-bit y that is one contiguous run: a word per invocation. */
static bool pairs_fit(const tsi_view *y, const ew_launch *s)
{
    if (y->dtype != TS_F16 && y->dtype != TS_BF16)
        return false;
    int64_t run = 1;
    for (int d = 3; d >= 0; d--) {
        if (s->n[d] != 1 && s->st[0][d] != run)
            return false;
        run *= s->n[d];
    }
    return true;
}

/* Rows in grid y * z, chunks of a row in x: worth it when the row's last
 * chunk leaves at most a fifth of the row's invocations idle; a pair's
 * word must not straddle two rows. */
static bool rows_fit(const tsi_gpu_caps *c, const tsi_view *y, ew_launch *s)
{
    uint64_t per = s->layout & EW_PAIR ? 2 : 1, n3 = s->n[3], rows = s->total / n3;
    uint64_t chunk = (uint64_t)s->wg * per, chunks = tsi_gpu_ceil_div(n3, chunk);
    uint64_t my = c->max_groups[1] ? c->max_groups[1] : 65535u;
    uint64_t mz = c->max_groups[2] ? c->max_groups[2] : 65535u;
    uint64_t mx = c->max_groups[0] ? c->max_groups[0] : 65535u;
    if (s->nd < 2 || chunks * chunk * 4 > n3 * 5 || chunks > mx || rows > my * mz)
        return false;
    if (per == 2 && (n3 % 2 || y->offset % 2))
        return false;
    s->count = rows;
    s->groups[0] = (uint32_t)chunks;
    s->groups[1] = (uint32_t)(rows < my ? rows : my);
    s->groups[2] = (uint32_t)tsi_gpu_ceil_div(rows, s->groups[1]);
    return true;
}

/* The layout and grid of op's launch; false when it cannot fit. */
static bool plan_launch(const tsi_gpu_caps *c, const tsi_op *op, ew_launch *s)
{
    const tsi_view *v[MAX_VIEWS] = {&op->out[0], &op->in[0], &op->in[1]};
    bool binary = op->code == TSI_OP_BINARY;
    merge_dims(v, binary ? 3 : 2, s);
    /* Element indices are 32-bit, and EW_PAIR's first element wraps past
     * total: keep it below 2^31. Core records nothing empty. */
    if (s->total == 0 || s->total >= INT32_MAX)
        return s->total == 0;
    s->wg = c->elem_wg ? c->elem_wg : 64;
    s->layout = 0;
    if (!binary && op->p.unary.kind == TSI_UNARY_COPY)
        s->layout |= EW_CAST;
    if (s->nd == 1)
        s->layout |= EW_FLAT;
    if (pairs_fit(v[0], s))
        s->layout |= EW_PAIR;
    if (rows_fit(c, v[0], s)) {
        s->layout |= EW_ROWS;
        return true;
    }
    s->count = s->total;
    if (s->layout & EW_PAIR) {
        uint64_t first = (uint64_t)v[0]->offset, last = first + s->total - 1;
        s->count = (last >> 1) - (first >> 1) + 1;
    }
    return tsi_gpu_grid(c, tsi_gpu_ceil_div(s->count, s->wg), s->groups);
}

static bool is_float(ts_dtype t)
{
    return t == TS_F32 || t == TS_F16 || t == TS_BF16;
}

static bool valid_dtype(ts_dtype t)
{
    return is_float(t) || t == TS_I32 || t == TS_C64;
}

/* What the kernels compute: every dtype pair for a copy (a cast) but i32
 * with c64; the float kinds on floats; neg, abs, relu, relu2 on i32 (i32
 * to i32). */
static bool unary_kind_ok(const tsi_op *op)
{
    ts_dtype x = op->in[0].dtype, y = op->out[0].dtype;
    int kind = op->p.unary.kind;
    if (!valid_dtype(x) || !valid_dtype(y) || kind < 0 || kind >= TSI_UNARY_KIND_COUNT)
        return false;
    if (x == TS_C64 || y == TS_C64)
        return kind == TSI_UNARY_COPY && x != TS_I32 && y != TS_I32;
    if (kind == TSI_UNARY_COPY || (is_float(x) && is_float(y)))
        return true;
    return x == TS_I32 && y == TS_I32 &&
           (kind == TS_NEG || kind == TS_ABS || kind == TS_RELU || kind == TS_RELU2);
}

static bool binary_kind_ok(const tsi_op *op)
{
    ts_dtype t = op->out[0].dtype;
    return valid_dtype(t) && op->in[0].dtype == t && op->in[1].dtype == t &&
           op->p.binary.kind >= 0 && op->p.binary.kind < TS_BINARY_COUNT &&
           (t != TS_C64 || op->p.binary.kind <= TS_MUL);
}

bool tsi_gpu_elementwise_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    if (!(op->code == TSI_OP_BINARY ? binary_kind_ok(op) : unary_kind_ok(op)))
        return false;
    ew_launch s;
    return tsi_gpu_views_fit(c, op) && plan_launch(c, op, &s);
}

#define EW_SET_VIEW(pc, v, st, view)                                                               \
    do {                                                                                           \
        (pc).v##_off = (uint32_t)(view)->offset;                                                   \
        (pc).v##_s0 = (st)[0];                                                                     \
        (pc).v##_s1 = (st)[1];                                                                     \
        (pc).v##_s2 = (st)[2];                                                                     \
        (pc).v##_s3 = (st)[3];                                                                     \
    } while (0)

#define EW_SET_SHAPE(pc, s)                                                                        \
    do {                                                                                           \
        (pc).nd = (s).nd;                                                                          \
        (pc).n1 = (s).n[1];                                                                        \
        (pc).n2 = (s).n[2];                                                                        \
        (pc).n3 = (s).n[3];                                                                        \
        (pc).total = (uint32_t)(s).total;                                                          \
        (pc).count = (uint32_t)(s).count;                                                          \
    } while (0)

ts_status tsi_gpu_elementwise_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    ew_launch s;
    if (!plan_launch(c, op, &s))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "%s: too many elements",
                            op->code == TSI_OP_BINARY ? "binary" : "unary");
    if (s.total == 0)
        return TS_OK;
    /* Binary: DTO = DT, so both entries share the family's programs. */
    uint32_t consts[] = {s.wg, (uint32_t)x->dtype, (uint32_t)y->dtype, s.layout};
    if (op->code == TSI_OP_BINARY) {
        ew_binary_params pc = {.kind = (uint32_t)op->p.binary.kind};
        EW_SET_SHAPE(pc, s);
        EW_SET_VIEW(pc, y, s.st[0], y);
        EW_SET_VIEW(pc, a, s.st[1], x);
        EW_SET_VIEW(pc, b, s.st[2], &op->in[1]);
        tsi_buffer *bufs[] = {x->buf, op->in[1].buf, y->buf};
        TSG_LAUNCH(l, FAMILY, ew_binary, EW_CONSTS, consts, EW_BINARY_BUFS, bufs, &pc);
        for (int i = 0; i < 3; i++)
            l.groups[i] = s.groups[i];
        return tsi_gpu_launch_record(dev, &l);
    }
    ew_unary_params pc = {
        .kind = (uint32_t)op->p.unary.kind, .alpha = op->p.unary.alpha, .beta = op->p.unary.beta};
    EW_SET_SHAPE(pc, s);
    EW_SET_VIEW(pc, y, s.st[0], y);
    EW_SET_VIEW(pc, x, s.st[1], x);
    tsi_buffer *bufs[] = {x->buf, y->buf};
    TSG_LAUNCH(l, FAMILY, ew_unary, EW_CONSTS, consts, EW_UNARY_BUFS, bufs, &pc);
    for (int i = 0; i < 3; i++)
        l.groups[i] = s.groups[i];
    return tsi_gpu_launch_record(dev, &l);
}
