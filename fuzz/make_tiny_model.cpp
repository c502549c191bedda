// Writes a tiny model file (tests/runtime/tiny_model_file.h) for tests that run the CLI and for the
// model-loader fuzz seeds (scripts/ci_fuzz.sh regenerates fuzz/corpus/model_file with it).
// Usage: edgembed-tiny-model OUT_FILE [--weights f32|f16|int8] [--hidden N] [--layers N]
//        [--poison TENSOR=nan|inf] [--drop TENSOR]
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <string>

#include "runtime/model_file/writer.h"
#include "tests/runtime/tiny_model_file.h"

int main(int argc, char** argv) {
    using namespace edgembed;
    if (argc < 2 || argv[1][0] == '-') {
        std::fprintf(stderr,
                     "usage: %s OUT_FILE [--weights f32|f16|int8] [--hidden N] [--layers N] [--poison TENSOR=nan|inf] "
                     "[--drop TENSOR]\n",
                     argv[0]);
        return 2;
    }
    testing::TinyModelSpec spec;
    std::string poison, poison_value, drop;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--weights") spec.weights = value;
        else if (flag == "--hidden") spec.hidden = std::stoi(value), spec.ffn = 2 * spec.hidden;
        else if (flag == "--layers") spec.layers = std::stoi(value);
        else if (flag == "--drop") drop = value;
        else if (flag == "--poison" && value.find('=') != std::string::npos) {
            poison = value.substr(0, value.find('='));
            poison_value = value.substr(value.find('=') + 1);
        } else {
            std::fprintf(stderr, "edgembed-tiny-model: unknown option %s\n", flag.c_str());
            return 2;
        }
    }
    try {
        const float bad = poison_value == "inf" ? std::numeric_limits<float>::infinity() : std::nanf("");
        const auto bytes = testing::tiny_model_file(spec, [&](testing::TinyTensor& t) {
            if (t.name == drop) t.drop = true;
            if (t.name == poison && t.dtype == DType::f32) std::memcpy(t.bytes.data(), &bad, sizeof bad);
        });
        model_file::write_file_atomically(argv[1], bytes);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "edgembed-tiny-model: %s\n", e.what());
        return 1;
    }
    return 0;
}
