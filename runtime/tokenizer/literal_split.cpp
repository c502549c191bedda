#include "runtime/tokenizer/literal_split.h"

#include <utility>

#include "base/error.h"

namespace edgembed {

LiteralSplit::LiteralSplit(std::string pattern, const std::string& behavior, bool invert)
    : pattern_(std::move(pattern)), invert_(invert) {
    if (pattern_.empty()) throw Error(Status::invalid_config, "bpe: the split pattern is empty");
    if (behavior == "removed") behavior_ = Behavior::removed;
    else if (behavior == "isolated") behavior_ = Behavior::isolated;
    else if (behavior == "merged_with_previous") behavior_ = Behavior::merged_with_previous;
    else if (behavior == "merged_with_next") behavior_ = Behavior::merged_with_next;
    else if (behavior == "contiguous") behavior_ = Behavior::contiguous;
    else throw Error(Status::invalid_config, "bpe: unknown split behavior \"" + behavior +
                                                 "\" (known: removed, isolated, merged_with_previous, merged_with_next, contiguous)");
}

}  // namespace edgembed
