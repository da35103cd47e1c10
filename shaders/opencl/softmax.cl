/* Row softmax, optionally causal: y = softmax(scale * x) over the last dim
 * of contiguous [rows, n] views; rows = B0*B1*m. One work-group of RWG
 * items per row (rows stride by the number of groups); statistics in f32.
 * Causal keeps (r, c) only when c <= r + (n - m), r being the row within
 * the trailing m; a fully masked row is all zeros. */

kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void softmax(global const T_S *x, long x_off, global T_S *y, long y_off, long rows, int n, int m,
             float scale, int causal)
{
    local float scratch[RWG];
    const int l = get_local_id(0);
    for (long r = get_group_id(0); r < rows; r += get_num_groups(0)) {
        const long xb = x_off + r * n, yb = y_off + r * n;
        int limit = n;
        if (causal) {
            long keep = r % m + (long)(n - m) + 1;
            limit = (int)clamp(keep, 0L, (long)n);
        }
        float mx = -INFINITY;
        for (int c = l; c < limit; c += RWG)
            mx = fmax(mx, scale * LD(x, xb + c));
        mx = wg_max(mx, scratch);
        float sum = 0.0f;
        for (int c = l; c < limit; c += RWG)
            sum += exp(scale * LD(x, xb + c) - mx);
        sum = wg_sum(sum, scratch);
        const float inv = limit > 0 ? 1.0f / sum : 0.0f;
        for (int c = l; c < n; c += RWG)
            ST(y, yb + c, c < limit ? exp(scale * LD(x, xb + c) - mx) * inv : 0.0f);
    }
}
