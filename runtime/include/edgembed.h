/*
 * edgembed.h: the C API of edgembed, text embeddings on the CPU. Pure C99; link libedgembed.so or
 * libedgembed.a (find_package(edgembed CONFIG) or pkg-config edgembed).
 *
 * Usage:
 *
 *     edgembed_model* model = NULL;
 *     edgembed_context* ctx = NULL;
 *     edgembed_model_info info = edgembed_model_default_info();
 *     const char* texts[] = {"edgembed runs on phones.", "So does this sentence."};
 *     float* vectors;
 *
 *     if (edgembed_model_load("model.edgembed", NULL, &model) != EDGEMBED_OK) {
 *         fprintf(stderr, "%s\n", edgembed_last_error());
 *         return 1;
 *     }
 *     edgembed_model_get_info(model, &info);
 *     edgembed_context_create(model, &ctx);
 *     vectors = malloc(2 * (size_t)info.dimension * sizeof(float));
 *     if (edgembed_embed(ctx, texts, NULL, 2, NULL, vectors, 2 * (size_t)info.dimension, NULL) != EDGEMBED_OK)
 *         fprintf(stderr, "%s\n", edgembed_context_last_error(ctx));
 *     ... vectors[0 .. dimension) is texts[0], vectors[dimension .. 2 * dimension) is texts[1] ...
 *     free(vectors);
 *     edgembed_context_free(ctx);
 *     edgembed_model_free(model);
 *
 * Thread safety:
 * - An edgembed_model is immutable once loaded: share one model between any number of threads.
 * - An edgembed_context holds per-run scratch memory: use one context per thread (a context may move
 *   between threads, but two threads must not use it at the same time; a call that finds its context
 *   busy fails with EDGEMBED_INVALID_ARGUMENT rather than corrupting it).
 * - A context keeps its model alive: edgembed_model_free() may be called while contexts of the model
 *   exist; the weights are released with the last of them.
 * - Errors: every fallible call returns an edgembed_status and writes its results through pointers.
 *   A failed call stores its error text in a thread-local last error (edgembed_last_error()), and a
 *   call on a context also in that context (edgembed_context_last_error()). A call clears the text it
 *   would set before it starts, so after a success the text is "".
 * - edgembed_set_log_callback() and edgembed_set_isa_cap() are process-wide settings; call them
 *   before starting worker threads.
 *
 * Versioning of parameter and info structs: each starts with a size_t struct_size, which the caller
 * sets (the *_default_* functions do). A library reading a smaller struct (an older caller) uses only
 * the prefix it was given and defaults for the rest; a larger struct (a newer caller) is accepted
 * when the fields this library does not know are zero. A struct_size below the first released size
 * (0 included) is EDGEMBED_INVALID_ARGUMENT. Status values and enum values are never reused.
 */
#ifndef EDGEMBED_H
#define EDGEMBED_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(EDGEMBED_SHARED)
#if defined(EDGEMBED_BUILDING)
#define EDGEMBED_API __declspec(dllexport)
#else
#define EDGEMBED_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define EDGEMBED_API __attribute__((visibility("default")))
#else
#define EDGEMBED_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; edgembed_version() gives the library's. */
#define EDGEMBED_VERSION_MAJOR 0
#define EDGEMBED_VERSION_MINOR 3
#define EDGEMBED_VERSION_PATCH 0

/* Status codes: explicit values, never reused (the same values as edgembed::Status inside). */
typedef enum edgembed_status {
    EDGEMBED_OK = 0,
    EDGEMBED_INVALID_ARGUMENT = 1,         /* a NULL pointer, a bad struct_size, a too small buffer, ... */
    EDGEMBED_FILE_NOT_FOUND = 2,
    EDGEMBED_IO_ERROR = 3,
    EDGEMBED_CORRUPT_MODEL_FILE = 4,
    EDGEMBED_UNSUPPORTED_VERSION = 5,      /* model file format version */
    EDGEMBED_UNSUPPORTED_ARCHITECTURE = 6,
    EDGEMBED_INVALID_CHECKPOINT = 7,       /* converter input */
    EDGEMBED_INVALID_CONFIG = 8,
    EDGEMBED_INVALID_WEIGHTS = 9,
    EDGEMBED_INVALID_UTF8 = 10,            /* a text is not valid UTF-8 (the message names text and byte) */
    EDGEMBED_LIMIT_EXCEEDED = 11,
    EDGEMBED_OUT_OF_MEMORY = 12,
    EDGEMBED_INTERNAL_ERROR = 13
} edgembed_status;

/* A short constant description ("ok", "file not found", ...); "unknown status" for other values. */
EDGEMBED_API const char* edgembed_status_string(edgembed_status status);

/* The error text of the calling thread's last failed call ("" when its last call succeeded). Valid
 * until the thread's next edgembed call. Never NULL. */
EDGEMBED_API const char* edgembed_last_error(void);

/* "0.3.0": the library's version (compare with EDGEMBED_VERSION_* of the header you compiled with). */
EDGEMBED_API const char* edgembed_version(void);
/* The library's version numbers; any pointer may be NULL. */
EDGEMBED_API void edgembed_version_numbers(int* major, int* minor, int* patch);

/* ---- Logging ---- */

typedef enum edgembed_log_level {
    EDGEMBED_LOG_DEBUG = 0,
    EDGEMBED_LOG_INFO = 1,
    EDGEMBED_LOG_WARN = 2,
    EDGEMBED_LOG_ERROR = 3
} edgembed_log_level;

/* message is one line without a trailing newline, valid during the call only. The callback may be
 * called from any thread that calls into edgembed. */
typedef void (*edgembed_log_callback)(edgembed_log_level level, const char* message, void* user_data);

/* Sets the process-wide log callback; NULL (the default) logs nothing. */
EDGEMBED_API void edgembed_set_log_callback(edgembed_log_callback callback, void* user_data);

/* ---- Instruction set ---- */

/* Caps the SIMD instruction set used by the kernels, process-wide: "scalar", "sse2", "avx2",
 * "avx512bw" or "neon64" (the same names as the EDGEMBED_FORCE_ISA environment variable).
 * EDGEMBED_INVALID_ARGUMENT when the name is unknown or this CPU or build lacks that ISA. */
EDGEMBED_API edgembed_status edgembed_set_isa_cap(const char* isa);
/* The ISA in use (after EDGEMBED_FORCE_ISA and edgembed_set_isa_cap()); *isa_out is a constant string.
 * Fails when EDGEMBED_FORCE_ISA names an unknown or unavailable ISA. */
EDGEMBED_API edgembed_status edgembed_active_isa(const char** isa_out);

/* ---- Model ---- */

typedef struct edgembed_model edgembed_model;

typedef struct edgembed_model_params {
    size_t struct_size; /* sizeof(edgembed_model_params) */
    uint32_t flags;     /* reserved for load options; must be 0 */
} edgembed_model_params;

EDGEMBED_API edgembed_model_params edgembed_model_default_params(void);

/* Loads (memory-maps) a model file written by edgembed-convert and validates it. params may be NULL
 * (defaults). On success *model_out is the model; on failure it is NULL. */
EDGEMBED_API edgembed_status edgembed_model_load(const char* path, const edgembed_model_params* params,
                                                 edgembed_model** model_out);
/* The same from a model file's bytes in memory; the buffer is copied, so the caller may free it as
 * soon as the call returns. */
EDGEMBED_API edgembed_status edgembed_model_load_from_memory(const void* data, size_t size,
                                                             const edgembed_model_params* params,
                                                             edgembed_model** model_out);
/* NULL is allowed. */
EDGEMBED_API void edgembed_model_free(edgembed_model* model);

typedef enum edgembed_pooling {
    EDGEMBED_POOLING_MEAN = 0,
    EDGEMBED_POOLING_CLS = 1,
    EDGEMBED_POOLING_MAX = 2,
    EDGEMBED_POOLING_LAST_TOKEN = 3 /* the last token's state (Qwen3-Embedding) */
} edgembed_pooling;

typedef struct edgembed_model_info {
    size_t struct_size;           /* set by the caller: sizeof(edgembed_model_info) */
    int dimension;                /* floats per embedding (after any Dense module) */
    int max_length;               /* default tokens per text, specials included (max_seq_length) */
    int max_position_embeddings;  /* the largest max_length an embed call may ask for */
    edgembed_pooling pooling;
    int normalize;                /* 1 when embeddings are L2-normalized by default */
    float default_temperature;    /* TempScale tau used when the call does not set one; 1 = unmodified */
    const char* architecture;     /* "bert"; owned by the model, valid while it lives */
    const char* weight_dtype;     /* "f32", "f16", "int8"; owned by the model */
    int vocab_size;
    int num_layers;
    uint32_t file_format_version; /* the model file's format version */
    /* Added in 0.2.0 (a 0.1.0 caller's smaller struct_size still works; these are then not written): */
    const char* auto_temperature; /* the setting edgembed_embed_params.auto_temperature applies, e.g.
                                     "tau=1 layers=1,1,1,0.8,0.8,0.8"; "" when the model stores none;
                                     owned by the model */
    /* Added in 0.3.0: */
    const char* default_prompt_name; /* the prompt an embed call uses when it names none; "" when the
                                        model has none; owned by the model */
} edgembed_model_info;

/* An info struct with struct_size set and every other field zero. */
EDGEMBED_API edgembed_model_info edgembed_model_default_info(void);
/* Fills *info (the first info->struct_size bytes of it). */
EDGEMBED_API edgembed_status edgembed_model_get_info(const edgembed_model* model, edgembed_model_info* info);

/* Prompts (added in 0.3.0): texts prepended to each input before tokenizing, by name, as
 * sentence-transformers stores them (config_sentence_transformers.json "prompts", e.g. "query" ->
 * "query: "). *count_out is the number of prompts; edgembed_model_prompt_at() gives the index-th
 * (0 <= index < count, ordered by name): name and text owned by the model, valid while it lives. */
EDGEMBED_API edgembed_status edgembed_model_prompt_count(const edgembed_model* model, size_t* count_out);
EDGEMBED_API edgembed_status edgembed_model_prompt_at(const edgembed_model* model, size_t index,
                                                      const char** name_out, const char** text_out);

/* ---- Context ---- */

typedef struct edgembed_context edgembed_context;

/* A context for one thread at a time; it holds a reference to the model. */
EDGEMBED_API edgembed_status edgembed_context_create(const edgembed_model* model, edgembed_context** ctx_out);
/* NULL is allowed. */
EDGEMBED_API void edgembed_context_free(edgembed_context* ctx);
/* The error text of the context's last failed call ("" when its last call succeeded); valid until the
 * context's next call. Never NULL (for a NULL ctx: the thread's last error). */
EDGEMBED_API const char* edgembed_context_last_error(const edgembed_context* ctx);

typedef struct edgembed_embed_params {
    size_t struct_size; /* sizeof(edgembed_embed_params) */
    float temperature;  /* TempScale tau, > 0; 0 = the model's default_temperature */
    int max_length;     /* tokens per text incl. specials, in [2, max_position_embeddings]; 0 = the model's */
    int threads;        /* worker threads; 0 = leave the current count (all cores unless changed) */
    int batch_size;     /* texts per forward pass (default 32); the results do not depend on it */
    int normalize;      /* -1 = as the model says (default), 0 = off, 1 = L2-normalize */
    /* Added in 0.2.0, past the 0.1.0 layout's end (a 0.1.0 caller's struct_size gets the defaults): */
    const float* layer_temperatures; /* NULL, or one factor on tau per layer (model info num_layers) */
    size_t layer_temperature_count;  /* entries in layer_temperatures */
    size_t max_batch_tokens;     /* limit per forward pass, 0 = none: batches are cut smaller to fit; a
                                    single text (window) over it is EDGEMBED_LIMIT_EXCEEDED */
    size_t max_workspace_bytes;  /* the context's working memory per forward pass, 0 = none; same rule */
    int auto_temperature;        /* 1 = the model's stored label-free setting (model info auto_temperature)
                                    for tau, length scale and layer factors; then leave those unset */
    int long_input;              /* texts over max_length: EDGEMBED_LONG_INPUT_TRUNCATE (default) or _WINDOW */
    int window_stride;           /* windows: pieces between window starts; 0 = half a window */
    int length_scale_reference;  /* length-aware temperature N0: a text (window) of n > N0 tokens gets its */
    float length_scale_exponent; /* attention logits times (ln n / ln N0)^exponent (default 1); N0 = 0: off */
    /* Added in 0.3.0: a prompt prepended to every text before tokenizing (it counts towards max_length and
       is truncated with the text, as in sentence-transformers). An unknown prompt_name is
       EDGEMBED_INVALID_ARGUMENT naming it and listing the model's prompts. */
    const char* prompt_name; /* NULL: the model's default_prompt_name, if any */
    const char* prompt;      /* literal prefix, overrides prompt_name ("" = no prompt at all) */
} edgembed_embed_params;

enum { EDGEMBED_LONG_INPUT_TRUNCATE = 0, EDGEMBED_LONG_INPUT_WINDOW = 1 };

EDGEMBED_API edgembed_embed_params edgembed_embed_default_params(void);

typedef struct edgembed_embed_stats {
    size_t struct_size; /* set by the caller: sizeof(edgembed_embed_stats) */
    size_t texts;
    size_t tokens;      /* model input tokens, specials included */
    size_t truncated;   /* texts cut at max_length */
    /* Added in 0.2.0: */
    size_t windowed;    /* texts embedded as several windows (long_input = EDGEMBED_LONG_INPUT_WINDOW) */
    size_t windows;     /* sequences run in all: one per text, or its windows */
} edgembed_embed_stats;

/* Pass as a length: the text ends at its first NUL byte. */
#define EDGEMBED_NUL_TERMINATED ((size_t)-1)

/*
 * Embeds count UTF-8 texts into out, row after row: out[i * dimension .. (i + 1) * dimension) is
 * texts[i]. lengths may be NULL (every text NUL-terminated) or give each text's byte length
 * (EDGEMBED_NUL_TERMINATED allowed per text; a text may then contain NUL bytes). out_capacity is the
 * number of floats out holds; less than count * dimension is EDGEMBED_INVALID_ARGUMENT (the message
 * states the size needed) and nothing is written. params and stats_out may be NULL. Invalid UTF-8 is
 * EDGEMBED_INVALID_UTF8 naming the text and byte. On failure the contents of out are unspecified.
 */
EDGEMBED_API edgembed_status edgembed_embed(edgembed_context* ctx, const char* const* texts, const size_t* lengths,
                                            size_t count, const edgembed_embed_params* params, float* out,
                                            size_t out_capacity, edgembed_embed_stats* stats_out);

/*
 * Added in 0.3.0. Embeds count inputs given as token ids: token_ids[i][0 .. lengths[i]) are the pieces of
 * a text as the model's tokenizer makes them, without special tokens (what edgembed_tokenize gives
 * minus its [CLS] / [SEP] ends). Each is treated as that text: the prompt's pieces go first, the pieces
 * are cut at max_length with the model's special tokens around them, so an input gives the same vector
 * as its text. An id outside [0, vocab_size) is EDGEMBED_INVALID_ARGUMENT naming input and position.
 * long_input must be EDGEMBED_LONG_INPUT_TRUNCATE. out, out_capacity, params and stats_out as in
 * edgembed_embed.
 */
EDGEMBED_API edgembed_status edgembed_embed_tokens(edgembed_context* ctx, const int32_t* const* token_ids,
                                                   const size_t* lengths, size_t count,
                                                   const edgembed_embed_params* params, float* out,
                                                   size_t out_capacity, edgembed_embed_stats* stats_out);

/*
 * Added in 0.3.0. The final hidden state of every model input token of one UTF-8 text, before pooling
 * and never normalized (sentence-transformers' output_value="token_embeddings"), token after token:
 * out[t * dimension .. (t + 1) * dimension) is token t of [CLS] prompt-and-text pieces [SEP] (dimension: the
 * encoder's hidden size, which differs from edgembed_model_info.dimension only for a model whose
 * sentence-transformers Dense modules change the width after pooling; none of the README's do), truncated at
 * max_length (long_input must be EDGEMBED_LONG_INPUT_TRUNCATE). length may be EDGEMBED_NUL_TERMINATED;
 * params may be NULL. *token_count_out is set to the number of tokens whenever the text embeds, also
 * when out is too small: then the call returns EDGEMBED_INVALID_ARGUMENT stating the floats needed (a
 * buffer of max_length x dimension floats always suffices). out == NULL with out_capacity == 0 asks for
 * the count only (it runs the model all the same) and returns EDGEMBED_OK.
 */
EDGEMBED_API edgembed_status edgembed_token_embeddings(edgembed_context* ctx, const char* text, size_t length,
                                                       const edgembed_embed_params* params, float* out,
                                                       size_t out_capacity, size_t* token_count_out);

/*
 * The model input ids of one UTF-8 text ([CLS] pieces [SEP], cut at max_length ids; 0 = the model's
 * max_length) into ids[0 .. *count_out). length may be EDGEMBED_NUL_TERMINATED. *count_out is set to
 * the number of ids whenever the text tokenizes, also when ids is too small: then the call returns
 * EDGEMBED_INVALID_ARGUMENT stating the count needed. ids == NULL with capacity == 0 asks for the
 * count only and returns EDGEMBED_OK.
 */
EDGEMBED_API edgembed_status edgembed_tokenize(edgembed_context* ctx, const char* text, size_t length, int max_length,
                                               int32_t* ids, size_t capacity, size_t* count_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEMBED_H */
