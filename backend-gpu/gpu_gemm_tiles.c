/* The GEMM tile of both GPU GEMM kernels (gpu_gemm_tiles.h). */
#include <stdio.h>
#include <stdlib.h>

#include "backend-gpu/gpu_gemm_tiles.h"

/* What replaces a set of values that do not fit together: the "anything
 * else" Vulkan row (64 invocations, 8.5 KiB of shared memory). */
static const tsi_gemm_tiles k_fallback = {32, 32, 16, 4, 4, 1, 1};

static bool pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* Powers of two (the shrink halves them and must keep WM | BM), at most 128
 * accumulators per invocation (registers); vec 4 only with WN a multiple
 * of 4 (an invocation's columns come in groups of 4). */
static bool usable(const tsi_gemm_tiles *t)
{
    return pow2(t->bm) && pow2(t->bn) && pow2(t->bk) && pow2(t->wm) && pow2(t->wn) &&
           t->bm <= 1024 && t->bn <= 1024 && t->bk <= 1024 && t->wm <= t->bm && t->wn <= t->bn &&
           t->wm * t->wn <= 128 && t->shared <= 1 &&
           (t->vec == 1 || (t->vec == 4 && t->wn % 4 == 0));
}

static uint32_t tuned_one(const tsi_gpu_caps *c, const char *key, uint32_t fallback)
{
    int64_t v = c->host->tuning(c->info, key, fallback);
    return v >= 0 && v <= 4096 ? (uint32_t)v : 0; /* 0: refused by usable() */
}

/* gemm.<name>, and for 16-bit operands gemm16.<name> over it where a row
 * sets one. */
static uint32_t tuned(const tsi_gpu_caps *c, bool sixteen, const char *name, uint32_t fallback)
{
    char key[32];
    snprintf(key, sizeof key, "gemm.%s", name);
    uint32_t v = tuned_one(c, key, fallback);
    if (!sixteen)
        return v;
    snprintf(key, sizeof key, "gemm16.%s", name);
    return tuned_one(c, key, v);
}

/* Hand tuning (and tests of other tiles): TESSEL_GEMM_TILES=bm,bn,bk,wptm,
 * wptn,shared[,vec] replaces the tuning entry; clamped below like it. */
static bool from_environment(tsi_gemm_tiles *t)
{
    const char *env = getenv("TESSEL_GEMM_TILES");
    tsi_gemm_tiles o = {.vec = 1};
    int got = env ? sscanf(env, "%u,%u,%u,%u,%u,%u,%u", &o.bm, &o.bn, &o.bk, &o.wm, &o.wn,
                           &o.shared, &o.vec)
                  : 0;
    if (got < 6 || !usable(&o))
        return false;
    *t = o;
    return true;
}

/* The kernels' A and B tiles, f32 (BK = 1 when nothing is staged). */
static uint64_t shared_bytes(const tsi_gemm_tiles *t)
{
    uint64_t bk = t->shared ? t->bk : 1;
    return 4u * bk * (t->bm + 1u + t->bn + 1u);
}

uint32_t tsi_gemm_work_group(const tsi_gemm_tiles *t)
{
    return (t->bm / t->wm) * (t->bn / t->wn);
}

/* Shrink until the workgroup and the shared tiles fit: the K depth first
 * (down to 4) while shared memory is short, then the longer tile side, its
 * work per invocation with it once that side is one invocation wide. */
static bool fit_device(const tsi_gpu_caps *c, tsi_gemm_tiles *t)
{
    while (tsi_gemm_work_group(t) > c->max_wg || shared_bytes(t) > c->max_shared) {
        if (shared_bytes(t) > c->max_shared && t->shared && t->bk > 4) {
            t->bk /= 2;
        } else if (t->bm >= t->bn && t->bm > 1) {
            t->bm /= 2;
            t->wm = t->wm < t->bm ? t->wm : t->bm;
        } else if (t->bn > 1) {
            t->bn /= 2;
            t->wn = t->wn < t->bn ? t->wn : t->bn;
        } else {
            return false;
        }
    }
    if (t->wn % 4 != 0)
        t->vec = 1; /* shrunk below a column group */
    return true;
}

bool tsi_gemm_pick_tiles(const tsi_gpu_caps *c, ts_dtype dt, tsi_gemm_tiles *t)
{
    if (!from_environment(t)) {
        const tsi_gemm_tiles *f = &k_fallback;
        bool h = dt == TS_F16 || dt == TS_BF16;
        *t = (tsi_gemm_tiles){tuned(c, h, "bm", f->bm),   tuned(c, h, "bn", f->bn),
                              tuned(c, h, "bk", f->bk),   tuned(c, h, "wptm", f->wm),
                              tuned(c, h, "wptn", f->wn), tuned(c, h, "shared", f->shared),
                              tuned(c, h, "vec", f->vec)};
        if (!usable(t)) {
            c->host->log(TS_LOG_DEBUG,
                         "%s: %s: tuning %s.bm=%u bn=%u bk=%u wptm=%u wptn=%u shared=%u do not "
                         "fit together; using %ux%ux%u",
                         c->backend, c->info->name, h ? "gemm16" : "gemm", t->bm, t->bn, t->bk,
                         t->wm, t->wn, t->shared, f->bm, f->bn, f->bk);
            *t = *f;
        }
    }
    return fit_device(c, t);
}

enum { PLAN_BM, PLAN_BN, PLAN_BK, PLAN_WORK };

void tsi_gemm_tiles_to_plan(const tsi_gemm_tiles *t, tsi_plan *out)
{
    *out = (tsi_plan){.tile = {(int32_t)t->bm, (int32_t)t->bn, t->shared ? (int32_t)t->bk : 0,
                               (int32_t)(t->wm | t->wn << 8 | t->vec << 16)}};
}

tsi_gemm_tiles tsi_gemm_tiles_of_plan(const tsi_plan *plan)
{
    const int32_t *tile = plan->tile;
    return (tsi_gemm_tiles){(uint32_t)tile[PLAN_BM],
                            (uint32_t)tile[PLAN_BN],
                            tile[PLAN_BK] ? (uint32_t)tile[PLAN_BK] : 1u,
                            (uint32_t)tile[PLAN_WORK] & 0xffu,
                            (uint32_t)tile[PLAN_WORK] >> 8 & 0xffu,
                            tile[PLAN_BK] ? 1u : 0u,
                            (uint32_t)tile[PLAN_WORK] >> 16};
}

uint64_t tsi_gemm_loop_count(const tsi_gemm_tiles *t, uint64_t k)
{
    uint64_t wg = tsi_gemm_work_group(t);
    if (!t->shared)
        return k + 16;
    uint64_t loads = tsi_gpu_ceil_div((uint64_t)t->bm * t->bk, wg) +
                     tsi_gpu_ceil_div((uint64_t)t->bn * t->bk, wg);
    return tsi_gpu_ceil_div(k, t->bk) * (loads + t->bk + 1) + 16;
}
