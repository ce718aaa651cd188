// Micro-benchmarks of EfficientFormer's four latency observations on this CPU (td_microbench.h): the cases,
// their seeded construction with numerical checks (folded Conv-BN, reshaped blocks), and the timing loop.
// The bridge's internal helpers (errors, guarded calls); this target links CTorchBridge.
#include "../../Sources/CTorchBridge/Bridge.hpp"
#include "td_microbench.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace {

using torch::Tensor;

/// Seeded weights and inputs: each case draws from its own CPU generator in a fixed order, so cases that
/// compare two forms of one computation get identical numbers and no case depends on the global seed.
struct Init {
    at::Generator generator;
    explicit Init(uint64_t seed) : generator(at::detail::createCPUGenerator(seed)) {}
    Tensor normal(c10::IntArrayRef shape, double std, double mean = 0.0) {
        return torch::randn(shape, generator) * std + mean;
    }
    Tensor uniform(c10::IntArrayRef shape, double low, double high) {
        return torch::rand(shape, generator) * (high - low) + low;
    }
};

/// A convolution with bias: the inference form of Conv-BN once BN is folded in.
struct Conv {
    Tensor weight, bias;
    int64_t stride = 1, padding = 0;
    Tensor operator()(const Tensor &x) const { return torch::conv2d(x, weight, bias, stride, padding); }
};

/// Convolution (with bias, as the reference's nn.Conv2d) then BatchNorm in eval mode with non-trivial
/// running statistics and affine parameters.
struct ConvBN {
    Conv conv;
    Tensor gamma, beta, mean, var;
    double eps = 1e-5;

    ConvBN(Init &init, int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
        const double fanIn = static_cast<double>(in * kernel * kernel);
        conv = {init.normal({out, in, kernel, kernel}, std::sqrt(2.0 / fanIn)), init.normal({out}, 0.1), stride,
                padding};
        gamma = init.uniform({out}, 0.5, 1.5);
        beta = init.normal({out}, 0.1);
        mean = init.normal({out}, 0.5);
        var = init.uniform({out}, 0.5, 2.0);
    }
    Tensor operator()(const Tensor &x) const {
        return torch::batch_norm(conv(x), gamma, beta, mean, var, /*training=*/false, 0.1, eps, /*cudnn=*/false);
    }
    /// BN folded into the convolution: w·s and (b − μ)·s + β with s = γ / √(σ² + ε), computed in float64.
    Conv folded() const {
        const auto s = gamma.to(torch::kFloat64) / (var.to(torch::kFloat64) + eps).sqrt();
        const auto w = conv.weight.to(torch::kFloat64) * s.view({-1, 1, 1, 1});
        const auto b = (conv.bias.to(torch::kFloat64) - mean.to(torch::kFloat64)) * s + beta.to(torch::kFloat64);
        return {w.to(torch::kFloat32).contiguous(), b.to(torch::kFloat32), conv.stride, conv.padding};
    }
};

/// Throws unless `got` matches `want` to float32 rounding (relative to the magnitude of `want`).
void expectClose(const Tensor &got, const Tensor &want, const std::string &what) {
    const double diff = (got - want).abs().max().item<double>();
    const double scale = std::max(1.0, want.abs().max().item<double>());
    if (!(diff <= 1e-4 * scale)) {
        std::ostringstream message;
        message << what << ": max abs difference " << diff << " (output magnitude " << scale << ")";
        throw std::runtime_error(message.str());
    }
}

/// The first (at most two) samples of a batch: enough for the construction-time checks.
Tensor head(const Tensor &x) { return x.slice(0, 0, std::min<int64_t>(x.size(0), 2)); }

/// One forward pass over a case's prepared input.
using Pass = std::function<Tensor()>;

// ---- observation 1: patch embedding ----------------------------------------------------------------------

constexpr int64_t kImage = 224;

/// ViT/DeiT patch embedding: one 16×16 stride-16 convolution, 3 → c.
Pass patchify(Init &init, int64_t batch, int64_t c) {
    Conv conv{init.normal({c, 3, 16, 16}, std::sqrt(2.0 / 768.0)), init.normal({c}, 0.1), 16, 0};
    auto x = init.normal({batch, 3, kImage, kImage}, 1.0);
    return [conv, x] { return conv(x); };
}

/// Stacked 3×3 stride-2 Conv-BN-ReLU, 3 → widths…; BN folded into the convs (checked) unless `fold` is false.
Pass stem(Init &init, int64_t batch, const std::vector<int64_t> &widths, bool fold) {
    std::vector<ConvBN> layers;
    int64_t in = 3;
    for (auto width : widths) {
        layers.emplace_back(init, in, width, 3, 2, 1);
        in = width;
    }
    auto x = init.normal({batch, 3, kImage, kImage}, 1.0);
    if (!fold)
        return [layers, x] {
            Tensor y = x;
            for (const auto &layer : layers) y = torch::relu(layer(y));
            return y;
        };
    std::vector<Conv> convs;
    for (const auto &layer : layers) convs.push_back(layer.folded());
    auto run = [convs](Tensor y) {
        for (const auto &conv : convs) y = torch::relu(conv(y));
        return y;
    };
    Tensor reference = head(x);
    for (const auto &layer : layers) reference = torch::relu(layer(reference));
    expectClose(run(head(x)), reference, "folded stem vs Conv-BN-ReLU stem");
    return [run, x] { return run(x); };
}

// ---- observations 2–4: the 4D block's MLP and token mixer -------------------------------------------------

/// The weights of one Meta4D block at width c (MLP hidden 4c, as EfficientFormer): Conv-BN MLP, its folded
/// form, LayerNorm parameters for the 3D variant and the two layer scales.
struct Block {
    int64_t c, hidden;
    ConvBN fc1, fc2;
    Conv folded1, folded2;
    Tensor lnWeight, lnBias, scale1, scale2;

    Block(Init &init, int64_t c)
        : c(c), hidden(4 * c), fc1(init, c, 4 * c, 1, 1, 0), fc2(init, 4 * c, c, 1, 1, 0) {
        folded1 = fc1.folded();
        folded2 = fc2.folded();
        lnWeight = init.uniform({c}, 0.5, 1.5);
        lnBias = init.normal({c}, 0.1);
        scale1 = init.uniform({c}, 0.5, 1.5);
        scale2 = init.uniform({c}, 0.5, 1.5);
    }
    /// fc weights as Linear matrices (out × in).
    Tensor linear1() const { return folded1.weight.view({hidden, c}); }
    Tensor linear2() const { return folded2.weight.view({c, hidden}); }

    Tensor convBNMlp(const Tensor &x) const { return fc2(torch::gelu(fc1(x))); }
    Tensor foldedMlp(const Tensor &x, bool relu = false) const {
        const auto h = folded1(x);
        return folded2(relu ? torch::relu(h) : torch::gelu(h));
    }
    /// LayerNorm over channels, then Linear–GELU–Linear on N×HW×c tokens.
    Tensor layerNormMlp(const Tensor &tokens, const Tensor &w1, const Tensor &w2) const {
        const auto normed = torch::layer_norm(tokens, {c}, lnWeight, lnBias, 1e-5, /*cudnn=*/false);
        return torch::linear(torch::gelu(torch::linear(normed, w1, folded1.bias)), w2, folded2.bias);
    }
    /// EfficientFormer's Meta4D in NCHW: x + ls1·(avgpool3(x) − x), then + ls2·MLP (BN folded).
    Tensor meta4D(const Tensor &x) const {
        const auto y = x + scale1.view({1, -1, 1, 1}) *
                               (torch::avg_pool2d(x, 3, 1, 1, false, /*count_include_pad=*/false) - x);
        return y + scale2.view({1, -1, 1, 1}) * foldedMlp(y);
    }
    /// The same block on N×HW×c tokens: to 4D for the pooling, back to 3D for the layer scale and the Linear
    /// MLP. With `copy` every 4D↔3D change is materialised (contiguous), as a reshape/transpose op is on
    /// hardware and runtimes without strided views; without it they stay libtorch strided views.
    Tensor meta4DReshaped(const Tensor &tokens, int64_t h, int64_t w, const Tensor &w1, const Tensor &w2,
                          bool copy) const {
        const auto n = tokens.size(0);
        auto x4 = tokens.transpose(1, 2).reshape({n, c, h, w});
        if (copy) x4 = x4.contiguous();
        auto mixed = (torch::avg_pool2d(x4, 3, 1, 1, false, false) - x4).flatten(2).transpose(1, 2);
        if (copy) mixed = mixed.contiguous();
        const auto y = tokens + scale1 * mixed;
        return y + scale2 * torch::linear(torch::gelu(torch::linear(y, w1, folded1.bias)), w2, folded2.bias);
    }
};

/// N×HW×c tokens of an NCHW tensor (contiguous).
Tensor tokensOf(const Tensor &x) { return x.flatten(2).transpose(1, 2).contiguous(); }
/// NCHW tensor of N×HW×c tokens.
Tensor imageOf(const Tensor &tokens, int64_t h, int64_t w) {
    return tokens.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), h, w});
}

enum class BlockForm { meta4D, meta4DChannelsLast, reshapeView, reshapeCopy, convBN, folded, layerNorm, foldedReLU };

/// Builds one form of the width-c block on an h×h input; every form draws the same weights and input.
Pass block(Init &init, int64_t batch, int64_t c, int64_t h, BlockForm form) {
    const auto b = std::make_shared<Block>(init, c);
    const auto x = init.normal({batch, c, h, h}, 1.0);
    const auto w1 = b->linear1().contiguous(), w2 = b->linear2().contiguous();
    expectClose(b->foldedMlp(head(x)), b->convBNMlp(head(x)), "folded 1×1-conv MLP vs Conv-BN MLP");
    switch (form) {
    case BlockForm::meta4D: return [b, x] { return b->meta4D(x); };
    case BlockForm::meta4DChannelsLast: {
        const auto nhwc = x.contiguous(at::MemoryFormat::ChannelsLast);
        expectClose(b->meta4D(head(nhwc)), b->meta4D(head(x)), "channels-last block vs NCHW block");
        return [b, nhwc] { return b->meta4D(nhwc); };
    }
    case BlockForm::reshapeView:
    case BlockForm::reshapeCopy: {
        const bool copy = form == BlockForm::reshapeCopy;
        const auto tokens = tokensOf(x);
        expectClose(imageOf(b->meta4DReshaped(head(tokens), h, h, w1, w2, copy), h, h), b->meta4D(head(x)),
                    "reshaped block vs 4D block");
        return [b, tokens, h, w1, w2, copy] { return b->meta4DReshaped(tokens, h, h, w1, w2, copy); };
    }
    case BlockForm::convBN: return [b, x] { return b->convBNMlp(x); };
    case BlockForm::folded: return [b, x] { return b->foldedMlp(x); };
    case BlockForm::foldedReLU: return [b, x] { return b->foldedMlp(x, /*relu=*/true); };
    case BlockForm::layerNorm: {
        const auto tokens = tokensOf(x);
        return [b, tokens, w1, w2] { return b->layerNormMlp(tokens, w1, w2); };
    }
    }
    throw std::logic_error("unhandled block form");
}

// ---- observation 4: activations alone ---------------------------------------------------------------------

/// GELU (erf, as nn.GELU) or ReLU over an N×c×h×h activation, into a preallocated output so only the op is
/// timed (ReLU as clamp_min, which is how libtorch implements relu).
Pass activation(Init &init, int64_t batch, int64_t c, int64_t h, bool gelu) {
    const auto x = init.normal({batch, c, h, h}, 1.0);
    auto out = torch::empty_like(x);
    if (gelu) return [x, out]() mutable { return at::gelu_out(out, x); };
    return [x, out]() mutable { return at::clamp_min_out(out, x, 0); };
}

// ---- the case table ---------------------------------------------------------------------------------------

struct Case {
    std::string name;
    int32_t observation;
    std::string description;
    int64_t macs;
    std::function<Pass(Init &, int64_t)> build;
};

/// MACs of a k×k convolution with `out` outputs per position over `positions` output positions.
constexpr int64_t convMacs(int64_t positions, int64_t in, int64_t out, int64_t k) { return positions * in * out * k * k; }

/// MACs of a stem of 3×3 stride-2 convolutions on a 224×224 image.
int64_t stemMacs(const std::vector<int64_t> &widths) {
    int64_t macs = 0, in = 3, side = kImage;
    for (auto width : widths) {
        side = td::halved(side);
        macs += convMacs(side * side, in, width, 3);
        in = width;
    }
    return macs;
}

std::string str(int64_t v) { return std::to_string(v); }

const std::vector<Case> &cases() {
    static const std::vector<Case> table = [] {
        std::vector<Case> t;
        for (int64_t c : {48, 192}) {
            t.push_back({"patchify16-c" + str(c), 1, "16×16 s16 conv 3→" + str(c) + " (ViT/DeiT patch embedding), 224 px",
                         convMacs(14 * 14, 3, c, 16),
                         [c](Init &init, int64_t n) { return patchify(init, n, c); }});
            if (c == 48) {
                const std::vector<int64_t> w{c / 2, c};
                t.push_back({"stem4-c48", 1, "2× 3×3 s2 Conv-BN-ReLU 3→24→48, BN folded (EfficientFormer-L1 stem), stride 4",
                             stemMacs(w), [w](Init &init, int64_t n) { return stem(init, n, w, true); }});
                t.push_back({"stem4-c48-bn", 1, "the same stem with BN unfolded (eval BatchNorm after each conv)",
                             stemMacs(w), [w](Init &init, int64_t n) { return stem(init, n, w, false); }});
            }
            const std::vector<int64_t> w{c / 8, c / 4, c / 2, c};
            t.push_back({"stem16-c" + str(c), 1,
                         "4× 3×3 s2 Conv-BN-ReLU 3→" + str(c / 8) + "→" + str(c / 4) + "→" + str(c / 2) + "→" + str(c) +
                             ", BN folded, stride 16 like patchify",
                         stemMacs(w), [w](Init &init, int64_t n) { return stem(init, n, w, true); }});
        }
        const std::pair<int64_t, int64_t> shapes[] = {{48, 56}, {224, 14}};
        struct Form {
            const char *prefix;
            int32_t observation;
            BlockForm form;
            const char *description;
        };
        const Form forms[] = {
            {"meta4d", 2, BlockForm::meta4D, "Meta4D block in NCHW: pool(x)−x mixer + folded 1×1-conv GELU MLP"},
            {"meta4d-nhwc", 2, BlockForm::meta4DChannelsLast,
             "the same 4D block with the tensor in channels-last (NHWC) memory format"},
            {"reshape-view", 2, BlockForm::reshapeView,
             "same block on tokens, 4D↔3D as strided views (transpose/reshape), Linear MLP"},
            {"reshape-copy", 2, BlockForm::reshapeCopy, "same block on tokens, each 4D↔3D change a contiguous copy"},
            {"mlp-convbn", 3, BlockForm::convBN, "1×1 conv-BN-GELU-1×1 conv-BN (eval BN, unfolded), NCHW"},
            {"mlp-folded", 3, BlockForm::folded, "1×1 conv-GELU-1×1 conv with BN folded (biases), NCHW"},
            {"mlp-lnlinear", 3, BlockForm::layerNorm, "LayerNorm + Linear-GELU-Linear on N×HW×C tokens"},
            {"mlp-relu", 4, BlockForm::foldedReLU, "folded 1×1-conv MLP with ReLU instead of GELU (cf. mlp-folded)"},
        };
        for (const auto &form : forms)
            for (const auto &[c, h] : shapes) {
                const int64_t mlp = 2 * convMacs(h * h, c, 4 * c, 1);
                const BlockForm f = form.form;
                const int64_t cc = c, hh = h;
                t.push_back({std::string(form.prefix) + "-c" + str(c) + "-" + str(h), form.observation,
                             std::string(form.description) + ", C=" + str(c) + ", " + str(h) + "×" + str(h), mlp,
                             [cc, hh, f](Init &init, int64_t n) { return block(init, n, cc, hh, f); }});
            }
        for (const auto &[c, h] : shapes)
            for (bool gelu : {true, false}) {
                const int64_t hidden = 4 * c, hh = h;
                t.push_back({std::string(gelu ? "gelu" : "relu") + "-" + str(hidden) + "x" + str(h) + "x" + str(h), 4,
                             std::string(gelu ? "GELU (erf)" : "ReLU") + " alone on the N×" + str(hidden) + "×" + str(h) +
                                 "×" + str(h) + " MLP hidden activation, preallocated output",
                             0, [hidden, hh, gelu](Init &init, int64_t n) { return activation(init, n, hidden, hh, gelu); }});
            }
        return t;
    }();
    return table;
}

const Case *findCase(const std::string &name) {
    for (const auto &c : cases())
        if (c.name == name) return &c;
    return nullptr;
}

} // namespace

extern "C" {

int32_t td_microbench_count(void) { return static_cast<int32_t>(cases().size()); }

int32_t td_microbench_describe(int32_t index, const char **name, int32_t *observation, const char **description,
                               int64_t *macs_per_sample) {
    return td::guarded([&] {
        if (index < 0 || index >= td_microbench_count())
            return td::fail(TD_ERR_INVALID_ARGUMENT, "no micro-benchmark case " + std::to_string(index));
        const auto &c = cases()[static_cast<size_t>(index)];
        if (name) *name = c.name.c_str();
        if (observation) *observation = c.observation;
        if (description) *description = c.description.c_str();
        if (macs_per_sample) *macs_per_sample = c.macs;
        return static_cast<int32_t>(TD_OK);
    });
}

int32_t td_microbench_run(const char *case_name, int64_t batch, int32_t threads, int32_t warmup, int32_t iterations,
                          double *median_ms, double *min_ms) {
    return td::guarded([&] {
        const Case *c = findCase(case_name ? case_name : "");
        if (!c) return td::fail(TD_ERR_NOT_FOUND, std::string("no micro-benchmark case '") + (case_name ? case_name : "") + "'");
        if (batch <= 0 || threads <= 0 || iterations <= 0 || warmup < 0)
            return td::fail(TD_ERR_INVALID_ARGUMENT, "batch, threads and iterations must be positive, warmup ≥ 0");
        at::set_num_threads(threads);
        Pass pass;
        {
            torch::NoGradGuard noGrad;
            Init init(0x5eed);
            pass = c->build(init, batch);
        }
        c10::InferenceMode inference;
        for (int32_t i = 0; i < warmup; i++) (void)pass();
        std::vector<double> times;
        times.reserve(static_cast<size_t>(iterations));
        for (int32_t i = 0; i < iterations; i++) {
            const auto start = std::chrono::steady_clock::now();
            { const Tensor out = pass(); }  // the output is freed inside the timed region, as in a model
            times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
        std::sort(times.begin(), times.end());
        const size_t mid = times.size() / 2;
        if (median_ms) *median_ms = times.size() % 2 ? times[mid] : 0.5 * (times[mid - 1] + times[mid]);
        if (min_ms) *min_ms = times.front();
        return static_cast<int32_t>(TD_OK);
    });
}

const char *td_microbench_environment(void) {
    static const std::string text = [] {
        std::ostringstream s;
        s << "libtorch " << TORCH_VERSION << "; oneDNN (mkldnn) "
          << (at::globalContext().userEnabledMkldnn() ? "enabled" : "disabled") << "\n"
          << at::get_parallel_info();
        return s.str();
    }();
    return text.c_str();
}

} // extern "C"
