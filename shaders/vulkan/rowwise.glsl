// Workgroup reductions for the row ops (one workgroup of WG invocations per
// row). WG is a specialization constant, a power of two no larger than the
// device's maxComputeWorkGroupInvocations; the tree needs no subgroup
// size assumption.
shared float red_f[WG];
shared int red_i[WG];
shared int red_k[WG]; // exact i32 keys (float moves may flush denormal bit patterns)

float wg_sum(float v)
{
    uint lid = gl_LocalInvocationID.x;
    red_f[lid] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (lid < s)
            red_f[lid] += red_f[lid + s];
        barrier();
    }
    float r = red_f[0];
    barrier();
    return r;
}

float wg_max(float v)
{
    uint lid = gl_LocalInvocationID.x;
    red_f[lid] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (lid < s)
            red_f[lid] = max(red_f[lid], red_f[lid + s]);
        barrier();
    }
    float r = red_f[0];
    barrier();
    return r;
}

int wg_sum_i(int v)
{
    uint lid = gl_LocalInvocationID.x;
    red_i[lid] = v;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (lid < s)
            red_i[lid] += red_i[lid + s];
        barrier();
    }
    int r = red_i[0];
    barrier();
    return r;
}

// (value, index) pairs: larger value wins, ties go to the lower index; an
// index < 0 marks "no candidate". NaN ranks below every number (NaNs among
// themselves by index), so the order is total: argmax and top-k always
// name real, distinct elements whatever the data, and an all-NaN row gives
// index 0 like the CPU and OpenCL backends.
bool pair_better(float v, int i, float bv, int bi)
{
    if (i < 0)
        return false;
    if (bi < 0)
        return true;
    bool vn = isnan(v), bn = isnan(bv);
    if (vn || bn)
        return vn != bn ? bn : i < bi;
    return v > bv || (v == bv && i < bi);
}

// i32 data is compared exactly as int keys: float would merge values
// above 2^24.
bool pair_better_i(int v, int i, int bv, int bi)
{
    if (i < 0)
        return false;
    if (bi < 0)
        return true;
    return v > bv || (v == bv && i < bi);
}

void wg_argbest_i(inout int v, inout int i)
{
    uint lid = gl_LocalInvocationID.x;
    red_k[lid] = v;
    red_i[lid] = i;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (lid < s && pair_better_i(red_k[lid + s], red_i[lid + s], red_k[lid], red_i[lid])) {
            red_k[lid] = red_k[lid + s];
            red_i[lid] = red_i[lid + s];
        }
        barrier();
    }
    v = red_k[0];
    i = red_i[0];
    barrier();
}

void wg_argbest(inout float v, inout int i)
{
    uint lid = gl_LocalInvocationID.x;
    red_f[lid] = v;
    red_i[lid] = i;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (lid < s && pair_better(red_f[lid + s], red_i[lid + s], red_f[lid], red_i[lid])) {
            red_f[lid] = red_f[lid + s];
            red_i[lid] = red_i[lid + s];
        }
        barrier();
    }
    v = red_f[0];
    i = red_i[0];
    barrier();
}
