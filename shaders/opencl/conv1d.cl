/* Causal depthwise convolution along the sequence, contiguous views:
 * x, y [B, L, C], w [C, K], bias [C] (optional, has_bias):
 *   y[b, t, c] = bias[c] + sum_{j < K, j <= t} w[c, j] * x[b, t - j, c]
 * Grid (C, L, B), each axis striding by its global size; f32 sums. */

kernel void conv1d_causal(global const T_S *x, long x_off, global const T_S *w, long w_off,
                          global const T_S *bias, long b_off, int has_bias, global T_S *y,
                          long y_off, long B, long L, long C, int K)
{
    for (long b = get_global_id(2); b < B; b += get_global_size(2))
        for (long t = get_global_id(1); t < L; t += get_global_size(1))
            for (long c = get_global_id(0); c < C; c += get_global_size(0)) {
                float acc = has_bias ? LD(bias, b_off + c) : 0.0f;
                const int jmax = (int)min((long)K - 1, t);
                for (int j = 0; j <= jmax; j++)
                    acc += LD(w, w_off + c * K + j) * LD(x, x_off + (b * L + t - j) * C + c);
                ST(y, y_off + (b * L + t) * C + c, acc);
            }
}
