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

/// 1 when the AVX2+FMA kernels run on this machine, 0 when the portable ones do.
int sparrow_kernels_use_avx2(void);

#endif
