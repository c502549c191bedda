/* Tests of the C API, compiled as C99 (-pedantic -Werror): errors, struct_size checks, buffer
 * capacities, invalid UTF-8, batch = single, model info, status strings, loading from memory.
 * Usage: test_c_api MODEL. Prints "N passed, M failed" last; exits 1 on a failure. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgembed.h"

static int g_passed = 0;
static int g_failed = 0;
static const char* g_model_path = NULL;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            ++g_passed;                                                                \
        } else {                                                                       \
            ++g_failed;                                                                \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);         \
            fprintf(stderr, "    last error: %s\n", edgembed_last_error());            \
        }                                                                              \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                                   \
    do {                                                                                               \
        edgembed_status got_ = (expr);                                                                 \
        if (got_ == (expected)) {                                                                      \
            ++g_passed;                                                                                \
        } else {                                                                                       \
            ++g_failed;                                                                                \
            fprintf(stderr, "%s:%d: FAILED: %s returned %d (%s), expected %s\n    last error: %s\n", __FILE__, \
                    __LINE__, #expr, (int)got_, edgembed_status_string(got_), #expected, edgembed_last_error());   \
        }                                                                                              \
    } while (0)

/* Each test group prints its name and time as it ends (a slow group is visible under an emulator too). */
#define RUN(call)                                                                                  \
    do {                                                                                           \
        clock_t start_ = clock();                                                                  \
        call;                                                                                      \
        printf("%-55s %8.2f s CPU\n", #call, (double)(clock() - start_) / CLOCKS_PER_SEC);         \
        fflush(stdout);                                                                            \
    } while (0)

static int contains(const char* text, const char* part) { return text != NULL && strstr(text, part) != NULL; }

static edgembed_model* load_model(void) {
    edgembed_model* model = NULL;
    if (edgembed_model_load(g_model_path, NULL, &model) != EDGEMBED_OK) {
        fprintf(stderr, "cannot load %s: %s\n", g_model_path, edgembed_last_error());
        exit(1);
    }
    return model;
}

static int dimension_of(const edgembed_model* model) {
    edgembed_model_info info = edgembed_model_default_info();
    if (edgembed_model_get_info(model, &info) != EDGEMBED_OK) return 0;
    return info.dimension;
}

static void test_status_strings(void) {
    /* Every value, with the text edgembed::status_name gives it. */
    static const char* const expected[] = {"ok",
                                           "invalid argument",
                                           "file not found",
                                           "I/O error",
                                           "corrupt model file",
                                           "unsupported model file version",
                                           "unsupported architecture",
                                           "invalid checkpoint",
                                           "invalid config",
                                           "invalid weights",
                                           "invalid UTF-8",
                                           "limit exceeded",
                                           "out of memory",
                                           "internal error"};
    int i;
    CHECK(EDGEMBED_OK == 0 && EDGEMBED_INVALID_ARGUMENT == 1 && EDGEMBED_FILE_NOT_FOUND == 2 &&
          EDGEMBED_IO_ERROR == 3 && EDGEMBED_CORRUPT_MODEL_FILE == 4 && EDGEMBED_UNSUPPORTED_VERSION == 5 &&
          EDGEMBED_UNSUPPORTED_ARCHITECTURE == 6 && EDGEMBED_INVALID_CHECKPOINT == 7 &&
          EDGEMBED_INVALID_CONFIG == 8 && EDGEMBED_INVALID_WEIGHTS == 9 && EDGEMBED_INVALID_UTF8 == 10 &&
          EDGEMBED_LIMIT_EXCEEDED == 11 && EDGEMBED_OUT_OF_MEMORY == 12 && EDGEMBED_INTERNAL_ERROR == 13);
    for (i = EDGEMBED_OK; i <= EDGEMBED_INTERNAL_ERROR; ++i) {
        const char* s = edgembed_status_string((edgembed_status)i);
        CHECK(s != NULL && strcmp(s, expected[i]) == 0);
    }
    CHECK(strcmp(edgembed_status_string((edgembed_status)14), "unknown status") == 0);
    CHECK(strcmp(edgembed_status_string((edgembed_status)-1), "unknown status") == 0);
}

static void test_version(void) {
    int major = -1, minor = -1, patch = -1;
    char expected[32];
    edgembed_version_numbers(&major, &minor, &patch);
    CHECK(major == EDGEMBED_VERSION_MAJOR && minor == EDGEMBED_VERSION_MINOR && patch == EDGEMBED_VERSION_PATCH);
    sprintf(expected, "%d.%d.%d", major, minor, patch);
    CHECK(strcmp(edgembed_version(), expected) == 0);
    edgembed_version_numbers(NULL, NULL, NULL); /* NULLs allowed */
}

static void test_load_errors(void) {
    edgembed_model* model = (edgembed_model*)&g_passed; /* must be reset to NULL */
    edgembed_model_params params = edgembed_model_default_params();
    CHECK_STATUS(edgembed_model_load("/nonexistent/dir/model.edgembed", NULL, &model), EDGEMBED_FILE_NOT_FOUND);
    CHECK(model == NULL);
    CHECK(contains(edgembed_last_error(), "/nonexistent/dir/model.edgembed"));
    CHECK_STATUS(edgembed_model_load(NULL, NULL, &model), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_model_load(g_model_path, NULL, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_last_error(), "model_out"));

    params.struct_size = 0;
    CHECK_STATUS(edgembed_model_load(g_model_path, &params, &model), EDGEMBED_INVALID_ARGUMENT);
    CHECK(model == NULL && contains(edgembed_last_error(), "struct_size"));
    params = edgembed_model_default_params();
    params.flags = 1;
    CHECK_STATUS(edgembed_model_load(g_model_path, &params, &model), EDGEMBED_INVALID_ARGUMENT);

    /* Garbage bytes: corrupt model file, from memory too. */
    {
        static const char junk[64] = "this is not an edgembed model file";
        CHECK_STATUS(edgembed_model_load_from_memory(junk, sizeof junk, NULL, &model), EDGEMBED_CORRUPT_MODEL_FILE);
        CHECK(model == NULL && edgembed_last_error()[0] != '\0');
        CHECK_STATUS(edgembed_model_load_from_memory(NULL, 10, NULL, &model), EDGEMBED_INVALID_ARGUMENT);
    }
    /* A success clears the thread's last error. */
    model = load_model();
    CHECK(strcmp(edgembed_last_error(), "") == 0);
    edgembed_model_free(model);
    edgembed_model_free(NULL);
    edgembed_context_free(NULL);
}

static void test_info(const edgembed_model* model) {
    edgembed_model_info info = edgembed_model_default_info();
    edgembed_model_info small;
    CHECK(info.struct_size == sizeof info);
    CHECK_STATUS(edgembed_model_get_info(model, &info), EDGEMBED_OK);
    CHECK(info.struct_size == sizeof info);
    /* all-MiniLM-L6-v2 */
    CHECK(info.dimension == 384);
    CHECK(info.max_length == 256);
    CHECK(info.max_position_embeddings == 512);
    CHECK(info.pooling == EDGEMBED_POOLING_MEAN);
    CHECK(info.normalize == 1);
    CHECK(info.default_temperature > 0.0f);
    CHECK(info.architecture != NULL && strcmp(info.architecture, "bert") == 0);
    CHECK(info.weight_dtype != NULL && strcmp(info.weight_dtype, "f32") == 0);
    CHECK(info.vocab_size == 30522);
    CHECK(info.num_layers == 6);
    CHECK(info.file_format_version >= 1);

    memset(&small, 0, sizeof small);
    small.struct_size = 0;
    CHECK_STATUS(edgembed_model_get_info(model, &small), EDGEMBED_INVALID_ARGUMENT);
    small.struct_size = offsetof(edgembed_model_info, auto_temperature) - 1; /* shorter than 0.1.0's */
    CHECK_STATUS(edgembed_model_get_info(model, &small), EDGEMBED_INVALID_ARGUMENT);
    CHECK(small.dimension == 0); /* nothing written */
    /* A 0.1.0 caller: its fields are filled, the newer ones are not touched. */
    small.struct_size = offsetof(edgembed_model_info, auto_temperature);
    CHECK_STATUS(edgembed_model_get_info(model, &small), EDGEMBED_OK);
    CHECK(small.dimension == info.dimension && small.auto_temperature == NULL);
    CHECK(info.auto_temperature != NULL); /* "" or the stored setting */
    CHECK_STATUS(edgembed_model_get_info(NULL, &info), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_model_get_info(model, NULL), EDGEMBED_INVALID_ARGUMENT);
}

static void test_embed_params(const edgembed_model* model) {
    edgembed_context* ctx = NULL;
    const char* text = "hello";
    const int dim = dimension_of(model);
    float* out = malloc((size_t)dim * sizeof *out);
    edgembed_embed_params params = edgembed_embed_default_params();
    /* A newer caller's larger struct: accepted when the fields unknown here are zero. */
    struct {
        edgembed_embed_params known;
        int newer_field;
    } newer;

    CHECK(params.struct_size == sizeof params && params.batch_size == 32 && params.normalize == -1 &&
          params.temperature == 0.0f && params.max_length == 0 && params.threads == 0);
    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);

    params.struct_size = 0;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), "struct_size"));
    CHECK(contains(edgembed_last_error(), "struct_size"));
    params.struct_size = offsetof(edgembed_embed_params, layer_temperatures) - 1; /* shorter than 0.1.0's */
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    /* A 0.1.0 caller's struct, with garbage where the newer fields would be: they are not read. */
    memset(&params, 0xAB, sizeof params);
    {
        edgembed_embed_params defaults = edgembed_embed_default_params();
        memcpy(&params, &defaults, offsetof(edgembed_embed_params, layer_temperatures));
    }
    params.struct_size = offsetof(edgembed_embed_params, layer_temperatures);
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_OK);

    memset(&newer, 0, sizeof newer);
    newer.known = edgembed_embed_default_params();
    newer.known.struct_size = sizeof newer;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &newer.known, out, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(strcmp(edgembed_context_last_error(ctx), "") == 0);
    newer.newer_field = 7;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &newer.known, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), "does not know"));

    params = edgembed_embed_default_params();
    params.temperature = -1.0f;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    params = edgembed_embed_default_params();
    params.max_length = 513;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), "512"));
    params = edgembed_embed_default_params();
    params.batch_size = 0;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    params = edgembed_embed_default_params();
    params.normalize = 2;
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);

    /* NULL pointers */
    CHECK_STATUS(edgembed_embed(NULL, &text, NULL, 1, NULL, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_embed(ctx, NULL, NULL, 1, NULL, out, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, NULL, NULL, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    {
        const char* texts[2];
        texts[0] = "a";
        texts[1] = NULL;
        CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, NULL, out, (size_t)dim * 2, NULL), EDGEMBED_INVALID_ARGUMENT);
        CHECK(contains(edgembed_context_last_error(ctx), "texts[1]"));
    }
    /* No texts: nothing to do. */
    CHECK_STATUS(edgembed_embed(ctx, NULL, NULL, 0, NULL, NULL, 0, NULL), EDGEMBED_OK);

    edgembed_context_free(ctx);
    free(out);
}

/* The 0.2.0 fields: long-input windows, the length-aware and per-layer temperature, auto temperature,
 * limits. Sequences of at most 32 tokens keep this cheap under qemu and without oneDNN. */
static double max_abs_diff(const float* a, const float* b, size_t n) {
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; ++i)
        if (fabs((double)a[i] - b[i]) > m) m = fabs((double)a[i] - b[i]);
    return m;
}

/* Batch vs one text at a time: every kernel computes a row's outputs with the same operations whatever
 * the row count, so a text's vector has the same bits in any batch (as tests/python/test_vector_parity.py
 * checks for every weight format). */
#define BATCH_MAX_ABS_DIFF 0.0

static void test_embed_temperature_and_windows(const edgembed_model* model) {
    edgembed_context* ctx = NULL;
    edgembed_model_info info = edgembed_model_default_info();
    edgembed_embed_params params = edgembed_embed_default_params();
    edgembed_embed_stats stats;
    const int dim = dimension_of(model);
    float* out = malloc(2 * (size_t)dim * sizeof *out);
    float* plain = malloc(2 * (size_t)dim * sizeof *plain);
    float layers[6] = {1.0f, 1.0f, 1.0f, 0.8f, 0.8f, 0.8f};
    char* long_text = malloc(1000);
    const char* texts[2];
    size_t i;
    for (i = 0; i + 8 < 320; i += 8) memcpy(long_text + i, "cat dog ", 8); /* 78 word pieces */
    long_text[i] = '\0';
    texts[0] = long_text;
    texts[1] = "a short text";

    CHECK_STATUS(edgembed_model_get_info(model, &info), EDGEMBED_OK);
    CHECK(params.long_input == EDGEMBED_LONG_INPUT_TRUNCATE && params.auto_temperature == 0 &&
          params.length_scale_reference == 0 && params.length_scale_exponent == 1.0f &&
          params.layer_temperatures == NULL && params.layer_temperature_count == 0);
    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    params.max_length = 32;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, plain, 2 * (size_t)dim, NULL), EDGEMBED_OK);

    /* Windows: the long text becomes several, the short one stays one. */
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    params.long_input = EDGEMBED_LONG_INPUT_WINDOW;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, &stats), EDGEMBED_OK);
    CHECK(stats.texts == 2 && stats.truncated == 0 && stats.windowed == 1 && stats.windows > 2);
    /* The windows make the batch longer; the short text's vector does not change. */
    CHECK(max_abs_diff(out + dim, plain + dim, (size_t)dim) <= BATCH_MAX_ABS_DIFF);
    params.long_input = 2;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), "long_input"));

    /* Per-layer factors: one per layer, else a message naming the count. */
    params = edgembed_embed_default_params();
    params.max_length = 32;
    params.layer_temperatures = layers;
    params.layer_temperature_count = 5;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), "expected one per layer (6), got 5"));
    params.layer_temperature_count = 6;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(memcmp(out, plain, (size_t)dim * sizeof *out) != 0);
    params.layer_temperatures = NULL;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);

    /* Limits: batches are cut to fit; a text that cannot fit alone is EDGEMBED_LIMIT_EXCEEDED. */
    params = edgembed_embed_default_params();
    params.max_length = 32;
    params.max_batch_tokens = 16;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_LIMIT_EXCEEDED);
    CHECK(contains(edgembed_context_last_error(ctx), "text 0: a sequence of 32 tokens is over the limit of 16"));
    params.long_input = EDGEMBED_LONG_INPUT_WINDOW;
    params.max_length = 16;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_OK);
    params = edgembed_embed_default_params();
    params.max_length = 32;
    params.max_workspace_bytes = 1000;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_LIMIT_EXCEEDED);
    CHECK(contains(edgembed_context_last_error(ctx), "max_workspace_bytes"));

    /* Auto temperature: the model's stored setting; refused next to an explicit tau. */
    params = edgembed_embed_default_params();
    params.max_length = 32;
    params.auto_temperature = 1;
    if (info.auto_temperature != NULL && info.auto_temperature[0] != '\0') {
        CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_OK);
        if (strcmp(info.auto_temperature, "tau=1 layers=1,1,1,0.8,0.8,0.8") == 0) {
            /* the same bits as the same setting given by hand */
            float* by_hand = malloc(2 * (size_t)dim * sizeof *by_hand);
            edgembed_embed_params manual = edgembed_embed_default_params();
            manual.max_length = 32;
            manual.layer_temperatures = layers;
            manual.layer_temperature_count = 6;
            CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &manual, by_hand, 2 * (size_t)dim, NULL), EDGEMBED_OK);
            CHECK(memcmp(out, by_hand, 2 * (size_t)dim * sizeof *out) == 0);
            free(by_hand);
        }
        params.temperature = 0.5f;
        CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
        CHECK(contains(edgembed_context_last_error(ctx), "do not also give them"));
    } else {
        CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
        CHECK(contains(edgembed_context_last_error(ctx), "stores none"));
    }
    params = edgembed_embed_default_params();
    params.max_length = 32;
    params.auto_temperature = 2;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, &params, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);

    edgembed_context_free(ctx);
    free(long_text);
    free(plain);
    free(out);
}

static void test_embed_capacity(const edgembed_model* model) {
    edgembed_context* ctx = NULL;
    const char* texts[3] = {"one", "two", "three"};
    const int dim = dimension_of(model);
    float* out = malloc(3 * (size_t)dim * sizeof *out);
    size_t i;
    char needed[64];
    sprintf(needed, "need %d", 3 * dim);

    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    for (i = 0; i < 3 * (size_t)dim; ++i) out[i] = 42.0f;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 3, NULL, out, 3 * (size_t)dim - 1, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), needed));
    CHECK(out[0] == 42.0f && out[3 * (size_t)dim - 1] == 42.0f); /* nothing written */
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 3, NULL, out, 3 * (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(out[3 * (size_t)dim - 1] != 42.0f);
    edgembed_context_free(ctx);
    free(out);
}

static int all_finite_nonzero(const float* v, size_t n) {
    size_t i, nonzero = 0;
    for (i = 0; i < n; ++i) {
        if (!isfinite(v[i])) return 0;
        if (v[i] != 0.0f) ++nonzero;
    }
    return nonzero > n / 2;
}


static void test_embed_batch_equals_single(const edgembed_model* model) {
    static const char* const texts[4] = {"edgembed runs on phones.",
                                         "A man is playing a guitar.",
                                         "The quick brown fox jumps over the lazy dog, again and again and again.",
                                         "x"};
    const size_t n = 4;
    const int dim = dimension_of(model);
    float* batch = malloc(n * (size_t)dim * sizeof *batch);
    float* singles = malloc(n * (size_t)dim * sizeof *singles);
    float* single = malloc((size_t)dim * sizeof *single);
    edgembed_context* ctx = NULL;
    edgembed_embed_params params = edgembed_embed_default_params();
    edgembed_embed_stats stats;
    size_t i, j;
    double worst = 0.0;
    double norm = 0.0;

    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    params.threads = 1;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, n, &params, batch, n * (size_t)dim, &stats), EDGEMBED_OK);
    CHECK(stats.texts == n && stats.tokens > n * 2 && stats.truncated == 0);
    CHECK(all_finite_nonzero(batch, n * (size_t)dim));
    for (j = 0; j < (size_t)dim; ++j) norm += (double)batch[j] * batch[j];
    CHECK(fabs(norm - 1.0) < 1e-5); /* normalized by default (all-MiniLM-L6-v2) */
    for (i = 0; i < n; ++i) {
        double diff;
        CHECK_STATUS(edgembed_embed(ctx, &texts[i], NULL, 1, &params, singles + i * (size_t)dim, (size_t)dim, NULL),
                     EDGEMBED_OK);
        diff = max_abs_diff(singles + i * (size_t)dim, batch + i * (size_t)dim, (size_t)dim);
        if (diff > worst) worst = diff;
    }
    printf("batch vs single: max |diff| %g (bound %g)\n", worst, BATCH_MAX_ABS_DIFF);
    CHECK(worst <= BATCH_MAX_ABS_DIFF);
    /* batch_size 1 runs one text per forward pass: the same as one text per call, bit for bit */
    params.batch_size = 1;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, n, &params, batch, n * (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(memcmp(singles, batch, n * (size_t)dim * sizeof *batch) == 0);

    /* Lengths instead of NUL terminators: "edgembed runs on phones.xyz" cut to its first 24 bytes. */
    {
        const char* padded = "edgembed runs on phones.xyz";
        const size_t length = 24;
        CHECK_STATUS(edgembed_embed(ctx, &padded, &length, 1, &params, single, (size_t)dim, NULL), EDGEMBED_OK);
        CHECK(memcmp(single, singles, (size_t)dim * sizeof *single) == 0);
    }
    /* Truncation is counted; max_length changes the vector. */
    params = edgembed_embed_default_params();
    params.threads = 1;
    params.max_length = 4;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 1, &params, single, (size_t)dim, &stats), EDGEMBED_OK);
    CHECK(stats.truncated == 1 && stats.tokens == 4);
    CHECK(max_abs_diff(single, singles, (size_t)dim) > 1e-3);
    /* normalize = 0 and a temperature */
    params = edgembed_embed_default_params();
    params.threads = 1;
    params.normalize = 0;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 1, &params, single, (size_t)dim, NULL), EDGEMBED_OK);
    norm = 0.0;
    for (j = 0; j < (size_t)dim; ++j) norm += (double)single[j] * single[j];
    CHECK(fabs(norm - 1.0) > 1e-3);
    params.normalize = 1;
    params.temperature = 2.0f;
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 1, &params, single, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(all_finite_nonzero(single, (size_t)dim));
    CHECK(max_abs_diff(single, singles, (size_t)dim) > 1e-3);

    edgembed_context_free(ctx);
    free(batch);
    free(singles);
    free(single);
}

static void test_invalid_utf8(const edgembed_model* model) {
    const int dim = dimension_of(model);
    float* out = malloc(2 * (size_t)dim * sizeof *out);
    const char* texts[2] = {"fine", "bad \xC3\x28 byte"};
    edgembed_context* ctx = NULL;
    size_t count = 99;
    int32_t ids[16];

    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 2, NULL, out, 2 * (size_t)dim, NULL), EDGEMBED_INVALID_UTF8);
    CHECK(contains(edgembed_context_last_error(ctx), "text 1"));
    CHECK(contains(edgembed_context_last_error(ctx), "byte 4"));
    CHECK_STATUS(edgembed_tokenize(ctx, texts[1], EDGEMBED_NUL_TERMINATED, 0, ids, 16, &count), EDGEMBED_INVALID_UTF8);
    CHECK(count == 0);
    /* A lone continuation byte and a truncated sequence given by length */
    {
        const char* lone = "\x80";
        const char* cut = "\xE2\x82\xAC"; /* the euro sign; two bytes of it are invalid */
        const size_t two = 2;
        CHECK_STATUS(edgembed_embed(ctx, &lone, NULL, 1, NULL, out, (size_t)dim, NULL), EDGEMBED_INVALID_UTF8);
        CHECK_STATUS(edgembed_embed(ctx, &cut, &two, 1, NULL, out, (size_t)dim, NULL), EDGEMBED_INVALID_UTF8);
        CHECK_STATUS(edgembed_embed(ctx, &cut, NULL, 1, NULL, out, (size_t)dim, NULL), EDGEMBED_OK);
    }
    /* The context works after an error. */
    CHECK_STATUS(edgembed_embed(ctx, texts, NULL, 1, NULL, out, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(strcmp(edgembed_context_last_error(ctx), "") == 0);
    edgembed_context_free(ctx);
    free(out);
}

static void test_tokenize(const edgembed_model* model) {
    edgembed_context* ctx = NULL;
    int32_t ids[64];
    int32_t again[64];
    size_t count = 0, needed = 0, i;
    const char* text = "edgembed runs on phones.";

    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, NULL, 0, &needed), EDGEMBED_OK);
    CHECK(needed > 2 && needed < 64);
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, ids, 64, &count), EDGEMBED_OK);
    CHECK(count == needed);
    CHECK(ids[0] == 101 && ids[count - 1] == 102); /* [CLS] ... [SEP] */
    for (i = 0; i < 64; ++i) again[i] = -7;
    count = 0;
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, again, needed - 1, &count),
                 EDGEMBED_INVALID_ARGUMENT);
    CHECK(count == needed); /* still set */
    {
        char expected[64];
        sprintf(expected, "needs %u", (unsigned)needed);
        CHECK(contains(edgembed_context_last_error(ctx), expected));
    }
    CHECK(again[0] == -7); /* nothing written */
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, again, needed, &count), EDGEMBED_OK);
    CHECK(memcmp(ids, again, needed * sizeof *ids) == 0);
    /* By length: "edgembed" alone */
    CHECK_STATUS(edgembed_tokenize(ctx, text, 8, 0, again, 64, &count), EDGEMBED_OK);
    CHECK(count < needed && again[0] == 101 && again[count - 1] == 102);
    /* max_length */
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 3, again, 64, &count), EDGEMBED_OK);
    CHECK(count == 3 && again[0] == 101 && again[1] == ids[1] && again[2] == 102);
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 1, again, 64, &count), EDGEMBED_INVALID_ARGUMENT);
    /* empty text: [CLS] [SEP] */
    CHECK_STATUS(edgembed_tokenize(ctx, "", EDGEMBED_NUL_TERMINATED, 0, again, 64, &count), EDGEMBED_OK);
    CHECK(count == 2);
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, NULL, 5, &count), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, ids, 64, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_tokenize(ctx, NULL, 0, 0, ids, 64, &count), EDGEMBED_INVALID_ARGUMENT);
    edgembed_context_free(ctx);
}

/* Token states: their mean, normalized, is the sentence embedding (all-MiniLM-L6-v2 pools by mean). */
static void test_token_embeddings(const edgembed_model* model) {
    edgembed_context* ctx = NULL;
    const char* text = "edgembed runs on phones.";
    const int dim = dimension_of(model);
    size_t tokens = 0, count = 0, needed_ids = 0, t;
    int j;
    float* states;
    float* sentence = malloc((size_t)dim * sizeof *sentence);
    double* mean = calloc((size_t)dim, sizeof *mean);
    double norm = 0.0, worst = 0.0;
    edgembed_embed_params params = edgembed_embed_default_params();

    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, NULL, 0, &needed_ids), EDGEMBED_OK);
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, NULL, NULL, 0, &tokens), EDGEMBED_OK);
    CHECK(tokens == needed_ids);
    states = malloc(tokens * (size_t)dim * sizeof *states);
    states[0] = -7.0f;
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, NULL, states, tokens * (size_t)dim - 1, &count),
                 EDGEMBED_INVALID_ARGUMENT);
    CHECK(count == tokens && states[0] == -7.0f); /* the count still set, nothing written */
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, NULL, states, tokens * (size_t)dim, &count),
                 EDGEMBED_OK);
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, NULL, sentence, (size_t)dim, NULL), EDGEMBED_OK);
    for (t = 0; t < tokens; ++t)
        for (j = 0; j < dim; ++j) mean[j] += states[t * (size_t)dim + (size_t)j] / (double)tokens;
    for (j = 0; j < dim; ++j) norm += mean[j] * mean[j];
    for (j = 0; j < dim; ++j)
        if (fabs(mean[j] / sqrt(norm) - sentence[j]) > worst) worst = fabs(mean[j] / sqrt(norm) - sentence[j]);
    CHECK(worst < 1e-5); /* float sums in another order */
    /* Truncation at max_length; windows refused. */
    params.max_length = 3;
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, &params, states, tokens * (size_t)dim, &count),
                 EDGEMBED_OK);
    CHECK(count == 3);
    params.max_length = 0;
    params.long_input = EDGEMBED_LONG_INPUT_WINDOW;
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, &params, states, tokens * (size_t)dim, &count),
                 EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, NULL, NULL, 5, &count), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_token_embeddings(ctx, text, EDGEMBED_NUL_TERMINATED, NULL, states, 5, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_token_embeddings(ctx, "\xff", EDGEMBED_NUL_TERMINATED, NULL, NULL, 0, &count), EDGEMBED_INVALID_UTF8);
    edgembed_context_free(ctx);
    free(states);
    free(sentence);
    free(mean);
}

static void test_load_from_memory(const edgembed_model* from_file) {
    FILE* f = fopen(g_model_path, "rb");
    long size;
    char* bytes;
    edgembed_model* model = NULL;
    edgembed_context* a = NULL;
    edgembed_context* b = NULL;
    const char* text = "edgembed runs on phones.";
    const int dim = dimension_of(from_file);
    float* va = malloc((size_t)dim * sizeof *va);
    float* vb = malloc((size_t)dim * sizeof *vb);
    edgembed_model_info info = edgembed_model_default_info();

    CHECK(f != NULL);
    if (f == NULL) return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);

    /* A truncated buffer fails cleanly. */
    CHECK_STATUS(edgembed_model_load_from_memory(bytes, (size_t)size / 2, NULL, &model), EDGEMBED_CORRUPT_MODEL_FILE);
    CHECK(model == NULL);
    CHECK_STATUS(edgembed_model_load_from_memory(bytes, (size_t)size, NULL, &model), EDGEMBED_OK);
    memset(bytes, 0, (size_t)size); /* the model copied it */
    free(bytes);
    CHECK_STATUS(edgembed_model_get_info(model, &info), EDGEMBED_OK);
    CHECK(info.dimension == dim);
    CHECK_STATUS(edgembed_context_create(model, &a), EDGEMBED_OK);
    CHECK_STATUS(edgembed_context_create(from_file, &b), EDGEMBED_OK);
    /* The context keeps the model alive. */
    edgembed_model_free(model);
    CHECK_STATUS(edgembed_embed(a, &text, NULL, 1, NULL, va, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK_STATUS(edgembed_embed(b, &text, NULL, 1, NULL, vb, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(memcmp(va, vb, (size_t)dim * sizeof *va) == 0);
    edgembed_context_free(a);
    edgembed_context_free(b);
    free(va);
    free(vb);
}

static int g_log_lines = 0;
static int g_log_errors = 0;

static void count_log(edgembed_log_level level, const char* message, void* user_data) {
    CHECK(user_data == &g_log_lines);
    CHECK(message != NULL && message[0] != '\0');
    ++g_log_lines;
    if (level == EDGEMBED_LOG_ERROR) ++g_log_errors;
}

/* The busy check, without threads: a log callback that runs inside an embed call (the truncation
 * message) calls back into the same context. */
static edgembed_context* g_reentrant_ctx = NULL;
static edgembed_status g_reentrant_status = EDGEMBED_OK;
static int g_reentrant_calls = 0;

static void reenter(edgembed_log_level level, const char* message, void* user_data) {
    const char* text = "x";
    float out[1];
    (void)level;
    (void)user_data;
    if (strstr(message, "cut at") == NULL) return;
    ++g_reentrant_calls;
    g_reentrant_status = edgembed_embed(g_reentrant_ctx, &text, NULL, 1, NULL, out, 1, NULL);
}

static void test_context_in_use(const edgembed_model* model) {
    const int dim = dimension_of(model);
    float* out = malloc((size_t)dim * sizeof *out);
    const char* text = "a text longer than four tokens";
    edgembed_embed_params params = edgembed_embed_default_params();
    params.max_length = 4;
    CHECK_STATUS(edgembed_context_create(model, &g_reentrant_ctx), EDGEMBED_OK);
    edgembed_set_log_callback(reenter, NULL);
    CHECK_STATUS(edgembed_embed(g_reentrant_ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_OK);
    edgembed_set_log_callback(NULL, NULL);
    CHECK(g_reentrant_calls == 1);
    CHECK(g_reentrant_status == EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_last_error(), "in use"));
    CHECK(strcmp(edgembed_context_last_error(g_reentrant_ctx), "") == 0); /* the running call's text untouched */
    /* free again afterwards */
    CHECK_STATUS(edgembed_embed(g_reentrant_ctx, &text, NULL, 1, &params, out, (size_t)dim, NULL), EDGEMBED_OK);
    edgembed_context_free(g_reentrant_ctx);
    free(out);
}

static void test_log_and_isa(void) {
    edgembed_model* model = NULL;
    const char* isa = NULL;
    const char* before = NULL;
    edgembed_set_log_callback(count_log, &g_log_lines);
    model = load_model();
    CHECK(g_log_lines >= 1 && g_log_errors == 0);
    edgembed_model_free(model);  /* the failing loads below overwrite `model` */
    CHECK_STATUS(edgembed_model_load("/nonexistent.edgembed", NULL, &model), EDGEMBED_FILE_NOT_FOUND);
    CHECK(g_log_errors == 1);
    edgembed_set_log_callback(NULL, NULL);
    CHECK_STATUS(edgembed_model_load("/nonexistent.edgembed", NULL, &model), EDGEMBED_FILE_NOT_FOUND);
    CHECK(g_log_errors == 1);

    CHECK_STATUS(edgembed_active_isa(&before), EDGEMBED_OK);
    CHECK(before != NULL);
    CHECK_STATUS(edgembed_active_isa(NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_set_isa_cap("pentium"), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_last_error(), "pentium"));
    CHECK_STATUS(edgembed_set_isa_cap(NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_set_isa_cap("scalar"), EDGEMBED_OK);
    CHECK_STATUS(edgembed_active_isa(&isa), EDGEMBED_OK);
    CHECK(isa != NULL && strcmp(isa, "scalar") == 0);
    CHECK_STATUS(edgembed_set_isa_cap(before), EDGEMBED_OK);
    CHECK_STATUS(edgembed_active_isa(&isa), EDGEMBED_OK);
    CHECK(strcmp(isa, before) == 0);
}

/* 0.3.0: prompts (a literal prompt equals embedding prompt + text; an unknown name lists the model's
 * prompts) and token-id inputs (the pieces of a text give the text's vector; ids outside the vocabulary
 * are refused). The default model stores no prompts; tests/python/test_prompts.py covers stored ones. */
static void test_prompts_and_token_ids(const edgembed_model* model) {
    edgembed_context* ctx = NULL;
    edgembed_embed_params params = edgembed_embed_default_params();
    edgembed_model_info info = edgembed_model_default_info();
    edgembed_embed_stats stats;
    const int dim = dimension_of(model);
    const char* text = "edgembed runs on phones.";
    const char* prompted[] = {"query: edgembed runs on phones."};
    const char* name = "x";
    const char* prompt_text = "x";
    float* a = malloc(2 * (size_t)dim * sizeof(float));
    float* b = malloc(2 * (size_t)dim * sizeof(float));
    int32_t ids[64];
    const int32_t* inputs[2];
    size_t lengths[2], count = 7, i;

    CHECK(params.prompt_name == NULL && params.prompt == NULL);
    CHECK_STATUS(edgembed_model_get_info(model, &info), EDGEMBED_OK);
    CHECK(info.default_prompt_name != NULL && info.default_prompt_name[0] == '\0');
    CHECK_STATUS(edgembed_model_prompt_count(model, &count), EDGEMBED_OK);
    CHECK(count == 0);
    CHECK_STATUS(edgembed_model_prompt_at(model, 0, &name, &prompt_text), EDGEMBED_INVALID_ARGUMENT);
    CHECK(name == NULL && prompt_text == NULL);
    CHECK_STATUS(edgembed_model_prompt_count(NULL, &count), EDGEMBED_INVALID_ARGUMENT);

    CHECK_STATUS(edgembed_context_create(model, &ctx), EDGEMBED_OK);
    params.prompt = "query: ";
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, a, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK_STATUS(edgembed_embed(ctx, prompted, NULL, 1, NULL, b, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(max_abs_diff(a, b, (size_t)dim) == 0.0);
    params.prompt = NULL;
    params.prompt_name = "query";
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, a, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK(contains(edgembed_context_last_error(ctx), "unknown prompt name 'query'") &&
          contains(edgembed_context_last_error(ctx), "none"));
    params.prompt = "\xff";  /* overrides the name; invalid UTF-8 */
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, &params, a, (size_t)dim, NULL), EDGEMBED_INVALID_UTF8);
    CHECK(contains(edgembed_context_last_error(ctx), "prompt"));

    /* Token ids: the pieces of the text (its ids without [CLS] / [SEP]). */
    CHECK_STATUS(edgembed_tokenize(ctx, text, EDGEMBED_NUL_TERMINATED, 0, ids, 64, &count), EDGEMBED_OK);
    inputs[0] = ids + 1;
    lengths[0] = count - 2;
    inputs[1] = ids + 1;
    lengths[1] = 1;
    params = edgembed_embed_default_params();
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK_STATUS(edgembed_embed_tokens(ctx, inputs, lengths, 2, &params, a, 2 * (size_t)dim, &stats), EDGEMBED_OK);
    CHECK(stats.texts == 2 && stats.tokens == count + 3 && stats.truncated == 0);
    CHECK_STATUS(edgembed_embed(ctx, &text, NULL, 1, NULL, b, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(max_abs_diff(a, b, (size_t)dim) < 1e-6);
    CHECK(all_finite_nonzero(a + dim, (size_t)dim));
    /* cut at max_length, specials included */
    params.max_length = 4;
    CHECK_STATUS(edgembed_embed_tokens(ctx, inputs, lengths, 1, &params, a, (size_t)dim, &stats), EDGEMBED_OK);
    CHECK(stats.truncated == 1 && stats.tokens == 4);
    params.max_length = 0;
    /* with a prompt: the prompt's pieces first, as for text */
    params.prompt = "query: ";
    CHECK_STATUS(edgembed_embed_tokens(ctx, inputs, lengths, 1, &params, a, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK_STATUS(edgembed_embed(ctx, prompted, NULL, 1, NULL, b, (size_t)dim, NULL), EDGEMBED_OK);
    CHECK(max_abs_diff(a, b, (size_t)dim) < 1e-6);
    params.prompt = NULL;
    for (i = 0; i < 2; ++i) {
        int32_t bad[2];
        bad[0] = ids[1];
        bad[1] = i == 0 ? -1 : info.vocab_size;
        inputs[0] = bad;
        lengths[0] = 2;
        CHECK_STATUS(edgembed_embed_tokens(ctx, inputs, lengths, 1, &params, a, (size_t)dim, NULL),
                     EDGEMBED_INVALID_ARGUMENT);
        CHECK(contains(edgembed_context_last_error(ctx), "at position 1 is outside the vocabulary"));
    }
    params.long_input = EDGEMBED_LONG_INPUT_WINDOW;
    CHECK_STATUS(edgembed_embed_tokens(ctx, inputs, lengths, 1, &params, a, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_embed_tokens(ctx, NULL, NULL, 1, NULL, a, (size_t)dim, NULL), EDGEMBED_INVALID_ARGUMENT);
    CHECK_STATUS(edgembed_embed_tokens(ctx, NULL, NULL, 0, NULL, NULL, 0, NULL), EDGEMBED_OK);
    edgembed_context_free(ctx);
    free(a);
    free(b);
}

int main(int argc, char** argv) {
    edgembed_model* model;
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL (models/all-MiniLM-L6-v2.f32.edgembed, made by scripts/setup.sh)\n", argv[0]);
        return 2;
    }
    g_model_path = argv[1];
    RUN(test_status_strings());
    RUN(test_version());
    RUN(test_load_errors());
    model = load_model();
    RUN(test_info(model));
    RUN(test_embed_params(model));
    RUN(test_embed_temperature_and_windows(model));
    RUN(test_embed_capacity(model));
    RUN(test_embed_batch_equals_single(model));
    RUN(test_invalid_utf8(model));
    RUN(test_tokenize(model));
    RUN(test_prompts_and_token_ids(model));
    RUN(test_token_embeddings(model));
    RUN(test_load_from_memory(model));
    RUN(test_context_in_use(model));
    RUN(test_log_and_isa());
    edgembed_model_free(model);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
