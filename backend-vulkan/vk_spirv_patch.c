/* The float-controls denormal mode patched into SPIR-V words
 * (vk_spirv_patch.h). Numbers from the SPIR-V 1.6 unified grammar and
 * SPV_KHR_float_controls: the module layout fixes where each instruction
 * may go (capabilities, extensions, imports, memory model, entry points,
 * execution modes, then the rest), so inserting at the end of each
 * section keeps the module valid. */
#include <stdlib.h>
#include <string.h>

#include "vk_spirv_patch.h"

enum {
    SPV_MAGIC = 0x07230203u,
    SPV_VERSION_1_4 = 0x00010400u,
    OP_EXTENSION = 10,
    OP_ENTRY_POINT = 15,
    OP_EXECUTION_MODE = 16,
    OP_CAPABILITY = 17,
    OP_EXECUTION_MODE_ID = 331,
    CAP_DENORM_PRESERVE = 4464,
    CAP_DENORM_FLUSH_TO_ZERO = 4465,
    MODE_DENORM_PRESERVE = 4459,
    MODE_DENORM_FLUSH_TO_ZERO = 4460,
    MAX_ENTRY_POINTS = 32
};

static const char k_ext[] = "SPV_KHR_float_controls";

/* Does the literal string starting at w (n words) equal s? SPIR-V packs
 * its bytes from the lowest-order byte of each word, whatever the host. */
static int string_is(const uint32_t *w, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (n * 4 < len + 1)
        return 0;
    for (size_t k = 0; k <= len; k++)
        if (((w[k / 4] >> (8 * (k % 4))) & 0xffu) != (unsigned char)s[k])
            return 0;
    return 1;
}

static size_t put_string(uint32_t *w, const char *s)
{
    size_t len = strlen(s), n = len / 4 + 1; /* NUL included, zero padded */
    memset(w, 0, n * 4);
    for (size_t k = 0; k < len; k++)
        w[k / 4] |= (uint32_t)(unsigned char)s[k] << (8 * (k % 4));
    return n;
}

typedef struct layout {
    size_t cap_end, ext_end, ep_end, mode_end; /* word index after the section's last one */
    int has_cap, has_ext, n_ep;
    uint32_t ep[MAX_ENTRY_POINTS];
    int ep_has_mode[MAX_ENTRY_POINTS];
} layout;

static tsi_spirv_patch_result walk(const uint32_t *w, size_t n, uint32_t cap, uint32_t mode,
                                   uint32_t other_mode, layout *l)
{
    memset(l, 0, sizeof *l);
    for (size_t i = 5; i < n;) {
        uint32_t wc = w[i] >> 16, op = w[i] & 0xffffu;
        if (wc == 0 || wc > n - i)
            return TSI_SPIRV_PATCH_MALFORMED;
        if (op == OP_CAPABILITY && wc == 2) {
            l->cap_end = i + wc;
            l->has_cap |= w[i + 1] == cap;
        } else if (op == OP_EXTENSION) {
            l->ext_end = i + wc;
            l->has_ext |= string_is(w + i + 1, wc - 1, k_ext);
        } else if (op == OP_ENTRY_POINT && wc >= 4) {
            if (l->n_ep == MAX_ENTRY_POINTS)
                return TSI_SPIRV_PATCH_MALFORMED;
            l->ep[l->n_ep++] = w[i + 2];
            l->ep_end = i + wc;
        } else if (op == OP_EXECUTION_MODE || op == OP_EXECUTION_MODE_ID) {
            l->mode_end = i + wc;
            if (op == OP_EXECUTION_MODE && wc == 4 && w[i + 3] == 32) {
                if (w[i + 2] == other_mode)
                    return TSI_SPIRV_PATCH_CONFLICT;
                for (int e = 0; e < l->n_ep && w[i + 2] == mode; e++)
                    l->ep_has_mode[e] |= l->ep[e] == w[i + 1];
            }
        }
        i += wc;
    }
    if (!l->cap_end || !l->n_ep)
        return TSI_SPIRV_PATCH_MALFORMED;
    if (!l->ext_end)
        l->ext_end = l->cap_end;
    if (!l->mode_end)
        l->mode_end = l->ep_end;
    /* Sections out of order: not a module this patcher understands. */
    if (l->ext_end < l->cap_end || l->mode_end < l->ext_end)
        return TSI_SPIRV_PATCH_MALFORMED;
    return TSI_SPIRV_PATCH_OK;
}

tsi_spirv_patch_result tsi_spirv_add_denorm_mode(const uint32_t *words, size_t n_words,
                                                 tsi_spirv_denorm mode, uint32_t **out,
                                                 size_t *out_words)
{
    *out = NULL;
    *out_words = 0;
    if (!words || n_words < 5 || words[0] != SPV_MAGIC)
        return TSI_SPIRV_PATCH_MALFORMED;
    int flush = mode == TSI_SPIRV_DENORM_FLUSH;
    uint32_t cap = flush ? CAP_DENORM_FLUSH_TO_ZERO : CAP_DENORM_PRESERVE;
    uint32_t em = flush ? MODE_DENORM_FLUSH_TO_ZERO : MODE_DENORM_PRESERVE;
    uint32_t other = flush ? MODE_DENORM_PRESERVE : MODE_DENORM_FLUSH_TO_ZERO;
    layout l;
    tsi_spirv_patch_result r = walk(words, n_words, cap, em, other, &l);
    if (r != TSI_SPIRV_PATCH_OK)
        return r;
    /* From SPIR-V 1.4 the execution modes are core: no OpExtension. */
    int add_ext = words[1] < SPV_VERSION_1_4 && !l.has_ext;
    size_t ext_words = 1 + (sizeof k_ext) / 4 + ((sizeof k_ext) % 4 != 0);
    size_t extra = (l.has_cap ? 0 : 2) + (add_ext ? ext_words : 0);
    for (int e = 0; e < l.n_ep; e++)
        extra += l.ep_has_mode[e] ? 0 : 4;
    uint32_t *o = malloc((n_words + extra) * sizeof *o);
    if (!o)
        return TSI_SPIRV_PATCH_NO_MEMORY;
    size_t k = 0;
    memcpy(o, words, l.cap_end * sizeof *o);
    k = l.cap_end;
    if (!l.has_cap) {
        o[k++] = 2u << 16 | OP_CAPABILITY;
        o[k++] = cap;
    }
    memcpy(o + k, words + l.cap_end, (l.ext_end - l.cap_end) * sizeof *o);
    k += l.ext_end - l.cap_end;
    if (add_ext) {
        size_t at = k++;
        size_t sw = put_string(o + k, k_ext);
        k += sw;
        o[at] = (uint32_t)(1 + sw) << 16 | OP_EXTENSION;
    }
    memcpy(o + k, words + l.ext_end, (l.mode_end - l.ext_end) * sizeof *o);
    k += l.mode_end - l.ext_end;
    for (int e = 0; e < l.n_ep; e++) {
        if (l.ep_has_mode[e])
            continue;
        o[k++] = 4u << 16 | OP_EXECUTION_MODE;
        o[k++] = l.ep[e];
        o[k++] = em;
        o[k++] = 32; /* the float width the mode is for */
    }
    memcpy(o + k, words + l.mode_end, (n_words - l.mode_end) * sizeof *o);
    k += n_words - l.mode_end;
    *out = o;
    *out_words = k;
    return TSI_SPIRV_PATCH_OK;
}
