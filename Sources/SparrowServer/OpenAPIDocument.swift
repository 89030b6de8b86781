/// The OpenAPI 3.1 document of the API, served at `/openapi.json`. `docs/openapi.json` is the same
/// text (a test checks it), for readers and tools.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Sparrow",
    "version": "1.0.0",
    "description": "Sparse retrieval as a service: collections of sparse vectors, BM25 text or text encoded by a SPLADE model; upserts that are durable when acknowledged; exact top-k search, or approximate search holding a stated recall. Every error is JSON: {\"error\": {\"code\", \"message\", \"field\"}}, where field is the JSON path of the member at fault. With --api-key, every operation but /health and the page needs Authorization: Bearer <key>."
  },
  "servers": [{"url": "http://127.0.0.1:7700"}],
  "security": [{"bearer": []}, {}],
  "paths": {
    "/health": {
      "get": {
        "operationId": "health", "summary": "Liveness", "security": [],
        "responses": {"200": {"description": "The process answers", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}
      }
    },
    "/ready": {
      "get": {
        "operationId": "ready", "summary": "Readiness: every collection is open",
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "collections"], "properties": {"status": {"type": "string"}, "collections": {"type": "integer"}}}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics", "summary": "Prometheus metrics: requests and latency per route, searches answered on the event loop (sparrow_event_loop_searches), documents, segments, merges, log size",
        "responses": {
          "200": {"description": "Prometheus text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi", "summary": "This document",
        "responses": {
          "200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections": {
      "get": {
        "operationId": "listCollections", "summary": "Every collection with its statistics",
        "responses": {
          "200": {"description": "The collections", "content": {"application/json": {"schema": {"type": "object", "required": ["collections"], "properties": {"collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}}}}}}},
          "401": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections/{name}": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "put": {
        "operationId": "createCollection", "summary": "Create a collection",
        "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CollectionSettings"}}}},
        "responses": {
          "201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Collection"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}
        }
      },
      "get": {
        "operationId": "getCollection", "summary": "A collection's counts, segments, size and settings",
        "responses": {
          "200": {"description": "The collection", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Collection"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "operationId": "deleteCollection", "summary": "Delete a collection and its files",
        "responses": {
          "200": {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "string"}}}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections/{name}/documents": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "post": {
        "operationId": "upsertDocuments", "summary": "Add or replace documents (upsert by id); answered once the batch is in the write-ahead log",
        "description": "A JSON array, or NDJSON (one object per line). The batch is applied as one: any bad document rejects all of it, and the error names it (documents[i]).",
        "requestBody": {"required": true, "content": {
          "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}}},
          "application/x-ndjson": {"schema": {"type": "string"}}
        }},
        "responses": {
          "200": {"description": "Applied and durable", "content": {"application/json": {"schema": {"type": "object", "required": ["added", "replaced", "took_us"], "properties": {"added": {"type": "integer"}, "replaced": {"type": "integer"}, "took_us": {"type": "integer"}}}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections/{name}/documents/delete": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "post": {
        "operationId": "deleteDocuments", "summary": "Delete documents by id (ids not held are not an error)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["ids"], "additionalProperties": false, "properties": {"ids": {"type": "array", "items": {"$ref": "#/components/schemas/DocumentID"}}}}}}},
        "responses": {
          "200": {"description": "How many were deleted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections/{name}/documents/{id}": {
      "parameters": [{"$ref": "#/components/parameters/name"}, {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "operationId": "getDocument", "summary": "A document: its stored content and its vector as scored",
        "responses": {
          "200": {"description": "The document", "content": {"application/json": {"schema": {"type": "object", "required": ["id", "content", "vector"], "properties": {"id": {"type": "string"}, "content": {"type": ["string", "null"]}, "vector": {"$ref": "#/components/schemas/Vector"}}}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"}
        }
      },
      "delete": {
        "operationId": "deleteDocument", "summary": "Delete one document",
        "responses": {
          "200": {"description": "Deleted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections/{name}/search": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "post": {
        "operationId": "search", "summary": "The exact top k by dot product",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Query"}}}},
        "responses": {
          "200": {"description": "Ranked hits", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/collections/{name}/search/batch": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "post": {
        "operationId": "searchBatch", "summary": "Many queries in one request, answered in order",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["queries"], "additionalProperties": false, "properties": {"queries": {"type": "array", "items": {"$ref": "#/components/schemas/Query"}}}}}}},
        "responses": {
          "200": {"description": "One result per query", "content": {"application/json": {"schema": {"type": "object", "required": ["results", "took_us"], "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/SearchResult"}}, "took_us": {"type": "integer"}}}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
    },
    "responses": {
      "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "invalid_json, invalid_request, not_found, conflict, unauthorized, payload_too_large, timeout, method_not_allowed, internal"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "The JSON path of the member at fault, e.g. documents[17].vector.foo"}}}}},
      "DocumentID": {"oneOf": [{"type": "string", "pattern": "^[^\\u0000-\\u0020\\u007f]+$"}, {"type": "integer"}]},
      "Vector": {"type": "object", "description": "token: weight; weights are finite, non-negative and fit a 32-bit float", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 3.4028234663852886e+38}},
      "Document": {"type": "object", "required": ["id"], "additionalProperties": false, "oneOf": [{"required": ["vector"]}, {"required": ["text"]}], "properties": {
        "id": {"$ref": "#/components/schemas/DocumentID"},
        "vector": {"$ref": "#/components/schemas/Vector"},
        "text": {"type": "string", "description": "For text (BM25) and encoded collections"},
        "content": {"type": "string", "description": "Stored and returned with hits (a text document stores its text unless content is given)"}}},
      "Query": {"type": "object", "additionalProperties": false, "oneOf": [{"required": ["vector"]}, {"required": ["text"]}], "properties": {
        "vector": {"$ref": "#/components/schemas/Vector"},
        "text": {"type": "string"},
        "k": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10, "description": "At most the server's --max-k (1000 unless set)"},
        "algorithm": {"type": "string", "enum": ["exhaustive-taat", "exhaustive-daat", "maxscore", "wand", "block-max-wand", "block-max-maxscore", "bmp", "range-taat", "clustered"]},
        "content": {"type": "boolean", "default": true, "description": "Return each hit's stored content"},
        "recall": {"type": "number", "enum": [0.9, 0.95, 0.99], "description": "Search holding this recall@10 floor: 0.9 and 0.95 run the clustered algorithm with measured knobs (exact on segments without the clustered layout), 0.99 exact search"},
        "query_cut": {"type": "integer", "minimum": 1, "maximum": 100000, "description": "clustered: visit the blocks of only this many of the heaviest query terms"},
        "heap_factor": {"type": "number", "exclusiveMinimum": 0, "description": "clustered: skip a block whose bound is below heap_factor times the k-th score (1: exact with exact summaries)"},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "bmp: visit ranges while alpha times their bound reaches the k-th score"},
        "beta": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "description": "bmp: keep the ceil(beta x |q|) heaviest query terms"}}},
      "SearchResult": {"type": "object", "required": ["hits", "took_us"], "properties": {
        "hits": {"type": "array", "items": {"type": "object", "required": ["id", "score"], "properties": {"id": {"type": "string"}, "score": {"type": "number"}, "content": {"type": ["string", "null"]}}}},
        "took_us": {"type": "integer"}}},
      "Deleted": {"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "integer"}}},
      "CollectionSettings": {"type": "object", "additionalProperties": false, "properties": {
        "text": {"oneOf": [{"type": "boolean"}, {"type": "object", "additionalProperties": false, "properties": {"analyzer": {"type": "string", "enum": ["english", "standard", "simple", "whitespace"]}, "k1": {"type": "number", "minimum": 0}, "b": {"type": "number", "minimum": 0, "maximum": 1}}}]},
        "encoder": {"type": "string", "pattern": "^splade:.+", "description": "splade:MODEL_DIR"},
        "block_size": {"type": "integer", "minimum": 1, "maximum": 65536},
        "range_size": {"type": "integer", "minimum": 0, "maximum": 256},
        "reorder": {"type": "boolean"},
        "layout": {"type": "string", "enum": ["inverted", "clustered"], "default": "inverted", "description": "clustered adds Seismic-style blocks with summaries and a forward index to segments of at least clustered.min_documents documents, for approximate search (not for text collections)"},
        "clustered": {"type": "object", "additionalProperties": false, "description": "With layout clustered: how its segments are built", "properties": {
          "postings_per_term": {"type": "integer", "minimum": 0, "description": "Postings kept per term, heaviest first (0: all; default 2000 + documents/2000, plus 1 per 1800 documents beyond 1M: 2500 at 1M, 12000 at 10M)"},
          "block_fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.1},
          "summary_mass": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8},
          "k_means_rounds": {"type": "integer", "minimum": 0, "maximum": 100, "default": 3, "description": "Rounds of k-means refining the random centroids of each list's blocks (0: Seismic's assignment)"},
          "seed": {"type": "integer", "minimum": 0, "default": 42},
          "min_documents": {"type": "integer", "minimum": 0, "default": 10000},
          "summaries_by_term": {"type": "boolean", "default": true, "description": "Store the summaries by term (faster approximate search); false stores them by block"},
          "records_by_block": {"type": "boolean", "default": true, "description": "Store the compact forward records in block order (fewer pages per candidate); false stores them in document order"}}},
        "fsync": {"type": "string", "pattern": "^(always|none|interval:[0-9]+)$", "description": "When this collection's write-ahead log is forced to disk; the server's --fsync when absent"}}},
      "Collection": {"type": "object", "required": ["name", "kind", "documents", "deleted", "segments", "terms", "postings", "size_bytes", "log_bytes", "buffered_documents", "merges_completed", "merging", "settings"], "properties": {
        "name": {"type": "string"}, "kind": {"type": "string", "enum": ["vectors", "text", "encoded"]},
        "documents": {"type": "integer"}, "deleted": {"type": "integer"}, "segments": {"type": "integer"},
        "terms": {"type": "integer"}, "postings": {"type": "integer"}, "size_bytes": {"type": "integer"},
        "log_bytes": {"type": "integer"}, "buffered_documents": {"type": "integer"}, "merges_completed": {"type": "integer"},
        "merging": {"type": "boolean"}, "settings": {"type": "object"}}}
    }
  }
}
"""#
}
