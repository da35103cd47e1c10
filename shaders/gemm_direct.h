/* The direct GEMM path's vector loop, written once for the two GEMM
 * kernels that have it (shaders/matmul.kern and the grouped GEMM of
 * shaders/moe.kern; VEC != 0, SHARED = 0): each invocation owns WM rows of
 * A (element addresses ar[i], K along unit stride where MATMUL_VEC_A) and
 * WN neighbouring columns of B in WQ groups of 4 (LOADB4(q, ko) reads group
 * q of B's row at element offset ko). The kernel declares the needs of the
 * macro: WM, WN, VEC and DT as constants, VEC4 s4[WM * WQ], and the loads
 * LOADA4(i) (4 K-steps from element i) and LOADA(i). */
#ifndef TS_GEMM_DIRECT_H
#define TS_GEMM_DIRECT_H

/* 4-column groups per invocation (the host sets VEC only where WN is a
 * multiple of 4; never 0, which would size arrays 0). */
#define WQ ((WN + 3u) / 4u)

/* s4 = the products over K steps of ar[] (K-steps A_KST elements apart)
 * and B's rows (B_RST elements apart): 4 K-steps per iteration where
 * MATMUL_VEC_A, then one at a time. */
#define GEMM_DIRECT_VEC(s4, ar, K, A_KST, B_RST, LOADA4, LOADA, LOADB4)                            \
    {                                                                                              \
        for (uint i_ = 0u; i_ < WM * WQ; i_++)                                                     \
            s4[i_] = F4(0.0f);                                                                     \
        uint k4_ = (VEC & MATMUL_VEC_A) != 0u ? (K) & ~3u : 0u;                                    \
        for (uint kk_ = 0u; kk_ < k4_; kk_ += 4u) {                                                \
            VEC4 bv_[4u * WQ];                                                                     \
            for (uint r_ = 0u; r_ < 4u; r_++)                                                      \
                for (uint q_ = 0u; q_ < WQ; q_++)                                                  \
                    bv_[r_ * WQ + q_] = LOADB4(q_, (kk_ + r_) * (B_RST));                          \
            for (uint i_ = 0u; i_ < WM; i_++) {                                                    \
                VEC4 av_ = LOADA4(ar[i_] + kk_);                                                   \
                for (uint q_ = 0u; q_ < WQ; q_++)                                                  \
                    s4[i_ * WQ + q_] += av_.x * bv_[q_] + av_.y * bv_[WQ + q_] +                   \
                                        av_.z * bv_[2u * WQ + q_] + av_.w * bv_[3u * WQ + q_];     \
            }                                                                                      \
        }                                                                                          \
        for (uint kk_ = k4_; kk_ < (K); kk_++) {                                                   \
            VEC4 bv_[WQ];                                                                          \
            for (uint q_ = 0u; q_ < WQ; q_++)                                                      \
                bv_[q_] = LOADB4(q_, kk_ * (B_RST));                                               \
            for (uint i_ = 0u; i_ < WM; i_++) {                                                    \
                float av_ = LOADA(ar[i_] + kk_ * (A_KST));                                         \
                for (uint q_ = 0u; q_ < WQ; q_++)                                                  \
                    s4[i_ * WQ + q_] += av_ * bv_[q_];                                             \
            }                                                                                      \
        }                                                                                          \
    }

#endif
