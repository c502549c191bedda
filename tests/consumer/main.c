/* A minimal consumer of an installed edgembed: prints the version, the model's dimension and the
 * first floats of one embedding. Usage: consumer MODEL */
#include <edgembed.h>
#include <stdio.h>

int main(int argc, char** argv) {
    edgembed_model* model = NULL;
    edgembed_context* ctx = NULL;
    edgembed_model_info info = edgembed_model_default_info();
    const char* text = "edgembed runs on phones.";
    float vector[4096];
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL\n", argv[0]);
        return 2;
    }
    if (edgembed_model_load(argv[1], NULL, &model) != EDGEMBED_OK || edgembed_model_get_info(model, &info) != EDGEMBED_OK ||
        edgembed_context_create(model, &ctx) != EDGEMBED_OK) {
        fprintf(stderr, "error: %s\n", edgembed_last_error());
        goto done;
    }
    if (edgembed_embed(ctx, &text, NULL, 1, NULL, vector, sizeof vector / sizeof vector[0], NULL) != EDGEMBED_OK) {
        fprintf(stderr, "error: %s\n", edgembed_context_last_error(ctx));
        goto done;
    }
    printf("edgembed %s: dimension %d, [%.6f, %.6f, %.6f, ...]\n", edgembed_version(), info.dimension, vector[0],
           vector[1], vector[2]);
    rc = 0;
done:
    edgembed_context_free(ctx);
    edgembed_model_free(model);
    return rc;
}
