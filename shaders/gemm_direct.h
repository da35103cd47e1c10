/* The direct GEMM path's vector loop, written once for the two GEMM
 * kernels that have it (shaders/matmul.kern and the grouped GEMM of
 * shaders/moe.kern; VEC != 0, SHARED = 0): each invocation owns WM rows of
 * A (element addresses ar[i], K along unit stride where MATMUL_VEC_A) and
 * WN neighbouring columns of B in WQ groups of 4 (element addresses bc[j]
 * of row 0). The kernel provides WM, WN, VEC and DT as constants, ar[],
 * bc[] and VEC4 s4[WM * WQ]; A and B are read with TXLOADF / TXLOAD4F
 * (texel buffers in a TS_TEXEL module). */
#ifndef TS_GEMM_DIRECT_H
#define TS_GEMM_DIRECT_H

/* 4-column groups per invocation (the host sets VEC only where WN is a
 * multiple of 4; never 0, which would size arrays 0). */
#define WQ ((WN + 3u) / 4u)

/* Group q of the invocation's columns of B at element offset ko (a row):
 * one 4-element load where B's rows are aligned (MATMUL_VEC_B), else 4
 * single ones. */
#define GEMM_DIRECT_LOADB4(b, q, ko)                                                               \
    ((VEC & MATMUL_VEC_B) != 0u                                                                    \
         ? TXLOAD4F(b, DT, bc[(q) * 4u] + (ko))                                                    \
         : F4V(TXLOADF(b, DT, bc[(q) * 4u] + (ko)), TXLOADF(b, DT, bc[(q) * 4u + 1u] + (ko)),      \
               TXLOADF(b, DT, bc[(q) * 4u + 2u] + (ko)), TXLOADF(b, DT, bc[(q) * 4u + 3u] + (ko))))

/* s4 = the products over K steps of ar[] (K-steps A_KST elements apart)
 * and B's rows (B_RST elements apart): 4 K-steps per iteration where
 * MATMUL_VEC_A, then one at a time. */
#define GEMM_DIRECT_VEC(s4, a, ar, A_KST, b, B_RST, K)                                             \
    {                                                                                              \
        for (uint i_ = 0u; i_ < WM * WQ; i_++)                                                     \
            s4[i_] = F4(0.0f);                                                                     \
        uint k4_ = (VEC & MATMUL_VEC_A) != 0u ? (K) & ~3u : 0u;                                    \
        for (uint kk_ = 0u; kk_ < k4_; kk_ += 4u) {                                                \
            VEC4 bv_[4u * WQ];                                                                     \
            for (uint r_ = 0u; r_ < 4u; r_++)                                                      \
                for (uint q_ = 0u; q_ < WQ; q_++)                                                  \
                    bv_[r_ * WQ + q_] = GEMM_DIRECT_LOADB4(b, q_, (kk_ + r_) * (B_RST));           \
            for (uint i_ = 0u; i_ < WM; i_++) {                                                    \
                VEC4 av_ = TXLOAD4F(a, DT, ar[i_] + kk_);                                          \
                for (uint q_ = 0u; q_ < WQ; q_++)                                                  \
                    s4[i_ * WQ + q_] += av_.x * bv_[q_] + av_.y * bv_[WQ + q_] +                   \
                                        av_.z * bv_[2u * WQ + q_] + av_.w * bv_[3u * WQ + q_];     \
            }                                                                                      \
        }                                                                                          \
        for (uint kk_ = k4_; kk_ < (K); kk_++) {                                                   \
            VEC4 bv_[WQ];                                                                          \
            for (uint q_ = 0u; q_ < WQ; q_++)                                                      \
                bv_[q_] = GEMM_DIRECT_LOADB4(b, q_, kk_ * (B_RST));                                \
            for (uint i_ = 0u; i_ < WM; i_++) {                                                    \
                float av_ = TXLOADF(a, DT, ar[i_] + kk_ * (A_KST));                                \
                for (uint q_ = 0u; q_ < WQ; q_++)                                                  \
                    s4[i_ * WQ + q_] += av_ * bv_[q_];                                             \
            }                                                                                      \
        }                                                                                          \
    }

#endif
