// Matrix kernels for the SPLADE encoder: a register-blocked 4×16 micro-kernel with AVX2 and FMA
// on x86-64 machines that have them (chosen at run time), and a portable C version otherwise.
// Written for Sparrow; Swift has no per-function target attributes, so the ISA dispatch lives here.
#include "kernels.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

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

static int use_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static int use_avx2(void) { return 0; }
#endif

int sparrow_kernels_use_avx2(void) { return use_avx2(); }

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

void sparrow_gelu(float *x, long count) {
    const float inverse_root2 = 0.70710678118654752440f;
    for (long i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * inverse_root2));
}

void sparrow_softmax_rows(float *x, int rows, int width, float scale) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * width;
        float m = -INFINITY;
        for (int c = 0; c < width; c++) {
            row[c] *= scale;
            if (row[c] > m) m = row[c];
        }
        float sum = 0;
        for (int c = 0; c < width; c++) {
            row[c] = expf(row[c] - m);
            sum += row[c];
        }
        const float inverse = 1.0f / sum;
        for (int c = 0; c < width; c++) row[c] *= inverse;
    }
}
