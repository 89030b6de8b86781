#ifndef SPARROW_KERNELS_H
#define SPARROW_KERNELS_H

/// C = A · B (+ bias), with A row-major M×K (row stride lda), B row-major K×N (row stride ldb),
/// C row-major M×N (row stride ldc), bias of length N or NULL.
void sparrow_gemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  const float *bias, float *c, int ldc);

/// out[j] = max over rows i of (A · B)[i][j] (+ bias[j]): the column maxima of the product,
/// without storing it. Shapes as in sparrow_gemm; requires m >= 1.
void sparrow_gemm_column_max(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                             const float *bias, float *out);

/// LayerNorm of each of `rows` rows of `x` (length `width`), in place:
/// (x − mean) / sqrt(variance + eps) · gamma + beta.
void sparrow_layer_norm(float *x, int rows, int width, const float *gamma, const float *beta, float eps);

/// GELU with erf, in place: 0.5 x (1 + erf(x / √2)).
void sparrow_gelu(float *x, long count);

/// Softmax of each row of `x` after multiplying it by `scale`, in place.
void sparrow_softmax_rows(float *x, int rows, int width, float scale);

/// 1 when the AVX2+FMA kernels run on this machine, 0 when the portable ones do.
int sparrow_kernels_use_avx2(void);

#endif
