/*
 * The C interface, exercised from C: every function, and every error path a caller can reach.
 * Expected scores are dot products this program computes itself.
 *
 *   cc -std=c11 -Wall -Werror -I Sources/CSparrow Tests/CABI/abi_test.c -L DIR -lsparrowc -Wl,-rpath,DIR -o abi_test
 *   ./abi_test SCRATCH_DIR [SPLADE_MODEL_DIR]
 *
 * Tools/test.sh builds and runs it (see README.md).
 */
#include "sparrow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, " (last error: %s)\n", sparrow_last_error());      \
        }                                                                      \
    } while (0)

/* The call returns `status` and its message mentions `needle`. */
#define EXPECT_ERROR(call, status, needle)                                                      \
    do {                                                                                        \
        int s_ = (call);                                                                        \
        CHECK(s_ == (status), "%s returned %d, expected %d", #call, s_, (status));              \
        CHECK(strstr(sparrow_last_error(), (needle)) != NULL, "%s: message lacks \"%s\"", #call, \
              (needle));                                                                        \
    } while (0)

#define EXPECT_OK(call)                                                                         \
    do {                                                                                        \
        int s_ = (call);                                                                        \
        CHECK(s_ == SPARROW_OK, "%s returned %d", #call, s_);                                   \
        CHECK(sparrow_last_error()[0] == '\0', "%s left an error message", #call);              \
    } while (0)

/* A little corpus: 4 documents over 5 terms, as CSR rows. */
static const char *vocab[] = {"sparrow", "nest", "bird", "tree", "song"};
static const char *ids[] = {"d1", "d2", "d3", "long-identifier-0123456789"};
static const int64_t indptr[] = {0, 2, 5, 6, 8};
static const uint32_t indices[] = {0, 1, 0, 2, 3, 3, 1, 4};
static const float values[] = {1.5f, 0.5f, 0.7f, 1.0f, 0.2f, 2.0f, 0.9f, 0.3f};

static sparrow_csr corpus(void) {
    sparrow_csr c = {4, indptr, indices, values, vocab, 5};
    return c;
}

/* The dot product of document d with a query over the same vocabulary (dense query weights). */
static float dot(int d, const float q[5]) {
    float s = 0;
    for (int64_t j = indptr[d]; j < indptr[d + 1]; j++) s += values[j] * q[indices[j]];
    return s;
}

static void check_search_against_dot_products(sparrow_index *index, const char *label) {
    /* Two queries: {sparrow: 1, tree: 0.5} and {nest: 2, song: 1}. */
    static const int64_t qptr[] = {0, 2, 4};
    static const uint32_t qidx[] = {0, 3, 1, 4};
    static const float qval[] = {1.0f, 0.5f, 2.0f, 1.0f};
    sparrow_csr q = {2, qptr, qidx, qval, vocab, 5};
    const float dense[2][5] = {{1, 0, 0, 0.5f, 0}, {0, 2, 0, 0, 1}};
    enum { K = 3, W = 32 };
    char out_ids[2 * K * W];
    float scores[2 * K];
    uint32_t counts[2];
    size_t needed = 0;
    EXPECT_OK(sparrow_search(index, &q, K, NULL, 2, out_ids, W, scores, counts, &needed));
    CHECK(needed == strlen(ids[3]) || needed <= W, "%s: needed %zu", label, needed);
    for (int i = 0; i < 2; i++) {
        /* Expected: documents with a positive dot product, best first (ties: lower index first). */
        int order[4] = {0, 1, 2, 3};
        float s[4];
        for (int d = 0; d < 4; d++) s[d] = dot(d, dense[i]);
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++)
                if (s[order[b]] > s[order[a]]) { int t = order[a]; order[a] = order[b]; order[b] = t; }
        uint32_t expected = 0;
        for (int d = 0; d < 4; d++) if (s[d] > 0) expected++;
        if (expected > K) expected = K;
        CHECK(counts[i] == expected, "%s: query %d: %u hits, expected %u", label, i, counts[i], expected);
        for (uint32_t j = 0; j < counts[i] && j < expected; j++) {
            const char *got = out_ids + (i * K + j) * W;
            CHECK(strncmp(got, ids[order[j]], W) == 0, "%s: query %d hit %u is %.*s, expected %s", label, i, j, W, got,
                  ids[order[j]]);
            CHECK(fabsf(scores[i * K + j] - s[order[j]]) < 1e-5f, "%s: query %d hit %u scored %g, expected %g", label, i,
                  j, scores[i * K + j], s[order[j]]);
        }
        for (uint32_t j = counts[i]; j < K; j++) CHECK(scores[i * K + j] == 0 && out_ids[(i * K + j) * W] == 0, "slot cleared");
    }

    /* An id longer than the slot: BUFFER_TOO_SMALL and the width needed. */
    static const int64_t lptr[] = {0, 1};
    static const uint32_t lidx[] = {4};
    static const float lval[] = {1.0f};
    sparrow_csr lq = {1, lptr, lidx, lval, vocab, 5};
    char small[K * 4];
    EXPECT_ERROR(sparrow_search(index, &lq, K, NULL, 1, small, 4, scores, counts, &needed), SPARROW_BUFFER_TOO_SMALL,
                 "id_width");
    CHECK(needed == strlen(ids[3]), "needed %zu, expected %zu", needed, strlen(ids[3]));

    /* Search options: every algorithm returns the same; bad options are named. */
    char ids2[2 * K * W];
    float scores2[2 * K];
    uint32_t counts2[2];
    float first_scores[2 * K];
    char first_ids[2 * K * W];
    uint32_t first_counts[2];
    EXPECT_OK(sparrow_search(index, &q, K, NULL, 2, first_ids, W, first_scores, first_counts, NULL));
    EXPECT_OK(sparrow_search(index, &q, K, "{\"algorithm\": \"maxscore\"}", 1, ids2, W, scores2, counts2, NULL));
    CHECK(memcmp(first_counts, counts2, sizeof counts2) == 0 && memcmp(first_scores, scores2, sizeof scores2) == 0 &&
              memcmp(first_ids, ids2, sizeof ids2) == 0,
          "maxscore returns what the default algorithm does");
    EXPECT_OK(sparrow_search(index, &q, K, "{\"recall\": 0.95}", 0, ids2, W, scores2, counts2, NULL));
    EXPECT_ERROR(sparrow_search(index, &q, K, "{\"algorithm\": \"quantum\"}", 1, ids2, W, scores2, counts2, NULL),
                 SPARROW_INVALID_ARGUMENT, "unknown algorithm");
    EXPECT_ERROR(sparrow_search(index, &q, K, "{\"recall\": 0.5}", 1, ids2, W, scores2, counts2, NULL),
                 SPARROW_INVALID_ARGUMENT, "recall");
    EXPECT_ERROR(sparrow_search(index, &q, K, "{\"heap_factor\": -1}", 1, ids2, W, scores2, counts2, NULL),
                 SPARROW_INVALID_ARGUMENT, "heap_factor");
    EXPECT_ERROR(sparrow_search(index, &q, K, "{\"colour\": 1}", 1, ids2, W, scores2, counts2, NULL),
                 SPARROW_INVALID_ARGUMENT, "colour");
    EXPECT_ERROR(sparrow_search(index, &q, K, "{not json", 1, ids2, W, scores2, counts2, NULL), SPARROW_INVALID_ARGUMENT,
                 "malformed JSON");
    EXPECT_ERROR(sparrow_search(index, &q, 0, NULL, 1, ids2, W, scores2, counts2, NULL), SPARROW_INVALID_ARGUMENT,
                 "k must be at least 1");
    EXPECT_ERROR(sparrow_search(index, &q, K, NULL, 1, NULL, W, scores2, counts2, NULL), SPARROW_INVALID_ARGUMENT,
                 "must not be NULL");
    EXPECT_ERROR(sparrow_search(index, NULL, K, NULL, 1, ids2, W, scores2, counts2, NULL), SPARROW_INVALID_ARGUMENT,
                 "queries is NULL");
    /* An empty batch is fine, with no buffers at all. */
    sparrow_csr none = {0, NULL, NULL, NULL, NULL, 0};
    EXPECT_OK(sparrow_search(index, &none, K, NULL, 1, NULL, W, NULL, NULL, NULL));
}

static void check_bad_rows(void) {
    sparrow_index *index = NULL;
    sparrow_csr c = corpus();
    /* indptr not starting at 0 / decreasing */
    static const int64_t bad_ptr[] = {0, 2, 1, 6, 8};
    c.indptr = bad_ptr;
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "row 1");
    c = corpus();
    static const uint32_t bad_idx[] = {0, 1, 0, 2, 3, 3, 1, 9};
    c.indices = bad_idx;
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "outside the vocabulary");
    c = corpus();
    float nan_values[8];
    memcpy(nan_values, values, sizeof values);
    nan_values[3] = NAN;
    c.values = nan_values;
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "row 1, term \"bird\"");
    nan_values[3] = -1;
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "not finite and non-negative");
    c = corpus();
    static const uint32_t dup_idx[] = {0, 0, 0, 2, 3, 3, 1, 4};
    c.indices = dup_idx;
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "appears twice");
    c = corpus();
    const char *dup_ids[] = {"d1", "d2", "d1", "d4"};
    EXPECT_ERROR(sparrow_build(NULL, dup_ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "duplicate id");
    const char *space_ids[] = {"d1", "d 2", "d3", "d4"};
    EXPECT_ERROR(sparrow_build(NULL, space_ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "ids[1]");
    const char *null_ids[] = {"d1", NULL, "d3", "d4"};
    EXPECT_ERROR(sparrow_build(NULL, null_ids, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "ids[1] is NULL");
    const char *bad_utf8[] = {"d1", "d2", "\xff\xfe", "d4"};
    EXPECT_ERROR(sparrow_build(NULL, bad_utf8, &c, NULL, &index), SPARROW_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERROR(sparrow_build(NULL, ids, NULL, NULL, &index), SPARROW_INVALID_ARGUMENT, "vectors is NULL");
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, NULL, NULL), SPARROW_INVALID_ARGUMENT, "out is NULL");
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, "{\"block_size\": 0}", &index), SPARROW_INVALID_ARGUMENT, "block_size");
    EXPECT_ERROR(sparrow_build(NULL, ids, &c, "{\"text\": true}", &index), SPARROW_INVALID_ARGUMENT, "sparrow_build_text");
    CHECK(index == NULL, "no handle after failures");
}

static void check_handles(void) {
    sparrow_index *index = NULL;
    sparrow_csr c = corpus();
    EXPECT_OK(sparrow_build(NULL, ids, &c, NULL, &index));
    sparrow_info info;
    EXPECT_OK(sparrow_stats(index, &info));
    CHECK(info.documents == 4 && info.terms == 5 && info.postings == 8 && info.writable == 0 && info.kind == 0,
          "stats %llu %llu %llu", (unsigned long long)info.documents, (unsigned long long)info.terms,
          (unsigned long long)info.postings);
    check_search_against_dot_products(index, "in memory");
    /* Writes to an in-memory index are refused. */
    EXPECT_ERROR(sparrow_upsert(index, ids, &c, NULL, NULL), SPARROW_READ_ONLY, "read-only");
    EXPECT_ERROR(sparrow_delete(index, ids, 1, NULL), SPARROW_READ_ONLY, "read-only");
    EXPECT_ERROR(sparrow_commit(index), SPARROW_READ_ONLY, "read-only");
    /* Statistics are BM25's. */
    char json[64];
    EXPECT_ERROR(sparrow_corpus_statistics(index, json, sizeof json, NULL), SPARROW_INVALID_ARGUMENT, "holds vectors");
    EXPECT_ERROR(sparrow_search_text(index, ids, 1, 3, NULL, 1, json, 8, (float *)json, (uint32_t *)json, NULL),
                 SPARROW_INVALID_ARGUMENT, "no encoder");
    EXPECT_OK(sparrow_close(index));
    /* A closed handle, a foreign pointer, NULL. */
    EXPECT_ERROR(sparrow_stats(index, &info), SPARROW_INVALID_ARGUMENT, "not an open handle");
    EXPECT_ERROR(sparrow_close(index), SPARROW_INVALID_ARGUMENT, "not an open handle");
    int not_a_handle = 42;
    EXPECT_ERROR(sparrow_stats((sparrow_index *)&not_a_handle, &info), SPARROW_INVALID_ARGUMENT, "not an open handle");
    EXPECT_ERROR(sparrow_stats(NULL, &info), SPARROW_INVALID_ARGUMENT, "index is NULL");
    EXPECT_OK(sparrow_close(NULL));
    EXPECT_OK(sparrow_vectors_free(NULL));
    EXPECT_OK(sparrow_encoder_free(NULL));
}

static void check_collection(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors", dir);
    sparrow_index *index = NULL;
    sparrow_csr c = corpus();
    EXPECT_OK(sparrow_build(path, ids, &c, "{\"fsync\": \"none\"}", &index));
    check_search_against_dot_products(index, "on disk");
    /* One writer at a time. */
    sparrow_index *second = NULL;
    EXPECT_ERROR(sparrow_open(path, NULL, &second), SPARROW_LOCKED, "open for writing");
    EXPECT_ERROR(sparrow_create(path, NULL, &second), SPARROW_INVALID_ARGUMENT, "holds an index already");
    /* Upsert d1 (replaced) and d5 (added), delete d2. */
    static const int64_t uptr[] = {0, 1, 2};
    static const uint32_t uidx[] = {0, 1};
    static const float uval[] = {9.0f, 4.0f};
    const char *uvocab[] = {"tree", "wing"};
    sparrow_csr u = {2, uptr, uidx, uval, uvocab, 2};
    const char *uids[] = {"d1", "d5"};
    uint64_t added = 0, replaced = 0, deleted = 0;
    EXPECT_OK(sparrow_upsert(index, uids, &u, &added, &replaced));
    CHECK(added == 1 && replaced == 1, "added %llu replaced %llu", (unsigned long long)added, (unsigned long long)replaced);
    const char *gone[] = {"d2", "nope"};
    EXPECT_OK(sparrow_delete(index, gone, 2, &deleted));
    CHECK(deleted == 1, "deleted %llu", (unsigned long long)deleted);
    const char *bad[] = {"d1", "d1"};
    EXPECT_ERROR(sparrow_upsert(index, bad, &u, NULL, NULL), SPARROW_INVALID_ARGUMENT, "row 1");
    EXPECT_OK(sparrow_commit(index));
    EXPECT_OK(sparrow_close(index));

    /* Reopened: 4 live documents; "tree" ranks d1 (9) first, then d3 (2), then d2's 0.2 is gone. */
    /* Read-only handles need no lock and see the committed index. */
    sparrow_index *reader = NULL;
    EXPECT_OK(sparrow_open(path, "{\"read_only\": true}", &reader));
    EXPECT_ERROR(sparrow_open(path, "{\"fsync\": \"sometimes\"}", &index), SPARROW_INVALID_ARGUMENT, "fsync");
    EXPECT_OK(sparrow_open(path, "{\"fsync\": \"none\"}", &index));
    EXPECT_ERROR(sparrow_delete(reader, ids, 1, NULL), SPARROW_READ_ONLY, "read-only");
    sparrow_info info;
    EXPECT_OK(sparrow_stats(reader, &info));
    CHECK(info.documents == 4 && info.writable == 0, "reader sees %llu documents", (unsigned long long)info.documents);
    EXPECT_OK(sparrow_close(reader));
    EXPECT_OK(sparrow_stats(index, &info));
    CHECK(info.documents == 4 && info.writable == 1, "documents %llu", (unsigned long long)info.documents);
    static const int64_t qptr[] = {0, 1};
    static const uint32_t qidx[] = {3};
    static const float qval[] = {1.0f};
    sparrow_csr q = {1, qptr, qidx, qval, vocab, 5};
    char out_ids[3 * 8];
    float scores[3];
    uint32_t counts[1];
    EXPECT_OK(sparrow_search(index, &q, 3, NULL, 1, out_ids, 8, scores, counts, NULL));
    CHECK(counts[0] == 2 && strcmp(out_ids, "d1") == 0 && scores[0] == 9.0f && strcmp(out_ids + 8, "d3") == 0 &&
              scores[1] == 2.0f,
          "after writes: %u hits, %s %g", counts[0], out_ids, scores[0]);
    EXPECT_OK(sparrow_close(index));

    /* A corrupt file is reported as such. */
    char meta[4200];
    snprintf(meta, sizeof meta, "%s/meta.json", path);
    FILE *f = fopen(meta, "w");
    fputs("{\"format\": \"sparrow\", garbage", f);
    fclose(f);
    int s = sparrow_open(path, NULL, &index);
    CHECK(s == SPARROW_CORRUPT || s == SPARROW_INVALID_ARGUMENT, "corrupt meta: status %d", s);
    CHECK(strstr(sparrow_last_error(), "meta.json") != NULL, "corrupt meta named");

    char missing[4200];
    snprintf(missing, sizeof missing, "%s/nowhere", dir);
    EXPECT_ERROR(sparrow_open(missing, NULL, &index), SPARROW_NOT_FOUND, "holds no index");
    EXPECT_ERROR(sparrow_open(NULL, NULL, &index), SPARROW_INVALID_ARGUMENT, "path is NULL");

    /* An empty collection made with settings, then filled. */
    snprintf(path, sizeof path, "%s/created", dir);
    EXPECT_ERROR(sparrow_create(path, "{\"layout\": \"round\"}", &index), SPARROW_INVALID_ARGUMENT, "layout");
    EXPECT_OK(sparrow_create(path, "{\"range_size\": 8}", &index));
    EXPECT_OK(sparrow_upsert(index, ids, &c, &added, NULL));
    CHECK(added == 4, "added %llu", (unsigned long long)added);
    check_search_against_dot_products(index, "created");
    EXPECT_OK(sparrow_close(index));
}

static void check_text(const char *dir) {
    /* A sharded text collection scores as one index once the shards share their statistics. */
    const char *all_ids[] = {"t1", "t2", "t3", "t4"};
    const char *texts[] = {"sparrows build nests in trees", "the song of the sparrow", "trees and more trees",
                           "a nest of song birds"};
    sparrow_index *whole = NULL, *a = NULL, *b = NULL;
    EXPECT_OK(sparrow_build_text(NULL, all_ids, texts, 4, NULL, &whole));
    EXPECT_OK(sparrow_build_text(NULL, all_ids, texts, 2, "{\"text\": true}", &a));
    char path[4096];
    snprintf(path, sizeof path, "%s/text", dir);
    EXPECT_OK(sparrow_build_text(path, all_ids + 2, texts + 2, 2, NULL, &b));
    sparrow_info info;
    EXPECT_OK(sparrow_stats(b, &info));
    CHECK(info.kind == 1 && info.documents == 2, "text stats");

    char sa[4096], sb[4096], merged[8192];
    size_t needed = 0;
    EXPECT_ERROR(sparrow_corpus_statistics(a, sa, 4, &needed), SPARROW_BUFFER_TOO_SMALL, "bytes");
    CHECK(needed > 4, "needed %zu", needed);
    EXPECT_OK(sparrow_corpus_statistics(a, sa, sizeof sa, NULL));
    EXPECT_OK(sparrow_corpus_statistics(b, sb, sizeof sb, NULL));
    /* The C side sums the shards' statistics: the whole index's own are the reference. */
    EXPECT_OK(sparrow_corpus_statistics(whole, merged, sizeof merged, NULL));
    EXPECT_OK(sparrow_set_global_statistics(a, merged));
    EXPECT_OK(sparrow_set_global_statistics(b, merged));

    const char *queries[] = {"sparrow nests", "trees", "song"};
    enum { K = 4, W = 8 };
    char wid[3 * K * W], aid[3 * K * W], bid[3 * K * W];
    float ws[3 * K], as[3 * K], bs[3 * K];
    uint32_t wc[3], ac[3], bc[3];
    EXPECT_OK(sparrow_search_text(whole, queries, 3, K, NULL, 2, wid, W, ws, wc, NULL));
    EXPECT_OK(sparrow_search_text(a, queries, 3, K, NULL, 2, aid, W, as, ac, NULL));
    EXPECT_OK(sparrow_search_text(b, queries, 3, K, NULL, 2, bid, W, bs, bc, NULL));
    for (int i = 0; i < 3; i++) {
        CHECK(wc[i] > 0, "query %d has hits", i);
        for (uint32_t j = 0; j < wc[i]; j++) {
            /* Each hit of the whole index is found, with the same score, in the shard that holds it. */
            const char *id = wid + (i * K + j) * W;
            int found = 0;
            for (uint32_t x = 0; x < ac[i]; x++)
                if (strncmp(aid + (i * K + x) * W, id, W) == 0) found = (as[i * K + x] == ws[i * K + j]);
            for (uint32_t x = 0; x < bc[i]; x++)
                if (strncmp(bid + (i * K + x) * W, id, W) == 0) found = (bs[i * K + x] == ws[i * K + j]);
            CHECK(found, "query %d: %s scored %g in the whole index, not the same in its shard", i, id, ws[i * K + j]);
        }
        CHECK(wc[i] == ac[i] + bc[i], "query %d: %u hits, shards %u + %u", i, wc[i], ac[i], bc[i]);
    }
    /* Without the shared statistics the shard scores differ (so the test above can fail). */
    EXPECT_OK(sparrow_set_global_statistics(a, NULL));
    EXPECT_OK(sparrow_search_text(a, queries, 1, K, NULL, 1, aid, W, as, ac, NULL));
    int same = 1;
    for (uint32_t x = 0; x < ac[0]; x++)
        for (uint32_t j = 0; j < wc[0]; j++)
            if (strncmp(aid + x * W, wid + j * W, W) == 0 && as[x] != ws[j]) same = 0;
    CHECK(!same, "a shard's own statistics give other scores");

    EXPECT_ERROR(sparrow_set_global_statistics(a, "{\"documents\": 2, \"total_terms\": 9, \"df\": {\"tree\": 5}}"),
                 SPARROW_INVALID_ARGUMENT, "df.tree");
    EXPECT_ERROR(sparrow_set_global_statistics(a, "{\"documents\": -1}"), SPARROW_INVALID_ARGUMENT, "documents");
    EXPECT_ERROR(sparrow_set_global_statistics(a, "[1,"), SPARROW_INVALID_ARGUMENT, "malformed JSON");

    /* Text writes. */
    const char *nid[] = {"t9"};
    const char *ntext[] = {"sparrow sparrow sparrow"};
    uint64_t added = 0;
    EXPECT_OK(sparrow_upsert_text(b, nid, ntext, 1, &added, NULL));
    CHECK(added == 1, "text added");
    EXPECT_ERROR(sparrow_upsert_text(b, nid, NULL, 1, NULL, NULL), SPARROW_INVALID_ARGUMENT, "texts is NULL");
    sparrow_csr c = corpus();
    EXPECT_ERROR(sparrow_upsert(b, ids, &c, NULL, NULL), SPARROW_INVALID_ARGUMENT, "sparrow_upsert_text");
    EXPECT_OK(sparrow_close(whole));
    EXPECT_OK(sparrow_close(a));
    EXPECT_OK(sparrow_close(b));
}

static void check_encoder(const char *model) {
    sparrow_encoder *encoder = NULL;
    EXPECT_ERROR(sparrow_encoder_open("/nonexistent-model", 0, &encoder), SPARROW_INVALID_ARGUMENT, "nonexistent-model");
    if (!model) {
        printf("(no model directory given: encoder success paths not run)\n");
        return;
    }
    EXPECT_OK(sparrow_encoder_open(model, 0, &encoder));
    const char *texts[] = {"what is a sparrow", "sparrows nest in trees"};
    sparrow_vectors *vectors = NULL;
    EXPECT_OK(sparrow_encode(encoder, texts, 2, 0, &vectors));
    sparrow_csr csr;
    EXPECT_OK(sparrow_vectors_csr(vectors, &csr));
    CHECK(csr.rows == 2 && csr.indptr[0] == 0 && csr.indptr[1] > 0 && csr.indptr[2] > csr.indptr[1], "encoded rows");
    for (int64_t j = 0; j < csr.indptr[2]; j++)
        CHECK(csr.indices[j] < csr.vocab_size && csr.values[j] > 0, "entry %lld", (long long)j);
    /* The encoded vectors index and find themselves. */
    sparrow_index *index = NULL;
    const char *vid[] = {"q1", "q2"};
    EXPECT_OK(sparrow_build(NULL, vid, &csr, NULL, &index));
    char out[2 * 2 * 4];
    float scores[4];
    uint32_t counts[2];
    EXPECT_OK(sparrow_search(index, &csr, 2, NULL, 1, out, 4, scores, counts, NULL));
    CHECK(strcmp(out, "q1") == 0 && strcmp(out + 2 * 4, "q2") == 0, "self retrieval");
    /* A handle of the wrong kind. */
    EXPECT_ERROR(sparrow_encode((sparrow_encoder *)index, texts, 2, 0, &vectors), SPARROW_INVALID_ARGUMENT, "another kind");
    EXPECT_OK(sparrow_close(index));
    EXPECT_OK(sparrow_vectors_free(vectors));
    EXPECT_ERROR(sparrow_vectors_csr(vectors, &csr), SPARROW_INVALID_ARGUMENT, "not an open handle");

    /* A collection encoded by the model, searched with text. */
    const char *docs[] = {"the sparrow is a small bird", "oak trees grow slowly"};
    char settings[4200];
    snprintf(settings, sizeof settings, "{\"encoder\": \"splade:%s\"}", model);
    EXPECT_OK(sparrow_build_text(NULL, vid, docs, 2, settings, &index));
    sparrow_info info;
    EXPECT_OK(sparrow_stats(index, &info));
    CHECK(info.kind == 2, "encoded kind %d", info.kind);
    const char *q[] = {"small bird"};
    EXPECT_OK(sparrow_search_text(index, q, 1, 2, NULL, 1, out, 4, scores, counts, NULL));
    CHECK(counts[0] >= 1 && strcmp(out, "q1") == 0, "encoded search finds the bird");
    EXPECT_OK(sparrow_close(index));
    EXPECT_OK(sparrow_encoder_free(encoder));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR [SPLADE_MODEL_DIR]\n", argv[0]);
        return 2;
    }
    mkdir(argv[1], 0755);
    CHECK(strlen(sparrow_version()) > 0, "version");
    CHECK(sparrow_last_error()[0] == '\0', "no error yet");
    check_bad_rows();
    check_handles();
    check_collection(argv[1]);
    check_text(argv[1]);
    check_encoder(argc > 2 ? argv[2] : NULL);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
