// Errors, threads, dtypes, state dicts and inference for every kind of model.
#include "Bridge.hpp"

#include <ATen/Parallel.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <sstream>
#include <stdexcept>

namespace {
thread_local std::string lastError;

std::string shapeString(c10::IntArrayRef shape) {
    std::ostringstream s;
    s << "[";
    for (size_t i = 0; i < shape.size(); i++) s << (i ? ", " : "") << shape[i];
    s << "]";
    return s.str();
}
} // namespace

std::mutex &td::generatorMutex() {
    static std::mutex mutex;
    return mutex;
}

int32_t td::fail(int32_t code, const std::string &message) {
    lastError = message;
    return code;
}

int32_t td::guarded(const std::function<int32_t()> &body) {
    try {
        lastError.clear();
        return body();
    } catch (const std::invalid_argument &e) {
        return fail(TD_ERR_INVALID_ARGUMENT, e.what());
    } catch (const c10::Error &e) {
        return fail(TD_ERR_TORCH, e.what_without_backtrace());
    } catch (const std::exception &e) {
        return fail(TD_ERR_TORCH, e.what());
    } catch (...) {
        return fail(TD_ERR_TORCH, "unknown C++ exception in libtorch");
    }
}

int32_t td::dtypeCode(c10::ScalarType type) {
    switch (type) {
    case torch::kFloat32: return TD_F32;
    case torch::kFloat16: return TD_F16;
    case torch::kBFloat16: return TD_BF16;
    case torch::kInt64: return TD_I64;
    case torch::kFloat64: return TD_F64;
    case torch::kInt32: return TD_I32;
    case torch::kUInt8: return TD_U8;
    default: return -1;
    }
}

c10::ScalarType td::scalarType(int32_t code) {
    switch (code) {
    case TD_F32: return torch::kFloat32;
    case TD_F16: return torch::kFloat16;
    case TD_BF16: return torch::kBFloat16;
    case TD_I64: return torch::kInt64;
    case TD_F64: return torch::kFloat64;
    case TD_I32: return torch::kInt32;
    case TD_U8: return torch::kUInt8;
    default: throw std::invalid_argument("unknown dtype code " + std::to_string(code));
    }
}

void td::ConvBNFold::set(bool on) {
    if (!on) {
        weight = torch::Tensor();
        bias = torch::Tensor();
        return;
    }
    torch::NoGradGuard noGrad;
    const auto &o = conv->options;
    stride = std::vector<int64_t>(o.stride()->begin(), o.stride()->end());
    dilation = std::vector<int64_t>(o.dilation()->begin(), o.dilation()->end());
    groups = o.groups();
    if (const auto *pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding())) padding = std::vector<int64_t>((*pad)->begin(), (*pad)->end());
    else throw std::invalid_argument("fused inference: only explicit convolution padding is supported");
    const auto invStd = (bn->running_var + bn->options.eps()).rsqrt();
    const auto scale = bn->weight.defined() ? bn->weight * invStd : invStd;
    const auto shift = bn->bias.defined() ? bn->bias : torch::zeros_like(invStd);
    const auto convBias = conv->bias.defined() ? conv->bias : torch::zeros_like(invStd);
    weight = (conv->weight * scale.view({-1, 1, 1, 1})).detach().contiguous();
    bias = ((convBias - bn->running_mean) * scale + shift).detach().contiguous();
}

void td::setFolded(torch::nn::Module &root, bool on) {
    torch::NoGradGuard noGrad;
    if (auto *self = dynamic_cast<Foldable *>(&root)) self->setFolded(on);
    for (auto &m : root.modules(/*include_self=*/false))
        if (auto foldable = std::dynamic_pointer_cast<Foldable>(m)) foldable->setFolded(on);
}

uint64_t td::stateVersion(const td_model &model) {
    uint64_t sum = 0;
    for (const auto &e : model.state) sum += e.tensor._version();
    return sum;
}

std::vector<td::StateEntry> td::collectState(torch::nn::Module &module) {
    std::vector<StateEntry> entries;
    for (const auto &p : module.named_parameters(true)) entries.push_back({p.key(), p.value(), true});
    for (const auto &b : module.named_buffers(true)) entries.push_back({b.key(), b.value(), false});
    return entries;
}

int64_t td::findEntry(const std::vector<StateEntry> &entries, const std::string &name) {
    for (size_t i = 0; i < entries.size(); i++)
        if (entries[i].name == name) return static_cast<int64_t>(i);
    return -1;
}

void td::describeEntry(const StateEntry &entry, const char **name, int32_t *dtype, int32_t *ndim, int64_t *shape) {
    if (name) *name = entry.name.c_str();
    if (dtype) *dtype = dtypeCode(entry.tensor.scalar_type());
    const auto dims = entry.tensor.dim();
    if (dims > TD_MAX_DIMS) throw std::invalid_argument("tensor '" + entry.name + "' has more than 8 dimensions");
    if (ndim) *ndim = static_cast<int32_t>(dims);
    if (shape)
        for (int64_t i = 0; i < dims; i++) shape[i] = entry.tensor.size(i);
}

void td::writeEntry(const StateEntry &entry, int32_t dtype, int32_t ndim, const int64_t *shape, const void *src) {
    if (ndim < 0 || ndim > TD_MAX_DIMS) throw std::invalid_argument("tensor '" + entry.name + "': bad rank");
    std::vector<int64_t> given(shape, shape + ndim);
    if (c10::IntArrayRef(given) != entry.tensor.sizes())
        throw std::invalid_argument("tensor '" + entry.name + "' has shape " + shapeString(given) +
                                    " but the model expects " + shapeString(entry.tensor.sizes()));
    auto view = torch::from_blob(const_cast<void *>(src), given, torch::TensorOptions().dtype(scalarType(dtype)));
    torch::NoGradGuard noGrad;
    entry.tensor.copy_(view.to(entry.tensor.scalar_type()));
}

extern "C" {

const char *td_last_error(void) { return lastError.c_str(); }

void td_set_num_threads(int32_t threads) {
    if (threads > 0) at::set_num_threads(threads);
}

int32_t td_get_num_threads(void) { return static_cast<int32_t>(at::get_num_threads()); }

void td_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_MAX, 0);                  // large blocks from the heap (arena heaps still mmap when full)
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);   // do not hand the heap's top back after every free
#endif
}

void td_manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> lock(td::generatorMutex());
    torch::manual_seed(seed);
}

int32_t td_dtype_size(int32_t dtype) {
    switch (dtype) {
    case TD_F32: case TD_I32: return 4;
    case TD_F16: case TD_BF16: return 2;
    case TD_I64: case TD_F64: return 8;
    case TD_U8: return 1;
    default: return 0;
    }
}

void td_model_free(td_model *model) { delete model; }

int64_t td_model_parameter_count(const td_model *model) {
    int64_t count = 0;
    for (const auto &e : model->state)
        if (e.isParameter) count += e.tensor.numel();
    return count;
}

int64_t td_model_num_classes(const td_model *model) { return model->numClasses; }

int64_t td_model_state_count(const td_model *model) { return static_cast<int64_t>(model->state.size()); }

int32_t td_model_state_info(const td_model *model, int64_t index, const char **name, int32_t *dtype, int32_t *ndim,
                            int64_t *shape, int32_t *is_parameter) {
    return td::guarded([&]() -> int32_t {
        if (index < 0 || index >= static_cast<int64_t>(model->state.size()))
            return td::fail(TD_ERR_NOT_FOUND, "state index " + std::to_string(index) + " out of range");
        const auto &entry = model->state[static_cast<size_t>(index)];
        td::describeEntry(entry, name, dtype, ndim, shape);
        if (is_parameter) *is_parameter = entry.isParameter ? 1 : 0;
        return TD_OK;
    });
}

int32_t td_model_state_read(const td_model *model, const char *name, void *dst, int64_t nbytes) {
    return td::guarded([&]() -> int32_t {
        const auto i = td::findEntry(model->state, name);
        if (i < 0) return td::fail(TD_ERR_NOT_FOUND, std::string("the model has no tensor '") + name + "'");
        const auto t = model->state[static_cast<size_t>(i)].tensor.detach().contiguous();
        const auto size = static_cast<int64_t>(t.numel() * t.element_size());
        if (size != nbytes)
            return td::fail(TD_ERR_INVALID_ARGUMENT, std::string("tensor '") + name + "' has " + std::to_string(size) +
                                                         " bytes, buffer has " + std::to_string(nbytes));
        std::memcpy(dst, t.data_ptr(), static_cast<size_t>(size));
        return TD_OK;
    });
}

int32_t td_model_state_write(td_model *model, const char *name, int32_t dtype, int32_t ndim, const int64_t *shape,
                             const void *src) {
    return td::guarded([&]() -> int32_t {
        const auto i = td::findEntry(model->state, name);
        if (i < 0) return td::fail(TD_ERR_NOT_FOUND, std::string("the model has no tensor '") + name + "'");
        td::writeEntry(model->state[static_cast<size_t>(i)], dtype, ndim, shape, src);
        return TD_OK;
    });
}

int32_t td_model_set_training(td_model *model, int32_t training) {
    return td::guarded([&]() -> int32_t {
        model->setTraining(training != 0);
        return TD_OK;
    });
}

int32_t td_model_set_fused(td_model *model, int32_t fused) {
    return td::guarded([&]() -> int32_t {
        if (!model->setFolded)
            return td::fail(TD_ERR_UNSUPPORTED, "fused inference applies to built-in architectures, not " + model->kind);
        model->setFolded(fused != 0);
        model->fused = fused != 0;
        model->foldedVersion = td::stateVersion(*model);
        return TD_OK;
    });
}

int32_t td_model_is_fused(const td_model *model) { return model->fused ? 1 : 0; }

int32_t td_model_forward(td_model *model, const float *input, int64_t n, int64_t c, int64_t h, int64_t w, float *out,
                         int64_t out_capacity, int64_t *out_classes) {
    return td::guarded([&]() -> int32_t {
        if (n < 1 || c < 1 || h < 1 || w < 1)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "forward: input shape must be positive in every dimension");
        if (model->fused) {
            const auto version = td::stateVersion(*model);
            if (version != model->foldedVersion) {  // weights changed since the fold: rebuild it
                model->setFolded(true);
                model->foldedVersion = version;
            }
        }
        c10::InferenceMode inference;
        auto x = torch::from_blob(const_cast<float *>(input), {n, c, h, w}, torch::kFloat32);
        auto y = model->run(x).to(torch::kFloat32).contiguous();
        if (y.dim() != 2 || y.size(0) != n)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "forward: the model returned shape " + shapeString(y.sizes()) +
                                                         ", expected [" + std::to_string(n) + ", classes]");
        const auto classes = y.size(1);
        if (model->numClasses == 0) model->numClasses = classes;
        if (out_classes) *out_classes = classes;
        if (n * classes > out_capacity)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "forward: output needs " + std::to_string(n * classes) +
                                                         " floats, buffer holds " + std::to_string(out_capacity));
        std::memcpy(out, y.data_ptr<float>(), static_cast<size_t>(n * classes) * sizeof(float));
        return TD_OK;
    });
}

} // extern "C"
