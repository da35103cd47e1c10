/* Tiled attention forward (TSI_OP_ATTENTION, core/op.h): one work-group
 * of WG items per (batch, head, query tile of QT rows). The pre-scaled Q
 * tile, one K and one V tile of KT keys, and the QT x KT score tile live
 * in local memory; the f32 output accumulator is spread over the items'
 * private arrays (element e = lid + t*WG of the QT x HD tile). Online
 * softmax per row: m, l in local memory, rescale factor per key tile.
 * Built with -DHD (head dim), -DQT, -DKT, -DWG, -DOPT = ceil(QT*HD/WG).
 * Key tiles past the causal diagonal of the tile's last row are skipped;
 * a row that sees no key ends with o = 0 and lse = -inf. */

kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void attention_fwd(global const T_S *q, long q_off, global const T_S *k, long k_off,
                   global const T_S *v, long v_off, global const T_S *bias, long bias_off,
                   long4 bias_st, global const int *mask, long mask_off, long4 mask_st,
                   global const T_S *gate, long gate_off, global T_S *o, long o_off,
                   global float *lse, long lse_off, int hq, int hkv, int lq, int lk, float scale,
                   int causal)
{
    local float qs[QT * HD];
    local float ks[KT * HD];
    local float vs[KT * HD];
    local float s[QT * KT];
    local float row_m[QT], row_l[QT], row_a[QT];
    float acc[OPT];

    const int lid = get_local_id(0);
    const int nqt = (lq + QT - 1) / QT;
    const long grp = get_group_id(0);
    const int qtile = (int)(grp % nqt);
    const int h = (int)((grp / nqt) % hq);
    const long b = grp / ((long)nqt * hq);
    const int g = h / (hq / hkv);
    const int i0 = qtile * QT, nq = min(QT, lq - i0);
    const long qrow0 = ((b * hq + h) * lq + i0);
    const long krow0 = (b * hkv + g) * (long)lk;
    const int diag = lk - lq;

    for (int e = lid; e < QT * HD; e += WG) {
        int r = e / HD;
        qs[e] = r < nq ? LD(q, q_off + qrow0 * HD + e) * scale : 0.0f;
    }
    for (int r = lid; r < QT; r += WG) {
        row_m[r] = -INFINITY;
        row_l[r] = 0.0f;
    }
    for (int t = 0; t < OPT; t++)
        acc[t] = 0.0f;

    int kv_end = lk;
    if (causal)
        kv_end = clamp(i0 + nq + diag, 0, lk);
    for (int j0 = 0; j0 < kv_end; j0 += KT) {
        const int nk = min(KT, kv_end - j0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int e = lid; e < KT * HD; e += WG) {
            int c = e / HD;
            long src = (krow0 + j0) * HD + e;
            ks[e] = c < nk ? LD(k, k_off + src) : 0.0f;
            vs[e] = c < nk ? LD(v, v_off + src) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int e = lid; e < QT * KT; e += WG) {
            int r = e / KT, c = e % KT, i = i0 + r, key = j0 + c;
            float sc = -INFINITY;
            bool vis = r < nq && c < nk && (!causal || key <= i + diag);
            if (vis && mask && mask[mask_off + b * mask_st.x + key * mask_st.w] == 0)
                vis = false;
            if (vis) {
                float dot = 0.0f;
                for (int x = 0; x < HD; x++)
                    dot = fma(qs[r * HD + x], ks[c * HD + x], dot);
                if (bias)
                    dot += LD(bias, bias_off + b * bias_st.x + h * bias_st.y + i * bias_st.z +
                                        key * bias_st.w);
                sc = dot;
            }
            s[e] = sc;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int r = lid; r < QT; r += WG) {
            float mt = -INFINITY;
            for (int c = 0; c < nk; c++)
                mt = fmax(mt, s[r * KT + c]);
            float mold = row_m[r], mnew = fmax(mold, mt);
            /* While nothing is visible the exponent uses 0: no -inf - -inf. */
            float shift = mnew == -INFINITY ? 0.0f : mnew;
            float sum = 0.0f;
            for (int c = 0; c < KT; c++) {
                float p = c < nk ? exp(s[r * KT + c] - shift) : 0.0f;
                s[r * KT + c] = p;
                sum += p;
            }
            float a = exp(mold - shift);
            row_l[r] = a * row_l[r] + sum;
            row_m[r] = mnew;
            row_a[r] = a;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int t = 0; t < OPT; t++) {
            int e = lid + t * WG;
            if (e < QT * HD) {
                int r = e / HD, x = e % HD;
                float sum = acc[t] * row_a[r];
                for (int c = 0; c < nk; c++)
                    sum = fma(s[r * KT + c], vs[c * HD + x], sum);
                acc[t] = sum;
            }
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int t = 0; t < OPT; t++) {
        int e = lid + t * WG;
        int r = e / HD;
        if (e < QT * HD && r < nq) {
            float l = row_l[r];
            float val = l > 0.0f ? acc[t] / l : 0.0f;
            long at = qrow0 * HD + e;
            if (gate)
                val *= 1.0f / (1.0f + exp(-LD(gate, gate_off + at)));
            ST(o, o_off + at, val);
        }
    }
    if (lse)
        for (int r = lid; r < nq; r += WG)
            lse[lse_off + qrow0 + r] = row_l[r] > 0.0f ? row_m[r] + log(row_l[r]) : -INFINITY;
}
