/* Host code shared by the two GPU backends (Vulkan and OpenCL): compiled
 * into each module, so one file per kernel family serves both. The kernels
 * themselves are written once in shaders/<family>.kern.
 *
 * A family's host file includes its shaders/<family>.h (constants, buffer
 * bindings and parameters as X-lists), declares the parameter struct with
 * TSG_PARAMS, and launches through tsi_gpu_launch with TSG_LAUNCH. Each
 * backend implements the few functions at the bottom (vk_gpu.c,
 * cl_gpu.c): what its device can do, and how a launch is recorded. */
#ifndef TESSEL_BACKEND_GPU_H
#define TESSEL_BACKEND_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

/* What shared host code may know of a GPU device, filled by its backend. */
typedef struct tsi_gpu_caps {
    const char *backend;         /* "vulkan" / "opencl", for messages */
    const ts_device_info *info;  /* the tuning key (host->tuning) */
    const tsi_host *host;
    uint32_t max_wg;             /* invocations of a 1-d workgroup */
    uint64_t max_shared;         /* bytes of shared / local memory */
    uint32_t max_groups[3];      /* workgroup counts per launch */
    uint64_t max_binding;        /* bytes one buffer binding may span */
    uint32_t max_buffers;        /* bindings one launch may use */
    uint32_t subgroup;           /* 0: unknown */
    bool cpu_driver;             /* lavapipe, PoCL: a workgroup is a CPU thread */
    /* Loop back-edges one invocation may take in all before the driver
     * silently stops it (llvmpipe: 65535); 0: no limit. */
    uint32_t loop_cap;
    uint32_t row_wg;             /* workgroup of the row ops (power of two) */
    uint32_t elem_wg;            /* workgroup of the elementwise ops */
    /* The Vulkan cooperative-matrix f16 GEMM tile can run (matmul_coop,
     * shaders/vulkan/matmul_coop.comp); always false on OpenCL. */
    bool coop_f16;
    /* Subgroup shuffles in compute shaders, with pipelines that require
     * full subgroups (Vulkan modules <entry>_sg, shaders/wg_reduce.h);
     * always false on OpenCL. */
    bool subgroup_shuffle;
    /* Read-only buffers can also be bound as 32-bit texel buffers (Vulkan
     * modules <entry>_tx, TS_TEXEL_BUFS in shaders/lang/glsl.h): up to
     * texel_words words from an offset that is a multiple of texel_align
     * bytes. 0 on OpenCL. CPU drivers fetch texels with vector gathers
     * where their SSBO loads go lane by lane (Mesa 22.3's llvmpipe). */
    uint64_t texel_words;
    uint32_t texel_align;
} tsi_gpu_caps;

/* The subgroup variant of a row kernel's module (entry "<entry>_sg") where
 * the device has subgroup shuffles and the workgroup is whole subgroups;
 * else the entry as it is (shared-memory trees). */
static inline const char *tsi_gpu_subgroup_entry(const tsi_gpu_caps *c, uint32_t wg,
                                                 const char *entry, const char *sg_entry)
{
    return c->subgroup_shuffle && c->subgroup && wg >= c->subgroup && wg % c->subgroup == 0
               ? sg_entry
               : entry;
}

/* One kernel launch: family (the shaders/<family>.kern file), entry
 * point, constants in id order (consts[0] is the workgroup width WG),
 * buffers in binding order (NULL: absent optional input), the parameter
 * struct, and workgroup counts. Build it with TSG_LAUNCH. */
typedef struct tsi_gpu_launch {
    const char *family, *entry;
    const char *const *const_names;
    const uint32_t *consts;
    int n_consts;
    tsi_buffer *const *bufs;
    const uint8_t *writes; /* per binding: 1 when the kernel writes it */
    int n_bufs;
    const void *params;
    uint32_t params_bytes;
    uint32_t groups[3];
    /* Bit i: binding i is also bound as a texel buffer (entries <entry>_tx
     * only, where caps->texel_words allows; TSG_LAUNCH leaves it 0). */
    uint32_t texel_mask;
} tsi_gpu_launch;

/* ---- declaring a family's interface in C ------------------------------- */

#define TSG_CTYPE_u32 uint32_t
#define TSG_CTYPE_i32 int32_t
#define TSG_CTYPE_f32 float
#define TSG_FIELD_(type, name) TSG_CTYPE_##type name;
/* typedef struct name { fields of LIST } name; laid out like the kernel's
 * push constants / OpenCL struct argument (4-byte fields, no padding). */
#define TSG_PARAMS(name, LIST)                                                                     \
    typedef struct name {                                                                          \
        LIST(TSG_FIELD_)                                                                           \
    } name;                                                                                        \
    _Static_assert(sizeof(name) <= 128, #name ": more than 128 bytes of push constants")

#define TSG_CONST_NAME_(id, name) #name,
#define TSG_ONE_(...) 1 +
/* Bindings of a family's BUFS list. Vulkan guarantees only 4 storage
 * buffers per stage (maxPerStageDescriptorStorageBuffers): a family with
 * more checks caps->max_buffers in its supports(). */
#define TSG_BUF_COUNT(BUFS) (BUFS(TSG_ONE_) 0)
#define TSG_BUF_WRITE_RO 0
#define TSG_BUF_WRITE_RW 1
#define TSG_BUF_WRITE_CRW 1
#define TSG_BUF_WRITE_(b, acc, name) TSG_BUF_WRITE_##acc,

/* Fill a tsi_gpu_launch `l` for entry of family from the family's lists,
 * checking at compile time that consts[] and bufs[] have one value per
 * constant and binding. params is a pointer to the parameter struct. */
#define TSG_LAUNCH(l, family_, entry_, CONSTS, consts_, BUFS, bufs_, params_)                      \
    static const char *const entry_##_const_names_[] = {CONSTS(TSG_CONST_NAME_)};                 \
    static const uint8_t entry_##_writes_[] = {BUFS(TSG_BUF_WRITE_)};                             \
    _Static_assert(sizeof(consts_) / sizeof((consts_)[0]) == CONSTS(TSG_ONE_) 0,                 \
                   #entry_ ": one value per constant");                                            \
    _Static_assert(sizeof(bufs_) / sizeof((bufs_)[0]) == BUFS(TSG_ONE_) 0,                        \
                   #entry_ ": one buffer per binding");                                            \
    tsi_gpu_launch l = {.family = family_,                                                         \
                        .entry = #entry_,                                                          \
                        .const_names = entry_##_const_names_,                                      \
                        .consts = consts_,                                                         \
                        .n_consts = (int)(sizeof(consts_) / sizeof((consts_)[0])),                 \
                        .bufs = bufs_,                                                             \
                        .writes = entry_##_writes_,                                                \
                        .n_bufs = (int)(sizeof(bufs_) / sizeof((bufs_)[0])),                       \
                        .params = params_,                                                         \
                        .params_bytes = (uint32_t)sizeof(*(params_))}

/* ---- shared helpers (gpu_common.c) -------------------------------------- */

/* Every view of op (inputs and outputs) indexable with 32-bit element
 * indices (the kernels' index type in both languages) within one binding. */
bool tsi_gpu_views_fit(const tsi_gpu_caps *c, const tsi_op *op);
bool tsi_gpu_view_fits(const tsi_gpu_caps *c, const tsi_view *v);
/* Do the kernels with a texel variant (<entry>_tx) read their operands a
 * and b (buffers) through texel buffers? Where the device's `texel` key asks
 * for it (CPU drivers, whose texel fetches are vector gathers;
 * TESSEL_VULKAN_TEXEL=0|1 overrides) and both can be bound so (b may be
 * NULL). */
bool tsi_gpu_texels(tsi_device *dev, const tsi_buffer *a, const tsi_buffer *b);
/* Split a flat workgroup count into x * y within the device's limits
 * (kernels recover the flat index with FLAT_GROUP); false when too many. */
bool tsi_gpu_grid(const tsi_gpu_caps *c, uint64_t groups, uint32_t out[3]);
/* Set the calling thread's message ("vulkan: ...") and return status:
 * one-line error paths. */
ts_status tsi_gpu_fail(tsi_device *dev, ts_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline uint64_t tsi_gpu_ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Limits to run under instead of the device's own (TESSEL_GPU_LIMITS,
 * gpu_limits.c); 0: the device's own. Each backend applies them where it
 * reads its device's limits. */
typedef struct tsi_gpu_limits {
    bool set;
    uint32_t wg;       /* invocations of a workgroup (and its width) */
    uint32_t shared;   /* bytes of shared / local memory */
    uint32_t groups;   /* workgroups per launch in each dimension */
    uint32_t buffers;  /* storage buffers one launch may bind */
    uint64_t binding;  /* bytes one binding may span */
    bool no_subgroups; /* no subgroup shuffles, no cooperative matrices */
    /* OpenCL: each kernel of kernel_wg_family ("": every family) runs at
     * most kernel_wg work-items, as a driver reports for a kernel with
     * many registers; the plans learn it only when a launch finds it. */
    uint32_t kernel_wg;
    char kernel_wg_family[16];
} tsi_gpu_limits;
/* Parse TESSEL_GPU_LIMITS; false (out all 0) when unset or not understood
 * (a warning through host->log names it). */
bool tsi_gpu_limits_from_env(const tsi_host *host, const char *backend, tsi_gpu_limits *out);
/* value = min(value, limit) unless limit is 0. */
void tsi_gpu_limit_u32(uint32_t *value, uint32_t limit);
void tsi_gpu_limit_u64(uint64_t *value, uint64_t limit);

/* Limits a backend learned for one kernel family only after planning with
 * the device's: an OpenCL driver may build a kernel that runs fewer
 * work-items than the device's maximum (CL_KERNEL_WORK_GROUP_SIZE,
 * register pressure). A family's plans then see the lower width; the
 * other families keep the device's. Family names are the literals of
 * TSG_LAUNCH. */
#define TSI_GPU_MAX_FAMILIES 16
typedef struct tsi_gpu_family_caps {
    int n;
    const char *family[TSI_GPU_MAX_FAMILIES];
    tsi_gpu_caps caps[TSI_GPU_MAX_FAMILIES];
} tsi_gpu_family_caps;
/* family's caps in t, else the device's (dev). */
const tsi_gpu_caps *tsi_gpu_family_caps_find(const tsi_gpu_family_caps *t, const tsi_gpu_caps *dev,
                                             const char *family);
/* Let family's kernels plan for at most the largest power of two <= wg
 * work-items from now on (max_wg, and row_wg / elem_wg within it). False
 * when that is not below what they plan for now, or wg is 0: planning
 * again would not help. */
bool tsi_gpu_family_lower_wg(tsi_gpu_family_caps *t, const tsi_gpu_caps *dev, const char *family,
                             uint64_t wg);

/* ---- provided by each GPU backend --------------------------------------- */

/* The device's capabilities, for what is not one kernel family's. */
const tsi_gpu_caps *tsi_gpu_caps_of(tsi_device *dev);
/* The capabilities family's plans and checks use (tsi_gpu_family_caps). */
const tsi_gpu_caps *tsi_gpu_caps_for(tsi_device *dev, const char *family);
/* Record one launch (pipeline / program built and cached on first use). */
ts_status tsi_gpu_launch_record(tsi_device *dev, const tsi_gpu_launch *l);
/* Can buf, whole, be bound as a texel buffer too (caps->texel_words and
 * texel_align)? Always false on OpenCL. */
bool tsi_gpu_texel_ok(tsi_device *dev, const tsi_buffer *buf);

#endif
