// The Python binding: edgembed._edgembed. python/edgembed/__init__.py builds the user-facing API
// (Model.encode with sentence-transformers' conventions, the progress bar) on these pieces:
//   _Model(path)                    an immutable model; thread-safe
//   _Model.embed(texts, out, ..., prompt)  embeds a list of str / bytes into a float32 C-contiguous array
//                                   (rows = texts), the GIL released meanwhile; prompt goes before each text
//   _Model.token_embeddings(texts, ..., prompt) -> (states, offsets, stats): every text's token states,
//                                   text i's rows being states[offsets[i]:offsets[i + 1]] (float32)
//   _Model.prompts, .default_prompt_name   what the model file stores
//   _Model.tokenize(text, max_length) -> list[int]
//   convert(hf_dir, out_path, dtype, temperature, max_seq_length, auto_temperature) -> dict
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "runtime/context.h"
#include "runtime/model.h"
#include "simd/isa.h"
#include "tools/convert/convert.h"

namespace py = pybind11;

namespace {

using namespace edgembed;

class PyModel {
public:
    explicit PyModel(const std::string& path) {
        py::gil_scoped_release release;
        model_ = Model::load(path);
    }

    int dimension() const { return model_->dimension(); }
    const ModelConfig& config() const { return model_->config(); }

    // texts: a list of str (encoded to UTF-8) or bytes (passed as they are).
    py::dict embed(const py::list& texts, py::array_t<float, py::array::c_style> out, float temperature,
                   int max_length, int batch_size, int normalize, int threads, bool auto_temperature, bool windows,
                   int window_stride, const std::string& prompt) {
        const std::vector<std::string> owned = texts_of(texts);
        const size_t dim = static_cast<size_t>(dimension());
        if (out.ndim() != 2 || static_cast<size_t>(out.shape(0)) != owned.size() || static_cast<size_t>(out.shape(1)) != dim)
            throw py::value_error("out must be a C-contiguous float32 array of shape (len(texts), dimension)");
        if (!out.writeable()) throw py::value_error("out is read-only");
        EmbedOptions options = options_of(temperature, max_length, batch_size, threads, auto_temperature, prompt);
        options.normalize = normalize;
        options.long_input = windows ? LongInput::window : LongInput::truncate;
        options.window_stride = window_stride;
        float* data = out.mutable_data();
        const EmbedStats stats = with_context(owned, [&](Context& context, const std::vector<std::string_view>& views) {
            return context.embed(views, options, data);
        });
        return stats_dict(stats);
    }

    // -> (states [total tokens, hidden_size] float32, offsets [len(texts) + 1] int64, stats)
    py::tuple token_embeddings(const py::list& texts, float temperature, int max_length, int batch_size, int threads,
                               bool auto_temperature, const std::string& prompt) {
        const std::vector<std::string> owned = texts_of(texts);
        const EmbedOptions options = options_of(temperature, max_length, batch_size, threads, auto_temperature, prompt);
        auto states = std::make_unique<std::vector<float>>();
        std::vector<size_t> offsets;
        const EmbedStats stats = with_context(owned, [&](Context& context, const std::vector<std::string_view>& views) {
            return context.token_embeddings(views, options, *states, offsets);
        });
        const size_t dim = static_cast<size_t>(config().hidden_size);  // before any Dense module
        const size_t rows = offsets.back();
        float* data = states->data();
        py::capsule owner(states.release(), [](void* p) { delete static_cast<std::vector<float>*>(p); });
        py::array_t<float> array({rows, dim}, {dim * sizeof(float), sizeof(float)}, data, owner);
        py::array_t<int64_t> starts(static_cast<py::ssize_t>(offsets.size()));
        std::copy(offsets.begin(), offsets.end(), starts.mutable_data());
        return py::make_tuple(array, starts, stats_dict(stats));
    }

    std::vector<int32_t> tokenize(const py::handle& text, int max_length) const {
        if (!py::isinstance<py::str>(text) && !py::isinstance<py::bytes>(text))
            throw py::type_error("text must be str or bytes");
        const std::string owned = text.cast<std::string>();
        Context context(model_);
        return context.tokenize(owned, max_length);
    }

private:
    static std::vector<std::string> texts_of(const py::list& texts) {
        std::vector<std::string> owned;
        owned.reserve(texts.size());
        for (const py::handle& text : texts) {
            if (!py::isinstance<py::str>(text) && !py::isinstance<py::bytes>(text))
                throw py::type_error("texts must be str or bytes, not " + std::string(py::str(py::type::of(text))));
            owned.push_back(text.cast<std::string>());
        }
        return owned;
    }

    static EmbedOptions options_of(float temperature, int max_length, int batch_size, int threads, bool auto_temperature,
                                   const std::string& prompt) {
        EmbedOptions options;
        options.prompt = prompt;
        options.temperature = temperature;  // NaN = the model's
        options.max_length = max_length;
        options.batch_size = batch_size;
        options.threads = threads;
        options.auto_temperature = auto_temperature;
        return options;
    }

    static py::dict stats_dict(const EmbedStats& stats) {
        py::dict result;
        result["texts"] = stats.texts;
        result["tokens"] = stats.tokens;
        result["truncated"] = stats.truncated;
        result["windowed"] = stats.windowed;
        return result;
    }

    // Runs work(context, views) with the GIL released, on the cached context; a concurrent call (another
    // Python thread) gets its own.
    template <class Work>
    EmbedStats with_context(const std::vector<std::string>& owned, Work&& work) {
        std::vector<std::string_view> views(owned.begin(), owned.end());
        py::gil_scoped_release release;
        std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
        if (lock.owns_lock()) {
            if (!context_) context_ = std::make_unique<Context>(model_);
            return work(*context_, views);
        }
        Context context(model_);
        return work(context, views);
    }

    std::shared_ptr<const Model> model_;
    std::mutex mutex_;
    std::unique_ptr<Context> context_;
};

py::dict convert_model(const std::string& hf_dir, const std::string& out_path, const std::string& dtype,
                       std::optional<float> temperature, std::optional<int> max_seq_length,
                       const std::string& auto_temperature) {
    convert::ConvertOptions options;
    options.hf_dir = hf_dir;
    options.out_file = out_path;
    options.dtype = dtype;
    options.temperature = temperature;
    options.max_seq_length = max_seq_length;
    options.auto_temperature = auto_temperature;
    std::vector<std::string> notes;
    options.note = [&notes](const std::string& note) { notes.push_back(note); };
    convert::ConvertSummary summary;
    {
        py::gil_scoped_release release;
        summary = convert::convert(options);
    }
    py::dict result;
    result["out_path"] = out_path;
    result["weights"] = summary.weights;
    result["tensors"] = summary.tensor_count;
    result["parameters"] = summary.parameter_count;
    result["file_size"] = summary.file_size;
    result["seconds"] = summary.seconds;
    result["dimension"] = summary.config.output_dimension();
    result["weight_dtype"] = summary.config.weight_dtype;
    result["notes"] = notes;
    return result;
}

}  // namespace

PYBIND11_MODULE(_edgembed, m) {
    m.doc() = "edgembed: text embeddings on the CPU (the compiled part; use the edgembed package)";
    m.attr("__version__") = EDGEMBED_VERSION_STRING;

    // edgembed::Error -> a Python exception by status; EdgembedError (a RuntimeError) carries .status.
    // The type lives as long as the module (never unloaded), so the translator may keep a raw pointer.
    static PyObject* error_type = PyErr_NewException("edgembed._edgembed.EdgembedError", PyExc_RuntimeError, nullptr);
    if (error_type == nullptr) throw py::error_already_set();
    m.attr("EdgembedError") = py::reinterpret_borrow<py::object>(error_type);
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            const std::string message = std::string(e.what()) + " [" + status_name(e.status()) + "]";
            switch (e.status()) {
                case Status::file_not_found: PyErr_SetString(PyExc_FileNotFoundError, message.c_str()); return;
                case Status::invalid_argument:
                case Status::invalid_utf8:
                case Status::limit_exceeded: PyErr_SetString(PyExc_ValueError, message.c_str()); return;
                case Status::out_of_memory: PyErr_SetString(PyExc_MemoryError, message.c_str()); return;
                default: {
                    py::object instance = py::reinterpret_borrow<py::object>(error_type)(message);
                    instance.attr("status") = status_name(e.status());
                    PyErr_SetObject(error_type, instance.ptr());
                    return;
                }
            }
        }
    });

    py::class_<PyModel>(m, "_Model")
        .def(py::init<const std::string&>(), py::arg("path"))
        .def_property_readonly("dimension", &PyModel::dimension)
        .def_property_readonly("max_seq_length", [](const PyModel& self) { return self.config().max_seq_length; })
        .def_property_readonly("max_position_embeddings",
                               [](const PyModel& self) { return self.config().max_position_embeddings; })
        .def_property_readonly("normalize", [](const PyModel& self) { return self.config().normalize; })
        .def_property_readonly("default_temperature", [](const PyModel& self) { return self.config().default_temperature; })
        .def_property_readonly("auto_temperature",
                               [](const PyModel& self) -> std::optional<std::string> {
                                   const auto& setting = self.config().auto_temperature;
                                   if (!setting) return std::nullopt;
                                   return to_string(*setting);
                               })
        .def_property_readonly("pooling", [](const PyModel& self) { return pooling_name(self.config().pooling); })
        .def_property_readonly("architecture", [](const PyModel& self) { return self.config().architecture; })
        .def_property_readonly("weight_dtype", [](const PyModel& self) { return self.config().weight_dtype; })
        .def("embed", &PyModel::embed, py::arg("texts"), py::arg("out").noconvert(), py::arg("temperature"), py::arg("max_length"),
             py::arg("batch_size"), py::arg("normalize"), py::arg("threads"), py::arg("auto_temperature"),
             py::arg("windows"), py::arg("window_stride"), py::arg("prompt") = std::string())
        .def("token_embeddings", &PyModel::token_embeddings, py::arg("texts"), py::arg("temperature"),
             py::arg("max_length"), py::arg("batch_size"), py::arg("threads"), py::arg("auto_temperature"),
             py::arg("prompt") = std::string())
        .def_property_readonly("prompts", [](const PyModel& self) { return self.config().prompts; })
        .def_property_readonly("default_prompt_name",
                               [](const PyModel& self) -> std::optional<std::string> {
                                   const std::string& name = self.config().default_prompt_name;
                                   if (name.empty()) return std::nullopt;
                                   return name;
                               })
        .def("tokenize", &PyModel::tokenize, py::arg("text"), py::arg("max_length") = 0);

    m.def("convert", &convert_model, py::arg("hf_dir"), py::arg("out_path"), py::arg("dtype") = "f32",
          py::arg("temperature") = py::none(), py::arg("max_seq_length") = py::none(),
          py::arg("auto_temperature") = std::string());
    m.def("active_isa", [] { return simd::isa_name(simd::active_isa()); });
    m.def("set_isa_cap", [](const std::string& name) {
        simd::Isa isa;
        if (!simd::isa_from_name(name, &isa))
            throw Error(Status::invalid_argument, "'" + name + "' is not an ISA (scalar, sse2, avx2, avx512bw, neon64)");
        simd::set_isa_cap(isa);
    });
}
