#include "quant/int8_gemm.h"

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "runtime/error.h"

#if defined(EDGEMBED_WITH_ONEDNN)
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace edgembed::quant {

Int8Gemm::Int8Gemm(const int8_t* w, size_t n, size_t k) : col_sums_(n) {
    for (size_t j = 0; j < n; ++j) {
        int32_t sum = 0;
        for (size_t p = 0; p < k; ++p) sum += w[j * k + p];
        col_sums_[j] = sum;
    }
}

namespace {

// Shifts u8 activations to s8 (x - 128, an XOR of the top bit) and runs the portable s8 x s8 kernel.
class GenericInt8Gemm final : public Int8Gemm {
public:
    GenericInt8Gemm(const int8_t* w, size_t n, size_t k) : Int8Gemm(w, n, k), w_(w), n_(n), k_(k) {}
    void run(uint8_t* a, size_t m, int32_t* c) const override {
        for (size_t i = 0; i < m * k_; ++i) a[i] ^= 0x80;
        s8_gemm_s32_generic(reinterpret_cast<const int8_t*>(a), w_, c, m, n_, k_);
    }
    int32_t activation_offset() const override { return 128; }
    const char* name() const override { return "generic"; }

private:
    const int8_t* w_;
    size_t n_, k_;
};

#if defined(EDGEMBED_WITH_ONEDNN)

// oneDNN u8 x s8 -> s32 matmul. The weights are reordered once, into the layout oneDNN prefers for a
// representative token count; a primitive per token count M then uses that layout (oneDNN 2.6 only picks
// its fast brgemm kernels for a fixed M: a run-time M falls back to gemm:jit). Primitives are cached
// per M; if oneDNN refuses the layout for some M, that M runs on a run-time-M primitive over a plain copy.
class OneDnnInt8Gemm final : public Int8Gemm {
public:
    OneDnnInt8Gemm(const int8_t* w, size_t n, size_t k) : Int8Gemm(w, n, k), n_(n), k_(k), plain_(w) {
        using dnnl::memory;
        const auto kk = static_cast<memory::dim>(k), nn = static_cast<memory::dim>(n);
        // W is [n, k] row-major, i.e. the [k, n] weights matrix in the transposed ("ba") layout.
        memory user({{kk, nn}, memory::data_type::s8, memory::format_tag::ba}, engine(), const_cast<int8_t*>(w));
        weights_ = memory(preferred_weights_desc(kk, nn), engine());
        dnnl::stream stream(engine());
        dnnl::reorder(user, weights_).execute(stream, user, weights_);
        stream.wait();
    }

    void run(uint8_t* a, size_t m, int32_t* c) const override {
        using dnnl::memory;
        const auto mm = static_cast<memory::dim>(m), kk = static_cast<memory::dim>(k_), nn = static_cast<memory::dim>(n_);
        const memory src({{mm, kk}, memory::data_type::u8, memory::format_tag::ab}, engine(), a);
        const memory dst({{mm, nn}, memory::data_type::s32, memory::format_tag::ab}, engine(), c);
        dnnl::stream stream(engine());
        const Primitive& p = primitive(mm);
        p.matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.plain ? p.plain_weights : weights_},
                                  {DNNL_ARG_DST, dst}});
        stream.wait();
    }
    int32_t activation_offset() const override { return 0; }
    const char* name() const override { return "onednn"; }

private:
    static constexpr dnnl::memory::dim kRepresentativeM = 128;
    static constexpr size_t kMaxCachedPrimitives = 1024;
    struct Primitive {
        dnnl::matmul matmul;
        bool plain = false;
        dnnl::memory plain_weights;
    };

    static const dnnl::engine& engine() {
        static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
        return e;
    }

    // The weights layout oneDNN prefers for a [k, n] matrix, asked once per shape (every layer of a model
    // shares a few shapes, and asking costs about a millisecond).
    static dnnl::memory::desc preferred_weights_desc(dnnl::memory::dim k, dnnl::memory::dim n) {
        using dnnl::memory;
        static std::mutex mutex;
        static std::map<std::pair<memory::dim, memory::dim>, memory::desc> known;
        std::lock_guard<std::mutex> lock(mutex);
        auto it = known.find({k, n});
        if (it != known.end()) return it->second;
        const dnnl::matmul::primitive_desc pd(
            dnnl::matmul::desc(memory::desc({kRepresentativeM, k}, memory::data_type::u8, memory::format_tag::ab),
                               memory::desc({k, n}, memory::data_type::s8, memory::format_tag::any),
                               memory::desc({kRepresentativeM, n}, memory::data_type::s32, memory::format_tag::ab)),
            engine());
        return known.emplace(std::make_pair(k, n), pd.weights_desc()).first->second;
    }

    const Primitive& primitive(dnnl::memory::dim m) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = cache_.find(m);
        if (it != cache_.end()) return it->second;
        if (cache_.size() >= kMaxCachedPrimitives) cache_.clear();  // bounded; oneDNN's own cache still helps
        using dnnl::memory;
        const auto kk = static_cast<memory::dim>(k_), nn = static_cast<memory::dim>(n_);
        Primitive p;
        try {
            p.matmul = dnnl::matmul(dnnl::matmul::primitive_desc(
                dnnl::matmul::desc(memory::desc({m, kk}, memory::data_type::u8, memory::format_tag::ab),
                                   weights_.get_desc(),
                                   memory::desc({m, nn}, memory::data_type::s32, memory::format_tag::ab)),
                engine()));
        } catch (const dnnl::error&) {
            p.plain = true;
            p.plain_weights = memory({{kk, nn}, memory::data_type::s8, memory::format_tag::ba}, engine(),
                                     const_cast<int8_t*>(plain_));
            p.matmul = dnnl::matmul(dnnl::matmul::primitive_desc(
                dnnl::matmul::desc(memory::desc({m, kk}, memory::data_type::u8, memory::format_tag::ab),
                                   p.plain_weights.get_desc(),
                                   memory::desc({m, nn}, memory::data_type::s32, memory::format_tag::ab)),
                engine()));
        }
        return cache_.emplace(m, std::move(p)).first->second;
    }

    size_t n_, k_;
    const int8_t* plain_;  // the mapped weights, for the fallback
    dnnl::memory weights_;
    mutable std::mutex mutex_;
    mutable std::unordered_map<dnnl::memory::dim, Primitive> cache_;
};

#endif

}  // namespace

#if defined(EDGEMBED_WITH_ONEDNN)
namespace {

// Without VNNI, oneDNN's u8 x s8 kernels sum pairs of products in int16 (vpmaddubsw) and saturate for
// full-range u8 activations, so they would not be exact: such CPUs (or ISA caps) use the portable kernel.
bool onednn_int8_is_exact() {
    const unsigned isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
    auto has = [isa](dnnl_cpu_isa_t bits) { return (isa & static_cast<unsigned>(bits)) == static_cast<unsigned>(bits); };
    return has(dnnl_cpu_isa_avx512_core_vnni) || has(dnnl_cpu_isa_avx2_vnni);
}

}  // namespace
#endif

std::unique_ptr<Int8Gemm> make_int8_gemm(const int8_t* w, size_t n, size_t k) {
#if defined(EDGEMBED_WITH_ONEDNN)
    if (!onednn_int8_is_exact()) return std::make_unique<GenericInt8Gemm>(w, n, k);
    try {
        return std::make_unique<OneDnnInt8Gemm>(w, n, k);
    } catch (const dnnl::error& e) {
        throw Error(Status::internal_error, std::string("oneDNN int8 matmul setup failed: ") + e.what());
    }
#else
    return std::make_unique<GenericInt8Gemm>(w, n, k);
#endif
}

const char* int8_gemm_backend() {
#if defined(EDGEMBED_WITH_ONEDNN)
    if (onednn_int8_is_exact()) return "onednn";
#endif
    return "generic";
}

}  // namespace edgembed::quant
