/* Row indexing: gather_rows and the deterministic scatter_add_rows, over
 * contiguous views (table / dst [V, D], idx i32 [N], rows [N, D]). */

/* out[i, :] = table[idx[i], :], or a zero row when idx[i] is outside
 * [0, V). Raw storage words move unchanged (bit-exact for every dtype). */
kernel void gather_rows(global const T_R *table, long t_off, long V, global const int *idx,
                        long i_off, global T_R *out, long o_off, long N, long D)
{
    for (long i = get_global_id(1); i < N; i += get_global_size(1)) {
        const long id = idx[i_off + i];
        const bool in = id >= 0 && id < V;
        for (long d = get_global_id(0); d < D; d += get_global_size(0))
            out[o_off + i * D + d] = in ? table[t_off + id * D + d] : (T_R)0;
    }
}

/* dst[idx[i], :] += src[i, :] for i = 0, 1, ... in order; idx outside
 * [0, V) is skipped. Deterministic without float atomics, in two steps:
 *  scatter_plan (one work-item): a stable counting sort of the row numbers
 *    i by destination, start[V + 1] (CSR offsets) and order[N] (rows in
 *    index order within each destination);
 *  scatter_add_rows (grid D x V): each (v, d) adds its rows in i order to
 *    an f32 (i32: wrapping int) accumulator and rounds once on store.
 * The plan is O(N + V) serial work, small beside the O(N * D) adds. */
kernel void scatter_plan(global const int *idx, long i_off, long V, long N, global int *start,
                         global int *order)
{
    if (get_global_id(0) != 0)
        return;
    for (long v = 0; v <= V; v++)
        start[v] = 0;
    for (long i = 0; i < N; i++) {
        const long id = idx[i_off + i];
        if (id >= 0 && id < V)
            start[id + 1]++;
    }
    for (long v = 0; v < V; v++)
        start[v + 1] += start[v];
    /* Filling advances start[v] to the end of row v, i.e. the old start[v + 1]. */
    for (long i = 0; i < N; i++) {
        const long id = idx[i_off + i];
        if (id >= 0 && id < V)
            order[start[id]++] = (int)i;
    }
    for (long v = V; v > 0; v--)
        start[v] = start[v - 1];
    start[0] = 0;
}

kernel void scatter_add_rows(global const int *start, global const int *order,
                             global const T_S *src, long s_off, global T_S *dst, long d_off,
                             long V, long D)
{
    for (long v = get_global_id(1); v < V; v += get_global_size(1)) {
        const int j0 = start[v], j1 = start[v + 1];
        if (j0 == j1)
            continue; /* untouched rows keep their exact bits */
        for (long d = get_global_id(0); d < D; d += get_global_size(0)) {
            const long p = d_off + v * D + d;
            T_A acc = LD(dst, p);
            for (int j = j0; j < j1; j++)
                acc = T_ADD(acc, LD(src, s_off + (long)order[j] * D + d));
            ST(dst, p, acc);
        }
    }
}
