#include "tools/convert/pickle.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "base/error.h"

namespace edgembed::convert {

namespace {

constexpr size_t kMaxRank = 8;
constexpr size_t kMaxGlobalLine = 256;
// Every opcode creates at most one object; a state dict needs ~15 per tensor (so ~70k tensors).
constexpr size_t kMaxObjects = size_t{1} << 20;

enum class Global { ordered_dict, rebuild_tensor_v2, float_storage, half_storage, bfloat16_storage, long_storage };

struct Value;
using ValuePtr = Value*;

// Python objects as far as a state dict needs them. All live in the unpickler's arena and refer to
// each other by plain pointers, like Python references: shared through the memo, cycles harmless,
// and freeing never recurses however deep a hostile file nests them.
struct Value {
    enum class Kind { none, boolean, integer, real, string, tuple, list, dict, global, storage, tensor };
    Kind kind = Kind::none;
    int64_t integer = 0;
    double real = 0;
    std::string string;
    std::vector<ValuePtr> items;                          // tuple, list
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;   // dict (insertion order)
    std::unordered_map<std::string, size_t> string_keys;  // dict: string key -> index in entries
    Global global = Global::ordered_dict;
    PickledStorage storage{};
    PickledTensor tensor{};
};

const char* kind_name(Value::Kind kind) {
    switch (kind) {
        case Value::Kind::none: return "None";
        case Value::Kind::boolean: return "bool";
        case Value::Kind::integer: return "int";
        case Value::Kind::real: return "float";
        case Value::Kind::string: return "str";
        case Value::Kind::tuple: return "tuple";
        case Value::Kind::list: return "list";
        case Value::Kind::dict: return "dict";
        case Value::Kind::global: return "global";
        case Value::Kind::storage: return "storage";
        case Value::Kind::tensor: return "tensor";
    }
    return "?";
}

// Hostile names are shown, not trusted: non-printable bytes become '?', long ones are cut.
std::string printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (s.size() > 200) out += "...";
    return out;
}

class Unpickler {
public:
    Unpickler(const uint8_t* data, size_t size, std::string file) : data_(data), size_(size), file_(std::move(file)) {}

    std::vector<PickledTensor> run() {
        if (size_ > kMaxPickleBytes)
            throw fail("data.pkl has " + std::to_string(size_) + " bytes, more than the limit of " +
                       std::to_string(kMaxPickleBytes));
        for (;;) {
            const size_t at = pos_;
            const uint8_t op = u8();
            if (op == '.') break;  // STOP
            step(op, at);
        }
        if (stack_.size() != 1 || !marks_.empty()) throw fail("malformed pickle: stack not balanced at STOP");
        return state_dict(stack_.back());
    }

private:
    Error fail(const std::string& what) const { return Error(Status::invalid_checkpoint, file_ + ": " + what); }

    // --- input --------------------------------------------------------------------------------
    void need(size_t n) const {
        if (n > size_ - pos_) throw fail("truncated pickle (needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) + ")");
    }
    uint8_t u8() {
        need(1);
        return data_[pos_++];
    }
    uint64_t le(size_t n) {
        need(n);
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;) v = (v << 8) | data_[pos_ + i];
        pos_ += n;
        return v;
    }
    std::string bytes(uint64_t n) {
        if (n > size_ - pos_) throw fail("truncated pickle (a string of " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) + ")");
        std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
        pos_ += static_cast<size_t>(n);
        return s;
    }
    std::string line() {
        const size_t start = pos_;
        while (pos_ < size_ && data_[pos_] != '\n') {
            if (pos_ - start > kMaxGlobalLine) throw fail("malformed pickle: GLOBAL name too long at offset " + std::to_string(start));
            ++pos_;
        }
        if (pos_ >= size_) throw fail("truncated pickle (GLOBAL at offset " + std::to_string(start) + ")");
        std::string s(reinterpret_cast<const char*>(data_ + start), pos_ - start);
        ++pos_;
        return s;
    }

    ValuePtr make(Value::Kind kind) {
        if (arena_.size() >= kMaxObjects) throw fail("the pickle creates more than " + std::to_string(kMaxObjects) + " objects");
        arena_.push_back(std::make_unique<Value>());
        arena_.back()->kind = kind;
        return arena_.back().get();
    }

    // --- stack --------------------------------------------------------------------------------
    void push(ValuePtr v) { stack_.push_back(std::move(v)); }
    ValuePtr pop() {
        if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) throw fail("malformed pickle: stack underflow at offset " + std::to_string(pos_));
        ValuePtr v = std::move(stack_.back());
        stack_.pop_back();
        return v;
    }
    ValuePtr top() {
        if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) throw fail("malformed pickle: stack underflow at offset " + std::to_string(pos_));
        return stack_.back();
    }
    std::vector<ValuePtr> pop_mark() {
        if (marks_.empty()) throw fail("malformed pickle: no MARK at offset " + std::to_string(pos_));
        const size_t mark = marks_.back();
        marks_.pop_back();
        std::vector<ValuePtr> items(std::make_move_iterator(stack_.begin() + mark), std::make_move_iterator(stack_.end()));
        stack_.resize(mark);
        return items;
    }
    ValuePtr tuple(std::vector<ValuePtr> items) {
        ValuePtr t = make(Value::Kind::tuple);
        t->items = std::move(items);
        return t;
    }
    ValuePtr integer(int64_t v) {
        ValuePtr p = make(Value::Kind::integer);
        p->integer = v;
        return p;
    }
    ValuePtr string(std::string s) {
        ValuePtr p = make(Value::Kind::string);
        p->string = std::move(s);
        return p;
    }
    void set_items(const ValuePtr& dict, std::vector<ValuePtr>& kv) {
        if (dict->kind != Value::Kind::dict) throw fail("malformed pickle: SETITEM(S) on a " + std::string(kind_name(dict->kind)));
        if (kv.size() % 2) throw fail("malformed pickle: odd number of items for SETITEMS");
        for (size_t i = 0; i < kv.size(); i += 2) {
            // Python dict semantics: a repeated string key replaces the earlier value.
            if (kv[i]->kind == Value::Kind::string) {
                auto [it, inserted] = dict->string_keys.emplace(kv[i]->string, dict->entries.size());
                if (!inserted) {
                    dict->entries[it->second].second = kv[i + 1];
                    continue;
                }
            }
            dict->entries.emplace_back(kv[i], kv[i + 1]);
        }
    }
    void memo_put(uint64_t index) {
        if (stack_.empty()) throw fail("malformed pickle: memoizing an empty stack");
        memo_[index] = stack_.back();
    }
    void memo_get(uint64_t index) {
        auto it = memo_.find(index);
        if (it == memo_.end()) throw fail("malformed pickle: memo entry " + std::to_string(index) + " is not set");
        push(it->second);
    }

    // --- globals ------------------------------------------------------------------------------
    ValuePtr global(const std::string& module, const std::string& name) {
        static const std::unordered_map<std::string, Global> allowed = {
            {"collections.OrderedDict", Global::ordered_dict},
            {"torch._utils._rebuild_tensor_v2", Global::rebuild_tensor_v2},
            {"torch.FloatStorage", Global::float_storage},
            {"torch.HalfStorage", Global::half_storage},
            {"torch.BFloat16Storage", Global::bfloat16_storage},
            {"torch.LongStorage", Global::long_storage},
        };
        const std::string full = module + "." + name;
        auto it = allowed.find(full);
        if (it == allowed.end())
            throw fail("refusing pickle global '" + printable(full) + "' (only tensor data is accepted)");
        ValuePtr g = make(Value::Kind::global);
        g->global = it->second;
        g->string = full;
        return g;
    }

    static bool storage_dtype(Global g, SourceDType* out) {
        switch (g) {
            case Global::float_storage: *out = SourceDType::f32; return true;
            case Global::half_storage: *out = SourceDType::f16; return true;
            case Global::bfloat16_storage: *out = SourceDType::bf16; return true;
            case Global::long_storage: *out = SourceDType::i64; return true;
            default: return false;
        }
    }

    int64_t as_int(const ValuePtr& v, const char* what) const {
        if (v->kind != Value::Kind::integer) throw fail(std::string("malformed tensor record: ") + what + " is a " + kind_name(v->kind) + ", not an int");
        return v->integer;
    }

    std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what) const {
        if (v->kind != Value::Kind::tuple || v->items.size() > kMaxRank)
            throw fail(std::string("malformed tensor record: ") + what + " is not a tuple of at most " + std::to_string(kMaxRank) + " ints");
        std::vector<int64_t> out;
        for (const ValuePtr& item : v->items) {
            const int64_t d = as_int(item, what);
            if (d < 0) throw fail(std::string("malformed tensor record: negative ") + what);
            out.push_back(d);
        }
        return out;
    }

    // BINPERSID: ('storage', <storage type>, key, location, numel)
    ValuePtr persistent_load(const ValuePtr& pid) {
        const auto& it = pid->items;
        if (pid->kind != Value::Kind::tuple || it.size() != 5 || it[0]->kind != Value::Kind::string ||
            it[0]->string != "storage" || it[1]->kind != Value::Kind::global || it[2]->kind != Value::Kind::string ||
            it[3]->kind != Value::Kind::string)
            throw fail("unsupported persistent id (only ('storage', type, key, location, numel) is accepted)");
        ValuePtr s = make(Value::Kind::storage);
        if (!storage_dtype(it[1]->global, &s->storage.dtype))
            throw fail("persistent id names '" + it[1]->string + "', not a storage type");
        s->storage.key = it[2]->string;
        const int64_t numel = as_int(it[4], "storage numel");
        if (numel < 0) throw fail("malformed tensor record: negative storage numel");
        s->storage.numel = static_cast<uint64_t>(numel);
        return s;
    }

    ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args) {
        if (callable->kind != Value::Kind::global) throw fail("malformed pickle: REDUCE on a " + std::string(kind_name(callable->kind)));
        if (args->kind != Value::Kind::tuple) throw fail("malformed pickle: REDUCE arguments are not a tuple");
        switch (callable->global) {
            case Global::ordered_dict:
                if (!args->items.empty()) throw fail("OrderedDict(...) with arguments is not supported");
                return make(Value::Kind::dict);
            case Global::rebuild_tensor_v2: return rebuild_tensor(args->items);
            default:
                throw fail("pickle calls '" + callable->string + "', which a state dict never does (only tensor data is accepted)");
        }
    }

    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    ValuePtr rebuild_tensor(const std::vector<ValuePtr>& a) {
        if (a.size() != 6 && a.size() != 7) throw fail("malformed tensor record: _rebuild_tensor_v2 takes 6 or 7 arguments");
        if (a[0]->kind != Value::Kind::storage) throw fail("malformed tensor record: the first argument is not a storage");
        const int64_t offset = as_int(a[1], "storage offset");
        std::vector<int64_t> shape = int_tuple(a[2], "size");
        std::vector<int64_t> stride = int_tuple(a[3], "stride");
        if (shape.size() != stride.size()) throw fail("malformed tensor record: size and stride differ in length");
        if (a[4]->kind != Value::Kind::boolean) throw fail("malformed tensor record: requires_grad is not a bool");
        if (a[5]->kind != Value::Kind::dict || !a[5]->entries.empty()) throw fail("tensors with backward hooks are not supported");
        if (a.size() == 7 && !(a[6]->kind == Value::Kind::none || (a[6]->kind == Value::Kind::dict && a[6]->entries.empty())))
            throw fail("tensors with extra metadata are not supported");
        if (offset < 0) throw fail("malformed tensor record: negative storage offset");

        // Every addressed element must lie inside the storage: offset + sum((size-1) * stride) < numel.
        const uint64_t numel = a[0]->storage.numel;
        bool empty = false;
        for (int64_t d : shape) empty |= d == 0;
        if (!empty) {
            uint64_t last = static_cast<uint64_t>(offset);
            for (size_t i = 0; i < shape.size(); ++i) {
                uint64_t term = 0;
                if (__builtin_mul_overflow(static_cast<uint64_t>(shape[i] - 1), static_cast<uint64_t>(stride[i]), &term) ||
                    __builtin_add_overflow(last, term, &last))
                    throw fail("malformed tensor record: tensor extends past its storage");
            }
            if (last >= numel) throw fail("malformed tensor record: tensor extends past its storage of " + std::to_string(numel) + " elements");
        }
        ValuePtr t = make(Value::Kind::tensor);
        t->tensor.storage = a[0]->storage;
        t->tensor.storage_offset = static_cast<uint64_t>(offset);
        t->tensor.shape = std::move(shape);
        t->tensor.stride = std::move(stride);
        return t;
    }

    // --- the interpreter ----------------------------------------------------------------------
    void step(uint8_t op, size_t at) {
        switch (op) {
            case 0x80: {  // PROTO
                const uint8_t version = u8();
                if (version > 5) throw fail("unsupported pickle protocol " + std::to_string(version));
                break;
            }
            case 0x95: le(8); break;  // FRAME: framing is only a read-ahead hint
            case '(': marks_.push_back(stack_.size()); break;                   // MARK
            case '}': push(make(Value::Kind::dict)); break;                    // EMPTY_DICT
            case ']': push(make(Value::Kind::list)); break;                    // EMPTY_LIST
            case ')': push(tuple({})); break;                                  // EMPTY_TUPLE
            case 't': push(tuple(pop_mark())); break;                          // TUPLE
            case 0x85: { ValuePtr a = pop(); push(tuple({a})); break; }        // TUPLE1
            case 0x86: { ValuePtr b = pop(), a = pop(); push(tuple({a, b})); break; }              // TUPLE2
            case 0x87: { ValuePtr c = pop(), b = pop(), a = pop(); push(tuple({a, b, c})); break; }  // TUPLE3
            case 'l': { ValuePtr l = make(Value::Kind::list); l->items = pop_mark(); push(l); break; }  // LIST
            case 'd': {  // DICT
                std::vector<ValuePtr> kv = pop_mark();
                ValuePtr d = make(Value::Kind::dict);
                set_items(d, kv);
                push(d);
                break;
            }
            case 'a': {  // APPEND
                ValuePtr v = pop();
                if (top()->kind != Value::Kind::list) throw fail("malformed pickle: APPEND to a " + std::string(kind_name(top()->kind)));
                top()->items.push_back(v);
                break;
            }
            case 'e': {  // APPENDS
                std::vector<ValuePtr> items = pop_mark();
                if (top()->kind != Value::Kind::list) throw fail("malformed pickle: APPENDS to a " + std::string(kind_name(top()->kind)));
                for (auto& v : items) top()->items.push_back(std::move(v));
                break;
            }
            case 's': {  // SETITEM
                ValuePtr v = pop(), k = pop();
                std::vector<ValuePtr> kv = {k, v};
                set_items(top(), kv);
                break;
            }
            case 'u': {  // SETITEMS
                std::vector<ValuePtr> kv = pop_mark();
                set_items(top(), kv);
                break;
            }
            case 'N': push(make(Value::Kind::none)); break;  // NONE
            case 0x88:                                         // NEWTRUE
            case 0x89: {                                       // NEWFALSE
                ValuePtr b = make(Value::Kind::boolean);
                b->integer = op == 0x88;
                push(b);
                break;
            }
            case 'J': push(integer(static_cast<int32_t>(static_cast<uint32_t>(le(4))))); break;  // BININT
            case 'K': push(integer(u8())); break;                                              // BININT1
            case 'M': push(integer(static_cast<int64_t>(le(2)))); break;                       // BININT2
            case 0x8a: {                                                                        // LONG1
                const uint8_t n = u8();
                if (n > 8) throw fail("integer too large in pickle at offset " + std::to_string(at));
                uint64_t v = n ? le(n) : 0;
                if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
                push(integer(static_cast<int64_t>(v)));
                break;
            }
            case 'G': {  // BINFLOAT (big-endian double)
                need(8);
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i) bits = (bits << 8) | data_[pos_ + i];
                pos_ += 8;
                ValuePtr f = make(Value::Kind::real);
                std::memcpy(&f->real, &bits, sizeof bits);
                push(f);
                break;
            }
            case 'X': { const uint64_t n = le(4); push(string(bytes(n))); break; }  // BINUNICODE
            case 0x8c: { const uint64_t n = u8(); push(string(bytes(n))); break; }  // SHORT_BINUNICODE
            case 0x8d: { const uint64_t n = le(8); push(string(bytes(n))); break; }  // BINUNICODE8
            case 'q': memo_put(u8()); break;                 // BINPUT
            case 'r': memo_put(le(4)); break;                // LONG_BINPUT
            case 0x94: memo_put(memo_.size()); break;        // MEMOIZE
            case 'h': memo_get(u8()); break;                 // BINGET
            case 'j': memo_get(le(4)); break;                // LONG_BINGET
            case 'c': {                                      // GLOBAL "module\nname\n"
                std::string module = line();
                std::string name = line();
                push(global(module, name));
                break;
            }
            case 0x93: {  // STACK_GLOBAL
                ValuePtr name = pop(), module = pop();
                if (name->kind != Value::Kind::string || module->kind != Value::Kind::string)
                    throw fail("malformed pickle: STACK_GLOBAL needs two strings");
                push(global(module->string, name->string));
                break;
            }
            case 'R': {  // REDUCE
                ValuePtr args = pop(), callable = pop();
                push(reduce(callable, args));
                break;
            }
            case 'b': {  // BUILD: only the state of an OrderedDict (its _metadata), which is dropped
                pop();
                if (top()->kind != Value::Kind::dict) throw fail("malformed pickle: BUILD on a " + std::string(kind_name(top()->kind)));
                break;
            }
            case 'Q': push(persistent_load(pop())); break;  // BINPERSID
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                throw fail(std::string("unsupported pickle opcode ") + hex + " at offset " + std::to_string(at) +
                           " (only tensor data is accepted)");
            }
        }
    }

    std::vector<PickledTensor> state_dict(const ValuePtr& root) const {
        if (root->kind != Value::Kind::dict) throw fail("the pickle holds a " + std::string(kind_name(root->kind)) + ", not a state dict");
        std::vector<PickledTensor> out;
        for (const auto& [key, value] : root->entries) {
            if (key->kind != Value::Kind::string) throw fail("the state dict has a " + std::string(kind_name(key->kind)) + " key");
            if (value->kind != Value::Kind::tensor)
                throw fail("state dict entry '" + printable(key->string) + "' is a " + kind_name(value->kind) + ", not a tensor");
            out.push_back(value->tensor);
            out.back().name = key->string;
        }
        return out;
    }

    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
    std::string file_;
    std::vector<ValuePtr> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint64_t, ValuePtr> memo_;
    std::vector<std::unique_ptr<Value>> arena_;
};

}  // namespace

std::vector<PickledTensor> unpickle_state_dict(const uint8_t* data, size_t size, const std::string& file) {
    return Unpickler(data, size, file).run();
}

}  // namespace edgembed::convert
