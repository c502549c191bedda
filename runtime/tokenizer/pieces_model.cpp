#include "runtime/tokenizer/pieces_model.h"

#include <string>

#include "base/error.h"
#include "runtime/tokenizer/byte_level_bpe.h"
#include "runtime/tokenizer/wordpiece.h"

namespace edgembed {

std::unique_ptr<PiecesModel> make_pieces_model(const TokenizerConfig& config) {
    if (config.type == "wordpiece") return std::make_unique<WordPieceModel>(config.wordpiece);
    if (config.type == "bpe") return std::make_unique<ByteLevelBpe>(config.bpe);
    throw Error(Status::invalid_config, "tokenizer: unsupported type '" + config.type + "' (supported: wordpiece, bpe)");
}

}  // namespace edgembed
