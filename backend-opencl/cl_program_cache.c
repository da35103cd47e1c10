/* Programs built from the embedded kernels (generated from
 * shaders/<family>.kern): one per (file, defines) pair, kept per device in
 * memory, and as program binaries on disk under host->cache_dir()/opencl
 * so a second process start pays no compilation (on PoCL, which caches
 * its own builds, the driver's cache instead: tsi_cl_own_binaries).
 *
 * A disk entry's name hashes everything that can change the binary:
 * platform, device, device and driver version, build options, file name
 * and the full source text; the entry is a checked cache file
 * (host->cache_load, core/cache_file.c) keyed by a second, independent
 * hash of the same. An entry that does not check out, or a binary the
 * driver refuses, is dropped and the program is rebuilt from source and
 * rewritten. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-opencl/cl_internal.h"
#include "core/embedded.h"
#include "core/fnv1a.h"

/* Generated from shaders/<family>.kern: complete programs. */
extern const tsi_embedded_file tsi_cl_kernels[];

#define TSI_CL_MAX_KERNELS 16
#define TSI_CL_MAGIC "TSCLPB02"

typedef struct cached_kernel {
    char name[64];
    cl_kernel k;
} cached_kernel;

struct tsi_cl_program {
    tsi_cl_program *next;
    char *key; /* "<file>|<defines>" */
    cl_program prog;
    int nk;
    cached_kernel kernels[TSI_CL_MAX_KERNELS];
};

static atomic_int programs_compiled;

int tsi_cl_programs_compiled(void)
{
    return atomic_load(&programs_compiled);
}

void tsi_cl_appendf(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

static uint64_t fnv1a_str(uint64_t h, const char *s)
{
    return tsi_fnv1a(h, s, strlen(s) + 1); /* the NUL separates fields */
}

#define FNV_BASIS2 0x84222325cbf29ce4ull /* an independent second hash */

static uint64_t key_hash(const tsi_device *dev, uint64_t basis, const char *file,
                         const char *options,
                         const tsi_embedded_file *src)
{
    const tsi_cl_caps *c = dev->caps;
    uint64_t h = basis;
    h = fnv1a_str(h, c->platform_name);
    h = fnv1a_str(h, c->info.name);
    h = fnv1a_str(h, c->info.vendor);
    h = fnv1a_str(h, c->device_version);
    h = fnv1a_str(h, c->info.driver);
    h = fnv1a_str(h, options);
    h = fnv1a_str(h, file);
    h = tsi_fnv1a(h, src->data, src->size);
    return h;
}

/* PoCL keeps every program it compiles in a disk cache of its own
 * (POCL_KERNEL_CACHE, on unless set to 0), and asking it for a program's
 * binary compiles each kernel of the program once more, for any
 * work-group size, beside the per-size builds its launches make anyway
 * (PoCL 3.1, cold ops_opencl: 854 s with tessel's binaries, 550 s
 * without). There tessel stores none by default, and a warm start pays
 * PoCL's cache lookup instead, about 45 ms a program (docs/tuning.md).
 * TESSEL_OPENCL_BINARIES=on|off overrides the choice. */
bool tsi_cl_own_binaries(const tsi_cl_caps *caps)
{
    const char *env = getenv("TESSEL_OPENCL_BINARIES");
    if (env && (strcmp(env, "on") == 0 || strcmp(env, "off") == 0))
        return strcmp(env, "on") == 0;
    if (strcmp(caps->platform_name, "Portable Computing Language") != 0)
        return true;
    const char *pocl = getenv("POCL_KERNEL_CACHE");
    return pocl && strcmp(pocl, "0") == 0;
}

/* The binary of prog in its cache entry (host->cache_store: the key is
 * the full key's second hash). */
static void cache_store(const tsi_device *dev, const char *name, uint64_t key2, cl_program prog)
{
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = malloc(size);
    unsigned char *bins[1] = {bin};
    if (bin && clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS)
        dev->host->cache_store(name, TSI_CL_MAGIC, &key2, sizeof key2, bin, size);
    free(bin);
}

/* Builds prog for the device; on failure the message carries the build log. */
static ts_status build(tsi_device *dev, cl_program prog, const char *file, const char *options,
                       bool quiet)
{
    cl_device_id d = dev->caps->device;
    cl_int err = clBuildProgram(prog, 1, &d, options, NULL, NULL);
    if (err == CL_SUCCESS)
        return TS_OK;
    if (quiet)
        return TS_ERR_BACKEND;
    /* The log from the line of its first error on (GPU drivers quote
     * source lines, so warnings before it and whole logs run long). */
    char shown[3000] = "(no build log)";
    size_t size = 0;
    char *log = NULL;
    if (clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) == CL_SUCCESS &&
        size > 0 && (log = malloc(size + 1)) != NULL &&
        clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_LOG, size, log, NULL) == CL_SUCCESS) {
        log[size] = '\0';
        const char *from = strstr(log, "error");
        while (from && from > log && from[-1] != '\n')
            from--;
        snprintf(shown, sizeof shown, "%s", from ? from : log);
    }
    free(log);
    dev->host->set_error("opencl: building %s with \"%s\" failed: %s (%d)\n%s", file, options,
                         tsi_cl_err_name(err), (int)err, shown);
    return err == CL_OUT_OF_HOST_MEMORY || err == CL_OUT_OF_RESOURCES ? TS_ERR_OUT_OF_MEMORY
                                                                      : TS_ERR_BACKEND;
}

static cl_program from_binary(tsi_device *dev, const char *name, uint64_t key2, const char *options)
{
    size_t size = 0;
    unsigned char *bin =
        dev->host->cache_load(name, TSI_CL_MAGIC, &key2, sizeof key2, (size_t)1 << 31, &size);
    if (!bin)
        return NULL;
    const unsigned char *bins[1] = {bin};
    cl_int bstatus = CL_SUCCESS, err;
    cl_program prog =
        clCreateProgramWithBinary(dev->ctx, 1, &dev->caps->device, &size, bins, &bstatus, &err);
    free(bin);
    if (prog && (err != CL_SUCCESS || bstatus != CL_SUCCESS ||
                 build(dev, prog, name, options, true) != TS_OK)) {
        clReleaseProgram(prog);
        prog = NULL;
    }
    if (!prog)
        dev->host->log(TS_LOG_DEBUG, "opencl: program cache entry %s refused; rebuilding", name);
    return prog;
}

static ts_status from_source(tsi_device *dev, const char *file, const tsi_embedded_file *src,
                             const char *options, cl_program *out)
{
    char line[300];
    snprintf(line, sizeof line, "\n#line 1 \"%s\"\n", file);
    const char *parts[2] = {line, (const char *)src->data};
    size_t lens[2] = {strlen(line), src->size};
    cl_int err;
    cl_program prog = clCreateProgramWithSource(dev->ctx, 2, parts, lens, &err);
    if (!prog)
        return tsi_cl_error(dev->host, err, "clCreateProgramWithSource");
    ts_status s = build(dev, prog, file, options, false);
    if (s != TS_OK) {
        clReleaseProgram(prog);
        return s;
    }
    int n = atomic_fetch_add(&programs_compiled, 1) + 1;
    dev->host->log(TS_LOG_DEBUG,
                   "opencl: compiled program %s [%s] from source (%d in this process)", file,
                   options, n);
    *out = prog;
    return TS_OK;
}

static ts_status get_program(tsi_device *dev, const char *file, const char *defines,
                             tsi_cl_program **out)
{
    size_t klen = strlen(file) + strlen(defines) + 2;
    for (tsi_cl_program *p = dev->programs; p; p = p->next) {
        if (strncmp(p->key, file, strlen(file)) == 0 && p->key[strlen(file)] == '|' &&
            strcmp(p->key + strlen(file) + 1, defines) == 0) {
            *out = p;
            return TS_OK;
        }
    }
    const tsi_embedded_file *src = tsi_embedded_find(tsi_cl_kernels, file);
    if (!src) {
        dev->host->set_error("opencl: kernel source %s is not embedded in this module", file);
        return TS_ERR_INTERNAL;
    }
    tsi_cl_program *p = calloc(1, sizeof *p);
    char *key = malloc(klen);
    if (!p || !key) {
        free(p);
        free(key);
        dev->host->set_error("opencl: out of host memory");
        return TS_ERR_OUT_OF_MEMORY;
    }
    snprintf(key, klen, "%s|%s", file, defines);
    p->key = key;

    /* The entry <cache>/opencl/<hash>.bin. */
    char name[64];
    snprintf(name, sizeof name, "opencl/%016llx.bin",
             (unsigned long long)key_hash(dev, TSI_FNV_BASIS, file, defines, src));
    uint64_t key2 = key_hash(dev, FNV_BASIS2, file, defines, src);
    bool own = dev->caps->own_binaries;
    p->prog = own ? from_binary(dev, name, key2, defines) : NULL;
    if (!p->prog) {
        ts_status s = from_source(dev, file, src, defines, &p->prog);
        if (s != TS_OK) {
            free(key);
            free(p);
            return s;
        }
        if (own)
            cache_store(dev, name, key2, p->prog);
    }
    p->next = dev->programs;
    dev->programs = p;
    *out = p;
    return TS_OK;
}

ts_status tsi_cl_get_kernel(tsi_device *dev, const char *file, const char *defines,
                            const char *name, cl_kernel *out)
{
    if (strlen(defines) + 1 >= TSI_CL_DEFINES_LEN) {
        dev->host->set_error("opencl: defines for %s do not fit: %s", file, defines);
        return TS_ERR_INTERNAL;
    }
    tsi_cl_program *p;
    TSI_CL_TRY(get_program(dev, file, defines, &p));
    for (int i = 0; i < p->nk; i++) {
        if (strcmp(p->kernels[i].name, name) == 0) {
            *out = p->kernels[i].k;
            return TS_OK;
        }
    }
    if (p->nk == TSI_CL_MAX_KERNELS || strlen(name) >= sizeof p->kernels[0].name) {
        dev->host->set_error("opencl: too many kernels in %s (or name %s too long)", file, name);
        return TS_ERR_INTERNAL;
    }
    cl_int err;
    cl_kernel k = clCreateKernel(p->prog, name, &err);
    if (!k) {
        char what[160];
        snprintf(what, sizeof what, "clCreateKernel(%s in %s)", name, file);
        return tsi_cl_error(dev->host, err, what);
    }
    strcpy(p->kernels[p->nk].name, name);
    p->kernels[p->nk].k = k;
    p->nk++;
    *out = k;
    return TS_OK;
}

void tsi_cl_programs_release(tsi_device *dev)
{
    tsi_cl_program *p = dev->programs;
    while (p) {
        tsi_cl_program *next = p->next;
        for (int i = 0; i < p->nk; i++)
            clReleaseKernel(p->kernels[i].k);
        clReleaseProgram(p->prog);
        free(p->key);
        free(p);
        p = next;
    }
    dev->programs = NULL;
}
