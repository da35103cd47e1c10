/* Instance creation, physical-device enumeration and capabilities, and the
 * validation messenger (TESSEL_VULKAN_VALIDATION=1). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

static pthread_mutex_t g_msg_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_msg; /* first validation message not yet reported */

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                 VkDebugUtilsMessageTypeFlagsEXT type,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                 void *user)
{
    const char *text = data && data->pMessage ? data->pMessage : "(no message)";
    pthread_mutex_lock(&g_msg_lock);
    if (!g_msg) {
        size_t n = strlen(text) + 32;
        g_msg = malloc(n);
        if (g_msg)
            snprintf(g_msg, n, "vulkan validation: %s", text);
    }
    pthread_mutex_unlock(&g_msg_lock);
    tsi_vk_host->log(TS_LOG_ERROR, "vulkan validation: %s", text);
    return VK_FALSE;
}

char *tsi_vk_take_validation_message(void)
{
    pthread_mutex_lock(&g_msg_lock);
    char *m = g_msg;
    g_msg = NULL;
    pthread_mutex_unlock(&g_msg_lock);
    return m;
}

ts_status tsi_vk_result(VkResult r, const char *what)
{
    switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: %s: out of memory (%d)", what, (int)r);
    case VK_ERROR_DEVICE_LOST:
        return TSI_VK_FAIL(TS_ERR_DEVICE_LOST, "vulkan: %s: device lost", what);
    case VK_ERROR_INITIALIZATION_FAILED:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
        return TSI_VK_FAIL(TS_ERR_NOT_FOUND, "vulkan: %s: no usable driver (%d)", what, (int)r);
    default:
        return TSI_VK_FAIL(TS_ERR_BACKEND, "vulkan: %s failed (VkResult %d)", what, (int)r);
    }
}

static bool env_on(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

static bool has_layer(const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0)
        return false;
    VkLayerProperties *l = calloc(n, sizeof *l);
    bool found = false;
    if (l && vkEnumerateInstanceLayerProperties(&n, l) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(l[i].layerName, name) == 0;
    free(l);
    return found;
}

/* Older headers lack the portability names (the loader's since 1.3.216). */
#ifndef VK_KHR_portability_enumeration
#define VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME "VK_KHR_portability_enumeration"
#define VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR 0x00000001
#endif

/* An instance extension of the loader and drivers (layer NULL) or of one
 * layer. */
static bool has_instance_ext(const char *layer, const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, NULL) != VK_SUCCESS || n == 0)
        return false;
    VkExtensionProperties *e = calloc(n, sizeof *e);
    bool found = false;
    if (e && vkEnumerateInstanceExtensionProperties(layer, &n, e) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(e[i].extensionName, name) == 0;
    free(e);
    return found;
}

static bool has_device_ext(VkPhysicalDevice pd, const char *name)
{
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS || n == 0)
        return false;
    VkExtensionProperties *e = calloc(n, sizeof *e);
    bool found = false;
    if (e && vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = strcmp(e[i].extensionName, name) == 0;
    free(e);
    return found;
}

/* The cooperative-matrix GEMM tile (shaders/vulkan/matmul_coop.comp) needs
 * VK_NV_cooperative_matrix with its feature, a 16x16x16 f16 x f16 + f32 ->
 * f32 subgroup configuration among the device's properties, float16
 * arithmetic, 16-bit storage buffers and the Vulkan memory model (the
 * module's capabilities). Fills p->coop_desc with what was found, or why
 * not. TESSEL_VULKAN_COOPMAT=0 turns it off. */
static void query_coop_matrix(VkInstance inst, VkPhysicalDevice pd, tsi_vk_physical *p,
                              bool has_f16)
{
    const char *off = getenv("TESSEL_VULKAN_COOPMAT");
    p->coop_mnk = 0;
    if (!p->coop_matrix)
        return;
    snprintf(p->coop_desc, sizeof p->coop_desc, "no usable configuration");
    if (off && strcmp(off, "0") == 0) {
        snprintf(p->coop_desc, sizeof p->coop_desc, "off (TESSEL_VULKAN_COOPMAT=0)");
        return;
    }
    if (!has_f16 || !has_device_ext(pd, "VK_NV_cooperative_matrix") ||
        !has_device_ext(pd, VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME)) {
        snprintf(p->coop_desc, sizeof p->coop_desc, "KHR only (the kernel needs the NV extension)");
        return;
    }
    VkPhysicalDeviceCooperativeMatrixFeaturesNV cm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
    VkPhysicalDeviceVulkanMemoryModelFeaturesKHR mm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES_KHR, .pNext = &cm};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                    .pNext = &mm};
    vkGetPhysicalDeviceFeatures2(pd, &f2);
    if (!cm.cooperativeMatrix || !mm.vulkanMemoryModel || !p->fp16_arith || !p->fp16_storage)
        return;
    PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV get =
        (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)vkGetInstanceProcAddr(
            inst, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
    uint32_t n = 0;
    if (!get || get(pd, &n, NULL) != VK_SUCCESS || n == 0)
        return;
    VkCooperativeMatrixPropertiesNV *props = calloc(n, sizeof *props);
    if (!props)
        return;
    for (uint32_t i = 0; i < n; i++)
        props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
    if (get(pd, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !p->coop_mnk; i++) {
            const VkCooperativeMatrixPropertiesNV *c = &props[i];
            if (c->MSize == 16 && c->NSize == 16 && c->KSize == 16 &&
                c->AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                c->BType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                c->CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
                c->DType == VK_COMPONENT_TYPE_FLOAT32_NV && c->scope == VK_SCOPE_SUBGROUP_NV)
                p->coop_mnk = 16;
        }
    free(props);
    if (p->coop_mnk)
        snprintf(p->coop_desc, sizeof p->coop_desc, "16x16x16 f16->f32, subgroup, NV");
}

/* TESSEL_GPU_LIMITS: every reader of the device's limits (tuning, the
 * shared plans, launches, the allocator) sees the smaller ones. */
/* Compute units (SMs, CUs, shader cores), which core Vulkan does not
 * report: the vendor extensions that do, else 0 (unknown). The split-K
 * attention path sizes its key chunks by them (gpu_attention.c). Reading
 * an extension's properties needs it offered, not enabled. */
static uint32_t query_compute_units(VkPhysicalDevice pd)
{
    VkPhysicalDeviceShaderSMBuiltinsPropertiesNV nv = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV};
    VkPhysicalDeviceShaderCorePropertiesAMD amd = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_PROPERTIES_AMD};
    /* The active count: the first struct's product counts the units a
     * harvested chip was designed with. */
    VkPhysicalDeviceShaderCoreProperties2AMD amd2 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_PROPERTIES_2_AMD};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    bool has_nv = has_device_ext(pd, VK_NV_SHADER_SM_BUILTINS_EXTENSION_NAME);
    bool has_amd = has_device_ext(pd, VK_AMD_SHADER_CORE_PROPERTIES_EXTENSION_NAME);
    bool has_amd2 = has_amd && has_device_ext(pd, VK_AMD_SHADER_CORE_PROPERTIES_2_EXTENSION_NAME);
#ifdef VK_ARM_shader_core_builtins
    VkPhysicalDeviceShaderCoreBuiltinsPropertiesARM arm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_CORE_BUILTINS_PROPERTIES_ARM};
    bool has_arm = has_device_ext(pd, VK_ARM_SHADER_CORE_BUILTINS_EXTENSION_NAME);
    if (has_arm) {
        arm.pNext = props2.pNext;
        props2.pNext = &arm;
    }
#endif
    if (has_nv) {
        nv.pNext = props2.pNext;
        props2.pNext = &nv;
    }
    if (has_amd) {
        amd.pNext = props2.pNext;
        props2.pNext = &amd;
    }
    if (has_amd2) {
        amd2.pNext = props2.pNext;
        props2.pNext = &amd2;
    }
    if (!props2.pNext)
        return 0;
    vkGetPhysicalDeviceProperties2(pd, &props2);
    if (has_nv && nv.shaderSMCount)
        return nv.shaderSMCount;
    if (has_amd2 && amd2.activeComputeUnitCount)
        return amd2.activeComputeUnitCount;
    if (has_amd) {
        uint64_t cu = (uint64_t)amd.shaderEngineCount * amd.shaderArraysPerEngineCount *
                      amd.computeUnitsPerShaderArray;
        if (cu && cu <= UINT32_MAX)
            return (uint32_t)cu;
    }
#ifdef VK_ARM_shader_core_builtins
    if (has_arm && arm.shaderCoreCount)
        return arm.shaderCoreCount;
#endif
    return 0;
}

static void apply_limits(const tsi_gpu_limits *cut, VkPhysicalDeviceLimits *l)
{
    tsi_gpu_limit_u32(&l->maxComputeWorkGroupInvocations, cut->wg);
    tsi_gpu_limit_u32(&l->maxComputeSharedMemorySize, cut->shared);
    for (int i = 0; i < 3; i++) {
        tsi_gpu_limit_u32(&l->maxComputeWorkGroupSize[i], cut->wg);
        tsi_gpu_limit_u32(&l->maxComputeWorkGroupCount[i], cut->groups);
    }
    tsi_gpu_limit_u32(&l->maxPerStageDescriptorStorageBuffers, cut->buffers);
    tsi_gpu_limit_u32(&l->maxStorageBufferRange,
                      cut->binding > UINT32_MAX ? UINT32_MAX : (uint32_t)cut->binding);
}

static bool query_physical(VkInstance inst, VkPhysicalDevice pd, tsi_vk_physical *p)
{
    memset(p, 0, sizeof *p);
    p->pd = pd;
    vkGetPhysicalDeviceProperties(pd, &p->props);
    if (p->props.apiVersion < VK_API_VERSION_1_1)
        return false;
    tsi_gpu_limits cut;
    p->limited = tsi_gpu_limits_from_env(tsi_vk_host, "vulkan", &cut);
    apply_limits(&cut, &p->props.limits);
    vkGetPhysicalDeviceMemoryProperties(pd, &p->mem);

    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties *q = calloc(nq ? nq : 1, sizeof *q);
    if (!q)
        return false;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, q);
    /* Prefer a compute-only family (async compute on discrete GPUs). */
    int best = -1;
    for (uint32_t i = 0; i < nq; i++) {
        if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
            continue;
        if (best < 0 || !(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
            best = (int)i;
    }
    free(q);
    if (best < 0)
        return false;
    p->queue_family = (uint32_t)best;

    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties sub = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES, .pNext = &m3};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &sub};
    /* Float controls (core in 1.2, so only through the extension here, as
     * for float16 below): whether 32-bit subnormals can be kept (Vulkan's
     * default lets the driver flush them; NVIDIA does). */
    VkPhysicalDeviceFloatControlsProperties fc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES};
    p->float_controls = has_device_ext(pd, VK_KHR_SHADER_FLOAT_CONTROLS_EXTENSION_NAME);
    if (p->float_controls)
        m3.pNext = &fc;
    /* The driver's own name and version, for people: driverVersion is
     * packed differently by each vendor. */
    VkPhysicalDeviceDriverProperties drv = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    if (has_device_ext(pd, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME)) {
        drv.pNext = sub.pNext;
        sub.pNext = &drv;
    }
    vkGetPhysicalDeviceProperties2(pd, &props2);
    snprintf(p->driver_name, sizeof p->driver_name, "%s", drv.driverName);
    snprintf(p->driver_info, sizeof p->driver_info, "%s", drv.driverInfo);
    p->subgroup_size = sub.subgroupSize;
    /* The row kernels' subgroup variants (shaders/wg_reduce.h) shuffle in
     * compute shaders, and need full subgroups (below);
     * TESSEL_VULKAN_SUBGROUP=0 keeps the shared-memory trees (to compare,
     * or to work around a driver). */
    const char *sg_env = getenv("TESSEL_VULKAN_SUBGROUP");
    p->subgroup_shuffle = (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                          (sub.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT) &&
                          (sub.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) &&
                          !(sg_env && strcmp(sg_env, "0") == 0);
    p->max_alloc = m3.maxMemoryAllocationSize;
    p->denorm_preserve32 = p->float_controls && fc.shaderDenormPreserveFloat32;
    p->denorm_flush32 = p->float_controls && fc.shaderDenormFlushToZeroFloat32;

    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                    .pNext = &s16};
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    /* The instance asks for Vulkan 1.1, so the 1.2-core struct may only be
     * chained where the extension is offered (drivers still list it). */
    bool has_f16 = has_device_ext(pd, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
    if (has_f16)
        s16.pNext = &f16;
    /* Without a pipeline that requires full subgroups, a driver may run a
     * subgroup with inactive invocations while SubgroupSize still reads
     * subgroupSize (Intel's SIMD8/16 dispatch of a "32-wide" subgroup):
     * a shuffle butterfly then reads lanes that do not exist. So the
     * shuffling variants run only where full subgroups can be required. */
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT ssc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT};
    bool has_ssc = has_device_ext(pd, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    if (has_ssc) {
        ssc.pNext = f2.pNext;
        f2.pNext = &ssc;
    }
    vkGetPhysicalDeviceFeatures2(pd, &f2);
    p->full_subgroups = has_ssc && ssc.computeFullSubgroups;
    p->subgroup_shuffle = p->subgroup_shuffle && p->full_subgroups;
    p->fp16_storage = s16.storageBuffer16BitAccess;
    p->fp16_arith = has_f16 && f16.shaderFloat16;
    p->coop_matrix = has_device_ext(pd, "VK_KHR_cooperative_matrix") ||
                     has_device_ext(pd, "VK_NV_cooperative_matrix");
    p->bf16 = has_device_ext(pd, "VK_KHR_shader_bfloat16");
    p->portability_subset = has_device_ext(pd, "VK_KHR_portability_subset");
    p->compute_units = query_compute_units(pd);
    query_coop_matrix(inst, pd, p, has_f16);
    if (cut.no_subgroups) {
        p->subgroup_shuffle = false;
        p->coop_mnk = 0;
    }

    /* UMA: every device-local memory type a buffer could use is also host
     * visible (lazily allocated and protected types hold no buffers: tiled
     * GPUs and MoltenVK list a lazy one beside their shared memory). */
    bool any_local = false, all_visible = true;
    const VkMemoryPropertyFlags no_buffers =
        VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT | VK_MEMORY_PROPERTY_PROTECTED_BIT;
    for (uint32_t i = 0; i < p->mem.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = p->mem.memoryTypes[i].propertyFlags;
        if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && !(f & no_buffers)) {
            any_local = true;
            if (!(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
                all_visible = false;
        }
    }
    p->uma = any_local && all_visible;
    return true;
}

ts_status tsi_vk_state_create(tsi_vk_state **out)
{
    *out = NULL;
    uint32_t api = 0;
    if (vkEnumerateInstanceVersion(&api) != VK_SUCCESS || api < VK_API_VERSION_1_1)
        return TSI_VK_FAIL(TS_ERR_NOT_FOUND, "vulkan: loader older than Vulkan 1.1");
    tsi_vk_state *s = calloc(1, sizeof *s);
    if (!s)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");

    bool validate = env_on("TESSEL_VULKAN_VALIDATION");
    const char *layer = "VK_LAYER_KHRONOS_validation";
    const char *ext[3];
    uint32_t n_ext = 0;
    if (validate && !has_layer(layer)) {
        tsi_vk_host->log(TS_LOG_WARN, "vulkan: %s requested but not installed", layer);
        validate = false;
    }
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "tessel",
                             .pEngineName = "tessel",
                             .apiVersion = VK_API_VERSION_1_1};
    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
        .pfnUserCallback = on_message};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app,
                                .ppEnabledExtensionNames = ext};
    /* Synchronization validation too, unless TESSEL_VULKAN_VALIDATION=core:
     * lavapipe runs dispatches one after another, so a missing barrier
     * (a binding whose write the hazard tracking in vk_exec.c was not
     * told of) gives right numbers there and wrong ones on a GPU that
     * overlaps them. The layer sees the hazard on any driver. */
    VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT features = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                        .enabledValidationFeatureCount = 1,
                                        .pEnabledValidationFeatures = &sync};
    if (validate) {
        ici.enabledLayerCount = 1;
        ici.ppEnabledLayerNames = &layer;
        ext[n_ext++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        ici.pNext = &dbg; /* also catches instance creation/destruction */
        bool core_only = strcmp(getenv("TESSEL_VULKAN_VALIDATION"), "core") == 0;
        if (!core_only && has_instance_ext(layer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME)) {
            ext[n_ext++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
            features.pNext = &dbg; /* dbg alone makes the messenger below */
            ici.pNext = &features;
        } else if (!core_only) {
            tsi_vk_host->log(TS_LOG_WARN, "vulkan: %s offers no %s: no synchronization validation",
                             layer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
        }
    }
    /* Portability drivers (MoltenVK on macOS) are listed only when asked
     * for (loader 1.3.216 on); their devices then need
     * VK_KHR_portability_subset enabled (vk_backend.c). */
    if (has_instance_ext(NULL, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        ext[n_ext++] = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
        ici.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
    ici.enabledExtensionCount = n_ext;
    VkResult r = vkCreateInstance(&ici, NULL, &s->instance);
    if (r != VK_SUCCESS) {
        free(s);
        return r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED
                   ? TSI_VK_FAIL(TS_ERR_NOT_FOUND, "vulkan: no driver (vkCreateInstance %d)", (int)r)
                   : tsi_vk_result(r, "vkCreateInstance");
    }
    if (validate) {
        PFN_vkCreateDebugUtilsMessengerEXT create = (PFN_vkCreateDebugUtilsMessengerEXT)
            vkGetInstanceProcAddr(s->instance, "vkCreateDebugUtilsMessengerEXT");
        if (create)
            create(s->instance, &dbg, NULL, &s->messenger);
    }

    uint32_t n = 0;
    r = vkEnumeratePhysicalDevices(s->instance, &n, NULL);
    VkPhysicalDevice *pds = n ? calloc(n, sizeof *pds) : NULL;
    s->phys = n ? calloc(n, sizeof *s->phys) : NULL;
    if (r == VK_SUCCESS && n && pds && s->phys)
        r = vkEnumeratePhysicalDevices(s->instance, &n, pds);
    if (r == VK_SUCCESS && n && pds && s->phys)
        for (uint32_t i = 0; i < n; i++)
            if (query_physical(s->instance, pds[i], &s->phys[s->count]))
                s->count++;
    free(pds);
    if (s->count == 0) {
        tsi_vk_state_destroy(s);
        return TSI_VK_FAIL(TS_ERR_NOT_FOUND, "vulkan: no Vulkan 1.1 device with compute");
    }
    *out = s;
    return TS_OK;
}

void tsi_vk_state_destroy(tsi_vk_state *s)
{
    if (!s)
        return;
    if (s->messenger != VK_NULL_HANDLE) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy = (PFN_vkDestroyDebugUtilsMessengerEXT)
            vkGetInstanceProcAddr(s->instance, "vkDestroyDebugUtilsMessengerEXT");
        if (destroy)
            destroy(s->instance, s->messenger, NULL);
    }
    if (s->instance)
        vkDestroyInstance(s->instance, NULL);
    free(s->phys);
    free(s);
    free(tsi_vk_take_validation_message());
}

tsi_vk_denorms tsi_vk_denorm_mode(const tsi_vk_physical *p)
{
    const char *v = getenv("TESSEL_VULKAN_DENORMS");
    if (v && strcmp(v, "driver") == 0)
        return TSI_VK_DENORMS_DRIVER;
    if (v && strcmp(v, "flush") == 0)
        return p->denorm_flush32 ? TSI_VK_DENORMS_FLUSH : TSI_VK_DENORMS_DRIVER;
    if (v && *v && strcmp(v, "preserve") != 0)
        tsi_vk_host->log(TS_LOG_WARN,
                         "vulkan: TESSEL_VULKAN_DENORMS=%s ignored (preserve, flush or driver)", v);
    return p->denorm_preserve32 ? TSI_VK_DENORMS_PRESERVE : TSI_VK_DENORMS_DRIVER;
}

static const struct {
    uint32_t id;
    const char *name;
} k_vendors[] = {
    {0x10de, "NVIDIA"}, {0x1002, "AMD"},      {0x1022, "AMD"},       {0x8086, "Intel"},
    {0x13b5, "ARM"},    {0x5143, "Qualcomm"}, {0x106b, "Apple"},     {0x1010, "Imagination"},
    {0x10005, "Mesa"},  {0x1af4, "VirtIO"},   {0x14e4, "Broadcom"},
};

void tsi_vk_fill_info(const tsi_vk_physical *p, ts_device_info *out)
{
    const VkPhysicalDeviceProperties *pr = &p->props;
    memset(out, 0, sizeof *out);
    snprintf(out->backend, sizeof out->backend, "vulkan");
    snprintf(out->name, sizeof out->name, "%s", pr->deviceName);
    snprintf(out->vendor, sizeof out->vendor, "0x%04x", pr->vendorID);
    for (size_t i = 0; i < sizeof k_vendors / sizeof k_vendors[0]; i++)
        if (k_vendors[i].id == pr->vendorID)
            snprintf(out->vendor, sizeof out->vendor, "%s", k_vendors[i].name);
    /* "llvmpipe Mesa 22.3.6 (LLVM 15.0.6), Vulkan 1.3.230"; the packed
     * driverVersion where the driver does not name itself. Tuned files are
     * tied to this string (core/tuning.c): a new format makes older ones
     * stale, once. */
    unsigned vmaj = VK_API_VERSION_MAJOR(pr->apiVersion),
             vmin = VK_API_VERSION_MINOR(pr->apiVersion),
             vpat = VK_API_VERSION_PATCH(pr->apiVersion);
    if (p->driver_name[0])
        snprintf(out->driver, sizeof out->driver, "%.40s%s%.64s, Vulkan %u.%u.%u", p->driver_name,
                 p->driver_info[0] ? " " : "", p->driver_info, vmaj, vmin, vpat);
    else
        snprintf(out->driver, sizeof out->driver, "Vulkan %u.%u.%u driver 0x%x", vmaj, vmin, vpat,
                 pr->driverVersion);
    switch (pr->deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: out->kind = TS_DEVICE_DISCRETE_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: out->kind = TS_DEVICE_INTEGRATED_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: out->kind = TS_DEVICE_SOFTWARE; break;
    default: out->kind = TS_DEVICE_OTHER; break;
    }
    out->vendor_id = pr->vendorID;
    out->device_id = pr->deviceID;
    for (uint32_t i = 0; i < p->mem.memoryHeapCount; i++)
        if (p->mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            out->memory_bytes += p->mem.memoryHeaps[i].size;
    /* One tensor is one binding: the smaller of the two limits. */
    out->max_alloc_bytes = pr->limits.maxStorageBufferRange;
    if (p->max_alloc && p->max_alloc < out->max_alloc_bytes)
        out->max_alloc_bytes = p->max_alloc;
    out->compute_units = p->compute_units;
    out->max_workgroup_size = pr->limits.maxComputeWorkGroupInvocations;
    out->shared_memory_bytes = pr->limits.maxComputeSharedMemorySize;
    out->subgroup_size = p->subgroup_size;
    out->fp16_arithmetic = p->fp16_arith;
    out->fp16_storage = p->fp16_storage;
    out->bf16_native = p->bf16;
    out->unified_memory = p->uma;
    out->cooperative_matrix = p->coop_matrix;
    static const ts_denormals k_denormals[] = {
        [TSI_VK_DENORMS_DRIVER] = TS_DENORMALS_UNKNOWN,
        [TSI_VK_DENORMS_PRESERVE] = TS_DENORMALS_PRESERVED,
        [TSI_VK_DENORMS_FLUSH] = TS_DENORMALS_FLUSHED,
    };
    out->denormals = k_denormals[tsi_vk_denorm_mode(p)];
    char fft[128];
    tsi_vk_fft_describe(fft, sizeof fft);
    /* "coopmat(...)": what tessel-info shows after "coop. matrix: yes". */
    char coop[64] = "";
    if (p->coop_matrix)
        snprintf(coop, sizeof coop, " coopmat(%s)", p->coop_desc);
    snprintf(out->features, sizeof out->features,
             "vk%u.%u subgroup=%u%s smem=%u wg=%u%s%s%s%s%s; fft: %s",
             VK_API_VERSION_MAJOR(pr->apiVersion), VK_API_VERSION_MINOR(pr->apiVersion),
             p->subgroup_size, p->subgroup_shuffle ? " (shuffle reductions)" : "",
             pr->limits.maxComputeSharedMemorySize, pr->limits.maxComputeWorkGroupInvocations,
             p->fp16_storage ? " storage16" : "", p->fp16_arith ? " float16" : "", coop,
             p->uma ? " uma" : "", p->limited ? " limits(TESSEL_GPU_LIMITS)" : "", fft);
}
