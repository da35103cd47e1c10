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

static bool query_physical(VkPhysicalDevice pd, tsi_vk_physical *p)
{
    memset(p, 0, sizeof *p);
    p->pd = pd;
    vkGetPhysicalDeviceProperties(pd, &p->props);
    if (p->props.apiVersion < VK_API_VERSION_1_1)
        return false;
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
    vkGetPhysicalDeviceProperties2(pd, &props2);
    p->subgroup_size = sub.subgroupSize;
    p->max_alloc = m3.maxMemoryAllocationSize;

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
    vkGetPhysicalDeviceFeatures2(pd, &f2);
    p->fp16_storage = s16.storageBuffer16BitAccess;
    p->fp16_arith = has_f16 && f16.shaderFloat16;
    p->coop_matrix = has_device_ext(pd, "VK_KHR_cooperative_matrix") ||
                     has_device_ext(pd, "VK_NV_cooperative_matrix");
    p->bf16 = has_device_ext(pd, "VK_KHR_shader_bfloat16");

    /* UMA: every device-local heap's memory type is also host visible. */
    bool any_local = false, all_visible = true;
    for (uint32_t i = 0; i < p->mem.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = p->mem.memoryTypes[i].propertyFlags;
        if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) {
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
    const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
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
                                .pApplicationInfo = &app};
    if (validate) {
        ici.enabledLayerCount = 1;
        ici.ppEnabledLayerNames = &layer;
        ici.enabledExtensionCount = 1;
        ici.ppEnabledExtensionNames = &ext;
        ici.pNext = &dbg; /* also catches instance creation/destruction */
    }
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
            if (query_physical(pds[i], &s->phys[s->count]))
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
    snprintf(out->driver, sizeof out->driver, "Vulkan %u.%u.%u driver 0x%x",
             VK_API_VERSION_MAJOR(pr->apiVersion), VK_API_VERSION_MINOR(pr->apiVersion),
             VK_API_VERSION_PATCH(pr->apiVersion), pr->driverVersion);
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
    out->compute_units = 0; /* core Vulkan does not expose it */
    out->max_workgroup_size = pr->limits.maxComputeWorkGroupInvocations;
    out->shared_memory_bytes = pr->limits.maxComputeSharedMemorySize;
    out->subgroup_size = p->subgroup_size;
    out->fp16_arithmetic = p->fp16_arith;
    out->fp16_storage = p->fp16_storage;
    out->bf16_native = p->bf16;
    out->unified_memory = p->uma;
    out->cooperative_matrix = p->coop_matrix;
    char fft[64];
    tsi_vk_fft_describe(fft, sizeof fft);
    snprintf(out->features, sizeof out->features,
             "vk%u.%u subgroup=%u smem=%u wg=%u%s%s%s%s; fft: %s", VK_API_VERSION_MAJOR(pr->apiVersion),
             VK_API_VERSION_MINOR(pr->apiVersion), p->subgroup_size,
             pr->limits.maxComputeSharedMemorySize, pr->limits.maxComputeWorkGroupInvocations,
             p->fp16_storage ? " storage16" : "", p->fp16_arith ? " float16" : "",
             p->coop_matrix ? " cooperative_matrix" : "", p->uma ? " uma" : "", fft);
}
