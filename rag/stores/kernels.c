/* The inner loops of the inverted indexes and the dense first passes (rag/stores/kernels.py), compiled once per
 * machine and cached, as the e5 engine is.
 *
 * Each loop does what the numba kernels in kernels.py do, in the same arithmetic and the same order: float32
 * products and sums for the sparse head, float64 weights cast to float32 for BM25. The file is compiled without fast
 * math and without contracting a product and a sum into one fused instruction (-ffp-contract=off), so the scores are
 * bit-identical to the numba kernels' and to the numpy code those replaced (tests compare them). The dense products
 * (dot_*) keep partial sums per row, added in a fixed order at the end (below).
 *
 * A stored activation is float32, or float16 read through `table` (the float32 value of each of the 65,536 bit
 * patterns): the _f32 and _f16 variants. Sparse features are stored as uint16 or int32: the _u16 and _i32 variants.
 */

#include <stdint.h>
#include <string.h>

#define ABI 1

int kernels_abi(void) { return ABI; }

#define VALUE_F32(vals, table, p) (((const float *)(vals))[p])
#define VALUE_F16(vals, table, p) ((table)[((const uint16_t *)(vals))[p]])

#define SPARSE_KERNELS(SUFFIX, VALUE)                                                                                \
void accumulate_postings_##SUFFIX(const int64_t *post_ptr, const int32_t *post_row, const void *vals,               \
                                  const float *table, const int64_t *features, int64_t n_features,                  \
                                  const float *weights, float *out) {                                               \
    for (int64_t j = 0; j < n_features; j++) {                                                                       \
        int64_t f = features[j];                                                                                     \
        float w = weights[j];                                                                                        \
        for (int64_t p = post_ptr[f]; p < post_ptr[f + 1]; p++) out[post_row[p]] += VALUE(vals, table, p) * w;      \
    }                                                                                                                \
}                                                                                                                    \
                                                                                                                     \
static int64_t impact_end_##SUFFIX(const int64_t *post_ptr, const void *vals, const float *table, int64_t f,        \
                                   double cut) {                                                                     \
    int64_t lo = post_ptr[f], hi = post_ptr[f + 1];                                                                  \
    while (lo < hi) {                                                                                                \
        int64_t mid = (lo + hi) >> 1;                                                                                \
        if ((double)VALUE(vals, table, mid) >= cut) lo = mid + 1;                                                    \
        else hi = mid;                                                                                               \
    }                                                                                                                \
    return lo;                                                                                                       \
}                                                                                                                    \
                                                                                                                     \
int64_t impact_count_##SUFFIX(const int64_t *post_ptr, const void *vals, const float *table,                        \
                              const int64_t *features, int64_t n_features, const float *weights, double tau) {      \
    int64_t total = 0;                                                                                               \
    for (int64_t j = 0; j < n_features; j++) {                                                                       \
        if (weights[j] > 0) {                                                                                        \
            int64_t f = features[j];                                                                                 \
            total += impact_end_##SUFFIX(post_ptr, vals, table, f, tau / (double)weights[j]) - post_ptr[f];         \
        }                                                                                                            \
    }                                                                                                                \
    return total;                                                                                                    \
}                                                                                                                    \
                                                                                                                     \
void accumulate_impacts_##SUFFIX(const int64_t *post_ptr, const int32_t *post_row, const void *vals,                \
                                 const float *table, const int64_t *features, int64_t n_features,                   \
                                 const float *weights, double tau, float *out) {                                    \
    for (int64_t j = 0; j < n_features; j++) {                                                                       \
        float w = weights[j];                                                                                        \
        if (w > 0) {                                                                                                 \
            int64_t f = features[j];                                                                                 \
            int64_t end = impact_end_##SUFFIX(post_ptr, vals, table, f, tau / (double)w);                            \
            for (int64_t p = post_ptr[f]; p < end; p++) out[post_row[p]] += VALUE(vals, table, p) * w;              \
        }                                                                                                            \
    }                                                                                                                \
}

SPARSE_KERNELS(f32, VALUE_F32)
SPARSE_KERNELS(f16, VALUE_F16)

/* The exact score of each of `rows`, added in the question's feature order (position[f]: the question's index of
 * feature f, or -1), as accumulate_postings adds it. */
#define RESCORE(SUFFIX, FEATURE, VALUE)                                                                              \
void rescore_rows_##SUFFIX(const int64_t *row_ptr, const FEATURE *row_feat, const void *vals, const float *table,  \
                           const int64_t *rows, int64_t n_rows, const int64_t *position, const float *weights,      \
                           float *scratch, int64_t n_scratch, float *out) {                                         \
    for (int64_t i = 0; i < n_rows; i++) {                                                                           \
        int64_t r = rows[i];                                                                                         \
        for (int64_t p = row_ptr[r]; p < row_ptr[r + 1]; p++) {                                                      \
            int64_t j = position[(int64_t)row_feat[p]];                                                              \
            if (j >= 0) scratch[j] = VALUE(vals, table, p) * weights[j];                                             \
        }                                                                                                            \
        float s = 0.0f;                                                                                              \
        for (int64_t j = 0; j < n_scratch; j++) {                                                                    \
            s += scratch[j];                                                                                         \
            scratch[j] = 0.0f;                                                                                       \
        }                                                                                                            \
        out[i] = s;                                                                                                  \
    }                                                                                                                \
}

RESCORE(u16_f16, uint16_t, VALUE_F16)
RESCORE(u16_f32, uint16_t, VALUE_F32)
RESCORE(i32_f16, int32_t, VALUE_F16)
RESCORE(i32_f32, int32_t, VALUE_F32)

/* BM25 weights of one segment's postings for the terms `tids` (idfs: each term's float32 idf, as float64): a
 * posting weighs float32(idf * (tf / (norm + tf))), computed in float64. With n_best == 0 each weight is added to
 * out[row]; otherwise best[row] keeps the row's largest weight (one group of alternatives). */
void bm25_term_weights(const int64_t *post_ptr, int64_t n_ptr, const int32_t *post_row, const int32_t *post_tf,
                       int64_t start, const int64_t *slot_row, const double *norm, const int64_t *tids,
                       int64_t n_tids, const double *idfs, float *out, float *best, int64_t n_best) {
    int64_t terms = n_ptr - 1;
    for (int64_t j = 0; j < n_tids; j++) {
        int64_t t = tids[j];
        if (t >= terms) continue;
        double idf = idfs[j];
        for (int64_t p = post_ptr[t]; p < post_ptr[t + 1]; p++) {
            int64_t slot = (int64_t)post_row[p] + start;
            int64_t r = slot_row[slot];
            if (r < 0) continue;
            double tf = (double)post_tf[p];
            float w = (float)(idf * (tf / (norm[slot] + tf)));
            if (n_best > 0) {
                if (w > best[r]) best[r] = w;
            } else {
                out[r] += w;
            }
        }
    }
}

/* out[row] += best[row] for every row one of the group's terms holds in this segment, once (then best[row] = 0). */
void add_best(const int64_t *post_ptr, int64_t n_ptr, const int32_t *post_row, int64_t start, const int64_t *slot_row,
              const int64_t *tids, int64_t n_tids, float *best, float *out) {
    int64_t terms = n_ptr - 1;
    for (int64_t j = 0; j < n_tids; j++) {
        int64_t t = tids[j];
        if (t >= terms) continue;
        for (int64_t p = post_ptr[t]; p < post_ptr[t + 1]; p++) {
            int64_t r = slot_row[(int64_t)post_row[p] + start];
            if (r >= 0 && best[r] != 0) {
                out[r] += best[r];
                best[r] = 0;
            }
        }
    }
}

/* A question's groups of alternative terms over one segment (group g: tids[group_ptr[g]:group_ptr[g + 1]]): for each
 * group, bm25_term_weights into best, then add_best. One call per segment instead of two per group and segment; a
 * row is held by one segment, so its sums are added in the same order as group after group over every segment. */
void bm25_groups(const int64_t *post_ptr, int64_t n_ptr, const int32_t *post_row, const int32_t *post_tf,
                 int64_t start, const int64_t *slot_row, const double *norm, const int64_t *group_ptr,
                 int64_t n_groups, const int64_t *tids, const double *idfs, float *out, float *best, int64_t n_best) {
    for (int64_t g = 0; g < n_groups; g++) {
        const int64_t *group = tids + group_ptr[g];
        int64_t n = group_ptr[g + 1] - group_ptr[g];
        bm25_term_weights(post_ptr, n_ptr, post_row, post_tf, start, slot_row, norm, group, n, idfs + group_ptr[g],
                          out, best, n_best);
        add_best(post_ptr, n_ptr, post_row, start, slot_row, group, n, best, out);
    }
}

/* The dense products keep 32 partial sums per row (four vectors of eight lanes, element j into sum j % 32, for the
 * elements up to the last multiple of 32), added in a fixed order at the end, then the rest; with AVX2 they run as
 * AVX2 instructions (fused multiply-adds where the CPU has FMA), without it as partial sums in plain C. Either way a
 * row's result depends only on that row and that word. */
#define LANES 32

static inline float lanes_sum(const float *acc) {
    float s8[8];
    for (int k = 0; k < 8; k++) s8[k] = (acc[k] + acc[k + 16]) + (acc[k + 8] + acc[k + 24]);
    return ((s8[0] + s8[4]) + (s8[2] + s8[6])) + ((s8[1] + s8[5]) + (s8[3] + s8[7]));
}

#ifdef __AVX2__
#include <immintrin.h>

/* the eight lanes of v added as ((0+4)+(2+6))+((1+5)+(3+7)) */
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

static inline __m256 codes8(const int8_t *c) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)c)));
}

#ifdef __FMA__
#define MULADD(acc, x, y) _mm256_fmadd_ps(x, y, acc)
#else
#define MULADD(acc, x, y) _mm256_add_ps(acc, _mm256_mul_ps(x, y))
#endif

/* w . x over d values: w float32, x of type T read eight at a time by LOAD and one at a time as (float) */
#define DOT(NAME, T, LOAD)                                                                                           \
static inline float NAME(const float *w, const T *x, int64_t d) {                                                   \
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                                                      \
    int64_t j = 0;                                                                                                   \
    for (; j + LANES <= d; j += LANES) {                                                                             \
        a0 = MULADD(a0, _mm256_loadu_ps(w + j), LOAD(x + j));                                                        \
        a1 = MULADD(a1, _mm256_loadu_ps(w + j + 8), LOAD(x + j + 8));                                                \
        a2 = MULADD(a2, _mm256_loadu_ps(w + j + 16), LOAD(x + j + 16));                                              \
        a3 = MULADD(a3, _mm256_loadu_ps(w + j + 24), LOAD(x + j + 24));                                              \
    }                                                                                                                \
    float tail = 0.0f;                                                                                               \
    for (; j < d; j++) tail += w[j] * (float)x[j];                                                                   \
    return hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))) + tail;                               \
}

DOT(dot_f32, float, _mm256_loadu_ps)
DOT(dot_i8, int8_t, codes8)
#else
static inline float dot_f32(const float *w, const float *x, int64_t d) {
    float acc[LANES] = {0};
    for (int64_t j = 0; j < d; j++) acc[j % LANES] += w[j] * x[j];
    return lanes_sum(acc);
}

static inline float dot_i8(const float *w, const int8_t *x, int64_t d) {
    float acc[LANES] = {0};
    for (int64_t j = 0; j < d; j++) acc[j % LANES] += w[j] * (float)x[j];
    return lanes_sum(acc);
}
#endif

/* out[w, r] = vectors[r] . words[w] (float32), every row read once for all the words. */
void dot_rows(const float *vectors, int64_t n, int64_t d, const float *words, int64_t n_words, float *out) {
    for (int64_t r = 0; r < n; r++)
        for (int64_t w = 0; w < n_words; w++) out[w * n + r] = dot_f32(words + w * d, vectors + r * d, d);
}

/* out[w, r] = codes[r] . scaled[w] (int8 codes, float32 sums): the dense stores' and the term alignment's first pass
 * over 8-bit codes, every row's codes read once for all the words. */
void dot_codes_rows(const int8_t *codes, int64_t n, int64_t d, const float *scaled, int64_t n_words, float *out) {
    for (int64_t r = 0; r < n; r++)
        for (int64_t w = 0; w < n_words; w++) out[w * n + r] = dot_i8(scaled + w * d, codes + r * d, d);
}
