#include "quant/int8_gemm.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "base/error.h"
#include "base/thread_pool.h"
#include "quant/int8_gemm_kernels.h"
#include "simd/isa.h"

#if defined(EDGEMBED_WITH_ONEDNN)
#include <oneapi/dnnl/dnnl.hpp>
#endif
#if defined(_OPENMP)
#include <omp.h>  // oneDNN's own threads (its OpenMP runtime)
#endif

namespace edgembed::quant {

Int8Gemm::Int8Gemm(const int8_t* w, size_t n, size_t k, bool sum_columns) : col_sums_(n) {
    if (!sum_columns) return;
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
    void run(uint8_t* a, size_t m, int32_t* c, size_t) const override {
        for (size_t i = 0; i < m * k_; ++i) a[i] ^= 0x80;
        s8_gemm_s32_generic(reinterpret_cast<const int8_t*>(a), w_, c, m, n_, k_);
    }
    int32_t activation_offset() const override { return 128; }
    const char* name() const override { return "generic"; }
    bool reads_source_weights() const override { return true; }

private:
    const int8_t* w_;
    size_t n_, k_;
};

// Below this many multiply-adds a packed GEMM runs on one thread: waking the others costs more.
constexpr size_t kParallelMacs = size_t(1) << 18;
// Runs of output blocks per thread, taken as the threads finish.
constexpr size_t kPartsPerThread = 4;

// One of the project's packed kernels (int8_gemm_kernels.h): the weights are packed into the kernel's tile
// layout once, here, in the model's weight arena; s8 x s8 kernels get the activations shifted to s8 in
// place. The pool's threads take runs of whole blocks of output channels (a few per thread, so that a
// core slowed by other work takes fewer); the sums are exact, so the split does not change them.
class PackedInt8Gemm final : public Int8Gemm {
public:
    PackedInt8Gemm(const Int8GemmKernel& kernel, const int8_t* w, size_t n, size_t k, WeightArena& arena)
        : Int8Gemm(w, n, k, false), kernel_(kernel), n_(n), k_(k),
          packed_(static_cast<int8_t*>(arena.allocate(kernel.packed_bytes(n, k)))) {
        kernel.pack(w, n, k, packed_);
        // The column sums are the product with a row of ones, which the kernel computes fastest.
        std::vector<uint8_t> ones(k, static_cast<uint8_t>(kernel.activation_offset + 1));
        run(ones.data(), 1, col_sums_.data(), 1);
    }
    void run(uint8_t* a, size_t m, int32_t* c, size_t threads) const override {
        if (kernel_.activation_offset == 128) {
            // Pointer and bound in locals: a store through `a` (uint8_t, which may alias anything) would
            // otherwise make the compiler reload k_ and `a` (captured below) every byte and keep the loop
            // scalar (5 % of int8 MiniLM's time).
            uint8_t* const begin = a;
            uint8_t* const end = a + m * k_;
            for (uint8_t* p = begin; p != end; ++p) *p ^= 0x80;
        }
        const size_t nr = kernel_.block_columns, blocks = (n_ + nr - 1) / nr;
        const size_t block_bytes = kernel_.packed_bytes(nr, k_);
        if (m * n_ * k_ < kParallelMacs) threads = 1;
        const size_t parts = std::min(blocks, threads * kPartsPerThread);
        parallel_for(threads, parts, 1, [&](size_t first_part, size_t end_part, size_t) {
            for (size_t part = first_part; part < end_part; ++part) {
                const size_t b0 = blocks * part / parts, b1 = blocks * (part + 1) / parts;
                const size_t first = b0 * nr;
                kernel_.run(a, m, std::min(n_, b1 * nr) - first, k_, packed_ + b0 * block_bytes, c + first, n_,
                            scratch(m));
            }
        });
    }
    int32_t activation_offset() const override { return kernel_.activation_offset; }
    const char* name() const override { return kernel_.name; }

private:
    // The kernel's per-run scratch, per thread (grows to the largest need on that thread).
    void* scratch(size_t m) const {
        if (kernel_.scratch_bytes == nullptr) return nullptr;
        thread_local std::vector<int32_t> buffer;
        const size_t ints = (kernel_.scratch_bytes(m, k_) + sizeof(int32_t) - 1) / sizeof(int32_t);
        if (buffer.size() < ints) buffer.resize(ints);
        return buffer.data();
    }

    const Int8GemmKernel& kernel_;
    size_t n_, k_;
    int8_t* packed_;
};

#if defined(EDGEMBED_HAVE_X86_KERNELS)
bool avx2_available() { return simd::isa_available(simd::Isa::avx2); }
// vpdpbusd on zmm: AVX-512 with the OS support check (isa_available), plus the VNNI bit.
bool avx512vnni_available() {
    return simd::isa_available(simd::Isa::avx512bw) && __builtin_cpu_supports("avx512vnni");
}
#endif

// The packed kernels, best first within an architecture; one line each.
const std::vector<Int8GemmKernel>& packed_kernels() {
    static const std::vector<Int8GemmKernel> kernels = {
#if defined(EDGEMBED_HAVE_X86_KERNELS)
        {"avx512vnni", 0, 48, avx512vnni_available, u8s8_gemm_s32_avx512vnni_packed_bytes, u8s8_gemm_s32_avx512vnni_pack,
         nullptr,
         [](const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* w, int32_t* c, size_t ldc, void*) {
             u8s8_gemm_s32_avx512vnni(a, m, n, k, w, c, ldc);
         }},
        {"avx2", 128, 16, avx2_available, s8_gemm_s32_avx2_packed_bytes, s8_gemm_s32_avx2_pack, s8_gemm_s32_avx2_scratch_bytes,
         [](const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* w, int32_t* c, size_t ldc, void* scratch) {
             s8_gemm_s32_avx2(reinterpret_cast<const int8_t*>(a), m, n, k, w, c, ldc, scratch);
         }},
#endif
#if defined(EDGEMBED_HAVE_NEON_KERNELS)
        {"neon-dotprod", 128, 16, [] { return simd::cpu_has_arm_dotprod(); }, s8_gemm_s32_neondot_packed_bytes,
         s8_gemm_s32_neondot_pack, nullptr,
         [](const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* w, int32_t* c, size_t ldc, void*) {
             s8_gemm_s32_neondot(reinterpret_cast<const int8_t*>(a), m, n, k, w, c, ldc);
         }},
        {"neon", 128, 4, [] { return simd::isa_available(simd::Isa::neon64); }, s8_gemm_s32_neon_packed_bytes,
         s8_gemm_s32_neon_pack, nullptr,
         [](const uint8_t* a, size_t m, size_t n, size_t k, const int8_t* w, int32_t* c, size_t ldc, void*) {
             s8_gemm_s32_neon(reinterpret_cast<const int8_t*>(a), m, n, k, w, c, ldc);
         }},
#endif
    };
    return kernels;
}

const Int8GemmKernel* find_packed_kernel(const std::string& name) {
    for (const Int8GemmKernel& kernel : packed_kernels())
        if (name == kernel.name) return &kernel;
    return nullptr;
}

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

    void run(uint8_t* a, size_t m, int32_t* c, size_t threads) const override {
        using dnnl::memory;
#if defined(_OPENMP)
        // oneDNN threads through OpenMP: this call's budget, on this thread (1 inside the pool's tasks).
        omp_set_num_threads(static_cast<int>(std::max<size_t>(threads, 1)));
#else
        (void)threads;
#endif
        const auto mm = static_cast<memory::dim>(m), kk = static_cast<memory::dim>(k_), nn = static_cast<memory::dim>(n_);
        const memory src({{mm, kk}, memory::data_type::u8, memory::format_tag::ab}, engine(), a);
        const memory dst({{mm, nn}, memory::data_type::s32, memory::format_tag::ab}, engine(), c);
        dnnl::stream stream(engine());
        const Primitive& p = primitive(mm);
        // Each calling thread brings its own scratchpad: with oneDNN's (library-managed, shared) scratchpad,
        // primitives run at once from several threads overwrite each other's buffers and return wrong sums.
        thread_local std::vector<uint8_t> scratchpad;
        if (scratchpad.size() < p.scratchpad.get_size()) scratchpad.resize(p.scratchpad.get_size());
        const memory scratch(p.scratchpad, engine(), scratchpad.data());
        p.matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.plain ? p.plain_weights : weights_},
                                  {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratch}});
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
        dnnl::memory::desc scratchpad;
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
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // run() passes a per-thread scratchpad
        auto make = [&](const memory::desc& weights) {
            const dnnl::matmul::primitive_desc pd(
                dnnl::matmul::desc(memory::desc({m, kk}, memory::data_type::u8, memory::format_tag::ab), weights,
                                   memory::desc({m, nn}, memory::data_type::s32, memory::format_tag::ab)),
                attr, engine());
            p.matmul = dnnl::matmul(pd);
            p.scratchpad = pd.scratchpad_desc();
        };
        try {
            make(weights_.get_desc());
        } catch (const dnnl::error&) {
            p.plain = true;
            p.plain_weights = memory({{kk, nn}, memory::data_type::s8, memory::format_tag::ba}, engine(),
                                     const_cast<int8_t*>(plain_));
            make(p.plain_weights.get_desc());
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

namespace {

// The back end make_int8_gemm() picks, within the ISA cap: the avx512vnni kernel where the CPU has it
// (as fast as oneDNN's matmul from 128 rows, faster below, and it only packs at load where oneDNN
// reorders and builds primitives); else oneDNN where it is exact (AVX-VNNI without AVX-512); else the
// best other packed kernel (avx2 from avx2 up; on aarch64 NEON unless capped to scalar); else generic.
const char* best_backend() {
    std::vector<std::string> allowed;
    switch (simd::active_isa()) {
        case simd::Isa::avx512bw: allowed = {"avx512vnni", "onednn", "avx2"}; break;
        case simd::Isa::avx2: allowed = {"onednn", "avx2"}; break;
        case simd::Isa::neon64: allowed = {"neon-dotprod", "neon"}; break;
        default: break;
    }
    for (const std::string& name : allowed) {
        if (name == "onednn") {
#if defined(EDGEMBED_WITH_ONEDNN)
            if (onednn_int8_is_exact()) return "onednn";
#endif
            continue;
        }
        const Int8GemmKernel* kernel = find_packed_kernel(name);
        if (kernel != nullptr && kernel->available()) return kernel->name;
    }
    return "generic";
}

// EDGEMBED_INT8_GEMM=<name> overrides the choice (for benchmarks and comparisons), read once; a back end
// this build or CPU lacks is an error, not a silent fallback.
const char* forced_backend() {
    static const std::string choice = [] {
        const char* forced = std::getenv("EDGEMBED_INT8_GEMM");
        if (forced == nullptr || *forced == '\0') return std::string();
        const int8_t probe[4] = {1, 2, 3, 4};
        WeightArena arena(0);
        std::string available;
        for (const char* name : int8_gemm_backend_names()) {
            if (make_int8_gemm_backend(name, probe, 1, 4, arena) == nullptr) continue;
            if (std::string(name) == forced) return std::string(name);
            available += std::string(available.empty() ? "" : ", ") + name;
        }
        return "!" + available;
    }();
    if (!choice.empty() && choice[0] == '!')
        throw Error(Status::invalid_argument, std::string("EDGEMBED_INT8_GEMM=") + std::getenv("EDGEMBED_INT8_GEMM") +
                                                  ": no such int8 GEMM back end in this build and CPU (available: " +
                                                  choice.substr(1) + ")");
    return choice.empty() ? nullptr : choice.c_str();
}

const char* pick_backend() {
    const char* forced = forced_backend();
    return forced ? forced : best_backend();
}

}  // namespace

std::unique_ptr<Int8Gemm> make_int8_gemm(const int8_t* w, size_t n, size_t k, WeightArena& arena) {
    std::unique_ptr<Int8Gemm> gemm = make_int8_gemm_backend(pick_backend(), w, n, k, arena);
    if (gemm == nullptr) throw Error(Status::internal_error, "no int8 GEMM back end could be set up");
    return gemm;
}

const char* int8_gemm_backend() { return pick_backend(); }

const std::vector<const char*>& int8_gemm_backend_names() {
    static const std::vector<const char*> names = {"generic", "avx2", "avx512vnni", "neon", "neon-dotprod", "onednn"};
    return names;
}

std::unique_ptr<Int8Gemm> make_int8_gemm_backend(const char* name, const int8_t* w, size_t n, size_t k,
                                                WeightArena& arena) {
    const std::string wanted = name;
    if (wanted == "generic") return std::make_unique<GenericInt8Gemm>(w, n, k);
    if (wanted == "onednn") {
#if defined(EDGEMBED_WITH_ONEDNN)
        if (!onednn_int8_is_exact()) return nullptr;
        try {
            return std::make_unique<OneDnnInt8Gemm>(w, n, k);
        } catch (const dnnl::error& e) {
            throw Error(Status::internal_error, std::string("oneDNN int8 matmul setup failed: ") + e.what());
        }
#else
        return nullptr;
#endif
    }
    const Int8GemmKernel* kernel = find_packed_kernel(wanted);
    if (kernel == nullptr || !kernel->available()) return nullptr;
    return std::make_unique<PackedInt8Gemm>(*kernel, w, n, k, arena);
}

}  // namespace edgembed::quant
