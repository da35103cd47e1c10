/* Row reductions over contiguous [rows, n] views: sum / mean / max with
 * the output in x's dtype, and argmax (i32 out, ties to the lower index).
 * One work-group of RWG items per row; float sums accumulate in f32,
 * i32 sums wrap like the reference. */

#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2

#if TS_IS_FLOAT
#define ACC float
#define ACC_MAX(a, b) fmax(a, b)
#else
#define ACC int
#define ACC_MAX(a, b) max(a, b)
#endif

kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void reduce(global const T_S *x, long x_off, global T_S *y, long y_off, long rows, int n, int kind)
{
    local ACC scratch[RWG];
    const int l = get_local_id(0);
    for (long r = get_group_id(0); r < rows; r += get_num_groups(0)) {
        const long xb = x_off + r * n;
        ACC v = kind == R_MAX ? (ACC)T_LOWEST : (ACC)0;
        for (int c = l; c < n; c += RWG) {
            ACC e = LD(x, xb + c);
            v = kind == R_MAX ? ACC_MAX(v, e) : T_ADD(v, e);
        }
        scratch[l] = v;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int s = RWG / 2; s > 0; s >>= 1) {
            if (l < s)
                scratch[l] = kind == R_MAX ? ACC_MAX(scratch[l], scratch[l + s])
                                           : T_ADD(scratch[l], scratch[l + s]);
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (l == 0) {
            ACC out = scratch[0];
#if TS_IS_FLOAT
            if (kind == R_MEAN)
                out = out / (float)n;
#endif
            ST(y, y_off + r, out);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* (v, i) ranks before (w, j): larger value first, then lower index. */
#define BEFORE(v, i, w, j) ((v) > (w) || ((v) == (w) && (i) < (j)))

kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void argmax(global const T_S *x, long x_off, global int *y, long y_off, long rows, int n)
{
    local T_A sv[RWG];
    local int si[RWG];
    const int l = get_local_id(0);
    for (long r = get_group_id(0); r < rows; r += get_num_groups(0)) {
        const long xb = x_off + r * n;
        T_A bv = T_LOWEST;
        int bi = INT_MAX;
        for (int c = l; c < n; c += RWG) {
            T_A e = LD(x, xb + c);
            if (BEFORE(e, c, bv, bi)) {
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
        if (l == 0)
            y[y_off + r] = si[0] == INT_MAX ? 0 : si[0];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}
