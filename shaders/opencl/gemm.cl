/* Tiled GEMM with local memory: C[b] = A[b] . B[b] for every batch b.
 *
 * A is [B0, B1, M, K], B is [B0, B1, K, N], both with arbitrary element
 * strides (batch stride 0 broadcasts, a transpose is swapped strides), C is
 * contiguous [B0, B1, M, N]. Storage may be f32, f16 or bf16; tiles hold
 * f32 and the sum is f32, rounded once on store.
 *
 * Tunables (-D, from the per-vendor table in cl_tuning.c): a work-group
 * computes a TSM x TSN tile of C, stepping K by TSK; each work-item holds
 * WPTM x WPTN accumulators, so the work-group is (TSN/WPTN, TSM/WPTM). */

#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)
#define NTHREADS (RTSM * RTSN)
/* One column of padding keeps the k-major tile stores off a single bank. */
#define APAD (TSM + 1)
#define BPAD (TSN + 1)

kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void gemm_tiled(global const T_S *a, long a_off, long4 sa, global const T_S *b, long b_off,
                long4 sb, global T_S *c, long c_off, int M, int N, int K, long B0, long B1)
{
    local float as[TSK * APAD];
    local float bs[TSK * BPAD];
    const int l0 = get_local_id(0), l1 = get_local_id(1);
    const int tid = l1 * RTSN + l0;
    const int m0 = get_group_id(1) * TSM, n0 = get_group_id(0) * TSN;
    /* Tile loads walk the operand's unit-stride dim across neighbouring
     * work-items, whichever dim that is, so both layouts coalesce. */
    const bool a_kfast = sa.s3 == 1;
    const bool b_nfast = sb.s3 == 1 || sb.s2 != 1;

    for (long bb = get_global_id(2); bb < B0 * B1; bb += get_global_size(2)) {
        long b0 = bb / B1, b1 = bb - b0 * B1;
        long abase = a_off + b0 * sa.s0 + b1 * sa.s1;
        long bbase = b_off + b0 * sb.s0 + b1 * sb.s1;
        float acc[WPTM][WPTN];
        for (int wm = 0; wm < WPTM; wm++)
            for (int wn = 0; wn < WPTN; wn++)
                acc[wm][wn] = 0.0f;

        for (int k0 = 0; k0 < K; k0 += TSK) {
            for (int l = tid; l < TSM * TSK; l += NTHREADS) {
                int mm, kk;
                if (a_kfast) { mm = l / TSK; kk = l - mm * TSK; }
                else { kk = l / TSM; mm = l - kk * TSM; }
                int gm = m0 + mm, gk = k0 + kk;
                as[kk * APAD + mm] = gm < M && gk < K
                    ? LD(a, abase + gm * sa.s2 + gk * sa.s3) : 0.0f;
            }
            for (int l = tid; l < TSN * TSK; l += NTHREADS) {
                int nn, kk;
                if (b_nfast) { kk = l / TSN; nn = l - kk * TSN; }
                else { nn = l / TSK; kk = l - nn * TSK; }
                int gn = n0 + nn, gk = k0 + kk;
                bs[kk * BPAD + nn] = gn < N && gk < K
                    ? LD(b, bbase + gk * sb.s2 + gn * sb.s3) : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int kk = 0; kk < TSK; kk++) {
                float bv[WPTN];
                for (int wn = 0; wn < WPTN; wn++)
                    bv[wn] = bs[kk * BPAD + l0 + wn * RTSN];
                for (int wm = 0; wm < WPTM; wm++) {
                    float av = as[kk * APAD + l1 + wm * RTSM];
                    for (int wn = 0; wn < WPTN; wn++)
                        acc[wm][wn] += av * bv[wn];
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }

        long cbase = c_off + bb * (long)M * N;
        for (int wm = 0; wm < WPTM; wm++) {
            int gm = m0 + l1 + wm * RTSM;
            for (int wn = 0; wn < WPTN; wn++) {
                int gn = n0 + l0 + wn * RTSN;
                if (gm < M && gn < N)
                    ST(c, cbase + (long)gm * N + gn, acc[wm][wn]);
            }
        }
    }
}
