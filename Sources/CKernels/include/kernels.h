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

#include <stdint.h>

/// A fixed K×N matrix prepared for sparrow_column_max_pruned: each column quantised to int16
/// (|q| ≤ 2047) with its own scale, stored as interleaved pairs of rows ([K/2][N][2]); K even.
typedef struct {
    int k, n;
    int16_t *quantized;    // (k/2) * n * 2
    float *scales;         // n: column j ≈ scales[j] * quantized column
    float *half_l1;        // n: 0.5 * sum_k |quantized[k][j]|
} sparrow_quantized_matrix;

/// Prepares `b` (K×N row-major, K even) for the pruned column maxima. Free with
/// sparrow_quantized_matrix_free.
sparrow_quantized_matrix sparrow_quantize_columns(int k, int n, const float *b);
void sparrow_quantized_matrix_free(sparrow_quantized_matrix *q);

/// Like sparrow_gemm_column_max, exact wherever the result is positive: an int16 pass bounds
/// every column's maximum from above (quantisation error included), and only columns whose
/// bound is above zero are computed exactly in float from `rows` (the N×K matrix whose rows are
/// the columns of B). Other columns get a value ≤ 0. Uses AVX2; falls back to the exact product.
/// Returns the number of columns computed exactly.
int sparrow_column_max_pruned(int m, const float *a, int lda, const sparrow_quantized_matrix *b, const float *rows,
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

/// With `on` ≠ 0, every kernel runs its portable C version from now on, even where AVX2 is
/// available (for tests and comparisons); 0 restores the choice by CPU.
void sparrow_kernels_force_portable(int on);

/// The widest instruction set the kernels may use from now on, where the machine has it: 0 the
/// portable C, 1 AVX2 and FMA, 2 (the default) also AVX-512 (F, BW and VL; today only the
/// summaries' dot products and compact records' scores use it). For tests and comparisons.
void sparrow_kernels_limit(int level);

/// Asks the processor to start loading the cache line at `address` (for reading): the clustered
/// search prefetches the next candidate's forward-index entries while it scores the current one.
static inline void sparrow_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// One document's score through the forward index: the products `dense[terms[i]] × weights[i]`
/// for i in 0..<n, and the sum of the non-zero ones in entry order. Skipping a zero product leaves
/// a float sum unchanged, so this is, bit for bit, the sum of all n products in order: the score
/// term-at-a-time scoring gives (entries are in increasing term order). With AVX2 the products are
/// formed eight at a time (a gather of the query weights) and only the non-zero ones are added.
float sparrow_forward_score16(const uint16_t *terms, const float *weights, long n, const float *dense);
/// ``sparrow_forward_score16`` for 32-bit term numbers.
float sparrow_forward_score32(const uint32_t *terms, const float *weights, long n, const float *dense);

/// A document's approximate score from its compact forward-index record (see ClusteredIndex:
/// u32 entry count m, f32 scale, m terms of 16 or 32 bits, m 8-bit levels): the sum of
/// `dense[term] × level`, in any order, times the scale.
float sparrow_compact_score16(const void *record, const float *dense);
/// ``sparrow_compact_score16`` for records with 32-bit terms.
float sparrow_compact_score32(const void *record, const float *dense);

/// A block summary's dot product with a dense query, before its scale: the sum of
/// `dense[terms[i]] × weights[i]` for i in 0..<n, in any order (a bound, not a score: the
/// rounding is far inside the quantisation's upward margin).
float sparrow_summary_dot16(const uint16_t *terms, const uint8_t *weights, long n, const float *dense);
/// ``sparrow_summary_dot16`` for 32-bit term numbers.
float sparrow_summary_dot32(const uint32_t *terms, const uint8_t *weights, long n, const float *dense);

#endif
