/* Top-k per row of a contiguous [rows, n] view: values [rows, k] (x's
 * dtype) and indices [rows, k] (i32), descending, ties to the lower index.
 * One work-group per row runs k selection passes; pass j finds the best
 * element ranked strictly after the one pass j-1 picked, so equal values
 * come out in index order without any sorting state. O(k*n/RWG) per row,
 * which suits the small k of routing and sampling. */

#define BEFORE(v, i, w, j) ((v) > (w) || ((v) == (w) && (i) < (j)))

#if TS_IS_FLOAT
#define T_HIGHEST INFINITY
#else
#define T_HIGHEST INT_MAX
#endif

kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void topk(global const T_S *x, long x_off, global T_S *vals, long v_off, global int *idx,
          long i_off, long rows, int n, int k)
{
    local T_A sv[RWG];
    local int si[RWG];
    const int l = get_local_id(0);
    for (long r = get_group_id(0); r < rows; r += get_num_groups(0)) {
        const long xb = x_off + r * n;
        T_A pv = T_HIGHEST;
        int pi = -1;
        for (int j = 0; j < k; j++) {
            T_A bv = T_LOWEST;
            int bi = INT_MAX;
            for (int c = l; c < n; c += RWG) {
                T_A e = LD(x, xb + c);
                bool after = BEFORE(pv, pi, e, c);
                if (after && BEFORE(e, c, bv, bi)) {
                    bv = e;
                    bi = c;
                }
            }
            sv[l] = bv;
            si[l] = bi;
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int s = RWG / 2; s > 0; s >>= 1) {
                if (l < s && BEFORE(sv[l + s], si[l + s], sv[l], si[l])) {
                    sv[l] = sv[l + s];
                    si[l] = si[l + s];
                }
                barrier(CLK_LOCAL_MEM_FENCE);
            }
            pv = sv[0];
            pi = si[0];
            if (l == 0) {
                /* Nothing ranked (only NaNs left): NaN order is unspecified,
                 * so report element 0 rather than an index out of range. */
                int at = pi == INT_MAX ? 0 : pi;
                ST(vals, v_off + r * k + j, LD(x, xb + at));
                idx[i_off + r * k + j] = at;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
}
