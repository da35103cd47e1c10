/* The CPU backend's vtable: one device (the host), buffers in host memory,
 * and record() that runs each op right away on the thread pool (so sync
 * has nothing to wait for). The op files do the work; this file only
 * answers supports() and routes record() by op code through one table.
 *
 * Environment (read at ts_context_create):
 *   TESSEL_CPU_SIMD=scalar|avx2|avx512|neon  lower the kernel table's level
 *   TESSEL_NUM_THREADS=N                     pool (and OpenBLAS) threads;
 *                                            default: the CPUs we may run on
 *                                            (affinity mask, cgroup quota)
 *   TESSEL_OPENBLAS=off|<file>               no OpenBLAS (own GEMM), or
 *                                            load <file> instead of
 *                                            libopenblas.so.0
 *   OPENBLAS_CORETYPE                        honoured as set; when unset,
 *                                            tessel picks it (cpu_openblas.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend-cpu/cpu_gemm16.h"
#include "backend-cpu/cpu_internal.h"
#include "core/registry.h"

#if defined(__linux__)
#include <sched.h>
#endif

/* A container's CPU quota (cgroup v2 cpu.max, "200000 100000" = 2 CPUs):
 * more threads than that only queue behind each other. 0: no quota. */
static int cgroup_cpu_limit(void)
{
    FILE *fp = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (!fp)
        return 0;
    char quota[32];
    long long period = 0;
    int n = fscanf(fp, "%31s %lld", quota, &period);
    fclose(fp);
    if (n != 2 || strcmp(quota, "max") == 0 || period <= 0)
        return 0;
    long long q = strtoll(quota, NULL, 10);
    return q > 0 ? (int)((q + period - 1) / period) : 0;
}

static int default_threads(void)
{
    const char *env = getenv("TESSEL_NUM_THREADS");
    if (env && *env) {
        long v = strtol(env, NULL, 10);
        if (v >= 1 && v <= 1024)
            return (int)v;
    }
    int n = 0;
#if defined(__linux__) && defined(CPU_COUNT)
    /* The CPUs this process may run on (taskset, cpusets), not the machine's. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
#endif
    if (n <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online >= 1 ? (int)online : 1;
    }
    int limit = cgroup_cpu_limit();
    return limit > 0 && limit < n ? limit : n;
}

static ts_status cpu_device_info(void *state, int index, ts_device_info *out);

static ts_status cpu_init(const tsi_host *host, void **out)
{
    tsi_cpu_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->set_error("cpu: out of host memory");
        return TS_ERR_OUT_OF_MEMORY;
    }
    s->host = host;
    tsi_cpu_features_detect(&s->feat);
    s->threads = default_threads();
    s->blas = tsi_cpu_blas_get(&s->feat, s->threads);
    cpu_device_info(s, 0, &s->info);
    snprintf(s->info.backend, sizeof s->info.backend, "cpu");
    *out = s;
    return TS_OK;
}

static void cpu_shutdown(void *state)
{
    free(state);
}

static int cpu_device_count(void *state)
{
    return 1;
}

typedef struct cpu_vendor {
    const char *cpuid; /* cpuid leaf 0 vendor string */
    const char *name;
    uint32_t pci_id; /* the vendor's PCI id, as GPUs report theirs */
} cpu_vendor;

static const cpu_vendor cpu_vendors[] = {
    {"GenuineIntel", "Intel", 0x8086},
    {"AuthenticAMD", "AMD", 0x1022},
    {"HygonGenuine", "Hygon", 0x1d94},
};

static const cpu_vendor *vendor_of(const char *cpuid)
{
    for (size_t i = 0; i < sizeof cpu_vendors / sizeof cpu_vendors[0]; i++)
        if (strcmp(cpu_vendors[i].cpuid, cpuid) == 0)
            return &cpu_vendors[i];
    return NULL;
}

static uint64_t host_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

static ts_status cpu_device_info(void *state, int index, ts_device_info *out)
{
    const tsi_cpu_state *s = state;
    const tsi_cpu_features *f = &s->feat;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", f->name);
    const cpu_vendor *v = vendor_of(f->vendor);
    snprintf(out->vendor, sizeof out->vendor, "%s",
             v              ? v->name
             : f->vendor[0] ? f->vendor
                            : "unknown");
    out->vendor_id = v ? v->pci_id : 0;
    out->kind = TS_DEVICE_CPU;
    out->memory_bytes = host_memory();
    out->max_alloc_bytes = out->memory_bytes;
    out->compute_units = (uint32_t)s->threads;
    out->fp16_storage = 1;
    out->unified_memory = 1;
    /* Nothing in tessel sets FTZ/DAZ (MXCSR) or FZ (FPCR), nor builds with
     * -ffast-math, whose startup code would. */
    out->denormals = TS_DENORMALS_PRESERVED;
    const char *blas = s->blas->sgemm ? s->blas->core : "none";
    if (s->blas->sgemm) {
        snprintf(out->driver, sizeof out->driver, "tessel cpu, OpenBLAS (%s, core set by %s)",
                 s->blas->core, s->blas->core_source);
    } else {
        snprintf(out->driver, sizeof out->driver, "tessel cpu, own GEMM (OpenBLAS %s)",
                 s->blas->why_absent);
    }
    /* fma / f16c are listed when the chosen kernel table uses them. */
    bool x86_simd = f->simd == TSI_CPU_SIMD_AVX2 || f->simd == TSI_CPU_SIMD_AVX512;
    /* The GEMM path of each dtype (f32: OpenBLAS or the own kernel). */
    char gemm16[96];
    tsi_cpu_gemm16_describe(f, tsi_cpu_kernels_for(f->simd), gemm16, sizeof gemm16);
    snprintf(out->features, sizeof out->features,
             "simd=%s%s openblas=%s threads=%d; gemm: f32 %s, %s", tsi_cpu_simd_label(f->simd),
             x86_simd ? " fma f16c" : "", blas, s->threads, s->blas->sgemm ? "openblas" : "own",
             gemm16);
    out->bf16_native = f->simd == TSI_CPU_SIMD_AVX512 && f->avx512_bf16;
    return TS_OK;
}

static ts_status cpu_device_open(void *state, int index, tsi_device **out)
{
    tsi_cpu_state *s = state;
    tsi_device *dev = calloc(1, sizeof *dev);
    if (!dev) {
        s->host->set_error("cpu: out of host memory");
        return TS_ERR_OUT_OF_MEMORY;
    }
    dev->state = s;
    dev->k = tsi_cpu_kernels_for(s->feat.simd);
    ts_status st = tsi_cpu_pool_create(s->threads, &dev->pool);
    if (st != TS_OK) {
        s->host->set_error("cpu: cannot start %d worker threads", s->threads);
        free(dev);
        return st;
    }
    *out = dev;
    return TS_OK;
}

static void cpu_device_close(tsi_device *dev)
{
    tsi_cpu_pool_destroy(dev->pool);
    free(dev->gemm_pack);
    tsi_cpu_fft_tables_free(dev->fft_tables);
    tsi_cpu_spares_clear(&dev->spares);
    free(dev);
}

/* Buffers of this size and more are 2 MiB aligned and asked to be backed
 * by transparent huge pages: a layer's fresh temporaries (the MoE FFN's
 * hidden activations are 64 MiB) otherwise take one page fault per 4 KiB
 * on first touch, about a tenth of the layer's time in `tessel-bench moe`,
 * and the GEMMs walking them miss the TLB less. Freed ones are kept for
 * the next request of the same size (cpu_spare_buffers.c). */
#define HUGE_BYTES ((size_t)4 << 20)
#define HUGE_ALIGN ((size_t)2 << 20)

/* The 2 MiB rounded length of a huge buffer of `bytes`, or 0 for a small one. */
static size_t huge_len(size_t bytes)
{
    if (bytes < HUGE_BYTES || bytes > SIZE_MAX - HUGE_ALIGN)
        return 0;
    return (bytes + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
}

static void *big_alloc(tsi_device *dev, size_t bytes)
{
    size_t len = huge_len(bytes);
    if (len == 0)
        return aligned_alloc(TSI_CPU_ALIGN, tsi_cpu_align_up(bytes));
    void *p = tsi_cpu_spares_take(&dev->spares, len); /* already touched: no page faults */
    if (p)
        return p;
    p = aligned_alloc(HUGE_ALIGN, len);
    if (!p && dev->spares.n > 0) {
        tsi_cpu_spares_clear(&dev->spares); /* memory is short: give back what is kept */
        p = aligned_alloc(HUGE_ALIGN, len);
    }
#ifdef MADV_HUGEPAGE
    if (p)
        (void)madvise(p, len, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
    return p;
}

static ts_status cpu_buffer_alloc(tsi_device *dev, size_t bytes, tsi_buffer **out)
{
    if (bytes > SIZE_MAX - TSI_CPU_ALIGN) {
        dev->state->host->set_error("cpu: a buffer of %zu bytes cannot be addressed", bytes);
        return TS_ERR_OVERFLOW;
    }
    tsi_buffer *b = malloc(sizeof *b);
    void *data = big_alloc(dev, bytes);
    if (!b || !data) {
        free(b);
        free(data);
        dev->state->host->set_error("cpu: out of host memory allocating %zu bytes", bytes);
        return TS_ERR_OUT_OF_MEMORY;
    }
    b->data = data;
    b->bytes = bytes;
    *out = b;
    return TS_OK;
}

/* Work runs inside record(), so nothing can still be using the buffer. */
static void cpu_buffer_free(tsi_device *dev, tsi_buffer *buf)
{
    size_t len = huge_len(buf->bytes);
    if (len == 0 || !tsi_cpu_spares_keep(&dev->spares, buf->data, len))
        free(buf->data);
    free(buf);
}

static ts_status cpu_buffer_write(tsi_device *dev, tsi_buffer *buf, size_t offset, const void *src,
                                  size_t bytes)
{
    memcpy((char *)buf->data + offset, src, bytes);
    return TS_OK;
}

static ts_status cpu_buffer_read(tsi_device *dev, tsi_buffer *buf, size_t offset, void *dst,
                                 size_t bytes)
{
    memcpy(dst, (char *)buf->data + offset, bytes);
    return TS_OK;
}

static bool is_float(ts_dtype dt)
{
    return dt == TS_F32 || dt == TS_F16 || dt == TS_BF16;
}

static bool is_dtype(ts_dtype dt)
{
    return (unsigned)dt < TS_DTYPE_COUNT;
}

/* Unary kinds defined on i32 (see ts_unary in ops.h). */
static bool unary_int_ok(int kind)
{
    return kind == TS_NEG || kind == TS_ABS || kind == TS_RELU || kind == TS_RELU2 ||
           kind == TSI_UNARY_COPY;
}

static bool unary_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    if (op->p.unary.kind == TSI_UNARY_COPY)
        return is_dtype(dt) && is_dtype(op->out[0].dtype);
    if (op->p.unary.kind < 0 || op->p.unary.kind >= TSI_UNARY_KIND_COUNT ||
        op->out[0].dtype != dt)
        return false;
    return is_float(dt) || (dt == TS_I32 && unary_int_ok(op->p.unary.kind));
}

static bool binary_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    return is_dtype(dt) && op->in[1].dtype == dt && op->out[0].dtype == dt &&
           op->p.binary.kind >= 0 && op->p.binary.kind < TS_BINARY_COUNT &&
           (dt != TS_C64 || op->p.binary.kind <= TS_MUL);
}

static bool float_supports(tsi_device *dev, const tsi_op *op)
{
    return is_float(op->in[0].dtype);
}

/* Every real dtype: c64 has no kernels beyond copy, cast, add, sub, mul. */
static bool any_dtype_supports(tsi_device *dev, const tsi_op *op)
{
    return is_dtype(op->in[0].dtype) && op->in[0].dtype != TS_C64;
}

static bool reduce_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    if (op->p.reduce.kind == TSI_REDUCE_MEAN)
        return is_float(dt);
    return is_dtype(dt) && op->p.reduce.kind >= TSI_REDUCE_SUM &&
           op->p.reduce.kind <= TSI_REDUCE_ARGMAX;
}

static bool scatter_supports(tsi_device *dev, const tsi_op *op)
{
    return is_dtype(op->out[0].dtype);
}

/* The CPU kernel table: one row per op (core/backend.h, tsi_kernel). An op
 * that needs scratch memory sizes it in its plan; core allocates it (and
 * trims it after a big op) and hands it over as op->workspace. */
static const tsi_kernel cpu_kernels[TSI_OP_COUNT] = {
    [TSI_OP_UNARY] = {unary_supports, NULL, tsi_cpu_elementwise_record},
    [TSI_OP_BINARY] = {binary_supports, NULL, tsi_cpu_elementwise_record},
    [TSI_OP_MATMUL] = {float_supports, tsi_cpu_matmul_plan, tsi_cpu_matmul_record},
    [TSI_OP_SOFTMAX] = {float_supports, tsi_cpu_softmax_plan, tsi_cpu_softmax_record},
    [TSI_OP_REDUCE] = {reduce_supports, tsi_cpu_reduce_plan, tsi_cpu_reduce_record},
    [TSI_OP_TOPK] = {any_dtype_supports, tsi_cpu_topk_plan, tsi_cpu_topk_record},
    [TSI_OP_GATHER_ROWS] = {any_dtype_supports, NULL, tsi_cpu_gather_rows_record},
    [TSI_OP_SCATTER_ADD_ROWS] = {scatter_supports, tsi_cpu_scatter_add_rows_plan,
                                 tsi_cpu_scatter_add_rows_record},
    [TSI_OP_NORM] = {float_supports, tsi_cpu_norm_plan, tsi_cpu_norm_record},
    [TSI_OP_CONV1D_CAUSAL] = {float_supports, tsi_cpu_conv1d_plan, tsi_cpu_conv1d_record},
    [TSI_OP_ATTENTION] = {float_supports, tsi_cpu_attention_plan, tsi_cpu_attention_record},
    [TSI_OP_FFT] = {tsi_cpu_fft_supports, tsi_cpu_fft_plan, tsi_cpu_fft_record},
    [TSI_OP_CONV1D_LONG] = {float_supports, tsi_cpu_conv1d_long_plan, tsi_cpu_conv1d_long_record},
    [TSI_OP_GROUPED_MATMUL] = {float_supports, tsi_cpu_grouped_matmul_plan,
                               tsi_cpu_grouped_matmul_record},
    [TSI_OP_MOE_PLACE] = {NULL, tsi_cpu_moe_place_plan, tsi_cpu_moe_place_record},
    [TSI_OP_MOE_COMBINE] = {float_supports, tsi_cpu_moe_combine_plan, tsi_cpu_moe_combine_record},
    [TSI_OP_FFTCONV] = {tsi_cpu_fftconv_supports, tsi_cpu_fftconv_plan, tsi_cpu_fftconv_record},
};

/* Every op runs inside record(), so sync has nothing to wait for. */
static ts_status cpu_sync(tsi_device *dev)
{
    return TS_OK;
}

static const tsi_backend cpu_backend = {
    .abi_version = TSI_BACKEND_ABI_VERSION,
    .name = "cpu",
    .init = cpu_init,
    .shutdown = cpu_shutdown,
    .device_count = cpu_device_count,
    .device_info = cpu_device_info,
    .device_open = cpu_device_open,
    .device_close = cpu_device_close,
    .buffer_alloc = cpu_buffer_alloc,
    .buffer_free = cpu_buffer_free,
    .buffer_write = cpu_buffer_write,
    .buffer_read = cpu_buffer_read,
    .kernels = cpu_kernels,
    .n_kernels = TSI_OP_COUNT,
    .op_size = sizeof(tsi_op),
    .sync = cpu_sync,
};

const tsi_backend *tsi_backend_cpu(void)
{
    return &cpu_backend;
}
