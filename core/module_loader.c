/* Finding and opening backend modules at run time. This is what lets an app
 * that links tessel start on a machine without a Vulkan loader or an
 * OpenCL ICD: core never links a driver, it dlopens a module that does, and
 * a module that is absent or cannot load is skipped with a log line. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/registry.h"

#ifndef TESSEL_MODULE_DIR
#define TESSEL_MODULE_DIR "/usr/local/lib/tessel"
#endif

/* Try one candidate file. TS_OK with *vt and *handle set, or TS_ERR_NOT_FOUND. */
static ts_status try_path(const char *path, const char *name, const tsi_backend **vt, void **handle)
{
    if (access(path, F_OK) != 0)
        return TS_ERR_NOT_FOUND;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        tsi_log(TS_LOG_WARN, "tessel: cannot load %s: %s", path, why ? why : "?");
        return TS_ERR_NOT_FOUND;
    }
    tsi_backend_entry_fn entry;
    /* POSIX blesses this conversion from void * for dlsym results. */
    *(void **)(&entry) = dlsym(h, TSI_BACKEND_ENTRY_SYMBOL);
    const tsi_backend *b = entry ? entry(TSI_BACKEND_ABI_VERSION, (uint32_t)sizeof(tsi_op)) : NULL;
    const char *problem = NULL;
    if (!entry)
        problem = "no " TSI_BACKEND_ENTRY_SYMBOL " symbol";
    else if (!b)
        problem = "entry refused this libtessel's ABI version or op layout";
    else if (b->abi_version != TSI_BACKEND_ABI_VERSION || b->op_size != sizeof(tsi_op))
        problem = "backend ABI version or op layout differs from this libtessel";
    else if (!b->name || strcmp(b->name, name) != 0)
        problem = "module names a different backend";
    if (problem) {
        tsi_log(TS_LOG_WARN, "tessel: skipping %s: %s", path, problem);
        dlclose(h);
        return TS_ERR_NOT_FOUND;
    }
    tsi_log(TS_LOG_DEBUG, "tessel: loaded %s backend from %s", name, path);
    *vt = b;
    *handle = h;
    return TS_OK;
}

static ts_status try_dir(const char *dir, size_t dir_len, const char *name, const tsi_backend **vt,
                         void **handle)
{
    char path[PATH_MAX];
    if (dir_len == 0)
        return TS_ERR_NOT_FOUND;
    int n = snprintf(path, sizeof path, "%.*s/libtessel-%s.so", (int)dir_len, dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return TS_ERR_NOT_FOUND;
    return try_path(path, name, vt, handle);
}

/* The folder holding the libtessel that is running (the build tree's lib/
 * or the install prefix), found from the address of one of our functions. */
static size_t self_dir(char *buf, size_t len)
{
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)&tsi_module_load, &info) || !info.dli_fname)
        return 0;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash)
        return 0;
    size_t n = (size_t)(slash - info.dli_fname);
    if (n >= len)
        return 0;
    memcpy(buf, info.dli_fname, n);
    buf[n] = '\0';
    return n;
}

ts_status tsi_module_load(const char *name, const tsi_backend **vt, void **handle)
{
    const char *env = getenv("TESSEL_MODULE_PATH");
    if (env) {
        for (const char *p = env;;) {
            const char *end = strchr(p, ':');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (try_dir(p, len, name, vt, handle) == TS_OK)
                return TS_OK;
            if (!end)
                break;
            p = end + 1;
        }
    }
    char dir[PATH_MAX];
    size_t n = self_dir(dir, sizeof dir - 8);
    if (n > 0) {
        if (try_dir(dir, n, name, vt, handle) == TS_OK)
            return TS_OK;
        memcpy(dir + n, "/tessel", 8);
        if (try_dir(dir, n + 7, name, vt, handle) == TS_OK)
            return TS_OK;
    }
    if (try_dir(TESSEL_MODULE_DIR, strlen(TESSEL_MODULE_DIR), name, vt, handle) == TS_OK)
        return TS_OK;
    tsi_log(TS_LOG_INFO, "tessel: no %s backend module (libtessel-%s.so) found", name, name);
    return TS_ERR_NOT_FOUND;
}

void tsi_module_unload(void *handle)
{
    if (handle)
        dlclose(handle);
}
