/* Files embedded into a module at build time (cmake/TesselShaders.cmake):
 * SPIR-V blobs, OpenCL C sources. Header-only so modules can use it. */
#ifndef TESSEL_CORE_EMBEDDED_H
#define TESSEL_CORE_EMBEDDED_H

#include <stddef.h>
#include <string.h>

typedef struct tsi_embedded_file {
    const char *name; /* base file name, e.g. "binary.spv" */
    const unsigned char *data; /* NUL-terminated past size, for text files */
    size_t size;
} tsi_embedded_file;

/* Look up a file by name in a {0}-terminated table; NULL when absent. */
static inline const tsi_embedded_file *tsi_embedded_find(const tsi_embedded_file *table,
                                                         const char *name)
{
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0)
            return table;
    return NULL;
}

#endif
