/* Run-time detection of the SIMD level. A cpuid flag alone is not enough:
 * the OS must also save the wide registers on a context switch (XCR0, read
 * with xgetbv), otherwise the first AVX instruction faults or registers get
 * corrupted. VMs and some kernels hide AVX-512 this way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_features.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
/* The kernel's uapi value (asm/hwcap.h), spelled out for older headers. */
#define TSI_HWCAP2_BF16 (1ul << 14)
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* xgetbv by opcode so this file needs no -mxsave. */
static unsigned long long read_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

#define XCR0_SSE (1ull << 1)
#define XCR0_YMM (1ull << 2)
#define XCR0_OPMASK (1ull << 5)
#define XCR0_ZMM_HI256 (1ull << 6)
#define XCR0_HI16_ZMM (1ull << 7)
#define XCR0_TILECFG (1ull << 17)
#define XCR0_TILEDATA (1ull << 18)

static void detect_x86(tsi_cpu_features *f)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    unsigned int max_leaf = a;
    memcpy(f->vendor, &b, 4);
    memcpy(f->vendor + 4, &d, 4);
    memcpy(f->vendor + 8, &c, 4);
    f->vendor[12] = '\0';

    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    unsigned int base_family = (a >> 8) & 0xf;
    f->family = (int)(base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family);
    bool osxsave = c & (1u << 27);
    bool cpu_avx = c & (1u << 28), cpu_fma = c & (1u << 12), cpu_f16c = c & (1u << 29);
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    bool os_ymm = (xcr0 & (XCR0_SSE | XCR0_YMM)) == (XCR0_SSE | XCR0_YMM);
    bool os_zmm = os_ymm && (xcr0 & (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)) ==
                                (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM);

    bool cpu_avx2 = false, cpu_avx512 = false, cpu_bf16 = false, cpu_fp16 = false;
    bool cpu_amx = false;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        unsigned int max_sub = a;
        cpu_avx2 = b & (1u << 5);
        /* F (16), DQ (17), BW (30), VL (31): the set the kernels use. */
        unsigned int need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
        cpu_avx512 = (b & need) == need;
        cpu_fp16 = d & (1u << 23);
        cpu_amx = (d & (1u << 22)) && (d & (1u << 24)); /* AMX-BF16, AMX-TILE */
        if (max_sub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            cpu_bf16 = a & (1u << 5);
        }
    }
    f->avx = cpu_avx && os_ymm;
    f->fma = cpu_fma && os_ymm;
    f->f16c = cpu_f16c && os_ymm;
    f->avx2 = cpu_avx2 && os_ymm;
    f->avx512 = cpu_avx512 && os_zmm;
    f->avx512_bf16 = f->avx512 && cpu_bf16;
    f->avx512_fp16 = f->avx512 && cpu_fp16;
    f->amx_bf16 = f->avx512_bf16 && cpu_amx &&
                  (xcr0 & (XCR0_TILECFG | XCR0_TILEDATA)) == (XCR0_TILECFG | XCR0_TILEDATA);
    if (f->avx2 && f->fma && f->f16c)
        f->best = f->avx512 ? TSI_CPU_SIMD_AVX512 : TSI_CPU_SIMD_AVX2;
}
#endif

static void read_model_name(char *name, size_t len)
{
    snprintf(name, len, "CPU");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        /* x86 says "model name", some aarch64 kernels "Model" or nothing. */
        if (strncmp(line, "model name", 10) != 0 && strncmp(line, "Model", 5) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\r\n");
        while (n > 0 && v[n - 1] == ' ')
            n--;
        if (n > 0) {
            snprintf(name, len, "%.*s", (int)n, v);
            break;
        }
    }
    fclose(fp);
}

static const struct {
    const char *name;
    tsi_cpu_simd level;
} simd_names[] = {
    {"scalar", TSI_CPU_SIMD_SCALAR},
    {"avx2", TSI_CPU_SIMD_AVX2},
    {"avx512", TSI_CPU_SIMD_AVX512},
    {"neon", TSI_CPU_SIMD_NEON},
};

void tsi_cpu_features_detect(tsi_cpu_features *f)
{
    memset(f, 0, sizeof *f);
    f->best = TSI_CPU_SIMD_SCALAR;
#if defined(__x86_64__)
    detect_x86(f);
#elif defined(__aarch64__)
    f->best = TSI_CPU_SIMD_NEON;
#if defined(__linux__)
    f->neon_bf16 = (getauxval(AT_HWCAP2) & TSI_HWCAP2_BF16) != 0;
#endif
#endif
    read_model_name(f->name, sizeof f->name);
    f->simd = f->best;
    const char *want = getenv("TESSEL_CPU_SIMD");
    if (!want || !*want)
        return;
    for (size_t i = 0; i < sizeof simd_names / sizeof simd_names[0]; i++) {
        if (strcmp(want, simd_names[i].name) != 0)
            continue;
        tsi_cpu_simd lvl = simd_names[i].level;
        /* Only lowering is honoured; NEON and the x86 levels do not mix. */
        bool x86_lower = f->best != TSI_CPU_SIMD_NEON && lvl != TSI_CPU_SIMD_NEON && lvl < f->best;
        if (lvl == TSI_CPU_SIMD_SCALAR || lvl == f->best || x86_lower)
            f->simd = lvl;
    }
}

const char *tsi_cpu_simd_label(tsi_cpu_simd level)
{
    for (size_t i = 0; i < sizeof simd_names / sizeof simd_names[0]; i++)
        if (simd_names[i].level == level)
            return simd_names[i].name;
    return "scalar";
}

const char *tsi_cpu_openblas_core_for(const tsi_cpu_features *f)
{
    /* Decided from the machine, not from TESSEL_CPU_SIMD: that knob picks
     * tessel's own kernels, OpenBLAS should still run its best. The rules
     * are those of OpenBLAS's own dynamic.c when it can see the CPU:
     * AVX512_BF16 runs the Cooperlake set (Zen 4 included), AVX-512 without
     * it SkylakeX, AMD Zen 1-5 (families 17h, 19h, 1Ah; Hygon 18h) without
     * AVX-512 the Zen set. */
    if (f->avx512 && f->avx2 && f->fma)
        return f->avx512_bf16 ? "Cooperlake" : "SkylakeX";
    bool amd_zen = (strcmp(f->vendor, "AuthenticAMD") == 0 &&
                    (f->family == 0x17 || f->family == 0x19 || f->family == 0x1a)) ||
                   (strcmp(f->vendor, "HygonGenuine") == 0 && f->family == 0x18);
    if (f->avx2 && f->fma)
        return amd_zen ? "Zen" : "Haswell";
    if (f->avx)
        return "Sandybridge";
    return NULL;
}
