/* Vulkan backend internals (module libtessel-vulkan.so).
 *
 * Files: vk_backend.c (entry, vtable, buffer transfers), vk_device.c
 * (instance, enumeration, capabilities, validation messenger), vk_memory.c
 * (block sub-allocation), vk_exec.c (command recording, barriers,
 * submission, deferred frees), vk_pipeline.c (shader modules, pipelines,
 * persisted pipeline cache; vk_spirv_patch.c adds the denormal mode to
 * each module), vk_tuning.c (the tuning entry's values,
 * clamped to the device), vk_gpu.c (launches for the shared GPU host code,
 * backend-gpu/gpu.h), vk_kernels.c (the kernel table).
 *
 * Ops are not written here: each kernel family is shaders/<family>.kern
 * (compiled to one <entry>.spv per entry point) plus its host file in
 * backend-gpu/, shared with OpenCL; vk_gpu.c turns a tsi_gpu_launch into
 *
 *     TSI_VK_TRY(tsi_vk_pipeline(dev, "<entry>.spv", consts, n, &p));
 *     return tsi_vk_dispatch(dev, p, bindings, nb, params, bytes, gx, gy, gz);
 *
 * - Bindings: slot i of the array is binding i (at most d->n_bindings);
 *   a NULL buf binds a small range of a dummy buffer (absent optional
 *   inputs and outputs). A binding marked written is seen by the barrier
 *   tracking.
 * - Push constants: at most TSI_VK_PUSH_BYTES; views' element offsets go
 *   there (descriptors bind the whole tsi_buffer).
 * - tsi_vk_dispatch inserts a barrier only when this dispatch touches a
 *   buffer written (or writes one read) since the last barrier, and submits
 *   on the batch threshold.
 * All calls on one device are serialized by core. */
#ifndef TESSEL_VK_INTERNAL_H
#define TESSEL_VK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "backend-gpu/gpu.h"
#include "core/backend.h"

#define TSI_VK_MAX_BINDINGS 12
#define TSI_VK_PUSH_BYTES 128
#define TSI_VK_FRAMES 2
#define TSI_VK_SETS_PER_FRAME 256
#define TSI_VK_HAZARD_SLOTS 32
/* The dummy buffer that absent bindings get: this many ranges of
 * TSI_VK_DUMMY_BYTES, a fresh one per absent binding (vk_exec.c). */
#define TSI_VK_DUMMY_RANGES 256
#define TSI_VK_DUMMY_BYTES 256

extern const tsi_host *tsi_vk_host;

/* Set the error message, return status: keeps error paths one line. */
#define TSI_VK_FAIL(status, ...) (tsi_vk_host->set_error(__VA_ARGS__), (status))
#define TSI_VK_TRY(expr)                                                                   \
    do {                                                                                   \
        ts_status st_ = (expr);                                                            \
        if (st_ != TS_OK)                                                                  \
            return st_;                                                                    \
    } while (0)

/* A pending validation message (TESSEL_VULKAN_VALIDATION=1) as
 * TS_ERR_BACKEND; checked by every device call and every launch. */
ts_status tsi_vk_check_validation(void);

/* Map a failed VkResult to a status and message ("what" names the call). */
ts_status tsi_vk_result(VkResult r, const char *what);

/* ---- tuning (vk_tuning.c) ---------------------------------------------- */

typedef struct tsi_vk_tuning {
    uint32_t row_wg;  /* workgroup of the row ops (power of two) */
    uint32_t elem_wg; /* workgroup of the elementwise ops */
    uint32_t loop_cap; /* workaround: loop iterations one invocation may run; 0 none */
} tsi_vk_tuning;

/* ---- devices (vk_device.c) --------------------------------------------- */

typedef struct tsi_vk_physical {
    VkPhysicalDevice pd;
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties mem;
    uint32_t queue_family;
    uint32_t subgroup_size;
    uint32_t compute_units; /* from a vendor extension (vk_device.c), 0 unknown */
    /* VK_KHR_driver_properties' driverName and driverInfo ("llvmpipe",
     * "Mesa 22.3.6 (LLVM 15.0.6)"); "" where not offered. */
    char driver_name[VK_MAX_DRIVER_NAME_SIZE], driver_info[VK_MAX_DRIVER_INFO_SIZE];
    VkDeviceSize max_alloc; /* maxMemoryAllocationSize (Vulkan 1.1) */
    bool fp16_storage, fp16_arith, coop_matrix, bf16;
    /* 16: the cooperative-matrix GEMM tile can run (vk_device.c,
     * query_coop_matrix); 0: not. coop_desc says what was found. */
    uint32_t coop_mnk;
    bool subgroup_shuffle; /* basic + shuffle subgroup ops in compute shaders */
    /* VK_EXT_subgroup_size_control's computeFullSubgroups: a pipeline can
     * require every subgroup to run with all its invocations (enabled at
     * device creation; vk_pipeline.c asks it of the modules that need it). */
    bool full_subgroups;
    bool portability_subset; /* a portability driver's device (MoltenVK): enabled at creation */
    char coop_desc[48];
    bool uma;
    bool limited; /* props.limits cut down by TESSEL_GPU_LIMITS (gpu_limits.c) */
    /* VK_KHR_shader_float_controls offered, and what its properties say the
     * device can do with 32-bit subnormals on request. */
    bool float_controls, denorm_preserve32, denorm_flush32;
} tsi_vk_physical;

/* What the device's shader modules ask for 32-bit subnormals (the
 * float-controls execution mode vk_spirv_patch.c adds). */
typedef enum tsi_vk_denorms {
    TSI_VK_DENORMS_DRIVER = 0, /* nothing asked: the driver's default, may flush */
    TSI_VK_DENORMS_PRESERVE,   /* DenormPreserve 32: the default where offered */
    TSI_VK_DENORMS_FLUSH       /* DenormFlushToZero 32: TESSEL_VULKAN_DENORMS=flush */
} tsi_vk_denorms;

typedef struct tsi_vk_state {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger; /* VK_NULL_HANDLE without validation */
    int count;
    tsi_vk_physical *phys;
} tsi_vk_state;

ts_status tsi_vk_state_create(tsi_vk_state **out);
void tsi_vk_state_destroy(tsi_vk_state *s);
void tsi_vk_fill_info(const tsi_vk_physical *p, ts_device_info *out);
/* The mode p's modules get: TESSEL_VULKAN_DENORMS (preserve, the default;
 * flush, a testing aid; driver, the unpatched modules) where the device
 * offers it, else TSI_VK_DENORMS_DRIVER. */
tsi_vk_denorms tsi_vk_denorm_mode(const tsi_vk_physical *p);
/* The first validation message since the last call, or NULL (the caller
 * frees it). Messages are instance wide: core serializes per device and the
 * tests use one device, so the next call on any device reports it. */
char *tsi_vk_take_validation_message(void);

/* ---- memory (vk_memory.c) ---------------------------------------------- */

typedef struct tsi_vk_range {
    VkDeviceSize off, size;
} tsi_vk_range;

typedef struct tsi_vk_block {
    VkDeviceMemory mem;
    VkBuffer buf;
    VkDeviceSize size;
    void *map; /* non-NULL when host-visible and coherent */
    tsi_vk_range *free;
    int n_free, cap_free;
    int live; /* sub-allocations in use */
    struct tsi_vk_block *next;
} tsi_vk_block;

/* Tensor memory: storage buffers, copies, and texel views of read-only
 * operands (<entry>_tx modules, vk_exec.c). */
#define TSI_VK_TENSOR_USAGE                                                                        \
    (VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |               \
     VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT)

struct tsi_buffer {
    tsi_vk_block *block;
    VkDeviceSize offset, size; /* size rounded up to the alignment */
    size_t bytes;              /* as asked */
    uint64_t last_use;         /* serial of the last frame that used it */
    struct tsi_buffer *next_deferred;
};

typedef struct tsi_vk_memory {
    tsi_vk_block *blocks;
    uint32_t type_index;
    bool mapped; /* blocks are host-visible + coherent: direct map */
    uint32_t staging_type;
    VkDeviceSize block_size, align, in_use, limit;
} tsi_vk_memory;

/* ---- pipelines (vk_pipeline.c) ----------------------------------------- */

typedef struct tsi_vk_pipeline_entry {
    char shader[40];
    uint32_t spec[12];
    int n_spec;
    VkPipeline pipeline;
} tsi_vk_pipeline_entry;

/* ---- the device -------------------------------------------------------- */

typedef struct tsi_vk_frame {
    VkCommandBuffer cmd;
    VkFence fence;
    VkDescriptorPool pool;
    /* Texel-buffer views of this frame's dispatches, destroyed once the
     * frame's work has completed. */
    VkBufferView *views;
    uint32_t n_views, cap_views;
    uint32_t sets, dispatches;
    uint64_t serial;
    bool recording, in_flight;
} tsi_vk_frame;

typedef struct tsi_vk_hazard {
    tsi_vk_block *block;
    VkDeviceSize off, size;
} tsi_vk_hazard;

struct tsi_device {
    tsi_vk_state *state;
    const tsi_vk_physical *phys;
    VkPhysicalDeviceLimits limits;
    VkDevice dev;
    VkQueue queue;
    VkCommandPool cmd_pool;
    tsi_vk_frame frames[TSI_VK_FRAMES];
    int cur;
    uint64_t next_serial, completed_serial;
    tsi_vk_hazard reads[TSI_VK_HAZARD_SLOTS], writes[TSI_VK_HAZARD_SLOTS];
    int n_reads, n_writes;
    /* TESSEL_TEST_HOOK=vulkan_no_barriers: the hazard barriers between
     * dispatches are left out, to show that synchronization validation
     * catches a missing one (test_vulkan_sync). */
    bool no_barriers;
    tsi_buffer *deferred; /* freed by the user, still used by pending work */
    tsi_vk_memory memory;
    /* Absent bindings: a shader may declare one writable, and
     * synchronization validation then counts a write of whatever is bound
     * (a real GPU writes nothing there). Each absent binding gets the next
     * range of the ring, so no two dispatches share one; when the ring
     * comes round with no barrier since it last did, one is recorded. */
    tsi_buffer *dummy;
    uint32_t dummy_next;
    bool barrier_since_wrap;
    tsi_vk_tuning tuning;
    ts_device_info info; /* as device_info reports it: the tuning key */
    tsi_gpu_caps gpu;    /* what the shared GPU host code sees */
    /* Bindings of the one descriptor-set layout: TSI_VK_MAX_BINDINGS or
     * the device's smaller per-stage storage-buffer limit. */
    uint32_t n_bindings;
    /* Reused staging buffer for transfers to non-mapped memory. */
    VkBuffer staging_buf;
    VkDeviceMemory staging_mem;
    void *staging_map;
    VkDeviceSize staging_size;

    VkDescriptorSetLayout set_layout;
    VkDescriptorSetLayout texel_layout; /* set 1: the same bindings as texel buffers */
    VkPipelineLayout pipe_layout;
    VkPipelineCache cache;
    VkShaderModule *modules; /* one per embedded shader, created lazily */
    tsi_vk_pipeline_entry *pipes;
    int n_pipes, cap_pipes;
    struct tsi_vk_fft *fft; /* VkFFT's applications (vk_fft.c), NULL until the first FFT */
    tsi_vk_denorms denorms; /* fixed at open: every module of the device gets it */
    bool lost;
};

/* ---- memory ------------------------------------------------------------ */
ts_status tsi_vk_memory_init(tsi_device *d);
void tsi_vk_memory_destroy(tsi_device *d);
ts_status tsi_vk_mem_alloc(tsi_device *d, size_t bytes, tsi_buffer **out);
/* Return the range to its block now (no pending work may use it). */
void tsi_vk_mem_release(tsi_device *d, tsi_buffer *b);
/* A temporary host-visible coherent buffer (staging); own VkDeviceMemory. */
ts_status tsi_vk_staging_create(tsi_device *d, VkDeviceSize size, VkBuffer *buf,
                                VkDeviceMemory *mem, void **map);
void tsi_vk_staging_destroy(tsi_device *d, VkBuffer buf, VkDeviceMemory mem);

/* ---- execution (vk_exec.c) --------------------------------------------- */
ts_status tsi_vk_exec_init(tsi_device *d);
void tsi_vk_exec_destroy(tsi_device *d);
/* The command buffer being recorded (begun on demand). */
ts_status tsi_vk_cmd(tsi_device *d, VkCommandBuffer *out);
/* Submit what is recorded (no wait). */
ts_status tsi_vk_submit(tsi_device *d);
/* Submit and wait for everything; frees deferred buffers. */
ts_status tsi_vk_wait_idle(tsi_device *d);
/* Has work recorded or in flight that used b? */
bool tsi_vk_buffer_busy(const tsi_device *d, const tsi_buffer *b);
/* A full barrier (compute + transfer) in the current command buffer. */
void tsi_vk_full_barrier(tsi_device *d, VkCommandBuffer cmd);
void tsi_vk_mark_used(tsi_device *d, tsi_buffer *b);
void tsi_vk_defer_free(tsi_device *d, tsi_buffer *b);

typedef struct tsi_vk_binding {
    tsi_buffer *buf; /* NULL: dummy */
    int write;
    int texel; /* also bound as an R32_UINT texel buffer in set 1, same binding */
} tsi_vk_binding;

ts_status tsi_vk_dispatch(tsi_device *d, VkPipeline pipeline, const tsi_vk_binding *b, int nb,
                          const void *push, uint32_t push_bytes, uint32_t gx, uint32_t gy,
                          uint32_t gz);
/* Split a flat workgroup count into gx*gy >= groups within device limits. */
void tsi_vk_grid_1d(const tsi_device *d, uint64_t groups, uint32_t *gx, uint32_t *gy);

/* ---- pipelines --------------------------------------------------------- */
ts_status tsi_vk_pipelines_init(tsi_device *d);
void tsi_vk_pipelines_destroy(tsi_device *d);
ts_status tsi_vk_pipeline(tsi_device *d, const char *shader, const uint32_t *spec, int n_spec,
                          VkPipeline *out);

/* ---- tuning ------------------------------------------------------------ */
void tsi_vk_tuning_pick(const tsi_vk_physical *p, tsi_vk_tuning *out);

/* ---- kernels (vk_kernels.c, vk_gpu.c) ----------------------------------- */
/* The kernel table, indexed by tsi_op_code (core/backend.h). */
extern const tsi_kernel tsi_vk_kernels[TSI_OP_COUNT];
void tsi_vk_gpu_caps_init(tsi_device *d);

/* ---- FFT (vk_fft.c): VkFFT's applications (backend-gpu/gpu_vkfft.h) */
void tsi_vk_fft_device_closed(tsi_device *d); /* before the VkDevice goes */
/* "vkfft 1.2.26" or "own kernels (why)", for the device's features. */
void tsi_vk_fft_describe(char *buf, size_t len);

#endif
