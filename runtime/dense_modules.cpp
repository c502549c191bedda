#include "runtime/dense_modules.h"

#include <cmath>
#include <cstring>

#include "base/error.h"

namespace edgembed {

std::string dense_tensor_name(size_t index, const char* what) { return "dense." + std::to_string(index) + "." + what; }

DenseModules::DenseModules(const model_file::ModelFile& file) : modules_(file.config().dense) {
    auto bad = [](const std::string& name, const std::string& what) {
        throw Error(Status::corrupt_model_file, "tensor '" + name + "' " + what);
    };
    for (size_t i = 0; i < modules_.size(); ++i) {
        const DenseModule& d = modules_[i];
        const std::string weight = dense_tensor_name(i, "weight"), bias = dense_tensor_name(i, "bias");
        if (!file.has(weight)) throw Error(Status::corrupt_model_file, "model file lacks tensor '" + weight + "'");
        const TensorView& w = file.tensor(weight);
        if (w.shape != std::vector<int64_t>{d.out_features, d.in_features}) bad(weight, "has the wrong shape for the model config");
        if (w.dtype != DType::f32 && w.dtype != DType::f16)
            bad(weight, std::string("has dtype ") + dtype_name(w.dtype) + ", which it cannot have (f32 or f16)");
        std::vector<float>& b = biases_.emplace_back(static_cast<size_t>(d.out_features), 0.0f);
        if (d.bias) {
            if (!file.has(bias)) throw Error(Status::corrupt_model_file, "model file lacks tensor '" + bias + "'");
            const TensorView& t = file.tensor(bias);
            if (t.dtype != DType::f32 || t.shape != std::vector<int64_t>{d.out_features}) bad(bias, "must be f32 [out_features]");
            std::memcpy(b.data(), t.data, b.size() * sizeof(float));
        } else if (file.has(bias)) {
            bad(bias, "is there but the model config says the module has no bias");
        }
        layers_.push_back(quant::make_linear(w, nullptr, b.data(), arena_));
    }
}

void DenseModules::apply(const float* in, size_t rows, float* out, quant::LinearScratch& scratch) const {
    std::vector<float> between[2];  // the outputs of modules before the last, alternately
    const float* x = in;
    for (size_t i = 0; i < layers_.size(); ++i) {
        const size_t width = static_cast<size_t>(modules_[i].out_features);
        float* y = out;
        if (i + 1 < layers_.size()) {
            between[i % 2].resize(rows * width);  // not x, which is `in` or the other buffer
            y = between[i % 2].data();
        }
        layers_[i]->forward(x, rows, y, nullptr, quant::Epilogue::none, scratch);
        if (modules_[i].activation == DenseActivation::tanh)
            for (size_t e = 0; e < rows * width; ++e) y[e] = std::tanh(y[e]);
        x = y;
    }
}

}  // namespace edgembed
