/* Embeds "edgembed runs on phones." with the model file given on the command line and prints the
 * vector as one JSON array, like `edgembed embed --threads 1`'s jsonl output line.
 * Usage: edgembed_c_embed MODEL [TEXT] */
#include <stdio.h>
#include <stdlib.h>

#include "edgembed.h"

int main(int argc, char** argv) {
    const char* text = argc > 2 ? argv[2] : "edgembed runs on phones.";
    edgembed_model* model = NULL;
    edgembed_context* ctx = NULL;
    edgembed_model_info info = edgembed_model_default_info();
    edgembed_embed_params params = edgembed_embed_default_params();
    float* vector = NULL;
    size_t i;
    int rc = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [TEXT]\n", argv[0]);
        return 2;
    }
    if (edgembed_model_load(argv[1], NULL, &model) != EDGEMBED_OK ||
        edgembed_model_get_info(model, &info) != EDGEMBED_OK || edgembed_context_create(model, &ctx) != EDGEMBED_OK) {
        fprintf(stderr, "error: %s\n", edgembed_last_error());
        goto done;
    }
    vector = malloc((size_t)info.dimension * sizeof *vector);
    if (vector == NULL) {
        fprintf(stderr, "error: out of memory\n");
        goto done;
    }
    params.threads = 1;
    if (edgembed_embed(ctx, &text, NULL, 1, &params, vector, (size_t)info.dimension, NULL) != EDGEMBED_OK) {
        fprintf(stderr, "error: %s\n", edgembed_context_last_error(ctx));
        goto done;
    }
    /* %.9g: 9 significant digits identify every float (C99 has no shortest round-trip conversion). */
    putchar('[');
    for (i = 0; i < (size_t)info.dimension; ++i) printf(i ? ",%.9g" : "%.9g", (double)vector[i]);
    printf("]\n");
    rc = 0;
done:
    free(vector);
    edgembed_context_free(ctx);
    edgembed_model_free(model);
    return rc;
}
