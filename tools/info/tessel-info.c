/* tessel-info: what tessel sees on this machine (every device of every
 * backend with its limits, features and tuning values), for humans or,
 * with --json, for scripts and bug reports. Uses only the public API. */
#include <stdio.h>
#include <string.h>

#include <tessel/tessel.h>

#include "../common/tool_log.h"

static const char *kind_name(ts_device_kind k)
{
    static const char *const names[] = {"discrete-gpu", "integrated-gpu", "cpu", "software",
                                        "other"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

static void print_bytes(uint64_t b)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    printf(u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static const char *yes_no(int v)
{
    return v ? "yes" : "no";
}

/* One line: the tuning values in effect and where they came from. */
static const char *tuning_of(const ts_device *dev, char *buf, size_t len)
{
    if (ts_device_tuning_summary(dev, buf, len) != TS_OK)
        snprintf(buf, len, "(unavailable: %s)", ts_last_error(NULL));
    return buf;
}

/* The FFT path a GPU backend reports at the end of its features
 * ("...; fft: vkfft 1.2.26" or "fft: own kernels (why)"); "" if none. */
static const char *fft_path(const ts_device_info *d, char *buf, size_t len)
{
    const char *p = strstr(d->features, "fft: ");
    buf[0] = '\0';
    if (p) {
        p += 5;
        size_t n = strcspn(p, ";");
        snprintf(buf, len, "%.*s", (int)n, p);
    }
    return buf;
}

/* f32 subnormals (docs/numerics.md): the word, and the line for people. */
static const char *denormals_name(ts_denormals m)
{
    return m == TS_DENORMALS_PRESERVED ? "preserved"
           : m == TS_DENORMALS_FLUSHED ? "flushed"
                                       : "unknown";
}

static const char *denormals_text(ts_denormals m)
{
    return m == TS_DENORMALS_PRESERVED ? "preserved"
           : m == TS_DENORMALS_FLUSHED
               ? "flushed (f32 subnormals become zeros of the same sign)"
               : "may be flushed (device cannot promise to preserve f32 subnormals)";
}

/* " (16x16x16 f16->f32, ...)": the "coopmat(...)" part of a Vulkan
 * device's features (backend-vulkan/vk_device.c), what tessel uses of it. */
static const char *coop_detail(const ts_device_info *d, char buf[64])
{
    const char *s = d->cooperative_matrix ? strstr(d->features, "coopmat(") : NULL;
    const char *e = s ? strchr(s, ')') : NULL;
    buf[0] = '\0';
    if (e)
        snprintf(buf, 64, " (%.*s)", (int)(e - s - 8), s + 8);
    return buf;
}

static void print_text(const ts_device_info *d, const char *tuning, int is_default)
{
    char coop[64];
    printf("%s%s\n", d->id, is_default ? "  (default)" : "");
    printf("  name:            %s\n", d->name);
    printf("  vendor:          %s (0x%04x), device 0x%04x\n", d->vendor, d->vendor_id,
           d->device_id);
    printf("  driver:          %s\n", d->driver);
    printf("  kind:            %s\n", kind_name(d->kind));
    printf("  memory:          ");
    print_bytes(d->memory_bytes);
    printf("\n  max allocation:  ");
    print_bytes(d->max_alloc_bytes);
    if (d->compute_units)
        printf("\n  compute units:   %u\n", d->compute_units);
    else
        printf("\n  compute units:   unknown\n");
    if (d->max_workgroup_size) {
        printf("  workgroup:       %u max invocations, ", d->max_workgroup_size);
        print_bytes(d->shared_memory_bytes);
        printf(" shared memory\n");
    } else {
        printf("  workgroup:       -\n");
    }
    if (d->subgroup_size)
        printf("  subgroup:        %u\n", d->subgroup_size);
    else
        printf("  subgroup:        -\n");
    printf("  fp16:            arithmetic %s, storage %s\n", yes_no(d->fp16_arithmetic),
           yes_no(d->fp16_storage));
    printf("  bf16 native:     %s\n", yes_no(d->bf16_native));
    printf("  unified memory:  %s\n", yes_no(d->unified_memory));
    printf("  coop. matrix:    %s%s\n", yes_no(d->cooperative_matrix), coop_detail(d, coop));
    printf("  denormals:       %s\n", denormals_text(d->denormals));
    printf("  features:        %s\n", d->features);
    char fft[128];
    if (fft_path(d, fft, sizeof fft)[0])
        printf("  fft:             %s\n", fft);
    printf("  tuning:          %s\n", tuning);
}

/* A JSON string literal, escaping quotes, backslashes and control bytes
 * (driver strings come from vendors and may hold anything). */
static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", stdout);
            break;
        case '\\':
            fputs("\\\\", stdout);
            break;
        case '\b':
            fputs("\\b", stdout);
            break;
        case '\f':
            fputs("\\f", stdout);
            break;
        case '\n':
            fputs("\\n", stdout);
            break;
        case '\r':
            fputs("\\r", stdout);
            break;
        case '\t':
            fputs("\\t", stdout);
            break;
        default:
            if (*p < 0x20)
                printf("\\u%04x", *p);
            else
                putchar(*p);
        }
    }
    putchar('"');
}

static void json_field_str(const char *key, const char *value, int last)
{
    printf("      \"%s\": ", key);
    json_string(value);
    printf(last ? "\n" : ",\n");
}

static void json_field_u64(const char *key, uint64_t value)
{
    printf("      \"%s\": %llu,\n", key, (unsigned long long)value);
}

static void json_field_bool(const char *key, int value)
{
    printf("      \"%s\": %s,\n", key, value ? "true" : "false");
}

static void print_json(const ts_device_info *d, const char *tuning, int is_default, int last)
{
    printf("    {\n");
    json_field_str("id", d->id, 0);
    json_field_str("backend", d->backend, 0);
    json_field_str("name", d->name, 0);
    json_field_str("vendor", d->vendor, 0);
    json_field_str("driver", d->driver, 0);
    json_field_str("kind", kind_name(d->kind), 0);
    json_field_bool("default", is_default);
    json_field_u64("vendor_id", d->vendor_id);
    json_field_u64("device_id", d->device_id);
    json_field_u64("memory_bytes", d->memory_bytes);
    json_field_u64("max_alloc_bytes", d->max_alloc_bytes);
    json_field_u64("compute_units", d->compute_units);
    json_field_u64("max_workgroup_size", d->max_workgroup_size);
    json_field_u64("shared_memory_bytes", d->shared_memory_bytes);
    json_field_u64("subgroup_size", d->subgroup_size);
    json_field_bool("fp16_arithmetic", d->fp16_arithmetic);
    json_field_bool("fp16_storage", d->fp16_storage);
    json_field_bool("bf16_native", d->bf16_native);
    json_field_bool("unified_memory", d->unified_memory);
    json_field_bool("cooperative_matrix", d->cooperative_matrix);
    json_field_str("denormals", denormals_name(d->denormals), 0);
    json_field_str("features", d->features, 0);
    char fft[128];
    if (fft_path(d, fft, sizeof fft)[0])
        json_field_str("fft", fft, 0);
    json_field_str("tuning", tuning, 1);
    printf(last ? "    }\n" : "    },\n");
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: tessel-info [--json] [--log LEVEL]\n"
               "Lists every device tessel can use, with the tuning values it gets and where\n"
               "each came from: * the user tuning file, + a tessel-tune file, ! an environment\n"
               "variable, unmarked built-in (docs/tuning.md). Honors TESSEL_BACKENDS,\n"
               "TESSEL_DEVICE, TESSEL_MODULE_PATH, TESSEL_TUNING_FILE and TESSEL_TUNED.\n"
               "\n"
               "  --json          the same as JSON\n" TOOL_LOG_USAGE
               "                  (--log info says why a backend or device is missing)\n");
    return rc;
}

int main(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
            if (tool_log_start("tessel-info", argv[++i]) != 0)
                return usage(stderr, 2);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return usage(stdout, 0);
        } else {
            return usage(stderr, 2);
        }
    }
    ts_context *ctx;
    ts_status st = ts_context_create(&ctx);
    if (st != TS_OK) {
        fprintf(stderr, "tessel-info: cannot create a context: %s: %s\n", ts_status_str(st),
                ts_last_error(NULL));
        return 1;
    }
    int count = 0;
    ts_device *def = NULL;
    ts_device_count(ctx, &count);
    if (ts_device_default(ctx, &def) != TS_OK)
        def = NULL;
    if (json) {
        printf("{\n  \"version\": ");
        json_string(ts_version());
        printf(",\n  \"devices\": [\n");
    } else {
        printf("tessel %s: %d device%s\n\n", ts_version(), count, count == 1 ? "" : "s");
    }
    int rc = 0;
    for (int i = 0; i < count; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(ctx, i, &dev) != TS_OK || ts_device_info_get(dev, &info) != TS_OK) {
            fprintf(stderr, "tessel-info: device %d: %s\n", i, ts_last_error(NULL));
            rc = 1;
            continue;
        }
        char tuning[2048];
        tuning_of(dev, tuning, sizeof tuning);
        if (json)
            print_json(&info, tuning, dev == def, i == count - 1);
        else
            print_text(&info, tuning, dev == def);
        if (!json && i + 1 < count)
            printf("\n");
    }
    if (json)
        printf("  ]\n}\n");
    ts_context_destroy(ctx);
    return rc;
}
