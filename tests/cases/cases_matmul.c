/* Cases of ts_matmul: batched, broadcast batch dims, transposed and
 * sliced operands (strided views the backend gets as they are), K = 0,
 * empty M, odd and prime sizes. shape is a, shape2 is b. */
#include "family.h"
#include "ref.h"

/* clang-format off */
static const tsc_op_entry ops[] = {{"matmul", 0, TSC_FLOATS}};

#define T TSC_TRANSPOSED
#define S TSC_SLICED

/* clang-format off */
static const tsc_spec specs[] = {
    {"1x1x1", 2, {1, 1}, 2, {1, 1}, {0}, {0}, 0, 0},
    {"7x13x5", 2, {7, 13}, 2, {13, 5}, {0}, {0}, 0, 0},
    {"9x17x3 T(a)", 2, {9, 17}, 2, {17, 3}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"5x8x11 T(b)", 2, {5, 8}, 2, {8, 11}, {0}, {0}, TSC_LAY_IN1(T), 0},
    {"6x7x9 T(a) T(b)", 2, {6, 7}, 2, {7, 9}, {0}, {0}, TSC_LAY_IN0(T) | TSC_LAY_IN1(T), 0},
    {"batch 3: 5x7x2", 3, {3, 5, 7}, 3, {3, 7, 2}, {0}, {0}, 0, 0},
    {"batch 2x1 . 1x3: 5x6x4", 4, {2, 1, 5, 6}, 4, {1, 3, 6, 4}, {0}, {0}, 0, 0},
    {"2-d a . batch 4: 5x6x3", 2, {5, 6}, 3, {4, 6, 3}, {0}, {0}, 0, 0},
    {"batch 3 T(a) . 2-d b", 3, {3, 4, 10}, 2, {10, 6}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"4x9x5 S(a) S(b)", 2, {4, 9}, 2, {9, 5}, {0}, {0}, TSC_LAY_IN0(S) | TSC_LAY_IN1(S), 0},
    {"31x37x29 prime", 2, {31, 37}, 2, {37, 29}, {0}, {0}, 0, 0},
    {"65x33x67 (past one tile)", 2, {65, 33}, 2, {33, 67}, {0}, {0}, 0, 0},
    {"batch 3: 4x7x5 B(b) stride-0 batch", 3, {3, 4, 7}, 3, {3, 7, 5}, {0}, {0},
     TSC_LAY_IN1(TSC_BROADCAST), 0},
    {"K=0 3x0x4", 2, {3, 0}, 2, {0, 4}, {0}, {0}, 0, 0},
    {"empty M=0 0x5x3", 2, {0, 5}, 2, {5, 3}, {0}, {0}, 0, 0},
    {"1x64x1 dot", 2, {1, 64}, 2, {64, 1}, {0}, {0}, 0, 0},
    {"257x513x129", 2, {257, 513}, 2, {513, 129}, {0}, {0}, 0, 1},
    {"257x513x129 T(a) T(b)", 2, {257, 513}, 2, {513, 129}, {0}, {0},
     TSC_LAY_IN0(T) | TSC_LAY_IN1(T), 1},
    {"batch 2x3 . 1x3: 65x67x63", 4, {2, 3, 65, 67}, 4, {1, 3, 67, 63}, {0}, {0}, 0, 1},
    {"1x4099x1 dot", 2, {1, 4099}, 2, {4099, 1}, {0}, {0}, 0, 1},
    /* Edges of the CPU GEMM's register tiles, packing and K blocks. */
    {"1x1000x129 T(b)", 2, {1, 1000}, 2, {1000, 129}, {0}, {0}, TSC_LAY_IN1(T), 0},
    {"33x1000x7 T(a) T(b)", 2, {33, 1000}, 2, {1000, 7}, {0}, {0},
     TSC_LAY_IN0(T) | TSC_LAY_IN1(T), 0},
    {"129x7x33 T(a)", 2, {129, 7}, 2, {7, 33}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"7x129x1", 2, {7, 129}, 2, {129, 1}, {0}, {0}, 0, 0},
    {"batch 3: 33x129x7 T(b)", 3, {3, 33, 129}, 3, {3, 129, 7}, {0}, {0}, TSC_LAY_IN1(T), 0},
    {"129x1000x129 T(a) T(b)", 2, {129, 1000}, 2, {1000, 129}, {0}, {0},
     TSC_LAY_IN0(T) | TSC_LAY_IN1(T), 1},
    {"451x257x1029 T(b)", 2, {451, 257}, 2, {257, 1029}, {0}, {0}, TSC_LAY_IN1(T), 1},
    /* Depth blocks of the CPU GEMM run in one pool job (K 400: two
     * blocks of 192 and a short one; 90 columns: a partial NR panel). */
    {"70x400x90 depth blocks", 2, {70, 400}, 2, {400, 90}, {0}, {0}, 0, 0},
    /* Few rows against a B block of 1.5 MiB or more (by the CPU's KC),
     * over half of any L2 up to 3 MiB: the CPU GEMM keeps whole row
     * blocks and splits the columns. */
    {"40x256x3000 thin rows, wide B", 2, {40, 256}, 2, {256, 3000}, {0}, {0}, 0, 0},
    /* C of 4.2 MB, over two threads' L2s up to 2 MiB each: the CPU GEMM's
     * deep depth blocks (384 and a short one). */
    {"1030x400x1030 deep blocks", 2, {1030, 400}, 2, {400, 1030}, {0}, {0}, 0, 0},
    /* The CPU 16-bit GEMM's column blocks (2048), an odd K (bf16 k-pairs)
     * and, under TESSEL_TEST_HOOK=cpu_gemm16_chunks (ops_cpu_gemm16_chunks),
     * row chunks of 120 rows. */
    {"530x301x2100 blocks", 2, {530, 301}, 2, {301, 2100}, {0}, {0}, 0, 1},
    /* The GPU kernel's 4-element path (gemm.vec=4, shaders/matmul.kern)
     * takes N a multiple of 4 and 4-aligned rows: a and b both vectored,
     * b only (a's rows or a transposed), broadcast batches, edge tiles. */
    {"37x20x68 vec a b", 2, {37, 20}, 2, {20, 68}, {0}, {0}, 0, 0},
    {"37x14x68 vec b", 2, {37, 14}, 2, {14, 68}, {0}, {0}, 0, 0},
    {"batch 3: 19x12x36 T(a) vec b", 3, {3, 19, 12}, 3, {3, 12, 36}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"batch 2x1 . 1x3: 17x24x8 vec", 4, {2, 1, 17, 24}, 4, {1, 3, 24, 8}, {0}, {0}, 0, 0},
    {"130x260x132 vec", 2, {130, 260}, 2, {260, 132}, {0}, {0}, 0, 1},
    /* The CPU's skinny 16-bit path (m <= 16): b's columns contiguous and
     * deeper than one depth block, a's rows padded to 4; b's rows
     * contiguous, several column tasks, a depth no block size divides;
     * four groups of rows. */
    {"5x2300x70 skinny T(b)", 2, {5, 2300}, 2, {2300, 70}, {0}, {0}, TSC_LAY_IN1(T), 0},
    {"3x50x700 skinny", 2, {3, 50}, 2, {50, 700}, {0}, {0}, 0, 0},
    {"14x90x130 skinny T(b)", 2, {14, 90}, 2, {90, 130}, {0}, {0}, TSC_LAY_IN1(T), 0},
    /* Multiples of 16: the cooperative-matrix tile (f16 / bf16 where the
     * Vulkan device offers VK_KHR_cooperative_matrix). */
    {"64x48x80 coop", 2, {64, 48}, 2, {48, 80}, {0}, {0}, 0, 0},
    {"batch 2: 48x32x16 coop", 3, {2, 48, 32}, 3, {2, 32, 16}, {0}, {0}, 0, 0},
    {"256x512x128 coop", 2, {256, 512}, 2, {512, 128}, {0}, {0}, 0, 1},
};
/* clang-format on */
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int64_t a4[4], b4[4], o4[4];
    tsc_pad4(s->nd, s->shape, a4);
    tsc_pad4(s->nd2, s->shape2, b4);
    o4[0] = a4[0] == 1 ? b4[0] : a4[0];
    o4[1] = a4[1] == 1 ? b4[1] : a4[1];
    o4[2] = a4[2];
    o4[3] = b4[3];
    int ond = s->nd > s->nd2 ? s->nd : s->nd2;
    tsc_arg *a = tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -1, 1);
    tsc_arg *b =
        a ? tsc_input(x, c->dtype, s->nd2, s->shape2, TSC_IN1_LAYOUT(s->flags), -1, 1) : NULL;
    tsc_arg *out = b ? tsc_output(x, c->dtype, ond, o4 + 4 - ond, TSC_CONTIG) : NULL;
    if (!out || tsc_op_status(x, ts_matmul(a->t, b->t, out->t), "ts_matmul"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    ref_matmul(a->v, a4, b->v, b4, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_matmul = {
    .name = "matmul",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
