/* The API fuzzer's interpreter (see api_fuzz.h). Work is bounded so the
 * fuzzer measures validation, not arithmetic: tensors that would need real
 * memory (more than TSF_MAX_NUMEL elements yet within the device's limit)
 * are not created, and an op whose tensor arguments hold more than
 * TSF_MAX_NUMEL elements (huge broadcast views) is not called; both count
 * as skipped. Everything else is called as the input says, including
 * sizes whose products overflow int64, which must be refused. */
#include "api_fuzz.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tessel/tessel.h>
#if __has_include(<tessel/longconv.h>)
#include <tessel/longconv.h>
#define TSF_LONGCONV 1
#endif
#if __has_include(<tessel/moe.h>)
#include <tessel/moe.h>
#define TSF_MOE 1
#endif

#define TSF_SLOTS 8
#define TSF_MAX_NUMEL 4096
#define TSF_MAX_OPS 48
#define TSF_MAX_DEVICES 16

static ts_context *g_ctx[2];
static ts_device *g_dev[TSF_MAX_DEVICES];
static int g_ndev;
static tsf_stats g_stats;
static unsigned char g_buf[TSF_MAX_NUMEL * 8 + 64];
static long g_log_messages;

typedef struct fz {
    const uint8_t *p;
    size_t n, pos;
    ts_tensor *slot[TSF_SLOTS];
    int broken;
    char why[512];
} fz;

static ts_tensor *const POISON = (ts_tensor *)(uintptr_t)0x7e57;

/* ---- reading arguments ---------------------------------------------------- */

static uint8_t u8(fz *f)
{
    return f->pos < f->n ? f->p[f->pos++] : 0;
}

static ts_tensor *tensor_arg(fz *f)
{
    uint8_t b = u8(f) % (TSF_SLOTS + 1);
    return b < TSF_SLOTS ? f->slot[b] : NULL;
}

static int slot_arg(fz *f)
{
    return u8(f) % TSF_SLOTS;
}

static ts_device *device_arg(fz *f)
{
    int b = u8(f) % (g_ndev + 1);
    return b < g_ndev ? g_dev[b] : NULL;
}

static int64_t dim_arg(fz *f)
{
    static const int64_t hostile[] = {-1, -2, INT64_MIN, INT64_MAX, 1LL << 31, 1LL << 32,
                                      1LL << 62, 3037000500LL, 1LL << 40, 65536, 4097};
    uint8_t b = u8(f);
    if (b < 224)
        return b % 9; /* 0..8: small, odd, empty */
    return hostile[b % (sizeof hostile / sizeof hostile[0])];
}

static int int_arg(fz *f)
{
    static const int v[] = {0, 1, 2, 3, -1, 4, 7, 8, 16, INT_MAX, INT_MIN, -2, 5, 100, 1 << 20, 6};
    return v[u8(f) % (sizeof v / sizeof v[0])];
}

static int64_t long_arg(fz *f)
{
    static const int64_t v[] = {0, 1, 2, 3, -1, 4, 7, 8, 16, 64, INT64_MAX, INT64_MIN, 1LL << 32,
                                1LL << 62, -2, 5, 33, 4097, 3037000500LL, 9};
    return v[u8(f) % (sizeof v / sizeof v[0])];
}

static float float_arg(fz *f)
{
    static const float v[] = {0.0f, 1.0f, -1.0f, 0.5f, 1e-5f, NAN, INFINITY, -INFINITY, 3e38f,
                              1e-40f, 2.0f, 0.125f, -0.0f, 1e-3f};
    return v[u8(f) % (sizeof v / sizeof v[0])];
}

static int enum_arg(fz *f, int count)
{
    uint8_t b = u8(f);
    if (b < 200)
        return b % count;
    static const int bad[] = {-1, INT_MIN, INT_MAX, 0x100, 0};
    return b % 5 < 4 ? bad[b % 5] : count; /* one past the end */
}

static ts_dtype dtype_arg(fz *f)
{
    return (ts_dtype)enum_arg(f, TS_DTYPE_COUNT);
}

static int ndim_arg(fz *f)
{
    return (int)(u8(f) % 8) - 1; /* -1 .. 6 */
}

/* ---- checking results -------------------------------------------------------- */

static void broke(fz *f, const char *fmt, const char *fn, const char *detail)
{
    if (f->broken++)
        return;
    snprintf(f->why, sizeof f->why, fmt, fn, detail);
}

/* A failing call must set a message of its own: the message of a known
 * failure is put there first, so a stale one is caught. */
static char g_sentinel[256];

static void arm_message(void)
{
    int count;
    if (!g_sentinel[0]) {
        ts_device_count(NULL, &count);
        snprintf(g_sentinel, sizeof g_sentinel, "%s", ts_last_error(NULL));
    }
    ts_device_count(NULL, &count); /* fails: "ts_device_count: ctx is NULL" */
}

static ts_status check(fz *f, const char *fn, ts_status st)
{
    g_stats.calls++;
    if ((unsigned)st > (unsigned)TS_ERR_INTERNAL) {
        char d[32];
        snprintf(d, sizeof d, "%d", (int)st);
        broke(f, "%s returned %s, not a ts_status", fn, d);
        return st;
    }
    if (st == TS_OK)
        return st;
    g_stats.failed++;
    const char *msg = ts_last_error(NULL);
    if (!msg || !*msg)
        broke(f, "%s failed (%s) with an empty message", fn, ts_status_str(st));
    else if (strcmp(fn, "ts_device_count") != 0 && strcmp(msg, g_sentinel) == 0)
        broke(f, "%s failed (%s) without setting its own message", fn, ts_status_str(st));
    else if (st == TS_ERR_INTERNAL)
        broke(f, "%s: TS_ERR_INTERNAL: %s", fn, msg);
    else if (strncmp(msg, "vulkan validation:", 18) == 0)
        /* TESSEL_VULKAN_VALIDATION=1: the layer's error is tessel's misuse
         * of Vulkan, never a refusal of bad input. */
        broke(f, "%s: %s", fn, msg);
    return st;
}

/* TSF_TRACE=1 in the environment names each call on stderr before it
 * runs: the last line names the call that crashed or hung. */
static int g_trace = -1;

static void trace(const char *fn)
{
    if (g_trace < 0)
        g_trace = getenv("TSF_TRACE") != NULL;
    if (g_trace)
        fprintf(stderr, "tsf: %s\n", fn);
}

#define CALL(f, fn, ...) (trace(#fn), arm_message(), check((f), #fn, fn(__VA_ARGS__)))

/* Store a new handle from a call into slot s, or check it stayed NULL. */
static void keep(fz *f, const char *fn, ts_status st, ts_tensor *got, int s)
{
    if (st == TS_OK) {
        if (!got || got == POISON) {
            broke(f, "%s returned TS_OK without a tensor%s", fn, "");
            return;
        }
        ts_tensor_destroy(f->slot[s]);
        f->slot[s] = got;
    } else if (got != NULL) {
        broke(f, "%s failed but left its out-handle set%s", fn, "");
    }
}

/* Every tensor argument small enough to run (or NULL). */
static int small(int n, const ts_tensor *const *t)
{
    for (int i = 0; i < n; i++)
        if (t[i] && ts_tensor_numel(t[i]) > TSF_MAX_NUMEL) {
            g_stats.skipped++;
            return 0;
        }
    return 1;
}
#define SMALL(...) small(sizeof((const ts_tensor *[]){__VA_ARGS__}) / sizeof(ts_tensor *),       \
                         (const ts_tensor *[]){__VA_ARGS__})

/* ---- context, device, status ------------------------------------------------- */

static void op_context(fz *f)
{
    int null_out = u8(f) & 1;
    ts_context *c = (ts_context *)POISON;
    ts_status st = CALL(f, ts_context_create, null_out ? NULL : &c);
    if (!null_out && st == TS_OK) {
        ts_device *d = NULL;
        int count = 0;
        CALL(f, ts_device_count, c, &count);
        if (count > 0 && CALL(f, ts_device_get, c, u8(f) % count, &d) == TS_OK) {
            ts_tensor *t = NULL;
            if (CALL(f, ts_tensor_create, d, TS_F32, 1, (int64_t[]){3}, &t) == TS_OK)
                ts_tensor_destroy(t);
        }
        ts_context_destroy(c);
    } else if (!null_out && c != NULL) {
        broke(f, "%s failed but left its out-handle set%s", "ts_context_create", "");
    }
    ts_context_destroy(NULL);
}

static void op_device_queries(fz *f)
{
    ts_context *c = u8(f) % 3 == 2 ? NULL : g_ctx[u8(f) & 1];
    ts_device *d = (ts_device *)POISON;
    int count;
    uint8_t which = u8(f) % 5;
    if (which == 0)
        CALL(f, ts_device_count, c, u8(f) & 1 ? NULL : &count);
    else if (which == 1)
        CALL(f, ts_device_get, c, int_arg(f), u8(f) & 1 ? NULL : &d);
    else if (which == 2)
        CALL(f, ts_device_default, c, u8(f) & 1 ? NULL : &d);
    else {
        static const char *const ids[] = {"cpu:0", "vulkan:0", "opencl:0", "", "cpu:99",
                                          "cpu:-1", "cpu", ":0", "cpu:0:0", "vulkan:4294967297",
                                          NULL, "cpu:00", "opencl:1", "x"};
        CALL(f, ts_device_find, c, ids[u8(f) % (sizeof ids / sizeof ids[0])],
             u8(f) & 1 ? NULL : &d);
    }
    (void)ts_last_error(c);
}

static void op_device_calls(fz *f)
{
    ts_device *d = device_arg(f);
    ts_device_info info;
    uint64_t a, b;
    char small_buf[64];
    switch (u8(f) % 7) {
    case 0:
        CALL(f, ts_device_info_get, d, u8(f) & 1 ? NULL : &info);
        break;
    case 1: {
        size_t len = (size_t)(u8(f) % (sizeof small_buf + 1));
        CALL(f, ts_device_tuning_summary, d, u8(f) & 1 ? NULL : small_buf, len);
        break;
    }
    case 2:
        CALL(f, ts_device_sync, d);
        break;
    case 3:
        CALL(f, ts_device_memory_stats, d, u8(f) & 1 ? NULL : &a, u8(f) & 1 ? NULL : &b);
        break;
    case 4:
        CALL(f, ts_device_memory_reset_peak, d);
        break;
    case 5:
        CALL(f, ts_device_fallback_count, d, u8(f) & 1 ? NULL : &a);
        break;
    default:
        break;
    }
}

static void count_log(ts_log_level level, const char *message, void *user)
{
    (void)level, (void)user;
    if (message)
        g_log_messages++;
}

static void op_misc(fz *f)
{
    int v = int_arg(f);
    if (!ts_status_str((ts_status)v) || !ts_dtype_name((ts_dtype)v))
        broke(f, "%s returned NULL%s", "ts_status_str/ts_dtype_name", "");
    (void)ts_dtype_size((ts_dtype)v);
    if (!ts_version())
        broke(f, "%s returned NULL%s", "ts_version", "");
    ts_set_log_callback(u8(f) & 1 ? count_log : NULL, NULL, (ts_log_level)enum_arg(f, 4));
#ifdef TSF_LONGCONV
    if (!ts_fftconv_path_name((ts_fftconv_path)enum_arg(f, 4)))
        broke(f, "%s returned NULL%s", "ts_fftconv_path_name", "");
#endif
}

/* ---- tensors ------------------------------------------------------------------ */

static int64_t numel_checked(int ndim, const int64_t *shape, int *overflow)
{
    int64_t n = 1;
    *overflow = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            *overflow = 1;
            return -1;
        }
        if (shape[i] && n > INT64_MAX / shape[i]) {
            *overflow = 1;
            return -1;
        }
        n *= shape[i];
    }
    return n;
}

static void op_create(fz *f)
{
    ts_device *d = device_arg(f);
    ts_dtype dt = dtype_arg(f);
    int ndim = ndim_arg(f);
    int64_t shape[8];
    for (int i = 0; i < 8; i++)
        shape[i] = dim_arg(f);
    int s = slot_arg(f);
    int null_shape = u8(f) % 16 == 0, null_out = u8(f) % 16 == 0;
    /* A tensor the device could really hold but bigger than the fuzzer's
     * budget is left out: allocating gigabytes tests the allocator. */
    if (d && ndim >= 1 && ndim <= TS_MAX_DIMS && ts_dtype_size(dt) && !null_shape) {
        int over;
        int64_t n = numel_checked(ndim, shape, &over);
        ts_device_info info;
        ts_device_info_get(d, &info);
        if (!over && n > TSF_MAX_NUMEL && n <= INT64_MAX / 8 &&
            (uint64_t)n * ts_dtype_size(dt) <= info.max_alloc_bytes) {
            g_stats.skipped++;
            return;
        }
    }
    ts_tensor *t = POISON;
    ts_status st =
        CALL(f, ts_tensor_create, d, dt, ndim, null_shape ? NULL : shape, null_out ? NULL : &t);
    if (!null_out)
        keep(f, "ts_tensor_create", st, t, s);
}

static void op_destroy(fz *f)
{
    int s = slot_arg(f);
    ts_tensor_destroy(f->slot[s]);
    f->slot[s] = NULL;
}

/* Bytes for a transfer: right, off by some, zero or huge. */
static size_t bytes_arg(fz *f, const ts_tensor *t)
{
    size_t want = t ? (size_t)ts_tensor_numel(t) * ts_dtype_size(ts_tensor_dtype(t)) : 16;
    switch (u8(f) % 8) {
    case 0:
        return want + 1;
    case 1:
        return want ? want - 1 : 4;
    case 2:
        return 0;
    case 3:
        return SIZE_MAX;
    default:
        return want;
    }
}

static void op_write(fz *f)
{
    ts_tensor *t = tensor_arg(f);
    size_t bytes = bytes_arg(f, t);
    int null_src = u8(f) % 16 == 0;
    /* Fill with the input's bytes: NaNs, huge values, indices out of range. */
    size_t fill = bytes < sizeof g_buf ? bytes : sizeof g_buf;
    for (size_t i = 0; i < fill; i++)
        g_buf[i] = f->pos + i < f->n ? f->p[f->pos + i] : (uint8_t)(i * 37);
    f->pos += f->pos < f->n ? 1 : 0;
    size_t want = t ? (size_t)ts_tensor_numel(t) * ts_dtype_size(ts_tensor_dtype(t)) : 0;
    if (bytes > sizeof g_buf && bytes == want) { /* would really read past g_buf */
        g_stats.skipped++;
        return;
    }
    CALL(f, ts_tensor_write, t, null_src ? NULL : g_buf, bytes);
}

static void op_read(fz *f)
{
    ts_tensor *t = tensor_arg(f);
    size_t bytes = bytes_arg(f, t);
    int null_dst = u8(f) % 16 == 0;
    size_t want = t ? (size_t)ts_tensor_numel(t) * ts_dtype_size(ts_tensor_dtype(t)) : 0;
    if (bytes > sizeof g_buf && bytes == want) {
        g_stats.skipped++;
        return;
    }
    CALL(f, ts_tensor_read, t, null_dst ? NULL : g_buf, bytes);
}

static void op_copy_to(fz *f)
{
    ts_tensor *t = tensor_arg(f);
    ts_device *d = device_arg(f);
    int s = slot_arg(f);
    if (!SMALL(t))
        return;
    ts_tensor *o = POISON;
    int null_out = u8(f) % 16 == 0;
    ts_status st = CALL(f, ts_tensor_copy_to, t, d, null_out ? NULL : &o);
    if (!null_out)
        keep(f, "ts_tensor_copy_to", st, o, s);
}

static void op_view(fz *f)
{
    ts_tensor *t = tensor_arg(f);
    int s = slot_arg(f);
    int null_out = u8(f) % 16 == 0;
    ts_tensor *o = POISON, **out = null_out ? NULL : &o;
    ts_status st;
    const char *fn;
    int64_t shape[8];
    int perm[8];
    switch (u8(f) % 7) {
    case 0:
        fn = "ts_tensor_slice";
        st = CALL(f, ts_tensor_slice, t, int_arg(f), long_arg(f), long_arg(f), long_arg(f), out);
        break;
    case 1:
        fn = "ts_tensor_permute";
        for (int i = 0; i < 8; i++)
            perm[i] = u8(f) % 16 == 15 ? int_arg(f) : u8(f) % 5 - 1;
        st = CALL(f, ts_tensor_permute, t, u8(f) % 16 == 0 ? NULL : perm, out);
        break;
    case 2:
        fn = "ts_tensor_transpose";
        st = CALL(f, ts_tensor_transpose, t, int_arg(f), int_arg(f), out);
        break;
    case 3:
    case 4: {
        int nd = ndim_arg(f);
        for (int i = 0; i < 8; i++)
            shape[i] = dim_arg(f);
        int null_shape = u8(f) % 16 == 0;
        if (u8(f) & 1) {
            fn = "ts_tensor_reshape";
            st = CALL(f, ts_tensor_reshape, t, nd, null_shape ? NULL : shape, out);
        } else {
            fn = "ts_tensor_broadcast";
            st = CALL(f, ts_tensor_broadcast, t, nd, null_shape ? NULL : shape, out);
        }
        break;
    }
    case 5:
        fn = "ts_tensor_view_as_real";
        st = CALL(f, ts_tensor_view_as_real, t, out);
        break;
    default:
        fn = "ts_tensor_view_as_complex";
        st = CALL(f, ts_tensor_view_as_complex, t, out);
        break;
    }
    if (!null_out)
        keep(f, fn, st, o, s);
}

static void op_accessors(fz *f)
{
    ts_tensor *t = tensor_arg(f);
    int64_t shape[TS_MAX_DIMS], strides[TS_MAX_DIMS];
    (void)ts_tensor_dtype(t);
    int nd = ts_tensor_ndim(t);
    (void)ts_tensor_dim(t, int_arg(f));
    (void)ts_tensor_numel(t);
    (void)ts_tensor_is_contiguous(t);
    if (t && ts_tensor_device(t) == NULL)
        broke(f, "%s gave NULL for a tensor%s", "ts_tensor_device", "");
    if (nd < 0 || nd > TS_MAX_DIMS)
        broke(f, "%s gave a rank out of range%s", "ts_tensor_ndim", "");
    CALL(f, ts_tensor_shape, t, u8(f) % 8 == 0 ? NULL : shape);
    CALL(f, ts_tensor_strides, t, u8(f) % 8 == 0 ? NULL : strides);
}

/* ---- ops ------------------------------------------------------------------------ */

static void op_elementwise(fz *f)
{
    ts_tensor *a = tensor_arg(f), *b = tensor_arg(f), *o = tensor_arg(f);
    if (!SMALL(a, b, o))
        return;
    switch (u8(f) % 6) {
    case 0:
        CALL(f, ts_binary, (ts_binary_op)enum_arg(f, TS_BINARY_COUNT), a, b, o);
        break;
    case 1:
        CALL(f, ts_unary, (ts_unary_op)enum_arg(f, TS_UNARY_COUNT), a, o);
        break;
    case 2:
        CALL(f, ts_scale_shift, a, float_arg(f), float_arg(f), o);
        break;
    case 3:
        CALL(f, ts_cast, a, o);
        break;
    case 4:
        CALL(f, ts_copy, a, o);
        break;
    default:
        CALL(f, ts_glu, (ts_glu_kind)enum_arg(f, TS_GLU_COUNT), a, b, o);
        break;
    }
}

static void op_linalg(fz *f)
{
    ts_tensor *a = tensor_arg(f), *b = tensor_arg(f), *c = tensor_arg(f), *d = tensor_arg(f),
              *o = tensor_arg(f);
    if (!SMALL(a, b, c, d, o))
        return;
    switch (u8(f) % 3) {
    case 0:
        CALL(f, ts_matmul, a, b, o);
        break;
    case 1:
        CALL(f, ts_grouped_matmul, a, b, c, d, o);
        break;
    default:
        CALL(f, ts_conv1d_causal, a, b, c, o);
        break;
    }
}

static void op_rows(fz *f)
{
    ts_tensor *x = tensor_arg(f), *a = tensor_arg(f), *b = tensor_arg(f);
    if (!SMALL(x, a, b))
        return;
    switch (u8(f) % 10) {
    case 0:
        CALL(f, ts_softmax, x, float_arg(f), int_arg(f), a);
        break;
    case 6:
        CALL(f, ts_softmax_dim, x, int_arg(f), float_arg(f), a);
        break;
    case 7:
        CALL(f, ts_reduce_dim, (ts_reduce_op)enum_arg(f, 3), x, int_arg(f), a);
        break;
    case 8:
        CALL(f, ts_argmax_dim, x, int_arg(f), a);
        break;
    case 9:
        CALL(f, ts_topk_dim, x, int_arg(f), int_arg(f), a, b);
        break;
    case 1:
        CALL(f, ts_reduce, (ts_reduce_op)enum_arg(f, 3), x, a);
        break;
    case 2:
        CALL(f, ts_argmax, x, a);
        break;
    case 3:
        CALL(f, ts_topk, x, int_arg(f), a, b);
        break;
    case 4:
        CALL(f, ts_layer_norm, x, u8(f) & 1 ? NULL : b, u8(f) & 1 ? NULL : b, float_arg(f), a);
        break;
    default:
        CALL(f, ts_rms_norm, x, u8(f) & 1 ? NULL : b, float_arg(f), a);
        break;
    }
}

static void op_index(fz *f)
{
    ts_tensor *a = tensor_arg(f), *b = tensor_arg(f), *c = tensor_arg(f), *d = tensor_arg(f);
    if (!SMALL(a, b, c, d))
        return;
    switch (u8(f) % 6) {
    case 0:
        CALL(f, ts_gather_rows, a, b, c);
        break;
    case 5:
        CALL(f, ts_gather, a, int_arg(f), b, c);
        break;
    case 1:
        CALL(f, ts_scatter_add_rows, a, b, c);
        break;
    case 2: {
        const ts_tensor *in[6] = {a, b, c, d, tensor_arg(f), tensor_arg(f)};
        /* A count past the array would be the caller's bug: -1 .. 6. */
        int count = (int)(u8(f) % 8) - 1;
        if (!SMALL(in[4], in[5]))
            return;
        CALL(f, ts_concat, u8(f) % 16 == 0 ? NULL : in, count, int_arg(f), d);
        break;
    }
    case 3:
        CALL(f, ts_moe_place, a, int_arg(f), long_arg(f), b, c, d);
        break;
    default:
        CALL(f, ts_moe_combine, a, b, c, d);
        break;
    }
}

/* A transform length for rfft / irfft / irfft2. irfft may crop its output
 * to far fewer than n values, so a small out does not bound the work: a
 * length that validation would let through yet that needs real memory
 * (2^20 < n < 2^60: e.g. 3037000500, 24 GB of work) is skipped like a big
 * tensor. Longer lengths stay: validation must refuse them as overflows
 * (8n bytes). */
static int fft_len_arg(fz *f, int64_t *n)
{
    *n = long_arg(f);
    if (*n > ((int64_t)1 << 20) && *n < ((int64_t)1 << 60)) {
        g_stats.skipped++;
        return 0;
    }
    return 1;
}

static void op_fft(fz *f)
{
    ts_tensor *x = tensor_arg(f), *o = tensor_arg(f);
    if (!SMALL(x, o))
        return;
    ts_fft_norm norm = (ts_fft_norm)enum_arg(f, 3);
    int64_t n = 0;
    switch (u8(f) % 8) {
    case 0:
        CALL(f, ts_fft, x, norm, o);
        break;
    case 1:
        CALL(f, ts_ifft, x, norm, o);
        break;
    case 2:
        if (fft_len_arg(f, &n))
            CALL(f, ts_rfft, x, n, norm, o);
        break;
    case 3:
        if (fft_len_arg(f, &n))
            CALL(f, ts_irfft, x, n, norm, o);
        break;
    case 4:
        CALL(f, ts_fft2, x, norm, o);
        break;
    case 5:
        CALL(f, ts_ifft2, x, norm, o);
        break;
    case 6:
        CALL(f, ts_rfft2, x, norm, o);
        break;
    default:
        if (fft_len_arg(f, &n))
            CALL(f, ts_irfft2, x, n, norm, o);
        break;
    }
}

static void op_attention(fz *f)
{
    ts_tensor *q = tensor_arg(f), *k = tensor_arg(f), *v = tensor_arg(f), *o = tensor_arg(f);
    ts_attention_params p;
    ts_attention_params_init(&p);
    p.scale = u8(f) & 1 ? 0.0f : float_arg(f);
    p.causal = int_arg(f);
    p.bias = u8(f) & 1 ? NULL : tensor_arg(f);
    p.key_mask = u8(f) & 1 ? NULL : tensor_arg(f);
    p.gate = u8(f) & 1 ? NULL : tensor_arg(f);
    p.lse = u8(f) & 1 ? NULL : tensor_arg(f);
    if (u8(f) % 4 == 0) { /* the alignment, window, soft cap and key_len fields */
        p.causal_align = int_arg(f);
        p.causal_offset = long_arg(f);
        p.window = long_arg(f);
        p.softcap = float_arg(f);
        p.key_len = u8(f) & 1 ? NULL : tensor_arg(f);
    }
    if (!SMALL(q, k, v, o, p.bias, p.key_mask, p.gate, p.lse, p.key_len))
        return;
    const ts_attention_params *pp = u8(f) % 8 == 0 ? NULL : &p;
    if (u8(f) & 1)
        CALL(f, ts_attention, q, k, v, pp, o);
    else
        CALL(f, ts_attention_naive, q, k, v, pp, o);
}

static void op_gau(fz *f)
{
    ts_tensor *x = tensor_arg(f), *o = tensor_arg(f);
    ts_gau_weights w = {tensor_arg(f), tensor_arg(f), tensor_arg(f), tensor_arg(f),
                        tensor_arg(f), tensor_arg(f), tensor_arg(f)};
    ts_gau_params p = {.causal = int_arg(f), .norm_eps = float_arg(f), .chunk = long_arg(f),
                       .bias = u8(f) & 1 ? NULL : tensor_arg(f)};
    if (!SMALL(x, o, w.norm_weight, w.norm_bias, w.w_in, w.b_in, w.gamma, w.beta, w.w_out, p.bias))
        return;
    const ts_gau_weights *wp = u8(f) % 8 == 0 ? NULL : &w;
    const ts_gau_params *pp = u8(f) % 8 == 0 ? NULL : &p;
    if (u8(f) & 1)
        CALL(f, ts_gau, x, wp, pp, o);
    else
        CALL(f, ts_flash, x, wp, pp, o);
}

static void op_norm_layers(fz *f)
{
    ts_tensor *t[8];
    for (int i = 0; i < 8; i++)
        t[i] = tensor_arg(f);
    if (!SMALL(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]))
        return;
    float alpha = float_arg(f), eps = float_arg(f), g1, g2;
    switch (u8(f) % 10) {
    case 0:
        CALL(f, ts_residual_layer_norm, t[0], t[1], alpha, t[2], t[3], eps, t[4], t[5]);
        break;
    case 1:
        CALL(f, ts_residual_rms_norm, t[0], t[1], alpha, t[2], eps, t[4], t[5]);
        break;
    case 2:
        CALL(f, ts_deepnorm_constants, (ts_stack_arch)enum_arg(f, TS_STACK_ARCH_COUNT),
             int_arg(f), int_arg(f), u8(f) & 1 ? NULL : &g1, u8(f) & 1 ? NULL : &g2);
        CALL(f, ts_subln_gain, (ts_stack_arch)enum_arg(f, TS_STACK_ARCH_COUNT), int_arg(f),
             int_arg(f), u8(f) & 1 ? NULL : &g1);
        break;
    case 3: {
        ts_tensor *w[4] = {t[0], t[1], t[2], t[3]};
        int count = u8(f) % 6 - 1; /* -1 .. 4 */
        CALL(f, ts_scale_init_weights, u8(f) % 8 == 0 ? NULL : w, count, alpha);
        break;
    }
    case 4:
        CALL(f, ts_deepnorm_residual, t[0], t[1], alpha, t[2], t[3], eps, t[4]);
        break;
    case 5:
        CALL(f, ts_subln_attention_output, t[0], t[1], t[2], eps, t[3], t[4], t[5]);
        break;
    case 6:
        CALL(f, ts_subln_ffn, t[0], t[1], t[2], (ts_unary_op)enum_arg(f, TS_UNARY_COUNT), t[3],
             t[4], eps, t[5], t[6], t[7]);
        break;
    case 7:
        CALL(f, ts_primer_ffn, t[0], t[1], t[2], t[3], t[4], t[5]);
        break;
    case 8:
        CALL(f, ts_primer_dconv_projection, t[0], t[1], t[2], t[3]);
        break;
    default: {
        ts_tensor *u[2] = {tensor_arg(f), tensor_arg(f)};
        if (!SMALL(u[0], u[1]))
            return;
        CALL(f, ts_primer_mdha_qkv, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], u[0], u[1]);
        break;
    }
    }
}

#ifdef TSF_LONGCONV
static void op_longconv(fz *f)
{
    ts_tensor *t[10];
    for (int i = 0; i < 10; i++)
        t[i] = tensor_arg(f);
    if (!SMALL(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]))
        return;
    switch (u8(f) % 5) {
    case 0: {
        ts_fftconv_params p;
        ts_fftconv_params_init(&p);
        p.path = (ts_fftconv_path)enum_arg(f, 4);
        p.d = u8(f) & 1 ? NULL : t[3];
        CALL(f, ts_fftconv, t[0], t[1], u8(f) % 8 == 0 ? NULL : &p, t[2]);
        break;
    }
    case 1: {
        ts_fftconv_path path;
        int64_t n;
        CALL(f, ts_fftconv_choose, device_arg(f), long_arg(f), long_arg(f),
             u8(f) % 8 == 0 ? NULL : &path, u8(f) % 8 == 0 ? NULL : &n);
        break;
    }
    case 2: {
        ts_hyena_params p = {.order = int_arg(f), .in_w = t[2], .in_b = t[3], .short_w = t[4],
                             .short_b = t[5], .filters = t[6], .d_skip = t[7], .out_w = t[8],
                             .out_b = t[9], .path = (ts_fftconv_path)enum_arg(f, 4)};
        CALL(f, ts_hyena, t[0], u8(f) % 8 == 0 ? NULL : &p, t[1]);
        break;
    }
    case 3: {
        ts_hyena_filter_params p = {.emb = long_arg(f), .l_max = long_arg(f), .w1 = t[1],
                                    .b1 = t[2], .w2 = t[3], .b2 = t[4], .w3 = t[5], .b3 = t[6],
                                    .w4 = t[7], .omega = t[8]};
        CALL(f, ts_hyena_filter, u8(f) % 8 == 0 ? NULL : &p, t[0]);
        break;
    }
    default: {
        ts_afno2d_params p = {.blocks = long_arg(f), .w1 = t[2], .b1 = t[3], .w2 = t[4],
                              .b2 = t[5], .lambda = float_arg(f), .keep_h = long_arg(f),
                              .keep_w = long_arg(f)};
        CALL(f, ts_afno2d, t[0], u8(f) % 8 == 0 ? NULL : &p, t[1]);
        break;
    }
    }
}
#endif

#ifdef TSF_MOE
static void op_moe(fz *f)
{
    ts_tensor *t[8];
    for (int i = 0; i < 8; i++)
        t[i] = tensor_arg(f);
    ts_tensor *pl[11];
    for (int i = 0; i < 11; i++)
        pl[i] = u8(f) % 4 ? NULL : tensor_arg(f);
    if (!SMALL(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]) ||
        !SMALL(pl[0], pl[1], pl[2], pl[3], pl[4], pl[5], pl[6], pl[7], pl[8], pl[9], pl[10]))
        return;
    ts_moe_params p;
    ts_moe_params_init(&p);
    p.n_experts = int_arg(f);
    p.k = int_arg(f);
    if (u8(f) & 1) {
        p.capacity_factor = float_arg(f);
        p.min_capacity = long_arg(f);
        p.capacity = long_arg(f);
    }
    p.renormalize = int_arg(f);
    p.router = (ts_moe_router_kind)enum_arg(f, 2);
    p.activation = (ts_moe_activation)enum_arg(f, 5);
    p.xmoe_temperature = float_arg(f);
    p.aux_loss_weight = float_arg(f);
    p.plan = (ts_moe_plan){.logits = pl[0], .probs = pl[1], .expert = pl[2], .gate = pl[3],
                           .rows = pl[4], .row_token = pl[5], .counts = pl[6], .offsets = pl[7],
                           .dropped = pl[8], .aux_loss = pl[9], .z_loss = pl[10]};
    ts_moe_weights w = {.router = t[2], .xmoe_reduce = t[3], .xmoe_experts = t[4], .w1 = t[5],
                        .w_gate = t[6], .w2 = t[7]};
    const ts_moe_params *pp = u8(f) % 8 == 0 ? NULL : &p;
    switch (u8(f) % 3) {
    case 0: {
        int64_t cap, rows;
        CALL(f, ts_moe_capacity, pp, long_arg(f), u8(f) % 8 == 0 ? NULL : &cap,
             u8(f) % 8 == 0 ? NULL : &rows);
        break;
    }
    case 1:
        CALL(f, ts_moe_route, t[0], u8(f) % 8 == 0 ? NULL : &w, pp);
        break;
    default:
        CALL(f, ts_moe_ffn, t[0], u8(f) % 8 == 0 ? NULL : &w, pp, t[1]);
        break;
    }
}
#endif

typedef void (*tsf_op)(fz *f);
static const tsf_op ops[] = {
    op_create,      op_create,     op_destroy,     op_write,     op_read,         op_copy_to,
    op_view,        op_view,       op_accessors,   op_elementwise, op_linalg,     op_rows,
    op_index,       op_fft,        op_attention,   op_gau,       op_norm_layers,  op_context,
    op_device_queries, op_device_calls, op_misc,
#ifdef TSF_LONGCONV
    op_longconv,
#endif
#ifdef TSF_MOE
    op_moe,
#endif
};
#define OP_COUNT (sizeof ops / sizeof ops[0])

int tsf_init(void)
{
    for (int c = 0; c < 2; c++) {
        if (ts_context_create(&g_ctx[c]) != TS_OK)
            return 1;
        int n = 0;
        ts_device_count(g_ctx[c], &n);
        for (int i = 0; i < n && g_ndev < TSF_MAX_DEVICES; i++)
            if (ts_device_get(g_ctx[c], i, &g_dev[g_ndev]) == TS_OK)
                g_ndev++;
    }
    return g_ndev > 0 ? 0 : 1;
}

int tsf_run(const uint8_t *data, size_t size, const char **why)
{
    static fz f;
    memset(&f, 0, sizeof f);
    f.p = data;
    f.n = size;
    g_stats.inputs++;
    for (int i = 0; i < TSF_MAX_OPS && f.pos < f.n && !f.broken; i++)
        ops[u8(&f) % OP_COUNT](&f);
    for (int s = 0; s < TSF_SLOTS; s++)
        ts_tensor_destroy(f.slot[s]);
    /* Whatever was recorded must run: a bad op is refused, never half-done. */
    for (int d = 0; d < g_ndev && !f.broken; d++)
        if (check(&f, "ts_device_sync", ts_device_sync(g_dev[d])) != TS_OK)
            broke(&f, "%s failed after the input: %s", "ts_device_sync", ts_last_error(NULL));
    ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
    *why = f.broken ? f.why : NULL;
    return f.broken ? 1 : 0;
}

void tsf_stats_get(tsf_stats *out)
{
    *out = g_stats;
}

void tsf_shutdown(void)
{
    for (int c = 0; c < 2; c++) {
        ts_context_destroy(g_ctx[c]);
        g_ctx[c] = NULL;
    }
    g_ndev = 0;
}
