#version 450
/* TSI_OP_MATMUL for f16 on tensor cores: a 64 x 64 tile of c per workgroup
 * of four subgroups, each computing 32 x 32 of it as 2 x 2 cooperative
 * matrices of 16 x 16 (f16 operands, f32 accumulation, c rounded to f16
 * once on store, as shaders/matmul.kern does).
 *
 * A per-language piece, not a shaders/<family>.kern: cooperative matrices
 * exist only in GLSL (no OpenCL C equivalent to write both from), and the
 * module needs capabilities (CooperativeMatrixNV, Float16,
 * StorageBuffer16BitAccess, VulkanMemoryModel) that a module of the shared
 * kernels must never carry, or devices without them could not load it.
 *
 * Written against GL_NV_cooperative_matrix because the glslang of the
 * build machines (12.x) predates GL_KHR_cooperative_matrix; the device
 * checks (backend-vulkan/vk_device.c) ask for VK_NV_cooperative_matrix and
 * a 16x16x16 f16,f16 -> f32 subgroup configuration of it.
 *
 * The host (backend-gpu/gpu_matmul.c) sends only what fits it: m, n, k
 * multiples of 16, a and b row-major with rows 8-element (16-byte) aligned,
 * c contiguous. Blocks past the edge of c are computed on clamped rows and
 * columns (the loads stay in bounds) and never stored. The push constants
 * are shaders/matmul.h's MATMUL_PARAMS, in the same order. */
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_16bit_storage : require

layout(local_size_x_id = 0) in;       /* four subgroups */
layout(constant_id = 1) const uint DT = 1u; /* f16 only, kept for the launch's layout */

layout(std430, binding = 0) readonly buffer TsBuf_a { float16_t a[]; };
layout(std430, binding = 1) readonly buffer TsBuf_b { float16_t b[]; };
layout(std430, binding = 2) buffer TsBuf_c { float16_t c[]; };

layout(push_constant) uniform TsPush_matmul_coop {
    uint m, n, k, nb1, groups, a_off, a_st0, a_st1, a_st2, a_st3, b_off, b_st0, b_st1, b_st2, b_st3,
        c_off;
} P;

#define FRAG16 fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define FRAG32 fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>

void main()
{
    uint grp = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (grp >= P.groups)
        return;
    uint ntiles = (P.n + 63u) / 64u, mtiles = (P.m + 63u) / 64u;
    uint n0 = (grp % ntiles) * 64u;
    uint m0 = ((grp / ntiles) % mtiles) * 64u;
    uint z = grp / (ntiles * mtiles);
    uint z0 = z / P.nb1, z1 = z % P.nb1;
    uint abase = P.a_off + z0 * P.a_st0 + z1 * P.a_st1;
    uint bbase = P.b_off + z0 * P.b_st0 + z1 * P.b_st1;
    uint sg = gl_SubgroupID;
    uint r0 = m0 + (sg / 2u) * 32u, c0 = n0 + (sg % 2u) * 32u;
    /* m and n are multiples of 16: a clamped block stays whole. */
    uint ra0 = min(r0, P.m - 16u), ra1 = min(r0 + 16u, P.m - 16u);
    uint cb0 = min(c0, P.n - 16u), cb1 = min(c0 + 16u, P.n - 16u);

    FRAG32 acc00 = FRAG32(0.0f), acc01 = FRAG32(0.0f), acc10 = FRAG32(0.0f), acc11 = FRAG32(0.0f);
    for (uint kk = 0u; kk < P.k; kk += 16u) {
        FRAG16 fa0, fa1, fb0, fb1;
        coopMatLoadNV(fa0, a, abase + ra0 * P.a_st2 + kk, P.a_st2, false);
        coopMatLoadNV(fa1, a, abase + ra1 * P.a_st2 + kk, P.a_st2, false);
        coopMatLoadNV(fb0, b, bbase + kk * P.b_st2 + cb0, P.b_st2, false);
        coopMatLoadNV(fb1, b, bbase + kk * P.b_st2 + cb1, P.b_st2, false);
        acc00 = coopMatMulAddNV(fa0, fb0, acc00);
        acc01 = coopMatMulAddNV(fa0, fb1, acc01);
        acc10 = coopMatMulAddNV(fa1, fb0, acc10);
        acc11 = coopMatMulAddNV(fa1, fb1, acc11);
    }
    uint cbase = P.c_off + z * P.m * P.n;
    bool in_r0 = r0 < P.m, in_r1 = r0 + 16u < P.m, in_c0 = c0 < P.n, in_c1 = c0 + 16u < P.n;
    if (in_r0 && in_c0)
        coopMatStoreNV(FRAG16(acc00), c, cbase + r0 * P.n + c0, P.n, false);
    if (in_r0 && in_c1)
        coopMatStoreNV(FRAG16(acc01), c, cbase + r0 * P.n + c0 + 16u, P.n, false);
    if (in_r1 && in_c0)
        coopMatStoreNV(FRAG16(acc10), c, cbase + (r0 + 16u) * P.n + c0, P.n, false);
    if (in_r1 && in_c1)
        coopMatStoreNV(FRAG16(acc11), c, cbase + (r0 + 16u) * P.n + c0 + 16u, P.n, false);
}
