// Matrix kernels for the SPLADE encoder: a register-blocked 4×16 micro-kernel with AVX2 and FMA
// on x86-64 machines that have them (chosen at run time), and a portable C version otherwise.
// Written for Sparrow; Swift has no per-function target attributes, so the ISA dispatch lives here.
#include "kernels.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void gemm_portable(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                          const float *bias, float *c, int ldc, float *colmax) {
    if (colmax)
        for (int j = 0; j < n; j++) colmax[j] = -INFINITY;
    float *row = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!row) abort();
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) row[j] = 0;
        const float *ai = a + (size_t)i * lda;
        for (int p = 0; p < k; p++) {
            const float x = ai[p];
            const float *bp = b + (size_t)p * ldb;
            for (int j = 0; j < n; j++) row[j] += x * bp[j];
        }
        if (colmax) {
            for (int j = 0; j < n; j++) if (row[j] > colmax[j]) colmax[j] = row[j];
        } else {
            float *ci = c + (size_t)i * ldc;
            for (int j = 0; j < n; j++) ci[j] = row[j] + (bias ? bias[j] : 0);
        }
    }
    free(row);
    if (colmax && bias)
        for (int j = 0; j < n; j++) colmax[j] += bias[j];
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static void gemm_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                      const float *bias, float *c, int ldc, float *colmax) {
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m256 bias0 = bias ? _mm256_loadu_ps(bias + j) : _mm256_setzero_ps();
        const __m256 bias1 = bias ? _mm256_loadu_ps(bias + j + 8) : _mm256_setzero_ps();
        __m256 max0 = _mm256_set1_ps(-INFINITY), max1 = max0;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
            __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            const float *a0 = a + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
            const float *bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb) {
                const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
                __m256 x = _mm256_broadcast_ss(a0 + p);
                c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
                x = _mm256_broadcast_ss(a1 + p);
                c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
                x = _mm256_broadcast_ss(a2 + p);
                c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
                x = _mm256_broadcast_ss(a3 + p);
                c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
            }
            if (colmax) {
                max0 = _mm256_max_ps(max0, _mm256_max_ps(_mm256_max_ps(c00, c10), _mm256_max_ps(c20, c30)));
                max1 = _mm256_max_ps(max1, _mm256_max_ps(_mm256_max_ps(c01, c11), _mm256_max_ps(c21, c31)));
            } else {
                float *r = c + (size_t)i * ldc + j;
                _mm256_storeu_ps(r, _mm256_add_ps(c00, bias0)); _mm256_storeu_ps(r + 8, _mm256_add_ps(c01, bias1));
                r += ldc;
                _mm256_storeu_ps(r, _mm256_add_ps(c10, bias0)); _mm256_storeu_ps(r + 8, _mm256_add_ps(c11, bias1));
                r += ldc;
                _mm256_storeu_ps(r, _mm256_add_ps(c20, bias0)); _mm256_storeu_ps(r + 8, _mm256_add_ps(c21, bias1));
                r += ldc;
                _mm256_storeu_ps(r, _mm256_add_ps(c30, bias0)); _mm256_storeu_ps(r + 8, _mm256_add_ps(c31, bias1));
            }
        }
        for (; i < m; i++) {
            __m256 c0 = _mm256_setzero_ps(), c1 = c0;
            const float *ai = a + (size_t)i * lda;
            const float *bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb) {
                const __m256 x = _mm256_broadcast_ss(ai + p);
                c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp), c0);
                c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + 8), c1);
            }
            if (colmax) {
                max0 = _mm256_max_ps(max0, c0);
                max1 = _mm256_max_ps(max1, c1);
            } else {
                float *r = c + (size_t)i * ldc + j;
                _mm256_storeu_ps(r, _mm256_add_ps(c0, bias0));
                _mm256_storeu_ps(r + 8, _mm256_add_ps(c1, bias1));
            }
        }
        if (colmax) {
            _mm256_storeu_ps(colmax + j, _mm256_add_ps(max0, bias0));
            _mm256_storeu_ps(colmax + j + 8, _mm256_add_ps(max1, bias1));
        }
    }
    if (j < n) {  // the last columns (fewer than 16)
        gemm_portable(m, n - j, k, a, lda, b + j, ldb, bias ? bias + j : NULL, colmax ? NULL : c + j, ldc,
                      colmax ? colmax + j : NULL);
    }
}

// The widest instruction set a kernel may use (see sparrow_kernels_limit), so tests can run each
// path on any machine that has it.
static _Atomic int kernel_limit = 2;

static int use_avx2(void) {
    // The CPU model is initialised by a constructor before main.
    return kernel_limit >= 1 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int use_avx2(void) { return 0; }
#endif

int sparrow_kernels_use_avx2(void) { return use_avx2(); }

void sparrow_kernels_limit(int level) {
#if defined(__x86_64__)
    kernel_limit = level;
#else
    (void)level;
#endif
}

void sparrow_kernels_force_portable(int on) { sparrow_kernels_limit(on ? 0 : 2); }

void sparrow_gemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  const float *bias, float *c, int ldc) {
#if defined(__x86_64__)
    if (use_avx2()) { gemm_avx2(m, n, k, a, lda, b, ldb, bias, c, ldc, NULL); return; }
#endif
    gemm_portable(m, n, k, a, lda, b, ldb, bias, c, ldc, NULL);
}

void sparrow_gemm_column_max(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                             const float *bias, float *out) {
#if defined(__x86_64__)
    if (use_avx2()) { gemm_avx2(m, n, k, a, lda, b, ldb, bias, NULL, 0, out); return; }
#endif
    gemm_portable(m, n, k, a, lda, b, ldb, bias, NULL, 0, out);
}

void sparrow_layer_norm(float *x, int rows, int width, const float *gamma, const float *beta, float eps) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * width;
        float mean = 0;
        for (int i = 0; i < width; i++) mean += row[i];
        mean /= (float)width;
        float variance = 0;
        for (int i = 0; i < width; i++) {
            const float c = row[i] - mean;
            variance += c * c;
        }
        variance /= (float)width;
        const float inverse = 1.0f / sqrtf(variance + eps);
        for (int i = 0; i < width; i++) row[i] = (row[i] - mean) * inverse * gamma[i] + beta[i];
    }
}




// ---------------------------------------------------------------------------------------------
// Column maxima with an int16 bounding pass (for SPLADE's vocabulary projection, where only
// positive maxima matter and about 1% of columns have one).
//
// With A ≈ sa·(qa + ea) per row and B ≈ sb·(qb + eb) per column, |ea|, |eb| ≤ 1/2 per entry:
//   a·b − sa·sb·(qa·qb) = sa·sb·(qa·eb + ea·qb + ea·eb), so
//   a·b ≤ sa·sb·(qa·qb + ½‖qa‖₁ + ½‖qb‖₁ + ¼K).
// The int16 products are exact in int32 (|q| ≤ 2047, K ≤ 256 pairs); the float arithmetic of the
// bound gets a margin far above its rounding error.

#define QMAX 2047.0f

sparrow_quantized_matrix sparrow_quantize_columns(int k, int n, const float *b) {
    sparrow_quantized_matrix q = { k, n, NULL, NULL, NULL };
    q.quantized = malloc(sizeof(int16_t) * (size_t)k * n);
    q.scales = malloc(sizeof(float) * (size_t)n);
    q.half_l1 = malloc(sizeof(float) * (size_t)n);
    if (!q.quantized || !q.scales || !q.half_l1) abort();
    for (int j = 0; j < n; j++) {
        float mx = 0;
        for (int p = 0; p < k; p++) { float v = fabsf(b[(size_t)p * n + j]); if (v > mx) mx = v; }
        const float scale = mx > 0 ? mx / QMAX : 1.0f;
        float l1 = 0;
        for (int p = 0; p < k; p++) {
            const float v = nearbyintf(b[(size_t)p * n + j] / scale);
            const int16_t qv = (int16_t)(v > QMAX ? QMAX : (v < -QMAX ? -QMAX : v));
            q.quantized[((size_t)(p / 2) * n + j) * 2 + (p % 2)] = qv;
            l1 += fabsf((float)qv);
        }
        q.scales[j] = scale;
        q.half_l1[j] = 0.5f * l1;
    }
    return q;
}

void sparrow_quantized_matrix_free(sparrow_quantized_matrix *q) {
    free(q->quantized); free(q->scales); free(q->half_l1);
    q->quantized = NULL; q->scales = NULL; q->half_l1 = NULL;
}

static float dot_exact(int k, const float *x, const float *y) {
    float s = 0;
    for (int p = 0; p < k; p++) s += x[p] * y[p];
    return s;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static float dot_avx2(int k, const float *x, const float *y) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    int p = 0;
    for (; p + 16 <= k; p += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(y + p), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 8), _mm256_loadu_ps(y + p + 8), s1);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, _mm256_add_ps(s0, s1));
    float s = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    for (; p < k; p++) s += x[p] * y[p];
    return s;
}

__attribute__((target("avx2,fma")))
static int column_max_pruned_avx2(int m, const float *a, int lda, const sparrow_quantized_matrix *b,
                                  const float *rows, const float *bias, float *out) {
    const int k = b->k, n = b->n, pairs = k / 2;
    int16_t *qa = malloc(sizeof(int16_t) * (size_t)m * k);
    float *sa = malloc(sizeof(float) * (size_t)(m + 4));
    float *ca = malloc(sizeof(float) * (size_t)(m + 4));
    if (!qa || !sa || !ca) abort();
    for (int i = 0; i < m; i++) {
        const float *ai = a + (size_t)i * lda;
        float mx = 0;
        for (int p = 0; p < k; p++) { float v = fabsf(ai[p]); if (v > mx) mx = v; }
        const float scale = mx > 0 ? mx / QMAX : 1.0f;
        float l1 = 0;
        for (int p = 0; p < k; p++) {
            const float v = nearbyintf(ai[p] / scale);
            const int16_t qv = (int16_t)(v > QMAX ? QMAX : (v < -QMAX ? -QMAX : v));
            qa[(size_t)i * k + p] = qv;
            l1 += fabsf((float)qv);
        }
        sa[i] = scale;
        ca[i] = 0.5f * l1 + 0.25f * (float)k;
    }
    int exact = 0;
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m256 d0 = _mm256_loadu_ps(b->half_l1 + j), d1 = _mm256_loadu_ps(b->half_l1 + j + 8);
        __m256 up0 = _mm256_set1_ps(-INFINITY), up1 = up0;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
            __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            const int32_t *a0 = (const int32_t *)(qa + (size_t)i * k), *a1 = a0 + pairs, *a2 = a1 + pairs, *a3 = a2 + pairs;
            const int16_t *bp = b->quantized + (size_t)j * 2;
            for (int p = 0; p < pairs; p++, bp += (size_t)n * 2) {
                const __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
                const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 16));
                __m256i x = _mm256_set1_epi32(a0[p]);
                c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, b0)); c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, b1));
                x = _mm256_set1_epi32(a1[p]);
                c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, b0)); c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, b1));
                x = _mm256_set1_epi32(a2[p]);
                c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x, b0)); c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x, b1));
                x = _mm256_set1_epi32(a3[p]);
                c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x, b0)); c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x, b1));
            }
#define UPPER(acc, r, d) _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(ca[i + r])), d), \
                                       _mm256_set1_ps(sa[i + r]))
            up0 = _mm256_max_ps(up0, _mm256_max_ps(_mm256_max_ps(UPPER(c00, 0, d0), UPPER(c10, 1, d0)),
                                                   _mm256_max_ps(UPPER(c20, 2, d0), UPPER(c30, 3, d0))));
            up1 = _mm256_max_ps(up1, _mm256_max_ps(_mm256_max_ps(UPPER(c01, 0, d1), UPPER(c11, 1, d1)),
                                                   _mm256_max_ps(UPPER(c21, 2, d1), UPPER(c31, 3, d1))));
        }
        for (; i < m; i++) {
            __m256i c0 = _mm256_setzero_si256(), c1 = c0;
            const int32_t *ai = (const int32_t *)(qa + (size_t)i * k);
            const int16_t *bp = b->quantized + (size_t)j * 2;
            for (int p = 0; p < pairs; p++, bp += (size_t)n * 2) {
                const __m256i x = _mm256_set1_epi32(ai[p]);
                c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)bp)));
                c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x, _mm256_loadu_si256((const __m256i *)(bp + 16))));
            }
            up0 = _mm256_max_ps(up0, UPPER(c0, 0, d0));
            up1 = _mm256_max_ps(up1, UPPER(c1, 0, d1));
        }
#undef UPPER
        float upper[16];
        _mm256_storeu_ps(upper, up0);
        _mm256_storeu_ps(upper + 8, up1);
        for (int t = 0; t < 16; t++) {
            const int col = j + t;
            const float bound = upper[t] * b->scales[col] + (bias ? bias[col] : 0);
            // The margin covers the float rounding of the bound (relative 1e-6 of terms below 1e3).
            if (bound > -1e-3f) {
                float mx = -INFINITY;
                const float *row = rows + (size_t)col * k;
                for (int r = 0; r < m; r++) {
                    const float v = dot_avx2(k, a + (size_t)r * lda, row);
                    if (v > mx) mx = v;
                }
                out[col] = mx + (bias ? bias[col] : 0);
                exact++;
            } else {
                out[col] = bound < 0 ? bound : 0;
            }
        }
    }
    for (; j < n; j++) {  // the last columns, exactly
        float mx = -INFINITY;
        for (int r = 0; r < m; r++) {
            const float v = dot_avx2(k, a + (size_t)r * lda, rows + (size_t)j * k);
            if (v > mx) mx = v;
        }
        out[j] = mx + (bias ? bias[j] : 0);
        exact++;
    }
    free(qa); free(sa); free(ca);
    return exact;
}
#endif

int sparrow_column_max_pruned(int m, const float *a, int lda, const sparrow_quantized_matrix *b, const float *rows,
                              const float *bias, float *out) {
#if defined(__x86_64__)
    if (use_avx2() && b->k % 2 == 0 && b->k <= 512) return column_max_pruned_avx2(m, a, lda, b, rows, bias, out);
#endif
    // Portable: the exact column maxima from the rows.
    for (int j = 0; j < b->n; j++) {
        float mx = -INFINITY;
        for (int r = 0; r < m; r++) {
            const float v = dot_exact(b->k, a + (size_t)r * lda, rows + (size_t)j * b->k);
            if (v > mx) mx = v;
        }
        out[j] = mx + (bias ? bias[j] : 0);
    }
    return b->n;
}

// Multiplies a softmax row by `scale` in place and returns its largest entry.
static inline float scale_and_max(float *row, int width, float scale) {
    float m = -INFINITY;
    for (int c = 0; c < width; c++) {
        row[c] *= scale;
        if (row[c] > m) m = row[c];
    }
    return m;
}

#if defined(__x86_64__)
// exp(x) for 8 lanes: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-6 polynomial (relative
// error about 2e-7), then scaled by 2^n through the exponent bits. Inputs are clamped to
// [-87, 88], enough for softmax (arguments ≤ 0) and erf (−x²).
__attribute__((target("avx2,fma")))
static __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// GELU with erf for 8 lanes. erf by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), odd.
__attribute__((target("avx2,fma")))
static void gelu_avx2(float *x, long count) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 z = _mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752440f));
        const __m256 az = _mm256_andnot_ps(sign_mask, z);
        const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), az, _mm256_set1_ps(1.0f)));
        __m256 poly = _mm256_set1_ps(1.061405429f);
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
        poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
        poly = _mm256_mul_ps(poly, t);
        const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(az, az)));
        __m256 erf_abs = _mm256_fnmadd_ps(poly, e, _mm256_set1_ps(1.0f));
        const __m256 erf_v = _mm256_or_ps(erf_abs, _mm256_and_ps(sign_mask, z));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), erf_v)));
    }
    for (; i < count; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752440f));
}

__attribute__((target("avx2,fma")))
static void softmax_rows_avx2(float *x, int rows, int width, float scale) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * width;
        const float m = scale_and_max(row, width, scale);
        const __m256 mv = _mm256_set1_ps(m);
        float sum = 0;
        int c = 0;
        __m256 acc = _mm256_setzero_ps();
        for (; c + 8 <= width; c += 8) {
            const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(row + c), mv));
            _mm256_storeu_ps(row + c, e);
            acc = _mm256_add_ps(acc, e);
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, acc);
        for (int l = 0; l < 8; l++) sum += lanes[l];
        for (; c < width; c++) {
            row[c] = expf(row[c] - m);
            sum += row[c];
        }
        const float inverse = 1.0f / sum;
        for (int c2 = 0; c2 < width; c2++) row[c2] *= inverse;
    }
}
#endif

void sparrow_gelu(float *x, long count) {
#if defined(__x86_64__)
    if (use_avx2()) { gelu_avx2(x, count); return; }
#endif
    const float inverse_root2 = 0.70710678118654752440f;
    for (long i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * inverse_root2));
}

void sparrow_softmax_rows(float *x, int rows, int width, float scale) {
#if defined(__x86_64__)
    if (use_avx2()) { softmax_rows_avx2(x, rows, width, scale); return; }
#endif
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * width;
        const float m = scale_and_max(row, width, scale);
        float sum = 0;
        for (int c = 0; c < width; c++) {
            row[c] = expf(row[c] - m);
            sum += row[c];
        }
        const float inverse = 1.0f / sum;
        for (int c = 0; c < width; c++) row[c] *= inverse;
    }
}

// The clustered search's kernels (see kernels.h), each written once and instantiated for 16- and
// 32-bit term numbers: SUFFIX names the width, LOAD8(p) loads eight terms as 32-bit lanes.
// In the forward score, the multiplication and each addition are separate, unfused float
// operations, as in the Swift scorers they must equal; a summary's dot product is a bound, and any
// order of additions will do.
#pragma clang fp contract(off)

#if defined(__x86_64__)
// Adds the non-zero lanes of `p` to `s`, lowest lane first.
__attribute__((target("avx2,fma")))
static inline float add_nonzero_lanes(float s, __m256 p) {
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(p, _mm256_setzero_ps(), _CMP_NEQ_UQ));
    if (mask) {
        float lanes[8];
        _mm256_storeu_ps(lanes, p);
        do {
            s += lanes[__builtin_ctz(mask)];
            mask &= mask - 1;
        } while (mask);
    }
    return s;
}

__attribute__((target("avx2,fma")))
static inline __m256 summary_weights8(const uint8_t *weights) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)weights)));
}

__attribute__((target("avx2,fma")))
static inline float sum8(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
    return _mm_cvtss_f32(x);
}

#define LOAD8_16(p) _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p)))
#define LOAD8_32(p) _mm256_loadu_si256((const __m256i *)(p))
#define CLUSTERED_KERNELS_AVX2(T, SUFFIX, LOAD8)                                                  \
    __attribute__((target("avx2,fma")))                                                           \
    static float forward_score##SUFFIX##_avx2(const T *terms, const float *weights, long n,       \
                                              const float *dense) {                               \
        float s = 0;                                                                              \
        long i = 0;                                                                               \
        for (; i + 8 <= n; i += 8) {                                                              \
            __m256 q = _mm256_i32gather_ps(dense, LOAD8(terms + i), 4);                           \
            s = add_nonzero_lanes(s, _mm256_mul_ps(q, _mm256_loadu_ps(weights + i)));             \
        }                                                                                         \
        for (; i < n; i++) {                                                                      \
            float p = dense[terms[i]] * weights[i];                                               \
            if (p != 0) s += p;                                                                   \
        }                                                                                         \
        return s;                                                                                 \
    }                                                                                             \
    __attribute__((target("avx2,fma")))                                                           \
    static float summary_dot##SUFFIX##_avx2(const T *terms, const uint8_t *weights, long n,       \
                                            const float *dense) {                                 \
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                                \
        long i = 0;                                                                               \
        for (; i + 16 <= n; i += 16) {                                                            \
            a0 = _mm256_fmadd_ps(_mm256_i32gather_ps(dense, LOAD8(terms + i), 4),                 \
                                 summary_weights8(weights + i), a0);                              \
            a1 = _mm256_fmadd_ps(_mm256_i32gather_ps(dense, LOAD8(terms + i + 8), 4),             \
                                 summary_weights8(weights + i + 8), a1);                          \
        }                                                                                         \
        float s = sum8(_mm256_add_ps(a0, a1));                                                    \
        for (; i < n; i++) s += dense[terms[i]] * (float)weights[i];                              \
        return s;                                                                                 \
    }
CLUSTERED_KERNELS_AVX2(uint16_t, 16, LOAD8_16)
CLUSTERED_KERNELS_AVX2(uint32_t, 32, LOAD8_32)

// With AVX-512, a summary's dot product gathers sixteen query weights at a time, and its tail
// is one masked step instead of a scalar loop.
static int use_avx512(void) {
    return kernel_limit >= 2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl");
}
#define LOAD16_16(p) _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p)))
#define LOAD16_32(p) _mm512_loadu_si512((const void *)(p))
#define MASKLOAD16_16(m, p) _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16((m), (p)))
#define MASKLOAD16_32(m, p) _mm512_maskz_loadu_epi32((m), (p))
#define SUMMARY_DOT_AVX512(T, SUFFIX, LOAD16, MASKLOAD16)                                           \
    __attribute__((target("avx512f,avx512bw,avx512vl")))                                                 \
    static float summary_dot##SUFFIX##_avx512(const T *terms, const uint8_t *weights, long n,     \
                                              const float *dense) {                               \
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();                                \
        long i = 0;                                                                               \
        for (; i + 32 <= n; i += 32) {                                                            \
            __m512 w0 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(weights + i))));      \
            __m512 w1 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(weights + i + 16)))); \
            a0 = _mm512_fmadd_ps(_mm512_i32gather_ps(LOAD16(terms + i), dense, 4), w0, a0);        \
            a1 = _mm512_fmadd_ps(_mm512_i32gather_ps(LOAD16(terms + i + 16), dense, 4), w1, a1);   \
        }                                                                                         \
        for (; i < n; i += 16) {                                                                  \
            __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);     \
            __m512 w = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, weights + i))); \
            __m512 q = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, MASKLOAD16(m, terms + i), dense, 4); \
            a0 = _mm512_fmadd_ps(q, w, a0);                                                       \
        }                                                                                         \
        return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));                                       \
    }
SUMMARY_DOT_AVX512(uint16_t, 16, LOAD16_16, MASKLOAD16_16)
SUMMARY_DOT_AVX512(uint32_t, 32, LOAD16_32, MASKLOAD16_32)
#define USE_AVX2(call) if (use_avx2()) return call;
#define USE_AVX512(call) if (use_avx512()) return call;
#else
#define USE_AVX2(call)
#define USE_AVX512(call)
#endif

#define CLUSTERED_KERNELS(T, SUFFIX)                                                              \
    float sparrow_forward_score##SUFFIX(const T *terms, const float *weights, long n,              \
                                        const float *dense) {                                     \
        USE_AVX2(forward_score##SUFFIX##_avx2(terms, weights, n, dense))                          \
        float s = 0;                                                                              \
        for (long i = 0; i < n; i++) {                                                            \
            float p = dense[terms[i]] * weights[i];                                               \
            if (p != 0) s += p;                                                                   \
        }                                                                                         \
        return s;                                                                                 \
    }                                                                                             \
    float sparrow_summary_dot##SUFFIX(const T *terms, const uint8_t *weights, long n,             \
                                      const float *dense) {                                       \
        USE_AVX512(summary_dot##SUFFIX##_avx512(terms, weights, n, dense))                        \
        USE_AVX2(summary_dot##SUFFIX##_avx2(terms, weights, n, dense))                            \
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                                     \
        long i = 0;                                                                               \
        for (; i + 4 <= n; i += 4) {                                                              \
            s0 += dense[terms[i]] * (float)weights[i];                                            \
            s1 += dense[terms[i + 1]] * (float)weights[i + 1];                                    \
            s2 += dense[terms[i + 2]] * (float)weights[i + 2];                                    \
            s3 += dense[terms[i + 3]] * (float)weights[i + 3];                                    \
        }                                                                                         \
        for (; i < n; i++) s0 += dense[terms[i]] * (float)weights[i];                             \
        return (s0 + s1) + (s2 + s3);                                                             \
    }                                                                                             \
    /* A compact record: u32 count m, f32 scale, m terms, m levels (see ClusteredIndex). */        \
    float sparrow_compact_score##SUFFIX(const void *record, const float *dense) {                 \
        uint32_t m;                                                                               \
        float scale;                                                                              \
        memcpy(&m, record, 4);                                                                    \
        memcpy(&scale, (const char *)record + 4, 4);                                              \
        const T *terms = (const T *)((const char *)record + 8);                                   \
        return sparrow_summary_dot##SUFFIX(terms, (const uint8_t *)(terms + m), m, dense) * scale; \
    }
CLUSTERED_KERNELS(uint16_t, 16)
CLUSTERED_KERNELS(uint32_t, 32)
