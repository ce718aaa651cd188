// TinyViT (Wu et al., ECCV 2022), block for block as the public reference implementation, so that its
// state dicts load here unchanged: Conv2d_BN, PatchEmbed, MBConv, PatchMerging, windowed attention with
// relative-offset attention biases, a depthwise local conv between attention and MLP, LayerNorm + head.
#include "Bridge.hpp"

#include <cmath>
#include <map>
#include <stdexcept>

namespace {

using torch::Tensor;
using td::dropPath;
using td::halved;

/// Convolution without bias followed by BatchNorm ("c", "bn"); one folded convolution in fused eval.
struct Conv2dBNImpl : torch::nn::Module, td::Foldable {
    torch::nn::Conv2d c{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    td::ConvBNFold convBN;

    Conv2dBNImpl(int64_t in, int64_t out, int64_t ks = 1, int64_t stride = 1, int64_t pad = 0,
                 int64_t groups = 1, double bnWeightInit = 1.0) {
        c = register_module("c", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, ks)
                                                       .stride(stride).padding(pad).groups(groups).bias(false)));
        bn = register_module("bn", torch::nn::BatchNorm2d(out));
        torch::NoGradGuard noGrad;
        bn->weight.fill_(bnWeightInit);
        bn->bias.zero_();
        convBN = td::ConvBNFold(c, bn);
    }
    Tensor forward(const Tensor &x) { return convBN(x, is_training()); }
    void setFolded(bool on) override { convBN.set(on); }
};
TORCH_MODULE(Conv2dBN);

/// Two 3x3 stride-2 Conv2d_BN with GELU between them ("seq.0", "seq.2").
struct PatchEmbedImpl : torch::nn::Module {
    torch::nn::Sequential seq{nullptr};
    PatchEmbedImpl(int64_t inChans, int64_t dim) {
        seq = register_module("seq", torch::nn::Sequential(Conv2dBN(inChans, dim / 2, 3, 2, 1), torch::nn::GELU(),
                                                           Conv2dBN(dim / 2, dim, 3, 2, 1)));
    }
    Tensor forward(const Tensor &x) { return seq->forward(x); }
};
TORCH_MODULE(PatchEmbed);

/// Inverted residual: 1x1 expand, 3x3 depthwise, 1x1 project (BN weight initialised to 0), residual, GELU.
struct MBConvImpl : torch::nn::Module {
    Conv2dBN conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    double dropPathRate;
    MBConvImpl(int64_t dim, double expandRatio, double dropPathRate) : dropPathRate(dropPathRate) {
        const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * expandRatio);
        conv1 = register_module("conv1", Conv2dBN(dim, hidden, 1));
        conv2 = register_module("conv2", Conv2dBN(hidden, hidden, 3, 1, 1, hidden));
        conv3 = register_module("conv3", Conv2dBN(hidden, dim, 1, 1, 0, 1, 0.0));
    }
    Tensor forward(const Tensor &input) {
        auto x = torch::gelu(conv1(input));
        x = torch::gelu(conv2(x));
        x = conv3(x);
        x = dropPath(x, dropPathRate, is_training());
        return torch::gelu(x + input);
    }
};
TORCH_MODULE(MBConv);

/// Stage transition: 1x1, 3x3 stride-2 depthwise, 1x1 (GELU between); returns tokens (B, L, C).
struct PatchMergingImpl : torch::nn::Module {
    int64_t height, width;
    Conv2dBN conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    PatchMergingImpl(int64_t height, int64_t width, int64_t dim, int64_t outDim) : height(height), width(width) {
        conv1 = register_module("conv1", Conv2dBN(dim, outDim, 1, 1, 0));
        conv2 = register_module("conv2", Conv2dBN(outDim, outDim, 3, 2, 1, outDim));
        conv3 = register_module("conv3", Conv2dBN(outDim, outDim, 1, 1, 0));
    }
    Tensor forward(Tensor x) {
        if (x.dim() == 3) x = x.view({x.size(0), height, width, -1}).permute({0, 3, 1, 2});
        x = torch::gelu(conv1(x));
        x = torch::gelu(conv2(x));
        x = conv3(x);
        return x.flatten(2).transpose(1, 2);
    }
};
TORCH_MODULE(PatchMerging);

/// LayerNorm, fc1, GELU, dropout, fc2, dropout.
struct MlpImpl : torch::nn::Module {
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    double drop;
    MlpImpl(int64_t dim, int64_t hidden, double drop) : drop(drop) {
        norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
        fc1 = register_module("fc1", torch::nn::Linear(dim, hidden));
        fc2 = register_module("fc2", torch::nn::Linear(hidden, dim));
    }
    Tensor forward(const Tensor &input) {
        auto x = torch::gelu(fc1(norm(input)));
        x = torch::dropout(x, drop, is_training());
        x = fc2(x);
        return torch::dropout(x, drop, is_training());
    }
};
TORCH_MODULE(Mlp);

/// Multi-head self-attention over one window, with a learned bias per head and per relative offset
/// (|dy|, |dx|) between two positions (the LeViT scheme the reference uses).
struct AttentionImpl : torch::nn::Module, td::Foldable {
    int64_t heads, keyDim, valueDim;
    double scale;
    torch::nn::LayerNorm norm{nullptr};
    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    Tensor attentionBiases;
    Tensor biasIndex;  // N*N offset ids; not part of the state dict (derived from the window size)
    Tensor gatheredBias;  // fused eval: attention_biases gathered to heads x N x N once
    int64_t points;

    AttentionImpl(int64_t dim, int64_t keyDim, int64_t heads, int64_t window)
        : heads(heads), keyDim(keyDim), valueDim(keyDim), scale(std::pow(static_cast<double>(keyDim), -0.5)) {
        norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
        qkv = register_module("qkv", torch::nn::Linear(dim, heads * (2 * keyDim + valueDim)));
        proj = register_module("proj", torch::nn::Linear(heads * valueDim, dim));
        points = window * window;
        std::map<std::pair<int64_t, int64_t>, int64_t> offsets;
        std::vector<int64_t> ids;
        ids.reserve(static_cast<size_t>(points * points));
        for (int64_t a = 0; a < points; a++) {
            for (int64_t b = 0; b < points; b++) {
                const auto key = std::make_pair(std::abs(a / window - b / window), std::abs(a % window - b % window));
                auto it = offsets.find(key);
                if (it == offsets.end()) it = offsets.emplace(key, static_cast<int64_t>(offsets.size())).first;
                ids.push_back(it->second);
            }
        }
        attentionBiases = register_parameter("attention_biases",
                                             torch::zeros({heads, static_cast<int64_t>(offsets.size())}));
        biasIndex = torch::tensor(ids, torch::kLong);
    }

    Tensor forward(const Tensor &input) {
        const auto B = input.size(0), N = input.size(1);
        auto x = qkv(norm(input)).view({B, N, heads, -1});
        auto parts = x.split_with_sizes({keyDim, keyDim, valueDim}, 3);
        auto q = parts[0].permute({0, 2, 1, 3});
        auto k = parts[1].permute({0, 2, 1, 3});
        auto v = parts[2].permute({0, 2, 1, 3});
        auto bias = gatheredBias.defined() && !is_training() ? gatheredBias
                                                             : attentionBiases.index_select(1, biasIndex).view({heads, N, N});
        auto attn = (q.matmul(k.transpose(-2, -1)) * scale + bias).softmax(-1);
        auto out = attn.matmul(v).transpose(1, 2).reshape({B, N, heads * valueDim});
        return proj(out);
    }
    void setFolded(bool on) override {
        gatheredBias = on ? attentionBiases.index_select(1, biasIndex).view({heads, points, points}).detach().contiguous()
                          : Tensor();
    }
};
TORCH_MODULE(Attention);

/// Window attention + residual, depthwise local conv, MLP + residual; pads to whole windows when needed.
struct TinyViTBlockImpl : torch::nn::Module {
    int64_t height, width, window;
    double dropPathRate;
    Attention attn{nullptr};
    Mlp mlp{nullptr};
    Conv2dBN localConv{nullptr};

    TinyViTBlockImpl(int64_t dim, int64_t height, int64_t width, int64_t heads, int64_t window, double mlpRatio,
                     double drop, double dropPathRate, int64_t localConvSize)
        : height(height), width(width), window(window), dropPathRate(dropPathRate) {
        attn = register_module("attn", Attention(dim, dim / heads, heads, window));
        mlp = register_module("mlp", Mlp(dim, static_cast<int64_t>(static_cast<double>(dim) * mlpRatio), drop));
        localConv = register_module("local_conv",
                                    Conv2dBN(dim, dim, localConvSize, 1, localConvSize / 2, dim));
    }

    Tensor forward(const Tensor &input) {
        const auto B = input.size(0), L = input.size(1), C = input.size(2);
        const auto H = height, W = width;
        Tensor x;
        if (H == window && W == window) {
            x = attn(input);
        } else {
            x = input.view({B, H, W, C});
            const auto padB = (window - H % window) % window;
            const auto padR = (window - W % window) % window;
            const bool padding = padB > 0 || padR > 0;
            if (padding) x = torch::constant_pad_nd(x, {0, 0, 0, padR, 0, padB});
            const auto pH = H + padB, pW = W + padR;
            const auto nH = pH / window, nW = pW / window;
            x = x.view({B, nH, window, nW, window, C}).transpose(2, 3).reshape({B * nH * nW, window * window, C});
            x = attn(x);
            x = x.view({B, nH, nW, window, window, C}).transpose(2, 3).reshape({B, pH, pW, C});
            if (padding) {
                using torch::indexing::Slice;
                x = x.index({Slice(), Slice(0, H), Slice(0, W)}).contiguous();
            }
            x = x.view({B, L, C});
        }
        x = input + dropPath(x, dropPathRate, is_training());
        x = x.transpose(1, 2).reshape({B, C, H, W});
        x = localConv(x);
        x = x.view({B, C, L}).transpose(1, 2);
        return x + dropPath(mlp(x), dropPathRate, is_training());
    }
};
TORCH_MODULE(TinyViTBlock);

/// A stage: its blocks ("blocks.i") and an optional PatchMerging ("downsample").
struct StageImpl : torch::nn::Module {
    std::vector<std::function<Tensor(const Tensor &)>> blocks;
    PatchMerging downsample{nullptr};
    Tensor forward(Tensor x) {
        for (auto &block : blocks) x = block(x);
        if (downsample) x = downsample(x);
        return x;
    }
};

struct TinyViTImpl : torch::nn::Module {
    PatchEmbed patchEmbed{nullptr};
    std::vector<std::shared_ptr<StageImpl>> stages;
    torch::nn::LayerNorm normHead{nullptr};
    torch::nn::Linear head{nullptr};

    explicit TinyViTImpl(const td_tinyvit_config &cfg) {
        const int64_t S = cfg.num_stages;
        patchEmbed = register_module("patch_embed", PatchEmbed(cfg.in_chans, cfg.embed_dims[0]));
        int64_t H = halved(halved(cfg.img_size)), W = H;
        int64_t totalDepth = 0;
        for (int64_t i = 0; i < S; i++) totalDepth += cfg.depths[i];
        std::vector<double> rates;
        if (totalDepth > 0) {
            auto lin = torch::linspace(0.0, cfg.drop_path_rate, totalDepth);
            for (int64_t i = 0; i < totalDepth; i++) rates.push_back(lin[i].item<double>());
        }
        auto layers = register_module("layers", torch::nn::ModuleList());
        int64_t blockIndex = 0;
        for (int64_t i = 0; i < S; i++) {
            auto stage = std::make_shared<StageImpl>();
            auto blocks = stage->register_module("blocks", torch::nn::ModuleList());
            const int64_t dim = cfg.embed_dims[i];
            for (int64_t j = 0; j < cfg.depths[i]; j++, blockIndex++) {
                if (i == 0) {
                    auto block = MBConv(dim, cfg.mbconv_expand_ratio, rates[blockIndex]);
                    blocks->push_back(block);
                    stage->blocks.emplace_back([block](const Tensor &x) mutable { return block->forward(x); });
                } else {
                    auto block = TinyViTBlock(dim, H, W, cfg.num_heads[i], cfg.window_sizes[i], cfg.mlp_ratio,
                                              cfg.drop_rate, rates[blockIndex], cfg.local_conv_size);
                    blocks->push_back(block);
                    stage->blocks.emplace_back([block](const Tensor &x) mutable { return block->forward(x); });
                }
            }
            if (i < S - 1) {
                stage->downsample = stage->register_module("downsample", PatchMerging(H, W, dim, cfg.embed_dims[i + 1]));
                H = halved(H);
                W = halved(W);
            }
            layers->push_back(stage);
            stages.push_back(stage);
        }
        const int64_t last = cfg.embed_dims[S - 1];
        normHead = register_module("norm_head", torch::nn::LayerNorm(torch::nn::LayerNormOptions({last})));
        head = register_module("head", torch::nn::Linear(last, cfg.num_classes));

        // The reference's init: Linear weights ~ N(0, 0.02) truncated at +-2 (no effect at this std),
        // biases 0; LayerNorm 1 and 0. Convolutions keep PyTorch's default.
        torch::NoGradGuard noGrad;
        for (auto &m : modules(/*include_self=*/false)) {
            if (auto *linear = m->as<torch::nn::Linear>()) {
                linear->weight.normal_(0.0, 0.02).clamp_(-2.0, 2.0);
                if (linear->bias.defined()) linear->bias.zero_();
            } else if (auto *ln = m->as<torch::nn::LayerNorm>()) {
                ln->weight.fill_(1.0);
                ln->bias.zero_();
            }
        }
    }

    Tensor forward(const Tensor &input) {
        auto x = patchEmbed(input);
        for (auto &stage : stages) x = stage->forward(x);
        x = x.mean(1);
        return head(normHead(x));
    }
};

void validate(const td_tinyvit_config &c) {
    auto bad = [](const std::string &m) { throw std::invalid_argument("TinyViT config: " + m); };
    if (c.num_stages < 2 || c.num_stages > TD_MAX_STAGES)
        bad("num_stages must be 2..8 (stage 0 is convolutional), got " + std::to_string(c.num_stages));
    if (c.img_size < 4) bad("img_size must be at least 4, got " + std::to_string(c.img_size));
    if (c.in_chans < 1) bad("in_chans must be positive");
    if (c.num_classes < 1) bad("num_classes must be positive");
    if (c.local_conv_size < 1 || c.local_conv_size % 2 == 0) bad("local_conv_size must be odd and positive");
    if (c.mlp_ratio <= 0 || c.mbconv_expand_ratio <= 0) bad("mlp_ratio and mbconv_expand_ratio must be positive");
    if (c.drop_path_rate < 0 || c.drop_path_rate >= 1 || c.drop_rate < 0 || c.drop_rate >= 1)
        bad("drop_rate and drop_path_rate must be in [0, 1)");
    if (c.embed_dims[0] < 2 || c.embed_dims[0] % 2 != 0) bad("embed_dims[0] must be even (the stem halves it)");
    for (int i = 0; i < c.num_stages; i++) {
        const auto s = std::to_string(i);
        if (c.embed_dims[i] < 1) bad("embed_dims[" + s + "] must be positive");
        if (c.depths[i] < 0) bad("depths[" + s + "] must not be negative");
        if (i > 0) {
            if (c.num_heads[i] < 1 || c.embed_dims[i] % c.num_heads[i] != 0)
                bad("embed_dims[" + s + "] = " + std::to_string(c.embed_dims[i]) + " must be divisible by num_heads[" +
                    s + "] = " + std::to_string(c.num_heads[i]));
            if (c.window_sizes[i] < 1) bad("window_sizes[" + s + "] must be positive");
        }
    }
}

} // namespace

double td::tinyViTLRScale(const std::string &name, const std::vector<int64_t> &depths, double decay) {
    if (decay == 1.0 || depths.empty()) return 1.0;
    int64_t total = 0;
    for (auto d : depths) total += d;
    auto scaleAt = [&](int64_t i) { return std::pow(decay, static_cast<double>(total - i - 1)); };
    if (name.rfind("patch_embed.", 0) == 0) return scaleAt(0);
    if (name.rfind("layers.", 0) == 0) {
        const auto rest = name.substr(7);
        const auto stage = std::stoll(rest.substr(0, rest.find('.')));
        int64_t before = 0;
        for (int64_t s = 0; s < stage && s < static_cast<int64_t>(depths.size()); s++) before += depths[s];
        const auto afterStage = rest.substr(rest.find('.') + 1);
        if (afterStage.rfind("blocks.", 0) == 0) {
            const auto block = std::stoll(afterStage.substr(7, afterStage.find('.', 7) - 7));
            return scaleAt(before + block);
        }
        // downsample: the scale of the stage's last block
        return scaleAt(before + depths[static_cast<size_t>(stage)] - 1);
    }
    return scaleAt(total - 1);  // norm_head, head
}

extern "C" int32_t td_tinyvit_create(const td_tinyvit_config *config, uint64_t seed, td_model **out) {
    return td::guarded([&]() -> int32_t {
        if (!config || !out) return td::fail(TD_ERR_INVALID_ARGUMENT, "td_tinyvit_create: null argument");
        validate(*config);
        auto *model = td::makeModel<TinyViTImpl>("tinyvit", *config, seed, config->num_classes);
        for (int i = 0; i < config->num_stages; i++) model->depths.push_back(config->depths[i]);
        *out = model;
        return TD_OK;
    });
}
