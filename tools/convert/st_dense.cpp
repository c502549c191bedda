#include "tools/convert/st_dense.h"

#include <cmath>
#include <set>

#include "base/error.h"
#include "runtime/dense_modules.h"
#include "runtime/json_keys.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/safetensors.h"
#include "tools/convert/torch_bin.h"

namespace edgembed::convert {

DenseModule read_dense_config(const HfFiles& root, const std::string& path, int in_width) {
    const std::string file = join_path(path, "config.json");
    if (!root.has(file)) throw Error(Status::file_not_found, "no " + file + " (a Dense module's config)");
    const nlohmann::json doc = root.read_json(file);
    const JsonKeys k(doc, file);
    auto refuse = [&](const std::string& what) {
        throw Error(Status::unsupported_architecture, file + ": " + what + " is not supported");
    };
    static const std::set<std::string> known = {"in_features",       "out_features",       "bias", "activation_function",
                                                "module_input_name", "module_output_name", "use_residual"};
    for (const auto& [key, value] : doc.items())
        if (known.count(key) == 0) refuse("the key '" + key + "'");
    DenseModule d;
    d.in_features = k.integer("in_features");
    d.out_features = k.integer("out_features");
    d.bias = k.boolean("bias", true);  // sentence-transformers' defaults
    const std::string activation = k.string("activation_function", std::string("torch.nn.modules.activation.Tanh"));
    if (activation == "torch.nn.modules.linear.Identity") d.activation = DenseActivation::identity;
    else if (activation == "torch.nn.modules.activation.Tanh") d.activation = DenseActivation::tanh;
    else refuse("activation_function '" + activation + "' (only torch.nn.modules.linear.Identity and torch.nn.modules.activation.Tanh)");
    for (const char* key : {"module_input_name", "module_output_name"})
        if (k.has(key) && k.string(key) != "sentence_embedding") refuse(std::string(key) + " '" + k.string(key) + "'");
    if (k.boolean("use_residual", false)) refuse("use_residual true");
    if (d.in_features != in_width)
        throw Error(Status::invalid_checkpoint, file + ": in_features " + std::to_string(d.in_features) + " differs from the " +
                                                    std::to_string(in_width) + " floats before it");
    if (d.out_features < 1 || d.out_features > 65536) throw Error(Status::invalid_config, file + ": out_features out of range");
    return d;
}

std::vector<MappedTensor> read_dense_weights(const HfFiles& root, const std::string& path, const DenseModule& module,
                                             size_t index) {
    const HfFiles files(root.path(""), path);
    TensorSet tensors;
    std::string source;
    if (files.has("model.safetensors")) {
        tensors = read_safetensors(files.path("model.safetensors"));
        source = files.display("model.safetensors");
    } else if (files.has("pytorch_model.bin")) {
        tensors = read_torch_bin(files.path("pytorch_model.bin"));
        source = files.display("pytorch_model.bin");
    } else {
        throw Error(Status::file_not_found, "no weights in '" + files.display("") + "' (a Dense module: model.safetensors or pytorch_model.bin)");
    }
    std::vector<MappedTensor> out;
    auto take = [&](const char* name, std::vector<int64_t> shape, const char* what) {
        const SourceTensor* t = tensors.find(name);
        if (!t) throw Error(Status::invalid_weights, source + " lacks the tensor '" + name + "'");
        if (t->shape != shape)
            throw Error(Status::invalid_weights, source + ": tensor '" + name + "' has shape " + shape_string(t->shape) +
                                                     ", its config needs " + shape_string(shape));
        if (t->dtype == SourceDType::i64) throw Error(Status::invalid_weights, source + ": tensor '" + name + "' is not floating-point");
        std::vector<float> values = to_f32(*t);
        for (size_t e = 0; e < values.size(); ++e)
            if (!std::isfinite(values[e]))
                throw Error(Status::invalid_weights, source + ": tensor '" + name + "' contains " +
                                                         (std::isnan(values[e]) ? "NaN" : "Inf") + " at element " + std::to_string(e));
        out.push_back({dense_tensor_name(index, what), std::move(shape), false, std::move(values)});
    };
    take("linear.weight", {module.out_features, module.in_features}, "weight");  // f16 in f16 and int8 files
    if (module.bias) take("linear.bias", {module.out_features}, "bias");
    else if (tensors.find("linear.bias")) throw Error(Status::invalid_weights, source + " has 'linear.bias' but its config says bias false");
    return out;
}

}  // namespace edgembed::convert
