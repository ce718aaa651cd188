// Internal declarations shared by the bridge's translation units (never seen by Swift).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "td_torch.h"

namespace td {

/// One named entry of a state dict: the tensor shares storage with the model.
struct StateEntry {
    std::string name;
    torch::Tensor tensor;
    bool isParameter;
};

/// Records `message` as this thread's last error and returns `code`.
int32_t fail(int32_t code, const std::string &message);
/// Runs `body`, turning any exception into an error code and message.
int32_t guarded(const std::function<int32_t()> &body);

/// TD_* dtype of a torch dtype (-1 if none).
int32_t dtypeCode(c10::ScalarType type);
/// torch dtype of a TD_* code; throws std::invalid_argument on an unknown code.
c10::ScalarType scalarType(int32_t code);

/// Index of `name` in `entries`, or -1.
int64_t findEntry(const std::vector<StateEntry> &entries, const std::string &name);
/// Copies `src` (dtype/shape given) into `dst` after checking the shape; converts the dtype.
void writeEntry(const StateEntry &entry, int32_t dtype, int32_t ndim, const int64_t *shape, const void *src);
/// Fills info out-parameters for an entry.
void describeEntry(const StateEntry &entry, const char **name, int32_t *dtype, int32_t *ndim, int64_t *shape);

/// Guards libtorch's global generator: whoever seeds it and then draws from it (model construction,
/// training steps with drop path) holds this lock, so concurrent users stay deterministic.
std::mutex &generatorMutex();

/// The TinyViT layer-wise LR decay rule: scale of a parameter given the stage depths.
double tinyViTLRScale(const std::string &name, const std::vector<int64_t> &depths, double decay);

/// A convolution followed by BatchNorm, runnable as bn(conv(x)) or, in fused eval, as one convolution
/// with the eval-mode BN folded in: W' = W·γ/σ, b' = (b − μ)·γ/σ + β, σ = sqrt(running_var + eps). The
/// module keeps its own conv and BN (and their state-dict names) for training and saving.
struct ConvBNFold {
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    torch::Tensor weight, bias;  // folded; undefined unless set(true)
    std::vector<int64_t> stride, padding, dilation;
    int64_t groups = 1;

    ConvBNFold() = default;
    ConvBNFold(torch::nn::Conv2d conv, torch::nn::BatchNorm2d bn) : conv(std::move(conv)), bn(std::move(bn)) {}

    /// Builds (true) from the current parameters and running statistics, or drops (false), the folded weights.
    void set(bool on);
    /// bn(conv(x)); one folded convolution when set(true) has run and `training` is false.
    torch::Tensor operator()(const torch::Tensor &x, bool training) {
        if (weight.defined() && !training) return torch::conv2d(x, weight, bias, stride, padding, dilation, groups);
        return bn(conv(x));
    }
};

/// Element `i` of `seq` as a module holder of type Holder (e.g. torch::nn::Conv2d).
template <typename Holder>
Holder sequentialItem(torch::nn::Sequential &seq, size_t i) {
    return Holder(std::dynamic_pointer_cast<typename Holder::Impl>(seq->ptr(i)));
}

/// A module with an inference-only fast path (BatchNorm folded into convolutions, gathered attention
/// biases cached). The fast path is used only in eval mode and only after setFolded(true).
struct Foldable {
    virtual ~Foldable() = default;
    /// Builds (true) or drops (false) the inference-only tensors from the current parameters.
    virtual void setFolded(bool on) = 0;
};

/// Calls setFolded on every Foldable submodule of `root` (and on `root` itself), under NoGradGuard.
void setFolded(torch::nn::Module &root, bool on);

} // namespace td

/// A model the bridge can run: a built-in architecture or a TorchScript module.
struct td_model {
    std::string kind;                                         // "tinyvit", "resnet", "torchscript"
    std::shared_ptr<torch::nn::Module> module;                // built-in architectures
    std::function<torch::Tensor(const torch::Tensor &)> run;  // forward
    std::function<void(bool)> setTraining;
    std::vector<td::StateEntry> state;                        // parameters first, then buffers
    int64_t numClasses = 0;
    std::vector<int64_t> depths;                              // TinyViT stage depths (LR decay)
    std::shared_ptr<void> keepAlive;                          // TorchScript module storage
    std::function<void(bool)> setFolded;                      // built-in architectures: fused inference
    bool fused = false;                                       // eval forwards run the folded path
    uint64_t foldedVersion = 0;                               // td::stateVersion when last folded
};

namespace td {
/// Sum of the in-place version counters of every state tensor: changes whenever weights or BatchNorm
/// statistics are written (loading, an optimiser step, a training-mode forward), so folded inference
/// tensors can be rebuilt before they go stale.
uint64_t stateVersion(const td_model &model);

/// Collects the state dict of a torch::nn::Module (parameters, then buffers).
std::vector<StateEntry> collectState(torch::nn::Module &module);

/// Stochastic depth: zeroes whole samples with probability p and rescales the survivors (timm's rule).
inline torch::Tensor dropPath(const torch::Tensor &x, double p, bool training) {
    if (!training || p <= 0.0) return x;
    const double keep = 1.0 - p;
    std::vector<int64_t> shape(x.dim(), 1);
    shape[0] = x.size(0);
    auto mask = torch::empty(shape, x.options()).bernoulli_(keep);
    if (keep > 0.0) mask.div_(keep);
    return x * mask;
}

/// Output size of a 3x3 stride-2 pad-1 convolution (ceil(n / 2)).
inline int64_t halved(int64_t n) { return (n + 2 - 3) / 2 + 1; }

/// Builds a built-in network under the generator lock (seeded init) and wraps it as a td_model.
template <typename Net, typename Config>
td_model *makeModel(const char *kind, const Config &config, uint64_t seed, int64_t numClasses) {
    std::shared_ptr<Net> net;
    {
        std::lock_guard<std::mutex> lock(generatorMutex());
        torch::manual_seed(seed);
        net = std::make_shared<Net>(config);
    }
    auto model = std::make_unique<td_model>();
    model->kind = kind;
    model->module = net;
    model->run = [net](const torch::Tensor &x) { return net->forward(x); };
    model->setTraining = [net](bool on) { net->train(on); };
    model->setFolded = [net](bool on) { td::setFolded(*net, on); };
    model->state = collectState(*net);
    model->numClasses = numClasses;
    return model.release();
}
}
