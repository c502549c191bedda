// An immutable model: the mapped model file, its tokenizer and encoder weights. Shareable across
// threads; each thread embeds through its own Context.
#pragma once

#include <memory>
#include <string>

#include "runtime/dense_modules.h"
#include "runtime/model_file/reader.h"
#include "runtime/models/encoder.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgembed {

class Model {
public:
    // Throws Error (see ModelFile::open and Encoder).
    static std::shared_ptr<const Model> load(const std::string& path);
    static std::shared_ptr<const Model> load_from_memory(const void* data, size_t size);

    const ModelConfig& config() const { return file_->config(); }
    const model_file::ModelFile& file() const { return *file_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    const models::Encoder& encoder() const { return *encoder_; }
    // The sentence-transformers Dense modules after pooling (often none).
    const DenseModules& dense() const { return *dense_; }
    // Floats per embedding (after any Dense module); token states have hidden_size.
    int dimension() const { return config().output_dimension(); }

private:
    explicit Model(std::unique_ptr<model_file::ModelFile> file);

    std::unique_ptr<model_file::ModelFile> file_;
    std::unique_ptr<Tokenizer> tokenizer_;
    std::unique_ptr<models::Encoder> encoder_;
    std::unique_ptr<DenseModules> dense_;
};

}  // namespace edgembed
