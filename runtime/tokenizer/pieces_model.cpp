#include "runtime/tokenizer/pieces_model.h"

#include <string>

#include "base/error.h"
#include "runtime/tokenizer/byte_level_bpe.h"
#include "runtime/tokenizer/sentencepiece_bpe.h"
#include "runtime/tokenizer/sentencepiece_model.h"
#include "runtime/tokenizer/wordpiece.h"

namespace edgembed {

std::unique_ptr<PiecesModel> make_pieces_model(const TokenizerConfig& config) {
    if (config.type == "wordpiece") return std::make_unique<WordPieceModel>(config.wordpiece);
    if (config.type == "bpe") {
        if (config.bpe.byte_level) return std::make_unique<ByteLevelBpe>(config.bpe);
        return std::make_unique<SentencePieceBpe>(config.bpe);
    }
    if (config.type == "sentencepiece") return std::make_unique<SentencePieceModel>(config.sentencepiece);
    throw Error(Status::invalid_config,
                "tokenizer: unsupported type '" + config.type + "' (supported: wordpiece, sentencepiece, bpe)");
}

}  // namespace edgembed
