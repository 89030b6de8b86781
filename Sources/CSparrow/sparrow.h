/*
 * sparrow.h — the C interface of Sparrow, a search engine for sparse retrieval.
 *
 * Link with libsparrowc.so (built by `swift build -c release --product sparrowc -Xswiftc -static-stdlib`,
 * or `python/build-wheel.sh`); it carries the Swift runtime (and, built with SPARROW_STATIC_ZLIB=1,
 * zlib), so nothing else need be installed.
 *
 * Conventions
 *  - Every function returns a status (SPARROW_OK = 0, or an error code) and never aborts on bad
 *    input. On an error, sparrow_last_error() gives a message naming what was wrong (the argument,
 *    the row of a batch, the JSON member of an option). The message is the calling thread's own
 *    and stays valid until that thread's next call into Sparrow.
 *  - Handles are opaque. A handle that was closed, or never was one, is refused with
 *    SPARROW_INVALID_ARGUMENT rather than dereferenced. A handle may be used from several
 *    threads at once: searches run concurrently, writes are serialised.
 *  - Strings are UTF-8 and NUL-terminated. Every buffer the caller passes stays the caller's;
 *    Sparrow copies what it keeps. Output goes into caller-owned buffers, except for encoder
 *    output (sparrow_vectors), which the caller frees with sparrow_vectors_free.
 *  - Vectors come as CSR rows over a vocabulary (see sparrow_csr).
 *  - Settings and search options are JSON text (NULL or "" means defaults), the same JSON as the
 *    HTTP server's `PUT /collections/{name}` body and search body (see README.md).
 */
#ifndef SPARROW_H
#define SPARROW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
#define SPARROW_OK 0
#define SPARROW_INVALID_ARGUMENT 1 /* a bad argument, document, query or option */
#define SPARROW_NOT_FOUND 2        /* no index at the path */
#define SPARROW_CORRUPT 3          /* an index file failed its checks */
#define SPARROW_IO 4               /* the file system refused */
#define SPARROW_BUFFER_TOO_SMALL 5 /* an id did not fit id_width; *needed_id_width says what does */
#define SPARROW_LOCKED 6           /* another writer holds the index directory */
#define SPARROW_READ_ONLY 7        /* a write to an index built in memory or opened read-only */
#define SPARROW_INTERNAL 8         /* a bug in Sparrow; please report it */

typedef struct sparrow_index sparrow_index;     /* an index or live collection */
typedef struct sparrow_encoder sparrow_encoder; /* a SPLADE model */
typedef struct sparrow_vectors sparrow_vectors; /* vectors an encoder made */

/*
 * Sparse vectors as CSR rows: row i has the entries indptr[i] ..< indptr[i + 1]; entry j is the
 * term vocab[indices[j]] with weight values[j]. indptr has rows + 1 non-decreasing entries from 0;
 * every index is below vocab_size; weights are finite and non-negative; a term appears at most
 * once per row. A scipy CSR matrix with its vocabulary is exactly this; so is a list of
 * {term: weight} maps, with vocab the terms in order of appearance.
 */
typedef struct sparrow_csr {
    size_t rows;
    const int64_t *indptr;
    const uint32_t *indices;
    const float *values;
    const char *const *vocab;
    size_t vocab_size;
} sparrow_csr;

/* What an index holds. */
typedef struct sparrow_info {
    uint64_t documents; /* live documents */
    uint64_t terms;     /* distinct terms over all segments (a term in two segments counts twice) */
    uint64_t postings;
    uint64_t segments;
    uint64_t deleted;            /* deleted documents whose postings are still stored */
    uint64_t clustered_segments; /* segments with the clustered layout for approximate search */
    int32_t kind;                /* 0 sparse vectors, 1 text with BM25, 2 text encoded by a model */
    int32_t writable;            /* 1 for a collection on disk, 0 for an index built in memory */
} sparrow_info;

/* The message of the calling thread's last error ("" when there was none). Never NULL. */
const char *sparrow_last_error(void);

/* The library's version, e.g. "0.14.0". */
const char *sparrow_version(void);

/* --- Opening and building ------------------------------------------------------------------- */

/* Opens the index or collection at path for reading and writing (SPARROW_LOCKED if another
 * writer has it). options_json (NULL = defaults): {"fsync": "always" | "interval:MS" | "none"} for
 * the writes of this handle, or {"read_only": true} to open without taking the writer lock (any
 * number of read-only handles may search an index while one writer changes it; each sees the
 * index as it was when opened). */
int sparrow_open(const char *path, const char *options_json, sparrow_index **out);

/* Creates an empty collection at path with settings_json ({} = sparse vectors; {"text": true} =
 * text with BM25; {"encoder": "splade:MODEL_DIR"} = text encoded by that model; "layout",
 * "block_size", "range_size", "reorder", "fsync", "clustered" as for the server). Refused when
 * path already holds an index. */
int sparrow_create(const char *path, const char *settings_json, sparrow_index **out);

/* Builds an index of the rows of vectors, row i with id ids[i] (unique). With path NULL the index
 * lives in memory and is read-only; otherwise it is written at path (replacing any index there)
 * and opened as a collection. A bad row is reported with its number and term; nothing is written. */
int sparrow_build(const char *path, const char *const *ids, const sparrow_csr *vectors,
                  const char *settings_json, sparrow_index **out);

/* Builds an index of n texts: with BM25 unless settings_json names an "encoder". */
int sparrow_build_text(const char *path, const char *const *ids, const char *const *texts, size_t n,
                       const char *settings_json, sparrow_index **out);

/* Commits outstanding writes (the log is already durable per the fsync policy), then frees the
 * handle, which must not be used again. Closing NULL does nothing. */
int sparrow_close(sparrow_index *index);

/* --- Writing (collections on disk) ---------------------------------------------------------- */

/* Inserts the rows of vectors, replacing documents with the same ids. The batch is applied whole
 * or not at all. added/replaced may be NULL. */
int sparrow_upsert(sparrow_index *index, const char *const *ids, const sparrow_csr *vectors,
                   uint64_t *added, uint64_t *replaced);

/* Inserts n texts (analysed, or encoded by the collection's model), replacing same ids. */
int sparrow_upsert_text(sparrow_index *index, const char *const *ids, const char *const *texts, size_t n,
                        uint64_t *added, uint64_t *replaced);

/* Deletes the documents with these ids; *deleted (may be NULL) is how many there were. */
int sparrow_delete(sparrow_index *index, const char *const *ids, size_t n, uint64_t *deleted);

/* Writes buffered documents as a segment and records it; searches see writes before that. */
int sparrow_commit(sparrow_index *index);

/* --- Searching ------------------------------------------------------------------------------ */

/*
 * Searches with each row of queries on up to `threads` threads (0 = one per core) and writes, for
 * query i, its counts[i] <= k hits best first: hit j's score at scores[i * k + j] and its id at
 * ids + (i * k + j) * id_width, NUL-padded (not terminated when it fills the slot; numpy's "S"
 * dtype is exactly this). Slots after counts[i] are zeroed. When an id is longer than id_width,
 * returns SPARROW_BUFFER_TOO_SMALL with *needed_id_width (may be NULL) set to the width needed.
 * options_json: {"algorithm": "maxscore"}, {"recall": 0.95}, {"query_cut": 5, "heap_factor": 0.9},
 * {"alpha": 0.9, "beta": 0.8}.
 */
int sparrow_search(sparrow_index *index, const sparrow_csr *queries, size_t k, const char *options_json,
                   size_t threads, char *ids, size_t id_width, float *scores, uint32_t *counts,
                   size_t *needed_id_width);

/* As sparrow_search, with n text queries: analysed in a BM25 collection, encoded with the
 * collection's model in an encoded one. */
int sparrow_search_text(sparrow_index *index, const char *const *texts, size_t n, size_t k,
                        const char *options_json, size_t threads, char *ids, size_t id_width,
                        float *scores, uint32_t *counts, size_t *needed_id_width);

/* Fills *out with what the index holds now. */
int sparrow_stats(sparrow_index *index, sparrow_info *out);

/* --- Sharded text collections ---------------------------------------------------------------- */

/*
 * A shard's BM25 statistics as JSON, {"documents": N, "total_terms": T, "df": {"term": n, ...}},
 * written into json (capacity bytes, NUL-terminated); *needed (may be NULL) is the size needed,
 * terminator included, and SPARROW_BUFFER_TOO_SMALL is returned when it is over capacity. Sum them
 * over the shards and give the sum to each with sparrow_set_global_statistics.
 */
int sparrow_corpus_statistics(sparrow_index *index, char *json, size_t capacity, size_t *needed);

/* Scores this shard with a whole collection's statistics (JSON as above) from now on, so that a
 * merged top-k equals one index's. NULL or "" returns to the shard's own statistics. */
int sparrow_set_global_statistics(sparrow_index *index, const char *json);

/* --- Encoding -------------------------------------------------------------------------------- */

/* Loads the SPLADE model in model_dir (max_length word pieces per text, 0 = 256). */
int sparrow_encoder_open(const char *model_dir, size_t max_length, sparrow_encoder **out);

/* Encodes n texts on `threads` threads (0 = one per core) into *out. */
int sparrow_encode(sparrow_encoder *encoder, const char *const *texts, size_t n, size_t threads,
                   sparrow_vectors **out);

/* The encoder's output as CSR: valid until sparrow_vectors_free. */
int sparrow_vectors_csr(const sparrow_vectors *vectors, sparrow_csr *out);

/* Free what sparrow_encode and sparrow_encoder_open made; NULL does nothing. */
int sparrow_vectors_free(sparrow_vectors *vectors);
int sparrow_encoder_free(sparrow_encoder *encoder);

#ifdef __cplusplus
}
#endif

#endif /* SPARROW_H */
