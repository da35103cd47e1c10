/* The denormal-mode patcher (vk_spirv_patch.c) on real modules from the
 * build: every patched module is walked instruction by instruction, must
 * hold the capability, the extension (SPIR-V < 1.4 only) and one
 * execution mode per entry point in their sections, must keep every
 * original word in order, must be a fixed point of a second patch, and
 * must pass spirv-val when the build found it. Malformed modules and a
 * module that already asks for the other mode are refused.
 *
 *   test_vulkan_spirv_patch SPIRV_VAL|- TMPDIR module.spv...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-vulkan/vk_spirv_patch.h"
#include "tests/test_check.h"

static uint32_t *read_words(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint32_t *w = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size > 0 && size % 4 == 0 && fseek(f, 0, SEEK_SET) == 0 && (w = malloc((size_t)size)) &&
        fread(w, 1, (size_t)size, f) != (size_t)size) {
        free(w);
        w = NULL;
    }
    if (f)
        fclose(f);
    *n = w ? (size_t)size / 4 : 0;
    return w;
}

/* Section of an opcode in the module layout (SPIR-V 2.4), for the order
 * check: 0 capability, 1 extension, 2 import, 3 memory model, 4 entry
 * point, 5 execution mode, 6 everything after. */
static int section(uint32_t op)
{
    switch (op) {
    case 17:
        return 0;
    case 10:
        return 1;
    case 11:
        return 2;
    case 14:
        return 3;
    case 15:
        return 4;
    case 16:
    case 331:
        return 5;
    default:
        return 6;
    }
}

typedef struct found {
    int caps, exts, modes, entries, ordered;
} found;

static found inspect(const uint32_t *w, size_t n, uint32_t cap, uint32_t mode)
{
    found f = {0, 0, 0, 0, 1};
    int last = 0;
    for (size_t i = 5; i < n;) {
        uint32_t wc = w[i] >> 16, op = w[i] & 0xffffu;
        if (wc == 0 || wc > n - i) {
            f.ordered = 0;
            break;
        }
        int s = section(op);
        if (s < last)
            f.ordered = 0;
        last = s > last ? s : last;
        if (op == 17 && w[i + 1] == cap)
            f.caps++;
        if (op == 10 && memcmp(w + i + 1, "SPV_KHR_float_controls", 23) == 0)
            f.exts++;
        if (op == 15)
            f.entries++;
        if (op == 16 && wc == 4 && w[i + 2] == mode && w[i + 3] == 32)
            f.modes++;
        i += wc;
    }
    return f;
}

/* Every word of a appears in b in the same order (b only inserts). */
static int is_subsequence(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t j = 0;
    for (size_t i = 0; i < nb && j < na; i++)
        if (b[i] == a[j])
            j++;
    return j == na;
}

static int validate(const char *spirv_val, const char *tmp, const uint32_t *w, size_t n)
{
    if (!spirv_val || strcmp(spirv_val, "-") == 0)
        return 0;
    char path[4096], cmd[8400];
    snprintf(path, sizeof path, "%s/patched.spv", tmp);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(w, 4, n, f) != n) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "\"%s\" --target-env vulkan1.1 \"%s\"", spirv_val, path);
    return system(cmd);
}

static void test_module(const char *path, const char *spirv_val, const char *tmp)
{
    size_t n = 0;
    uint32_t *w = read_words(path, &n);
    CHECK(w && n > 5, "%s: cannot read", path);
    if (!w)
        return;
    static const struct {
        tsi_spirv_denorm mode;
        uint32_t cap, em;
    } k[] = {{TSI_SPIRV_DENORM_PRESERVE, 4464, 4459}, {TSI_SPIRV_DENORM_FLUSH, 4465, 4460}};
    for (int m = 0; m < 2; m++) {
        uint32_t *p = NULL, *p2 = NULL;
        size_t np = 0, np2 = 0;
        tsi_spirv_patch_result r = tsi_spirv_add_denorm_mode(w, n, k[m].mode, &p, &np);
        CHECK(r == TSI_SPIRV_PATCH_OK && p, "%s: patch %d returned %d", path, m, (int)r);
        if (!p)
            continue;
        found f = inspect(p, np, k[m].cap, k[m].em);
        int want_ext = w[1] < 0x00010400u;
        CHECK(f.ordered, "%s: sections out of order after patching", path);
        CHECK(f.caps == 1, "%s: %d denorm capabilities", path, f.caps);
        CHECK(f.exts == want_ext, "%s: %d float-controls extensions", path, f.exts);
        CHECK(f.entries >= 1 && f.modes == f.entries, "%s: %d modes for %d entry points", path,
              f.modes, f.entries);
        CHECK(np == n + 2 + (size_t)(want_ext ? 7 : 0) + 4u * (size_t)f.entries,
              "%s: %zu words from %zu", path, np, n);
        CHECK(p[3] == w[3], "%s: the id bound changed", path);
        CHECK(is_subsequence(w, n, p, np), "%s: original words lost or reordered", path);
        r = tsi_spirv_add_denorm_mode(p, np, k[m].mode, &p2, &np2);
        CHECK(r == TSI_SPIRV_PATCH_OK && np2 == np && memcmp(p, p2, np * 4) == 0,
              "%s: patching twice differs from once", path);
        free(p2);
        p2 = NULL;
        /* The other mode on top of this one would be an invalid module. */
        r = tsi_spirv_add_denorm_mode(p, np, k[1 - m].mode, &p2, &np2);
        CHECK(r == TSI_SPIRV_PATCH_CONFLICT && !p2, "%s: conflicting mode accepted (%d)", path,
              (int)r);
        free(p2);
        CHECK(validate(spirv_val, tmp, p, np) == 0, "%s: spirv-val rejects the patched module",
              path);
        free(p);
    }
    /* SPIR-V 1.4+: the modes are core, no extension. */
    uint32_t v = w[1];
    w[1] = 0x00010500u;
    uint32_t *p = NULL;
    size_t np = 0;
    tsi_spirv_patch_result r = tsi_spirv_add_denorm_mode(w, n, TSI_SPIRV_DENORM_PRESERVE, &p, &np);
    found f = p ? inspect(p, np, 4464, 4459) : (found){0, 0, 0, 0, 0};
    CHECK(r == TSI_SPIRV_PATCH_OK && f.exts == 0 && f.caps == 1 && f.modes == f.entries,
          "%s: SPIR-V 1.5 patch (r %d, ext %d)", path, (int)r, f.exts);
    free(p);
    w[1] = v;
    free(w);
}

static void test_malformed(void)
{
    /* header, OpCapability Shader, OpMemoryModel, OpEntryPoint %1 "main" */
    uint32_t good[] = {0x07230203u, 0x00010300u, 0,           2, 0, 0x00020011u, 1, 0x0003000eu,
                       0,           1,           0x0005000fu, 5, 1, 0x6e69616du, 0};
    size_t n = sizeof good / sizeof good[0];
    uint32_t *p = NULL, bad[sizeof good / sizeof good[0]];
    size_t np = 0;
    CHECK(tsi_spirv_add_denorm_mode(good, n, TSI_SPIRV_DENORM_PRESERVE, &p, &np) ==
              TSI_SPIRV_PATCH_OK,
          "a minimal module is refused");
    found f = p ? inspect(p, np, 4464, 4459) : (found){0, 0, 0, 0, 0};
    CHECK(f.ordered && f.caps == 1 && f.exts == 1 && f.modes == 1 && np == n + 13,
          "minimal module: %zu words, mode after the entry point", np);
    free(p);
    memcpy(bad, good, sizeof good);
    bad[0] = 0x03022307u; /* byte-swapped magic */
    CHECK(tsi_spirv_add_denorm_mode(bad, n, TSI_SPIRV_DENORM_PRESERVE, &p, &np) ==
                  TSI_SPIRV_PATCH_MALFORMED &&
              !p,
          "wrong magic accepted");
    memcpy(bad, good, sizeof good);
    bad[5] = 0x00000011u; /* word count 0: would loop forever */
    CHECK(tsi_spirv_add_denorm_mode(bad, n, TSI_SPIRV_DENORM_PRESERVE, &p, &np) ==
                  TSI_SPIRV_PATCH_MALFORMED &&
              !p,
          "zero word count accepted");
    memcpy(bad, good, sizeof good);
    bad[10] = 0x0009000fu; /* entry point runs past the end */
    CHECK(tsi_spirv_add_denorm_mode(bad, n, TSI_SPIRV_DENORM_PRESERVE, &p, &np) ==
                  TSI_SPIRV_PATCH_MALFORMED &&
              !p,
          "truncated instruction accepted");
    CHECK(tsi_spirv_add_denorm_mode(good, 10, TSI_SPIRV_DENORM_PRESERVE, &p, &np) ==
                  TSI_SPIRV_PATCH_MALFORMED &&
              !p,
          "module without an entry point accepted");
    CHECK(tsi_spirv_add_denorm_mode(good, 3, TSI_SPIRV_DENORM_PRESERVE, &p, &np) ==
                  TSI_SPIRV_PATCH_MALFORMED &&
              !p,
          "short header accepted");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s SPIRV_VAL|- TMPDIR module.spv...\n", argv[0]);
        return 2;
    }
    test_malformed();
    for (int i = 3; i < argc; i++)
        test_module(argv[i], argv[1], argv[2]);
    printf("%d module(s), spirv-val %s: %s\n", argc - 3, strcmp(argv[1], "-") ? "on" : "absent",
           g_failures ? "FAILED" : "ok");
    return g_failures ? 1 : 0;
}
