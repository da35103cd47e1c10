/* Compute pipelines: one per (shader, specialization constants), created on
 * first use and kept for the device's life. All pipelines share one
 * descriptor-set layout (TSI_VK_MAX_BINDINGS storage buffers) and one
 * push-constant range, so recording an op never creates layouts.
 *
 * Each module gets the device's 32-bit denormal mode (tsi_vk_denorms) as
 * a float-controls execution mode when it is created (vk_spirv_patch.c).
 *
 * The VkPipelineCache is persisted as <cache_dir>/vulkan-<vendor>-<device>.bin,
 * a checked cache file (host->cache_load, core/cache_file.c) whose key is
 * the vendor and device ids, the driver version, the denormal mode and the
 * pipelineCacheUUID. The driver keys its entries by the module's words,
 * which the mode changes; the key says it again, so a file written in
 * another mode (TESSEL_VULKAN_DENORMS) is not trusted, only replaced. A
 * file whose key or checksum does not match is ignored (drivers have
 * crashed on foreign cache data); it is written atomically on close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "vk_internal.h"
#include "vk_spirv_patch.h"

extern const tsi_embedded_file tsi_vk_spirv[];

#define CACHE_MAGIC "TSVKPC02"

/* What a cache file must have been written for. */
typedef struct cache_key {
    uint32_t vendor, device, driver, denorms; /* tsi_vk_denorms + 1 */
    uint8_t uuid[VK_UUID_SIZE];
} cache_key;

/* vulkan-<vendor>-<device>.bin in the cache folder, and the key its
 * contents must carry. */
static void cache_entry(const tsi_device *d, char *name, size_t n, cache_key *k)
{
    snprintf(name, n, "vulkan-%04x-%04x.bin", d->phys->props.vendorID, d->phys->props.deviceID);
    memset(k, 0, sizeof *k);
    k->vendor = d->phys->props.vendorID;
    k->device = d->phys->props.deviceID;
    k->driver = d->phys->props.driverVersion;
    k->denorms = (uint32_t)d->denorms + 1;
    memcpy(k->uuid, d->phys->props.pipelineCacheUUID, VK_UUID_SIZE);
}

/* The trusted blob of the cache file, or NULL. */
static void *cache_load(const tsi_device *d, size_t *size)
{
    char name[64];
    cache_key k;
    cache_entry(d, name, sizeof name, &k);
    return tsi_vk_host->cache_load(name, CACHE_MAGIC, &k, sizeof k, (size_t)256 << 20, size);
}

static void cache_save(const tsi_device *d)
{
    char name[64];
    cache_key k;
    cache_entry(d, name, sizeof name, &k);
    size_t size = 0;
    if (vkGetPipelineCacheData(d->dev, d->cache, &size, NULL) != VK_SUCCESS || !size)
        return;
    void *data = malloc(size);
    if (data && vkGetPipelineCacheData(d->dev, d->cache, &size, data) == VK_SUCCESS)
        tsi_vk_host->cache_store(name, CACHE_MAGIC, &k, sizeof k, data, size);
    free(data);
}

static size_t shader_count(void)
{
    size_t n = 0;
    while (tsi_vk_spirv[n].name)
        n++;
    return n;
}

ts_status tsi_vk_pipelines_init(tsi_device *d)
{
    VkDescriptorSetLayoutBinding lb[TSI_VK_MAX_BINDINGS];
    for (uint32_t i = 0; i < d->n_bindings; i++)
        lb[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                               .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                               .descriptorCount = 1,
                                               .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                          .bindingCount = d->n_bindings,
                                          .pBindings = lb};
    VkResult r = vkCreateDescriptorSetLayout(d->dev, &li, NULL, &d->set_layout);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateDescriptorSetLayout");
    /* Set 1: the same bindings as texel buffers, bound only by the modules
     * that read them (<entry>_tx); a pipeline needs only the sets it uses. */
    for (uint32_t i = 0; i < d->n_bindings; i++)
        lb[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
    r = vkCreateDescriptorSetLayout(d->dev, &li, NULL, &d->texel_layout);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateDescriptorSetLayout");
    VkDescriptorSetLayout sets[2] = {d->set_layout, d->texel_layout};
    VkPushConstantRange pr = {VK_SHADER_STAGE_COMPUTE_BIT, 0, TSI_VK_PUSH_BYTES};
    VkPipelineLayoutCreateInfo pli = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 2,
                                      .pSetLayouts = sets,
                                      .pushConstantRangeCount = 1,
                                      .pPushConstantRanges = &pr};
    r = vkCreatePipelineLayout(d->dev, &pli, NULL, &d->pipe_layout);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreatePipelineLayout");

    size_t size = 0;
    void *data = cache_load(d, &size);
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = size,
                                    .pInitialData = data};
    r = vkCreatePipelineCache(d->dev, &ci, NULL, &d->cache);
    if (r != VK_SUCCESS && data) { /* the driver refused the blob: start empty */
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        r = vkCreatePipelineCache(d->dev, &ci, NULL, &d->cache);
    }
    free(data);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreatePipelineCache");
    d->modules = calloc(shader_count() + 1, sizeof *d->modules);
    if (!d->modules)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    return TS_OK;
}

void tsi_vk_pipelines_destroy(tsi_device *d)
{
    for (int i = 0; i < d->n_pipes; i++)
        vkDestroyPipeline(d->dev, d->pipes[i].pipeline, NULL);
    free(d->pipes);
    d->pipes = NULL;
    d->n_pipes = 0;
    if (d->modules) {
        for (size_t i = 0; tsi_vk_spirv[i].name; i++)
            if (d->modules[i])
                vkDestroyShaderModule(d->dev, d->modules[i], NULL);
        free(d->modules);
        d->modules = NULL;
    }
    if (d->cache) {
        cache_save(d);
        vkDestroyPipelineCache(d->dev, d->cache, NULL);
    }
    if (d->pipe_layout)
        vkDestroyPipelineLayout(d->dev, d->pipe_layout, NULL);
    if (d->set_layout)
        vkDestroyDescriptorSetLayout(d->dev, d->set_layout, NULL);
    if (d->texel_layout)
        vkDestroyDescriptorSetLayout(d->dev, d->texel_layout, NULL);
}

/* The module's words as the device gets them: a copy (the embedded bytes
 * are not guaranteed 4-byte aligned) with the denormal mode patched in. */
static ts_status module_words(const tsi_device *d, const tsi_embedded_file *f, uint32_t **out,
                              size_t *words)
{
    uint32_t *code = malloc(f->size);
    if (!code)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    memcpy(code, f->data, f->size);
    *out = code;
    *words = f->size / 4;
    if (d->denorms == TSI_VK_DENORMS_DRIVER)
        return TS_OK;
    tsi_spirv_denorm mode =
        d->denorms == TSI_VK_DENORMS_FLUSH ? TSI_SPIRV_DENORM_FLUSH : TSI_SPIRV_DENORM_PRESERVE;
    tsi_spirv_patch_result r = tsi_spirv_add_denorm_mode(code, f->size / 4, mode, out, words);
    free(code);
    if (r == TSI_SPIRV_PATCH_OK)
        return TS_OK;
    if (r == TSI_SPIRV_PATCH_NO_MEMORY)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    return TSI_VK_FAIL(TS_ERR_INTERNAL, "vulkan: shader %s: cannot add the denormal mode (%d)",
                       f->name, (int)r);
}

static ts_status get_module(tsi_device *d, const char *shader, VkShaderModule *out)
{
    const tsi_embedded_file *f = tsi_embedded_find(tsi_vk_spirv, shader);
    if (!f || f->size % 4 != 0)
        return TSI_VK_FAIL(TS_ERR_INTERNAL, "vulkan: shader %s not embedded", shader);
    size_t i = (size_t)(f - tsi_vk_spirv);
    if (!d->modules[i]) {
        uint32_t *code;
        size_t words;
        TSI_VK_TRY(module_words(d, f, &code, &words));
        VkShaderModuleCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                       .codeSize = words * 4,
                                       .pCode = code};
        VkResult r = vkCreateShaderModule(d->dev, &ci, NULL, &d->modules[i]);
        free(code);
        if (r != VK_SUCCESS)
            return tsi_vk_result(r, "vkCreateShaderModule");
    }
    *out = d->modules[i];
    return TS_OK;
}

/* Modules that need every subgroup whole: the shuffle butterflies of the
 * row kernels' subgroup variants (<entry>_sg, shaders/wg_reduce.h) and the
 * cooperative-matrix tile (a 16 x 16 block per subgroup). Their
 * workgroups are whole subgroups (the host's choice), as the flag needs. */
static bool needs_full_subgroups(const char *shader)
{
    static const char sg[] = "_sg.spv";
    size_t n = strlen(shader), s = sizeof sg - 1;
    return (n > s && strcmp(shader + n - s, sg) == 0) || strcmp(shader, "matmul_coop.spv") == 0;
}

ts_status tsi_vk_pipeline(tsi_device *d, const char *shader, const uint32_t *spec, int n_spec,
                          VkPipeline *out)
{
    if (n_spec > 12 || strlen(shader) >= sizeof d->pipes[0].shader)
        return TSI_VK_FAIL(TS_ERR_INTERNAL, "vulkan: bad pipeline key for %s", shader);
    for (int i = 0; i < d->n_pipes; i++) {
        const tsi_vk_pipeline_entry *e = &d->pipes[i];
        if (e->n_spec == n_spec && strcmp(e->shader, shader) == 0 &&
            memcmp(e->spec, spec, (size_t)n_spec * sizeof *spec) == 0) {
            *out = e->pipeline;
            return TS_OK;
        }
    }
    if (d->n_pipes == d->cap_pipes) {
        int cap = d->cap_pipes ? d->cap_pipes * 2 : 32;
        tsi_vk_pipeline_entry *n = realloc(d->pipes, (size_t)cap * sizeof *n);
        if (!n)
            return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
        d->pipes = n;
        d->cap_pipes = cap;
    }
    VkShaderModule mod = VK_NULL_HANDLE;
    TSI_VK_TRY(get_module(d, shader, &mod));
    VkSpecializationMapEntry map[12];
    for (int i = 0; i < n_spec; i++)
        map[i] = (VkSpecializationMapEntry){(uint32_t)i, (uint32_t)(i * 4), 4};
    VkSpecializationInfo si = {(uint32_t)n_spec, map, (size_t)n_spec * 4, spec};
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .flags = d->phys->full_subgroups && needs_full_subgroups(shader)
                               ? VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT_EXT
                               : 0u,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = mod,
                  .pName = "main",
                  .pSpecializationInfo = n_spec ? &si : NULL},
        .layout = d->pipe_layout};
    tsi_vk_pipeline_entry *e = &d->pipes[d->n_pipes];
    VkResult r = vkCreateComputePipelines(d->dev, d->cache, 1, &ci, NULL, &e->pipeline);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateComputePipelines");
    snprintf(e->shader, sizeof e->shader, "%s", shader);
    memcpy(e->spec, spec, (size_t)n_spec * sizeof *spec);
    e->n_spec = n_spec;
    d->n_pipes++;
    *out = e->pipeline;
    return TS_OK;
}
