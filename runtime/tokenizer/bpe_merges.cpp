#include "runtime/tokenizer/bpe_merges.h"

#include <algorithm>
#include <climits>

#include "base/error.h"

namespace edgembed::bpe_detail {

void MergeMap::reserve(std::size_t count) {
    std::size_t capacity = 16;
    int shift = 60;
    while (capacity < 2 * count) {
        capacity *= 2;
        --shift;
    }
    if (capacity <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    shift_ = shift;
    for (const Slot& s : old) {
        if (s.key == empty_key) continue;
        std::size_t i = slot_of(s.key);
        while (slots_[i].key != empty_key) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = s;
    }
}

std::size_t MergeMap::slot_of(uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);  // Fibonacci hashing
}

void MergeMap::insert(int32_t left, int32_t right, Merge merge) {
    if (2 * (size_ + 1) > slots_.size()) reserve(size_ + 1 > 8 ? 2 * size_ : 8);
    const uint64_t key = key_of(left, right);
    std::size_t i = slot_of(key);
    while (slots_[i].key != empty_key) {
        if (slots_[i].key == key) {
            slots_[i].merge = merge;
            return;
        }
        i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{key, merge};
    ++size_;
}

const MergeMap::Merge* MergeMap::find(int32_t left, int32_t right) const noexcept {
    if (slots_.empty()) return nullptr;
    const uint64_t key = key_of(left, right);
    for (std::size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
        const Slot& s = slots_[i];
        if (s.key == key) return &s.merge;
        if (s.key == empty_key) return nullptr;
    }
}

std::unordered_map<std::string, int32_t> read_vocab(const std::vector<std::string>& vocab, const char* who) {
    if (vocab.empty()) throw Error(Status::invalid_config, std::string(who) + ": the vocab is empty");
    if (vocab.size() > static_cast<std::size_t>(INT32_MAX)) {
        throw Error(Status::invalid_config, std::string(who) + ": the vocab is too large");
    }
    std::unordered_map<std::string, int32_t> out;
    out.reserve(vocab.size());
    for (std::size_t id = 0; id < vocab.size(); ++id) {
        const std::string& token = vocab[id];
        if (token.empty()) continue;  // an id without a token
        const auto [it, inserted] = out.emplace(token, static_cast<int32_t>(id));
        if (!inserted) {
            throw Error(Status::invalid_config, std::string(who) + ": token \"" + token + "\" is listed twice (ids " +
                                                    std::to_string(it->second) + " and " + std::to_string(id) + ")");
        }
    }
    return out;
}

bool split_merge(std::string_view merge, std::string_view& left, std::string_view& right) noexcept {
    const std::size_t space = merge.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == merge.size() ||
        merge.find(' ', space + 1) != std::string_view::npos) {
        return false;
    }
    left = merge.substr(0, space);
    right = merge.substr(space + 1);
    return true;
}

MergeMap read_merges(const std::vector<std::string>& merges, const std::function<int32_t(std::string_view)>& token_to_id,
                     const char* who) {
    if (merges.size() > UINT32_MAX) throw Error(Status::invalid_config, std::string(who) + ": too many merges");
    MergeMap map;
    map.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string& merge = merges[rank];
        const std::string where = std::string(who) + ": merge " + std::to_string(rank) + " \"" + merge + "\"";
        std::string_view left, right;
        if (!split_merge(merge, left, right)) {
            throw Error(Status::invalid_config, where + " is not two tokens separated by one space");
        }
        auto id_of = [&](std::string_view token) {
            const int32_t id = token_to_id(token);
            if (id < 0) throw Error(Status::invalid_config, where + ": \"" + std::string(token) + "\" is not in the vocab");
            return id;
        };
        const int32_t left_id = id_of(left);
        const int32_t right_id = id_of(right);
        const int32_t merged_id = id_of(std::string(left) + std::string(right));
        map.insert(left_id, right_id, MergeMap::Merge{static_cast<uint32_t>(rank), merged_id});
    }
    return map;
}

void BpeWord::push(int32_t id) {
    const auto index = static_cast<int32_t>(symbols_.size());
    if (index > 0) symbols_.back().next = index;
    symbols_.push_back(Symbol{id, index - 1, -1});
}

void BpeWord::merge_all(const MergeMap& merges) {
    if (symbols_.size() <= 1) return;
    // A queue of candidate merges, the lowest (rank, position) first, stale entries skipped when they come up.
    // Short words scan an unsorted queue (faster than a heap at that size, same order: entries equal in
    // (rank, position) are the same merge).
    std::vector<Candidate>& queue = queue_;
    queue.clear();
    const bool small = symbols_.size() <= 32;
    auto push = [&](const Candidate& c) {
        if (queue.size() == queue.capacity()) queue.reserve(queue.size() + queue.size() / 4 + 16);  // not 2x: huge words
        queue.push_back(c);
        if (!small) std::push_heap(queue.begin(), queue.end(), pops_later);
    };
    auto pop = [&] {
        if (small) {
            const auto first = std::min_element(queue.begin(), queue.end(), [](const auto& a, const auto& b) {
                return pops_later(b, a);
            });
            std::iter_swap(first, queue.end() - 1);
        } else {
            std::pop_heap(queue.begin(), queue.end(), pops_later);
        }
        const Candidate top = queue.back();
        queue.pop_back();
        return top;
    };
    queue.reserve(symbols_.size());
    for (std::size_t i = 0; i + 1 < symbols_.size(); ++i) {
        if (const auto* m = merges.find(symbols_[i].id, symbols_[i + 1].id)) {
            queue.push_back(Candidate{m->rank, static_cast<int32_t>(i), m->id});
        }
    }
    if (!small) std::make_heap(queue.begin(), queue.end(), pops_later);
    while (!queue.empty()) {
        const Candidate top = pop();
        Symbol& current = symbols_[static_cast<std::size_t>(top.pos)];
        if (current.id < 0 || current.next < 0) continue;
        const int32_t right_pos = current.next;
        const Symbol right = symbols_[static_cast<std::size_t>(right_pos)];
        // A stale entry: the pair at pos no longer makes this token.
        const auto* now = merges.find(current.id, right.id);
        if (now == nullptr || now->id != top.id) continue;

        current.id = top.id;
        current.next = right.next;
        symbols_[static_cast<std::size_t>(right_pos)].id = -1;
        if (right.next >= 0) symbols_[static_cast<std::size_t>(right.next)].prev = top.pos;

        if (current.prev >= 0) {
            if (const auto* m = merges.find(symbols_[static_cast<std::size_t>(current.prev)].id, current.id)) {
                push(Candidate{m->rank, current.prev, m->id});
            }
        }
        if (current.next >= 0) {
            if (const auto* m = merges.find(current.id, symbols_[static_cast<std::size_t>(current.next)].id)) {
                push(Candidate{m->rank, top.pos, m->id});
            }
        }
    }
}

void BpeWord::append_to(std::vector<int32_t>& out) const {
    if (symbols_.empty()) return;
    for (int32_t i = 0; i >= 0; i = symbols_[static_cast<std::size_t>(i)].next) {
        out.push_back(symbols_[static_cast<std::size_t>(i)].id);
    }
}

}  // namespace edgembed::bpe_detail
